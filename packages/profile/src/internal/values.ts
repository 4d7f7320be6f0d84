import { DataClass } from '@steward/protocol';
import { ProfileError } from '../errors.ts';

/** Labels name the several values of one class (`home`, `work`), never personal data themselves. */
export const LABEL = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/** The most characters a value may have (the Order's `disclosed` field allows 500). */
export const MAX_VALUE_LENGTH = 500;

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,253}\.[^\s@]{1,63}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Checks a data class name, throwing `ERR_PROFILE_VALUE_INVALID`. */
export function checkDataClass(value: unknown): DataClass {
  const r = DataClass.safeParse(value);
  if (!r.success) {
    throw new ProfileError('ERR_PROFILE_VALUE_INVALID', `\`${String(value)}\` is not a data class (one of ${DataClass.options.join(', ')})`, {
      details: { field: 'dataClass' },
    });
  }
  return r.data;
}

/** Checks a label, throwing `ERR_PROFILE_VALUE_INVALID`. */
export function checkLabel(label: unknown): string {
  if (typeof label !== 'string' || !LABEL.test(label)) {
    throw new ProfileError('ERR_PROFILE_VALUE_INVALID', `label \`${String(label)}\` must be 1 to 32 lowercase letters, digits, \`-\` or \`_\``, {
      details: { field: 'label' },
    });
  }
  return label;
}

/**
 * Normalises and checks a value for its class (NFC, trimmed, length-capped, light per-class shape).
 * Error messages never echo the value.
 */
export function checkValue(dataClass: DataClass, raw: unknown): string {
  if (typeof raw !== 'string') {
    throw new ProfileError('ERR_PROFILE_VALUE_INVALID', `the \`${dataClass}\` value must be a string`, { details: { dataClass } });
  }
  const value = raw.normalize('NFC').trim();
  if (value.length === 0 || value.length > MAX_VALUE_LENGTH) {
    throw new ProfileError('ERR_PROFILE_VALUE_INVALID', `the \`${dataClass}\` value must be 1 to ${MAX_VALUE_LENGTH} characters`, {
      details: { dataClass },
    });
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(value)) {
    throw new ProfileError('ERR_PROFILE_VALUE_INVALID', `the \`${dataClass}\` value contains control characters`, { details: { dataClass } });
  }
  const bad = (why: string): never => {
    throw new ProfileError('ERR_PROFILE_VALUE_INVALID', `the \`${dataClass}\` value ${why}`, { details: { dataClass } });
  };
  switch (dataClass) {
    case 'email':
      if (!EMAIL.test(value)) bad('is not an email address');
      break;
    case 'phone': {
      const digits = value.replace(/\D/g, '');
      if (digits.length < 7 || digits.length > 15 || /[^\d\s()+./-]/.test(value)) bad('must be a phone number of 7 to 15 digits');
      break;
    }
    case 'birth_date': {
      const d = new Date(`${value}T00:00:00Z`);
      if (!ISO_DATE.test(value) || Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value) bad('must be an ISO date such as 1990-04-17');
      break;
    }
    case 'name':
    case 'address':
    case 'payment':
    case 'health':
    case 'location':
    case 'identity_document':
    case 'preferences':
      break;
  }
  return value;
}
