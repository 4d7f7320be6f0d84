import type { Command } from 'commander';
import type { AuditEvent } from '@steward/protocol';
import { openStore, type Store } from '@steward/store';
import { openAuditLog } from '@steward/audit';
import { IdentityError, KeyStore, MIGRATIONS, buildJwks, ensureKeyFile, keyStoreSecretFor, type KeyPurpose, type KeyRecord } from '@steward/identity';
import type { CliContext } from '../context.ts';

function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Opens the database and the key store, runs `fn`, then appends the audit events it produced. */
export async function withKeyStore<T>(ctx: CliContext, create: boolean, fn: (keys: KeyStore, store: Store) => T): Promise<T> {
  const secret = keyStoreSecretFor(ctx.dataDir);
  const store = openStore(ctx.dbPath, { migrations: { identity: MIGRATIONS } });
  const events: AuditEvent[] = [];
  try {
    if (!create && !KeyStore.exists(store)) {
      throw new IdentityError('ERR_KEYSTORE_NOT_INITIALISED', 'no key store yet; run `steward keys init`');
    }
    if ('keyFile' in secret && create) ensureKeyFile(secret.keyFile);
    const keys = KeyStore.open(store, secret, { audit: (e) => events.push(e) });
    const result = fn(keys, store);
    if (events.length > 0) {
      const log = openAuditLog(store);
      for (const e of events) await log.append(e);
      log.close();
    }
    return result;
  } finally {
    store.close();
  }
}

function purposeOf(value: string): KeyPurpose {
  if (value !== 'broker' && value !== 'user') throw new IdentityError('ERR_KEY_INVALID', `\`${value}\` is not a key purpose (broker or user)`);
  return value;
}

function describe(r: KeyRecord): string {
  const when = (s: number | null) => (s === null ? '-' : new Date(s * 1000).toISOString());
  return `${r.purpose.padEnd(6)}  ${r.state.padEnd(8)}  ${r.alg.padEnd(5)}  ${r.kid}  from ${when(r.notBefore)}  retires ${when(r.retiresAt)}`;
}

/** `steward keys init|rotate|show`: the broker's own signing keys, encrypted at rest. */
export function register(program: Command, ctx: CliContext): void {
  const keys = program.command('keys').description("the broker's signing keys (broker: messages and checkpoints; user: orders and mandates)");

  keys
    .command('init')
    .description('create the key store and one broker and one user key (idempotent)')
    .action(async () => {
      const created = await withKeyStore(ctx, true, (ks) => {
        const made: KeyRecord[] = [];
        for (const purpose of ['broker', 'user'] as const) {
          if (ks.published(purpose).length === 0) made.push(ks.create(purpose));
        }
        return { made, all: ks.list() };
      });
      const secret = keyStoreSecretFor(ctx.dataDir);
      out('passphrase' in secret ? 'key store encrypted with STEWARD_KEY_PASSPHRASE' : `key store encrypted with the key file ${secret.keyFile} (mode 0600)`);
      if (created.made.length === 0) out('already initialised');
      for (const r of created.made) out(`created ${describe(r)}`);
    });

  keys
    .command('rotate')
    .description('publish a new key now; the old one keeps verifying for the overlap')
    .option('-p, --purpose <purpose>', 'broker or user', 'broker')
    .option('--publish-ahead-hours <hours>', 'hours the new key is published before it signs', '0')
    .option('--overlap-hours <hours>', 'hours the old key keeps verifying after the new one signs', '24')
    .action(async (opts: { purpose: string; publishAheadHours: string; overlapHours: string }) => {
      const purpose = purposeOf(opts.purpose);
      const ahead = Math.round(Number(opts.publishAheadHours) * 3600);
      const overlap = Math.round(Number(opts.overlapHours) * 3600);
      if (!Number.isFinite(ahead) || !Number.isFinite(overlap) || ahead < 0 || overlap < 0) {
        throw new IdentityError('ERR_KEY_INVALID', 'rotation hours must be non-negative numbers');
      }
      const r = await withKeyStore(ctx, false, (ks) => ks.rotate(purpose, { publishAheadSeconds: ahead, overlapSeconds: overlap }));
      out(`rotated ${describe(r)}`);
    });

  keys
    .command('show')
    .description('list keys and their state; --jwks prints the published JWKS')
    .option('--json', 'machine-readable output')
    .option('--jwks', 'print the JWKS the broker publishes')
    .action(async (opts: { json?: boolean; jwks?: boolean }) => {
      const { all, published } = await withKeyStore(ctx, false, (ks) => ({ all: ks.list(), published: ks.published() }));
      if (opts.jwks) return out(JSON.stringify(buildJwks(published), null, 2));
      if (opts.json) return out(JSON.stringify(all, null, 2));
      for (const r of all) out(describe(r));
    });
}
