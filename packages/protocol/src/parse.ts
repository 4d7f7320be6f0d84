import sjson from 'secure-json-parse';
import type { z } from 'zod';
import { ProtocolError, type SchemaIssue } from './errors.ts';

/** Limits for parsing JSON from outside. */
export interface JsonLimits {
  /** Maximum size in UTF-8 bytes. Default 256 KiB. */
  maxBytes?: number;
  /** Maximum nesting of objects and arrays. Default 32. */
  maxDepth?: number;
}

const DEFAULT_MAX_BYTES = 256 * 1024;
const DEFAULT_MAX_DEPTH = 32;

/**
 * Checks nesting depth before parsing, in one pass over the text, so a parser bomb never reaches
 * `JSON.parse` (THREATS #30).
 */
export function checkJsonDepth(text: string, maxDepth = DEFAULT_MAX_DEPTH): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > maxDepth) {
        throw new ProtocolError('ERR_JSON_TOO_DEEP', `json nests deeper than ${maxDepth} levels`, {
          details: { maxDepth },
        });
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
}

/**
 * Parses JSON from outside: size cap, depth cap, and refusal of `__proto__` and
 * `constructor.prototype` keys (THREATS #29–31).
 */
export function parseJson(text: string, limits: JsonLimits = {}): unknown {
  const maxBytes = limits.maxBytes ?? DEFAULT_MAX_BYTES;
  // A UTF-16 length above the byte cap is over it for sure; only measure bytes when close.
  if (text.length > maxBytes || Buffer.byteLength(text, 'utf8') > maxBytes) {
    throw new ProtocolError('ERR_JSON_TOO_LARGE', `json is larger than ${maxBytes} bytes`, { details: { maxBytes } });
  }
  checkJsonDepth(text, limits.maxDepth ?? DEFAULT_MAX_DEPTH);
  try {
    return sjson.parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    const poisoned = /prototype/i.test(message);
    throw new ProtocolError(
      poisoned ? 'ERR_SCHEMA_INVALID' : 'ERR_JSON_MALFORMED',
      poisoned ? 'json carries a forbidden `__proto__` or `constructor.prototype` key' : 'json is malformed',
      { cause },
    );
  }
}

/** Turns zod issues into path + message pairs a person can read. */
export function toSchemaIssues(error: z.ZodError): SchemaIssue[] {
  return error.issues.slice(0, 50).map((issue) => ({
    path: issue.path.length === 0 ? '(root)' : issue.path.map(String).join('.'),
    message:
      issue.code === 'unrecognized_keys'
        ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `\`${k}\``).join(', ')}`
        : issue.message,
  }));
}

/**
 * Parses a value with a strict schema and throws `ERR_SCHEMA_INVALID` naming every problem.
 * `what` names the object in the message, e.g. `offer`.
 */
export function parseStrict<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = toSchemaIssues(result.error);
  const first = issues[0];
  throw new ProtocolError(
    'ERR_SCHEMA_INVALID',
    `${what} is invalid${first ? `: ${first.path}: ${first.message}` : ''}`,
    { issues, details: { what } },
  );
}
