import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEvent } from '@steward/protocol';
import { openStore } from '@steward/store';
import { openAuditLog, MIGRATIONS, type OpenAuditLogOptions } from '../../src/index.ts';

export const KEY = generateKeyPairSync('ed25519');
export const SIGNER = { name: 'steward.test/audit', privateKey: KEY.privateKey };

export function tempDb(): string {
  return join(mkdtempSync(join(tmpdir(), 'steward-audit-')), 'steward.db');
}

export function openLog(path = tempDb(), options: OpenAuditLogOptions = {}) {
  const store = openStore(path, { migrations: { audit: MIGRATIONS } });
  const log = openAuditLog(store, { origin: 'steward.test/audit', signer: SIGNER, ...options });
  return { store, log, path };
}

export function ev(i: number, extra: Partial<AuditEvent> = {}): AuditEvent {
  return {
    type: 'message.received',
    at: new Date(Date.UTC(2026, 10, 25, 10, 0, i % 60)).toISOString(),
    actor: 'vendor:https://shop.example',
    vendor: 'https://shop.example',
    summary: `offer ${i} received`,
    data: { n: i },
    ...extra,
  };
}
