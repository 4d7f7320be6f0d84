import {
  closeSync,
  createReadStream,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Command } from 'commander';
import { openStore, type Store } from '@steward/store';
import {
  AuditError,
  FileWitnessStorage,
  MIGRATIONS,
  Witness,
  exportLog,
  formatVerifierKey,
  openAuditLog,
  parsePublicKeyInput,
  toVerifier,
  verifyExport,
  verifyLog,
  type AuditLog,
  type NoteVerifier,
} from '@steward/audit';
import type { CliContext } from '../context.ts';

const WITNESS_KEY_NAME = 'person-witness';

function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function withLog<T>(ctx: CliContext, fn: (log: AuditLog, store: Store) => T): T {
  if (!existsSync(ctx.dbPath)) {
    throw new AuditError(
      'ERR_AUDIT_NO_CHECKPOINT',
      `no database at \`${ctx.dbPath}\`; start the broker first or set STEWARD_DB`,
    );
  }
  const store = openStore(ctx.dbPath, { migrations: { audit: MIGRATIONS } });
  try {
    const log = openAuditLog(store);
    try {
      return fn(log, store);
    } finally {
      log.close();
    }
  } finally {
    store.close();
  }
}

/** A key given as text or as the path of a file holding it. */
function readKey(value: string): { publicKey: KeyObject; name?: string } {
  const text = existsSync(value) ? readFileSync(value, 'utf8') : value;
  return parsePublicKeyInput(text);
}

function verifierFrom(value: string, fallbackName: string): NoteVerifier {
  const k = readKey(value);
  return toVerifier(k.name ?? fallbackName, k.publicKey);
}

/** The person's device key for cosigning checkpoints, created on first use (mode 0600). */
function deviceKey(ctx: CliContext): KeyObject {
  const path = join(ctx.homeDir, 'witness-key.pem');
  if (existsSync(path)) return createPrivateKey(readFileSync(path, 'utf8'));
  mkdirSync(ctx.homeDir, { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ed25519');
  writeFileSync(path, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
  return privateKey;
}

/** `steward audit …`: verify, prove, export, verify-export and witness. */
export function register(program: Command, ctx: CliContext): void {
  const audit = program
    .command('audit')
    .description('check that the audit log was never rewritten, and prove what it holds');

  audit
    .command('verify')
    .description('recompute the whole log from the database and check every hash and signed checkpoint')
    .option(
      '--key <key>',
      "the broker's public key you trust (JWK, base64 or verifier key, or a file holding it)",
    )
    .option('--deep', 'also check every event against the schema and its canonical form')
    .option('--json', 'print the report as JSON')
    .action((opts: { key?: string; deep?: boolean; json?: boolean }) => {
      withLog(ctx, (log, store) => {
        const verifiers = opts.key
          ? [verifierFrom(opts.key, log.latestCheckpoint()?.keyName ?? 'broker')]
          : [];
        const report = verifyLog(store, { verifiers, deep: opts.deep === true });
        if (opts.json) out(JSON.stringify(report, null, 2));
        if (report.ok) {
          if (!opts.json) {
            out(
              `ok: ${report.size} events, ${report.nodesChecked} hashes and ${report.checkpointsChecked} signed checkpoint(s) recomputed`,
            );
            out(`root ${report.root}`);
            if (report.checkpointKeys === 'stored')
              out(
                'note: checkpoints were checked with the key stored in the database; pass --key to check with a key you trust',
              );
            if (report.checkpointKeys === 'none')
              out('note: no signed checkpoint yet, so only internal consistency was checked');
          }
          return;
        }
        const p = report.problem!;
        if (!opts.json) {
          out(`FAILED at event ${p.index} (${p.kind}): ${p.message}`);
          if (p.expected !== undefined) out(`  recomputed ${p.expected}`);
          if (p.actual !== undefined) out(`  stored     ${p.actual}`);
        }
        throw new AuditError(
          'ERR_AUDIT_VERIFY_FAILED',
          `the audit log does not verify: first bad event is ${p.index} (${p.kind})`,
          {
            details: { index: p.index, kind: p.kind },
          },
        );
      });
    });

  audit
    .command('prove <index>')
    .description('print an inclusion proof of one event against the newest signed checkpoint')
    .option('--json', 'print the proof bundle as JSON (to hand to someone else)')
    .action((indexText: string, opts: { json?: boolean }) => {
      const index = Number(indexText);
      if (!/^\d+$/.test(indexText) || !Number.isSafeInteger(index)) {
        throw new AuditError('ERR_AUDIT_INDEX_OUT_OF_RANGE', `\`${indexText}\` is not an event index`);
      }
      withLog(ctx, (log) => {
        const proof = log.proveEvent(index);
        if (opts.json) return out(JSON.stringify(proof, null, 2));
        const event = log.get(index).event;
        out(`event ${index}: ${event.type} at ${event.at} — ${event.summary}`);
        out(`leaf hash ${proof.leafHash}`);
        out(
          `included in the signed checkpoint of ${proof.treeSize} events; proof (${proof.proof.length} hashes):`,
        );
        for (const h of proof.proof) out(`  ${h}`);
        out('checkpoint:');
        process.stdout.write(proof.checkpoint);
      });
    });

  audit
    .command('export')
    .description('write the log up to its newest signed checkpoint as JSON Lines, with the checkpoint')
    .option('--out <file>', 'write to this file instead of standard output')
    .option('--no-witness', "leave out the checkpoint cosigned by this device's witness")
    .action((opts: { out?: string; witness: boolean }) => {
      withLog(ctx, (log) => {
        const state = opts.witness
          ? new Witness({ storage: new FileWitnessStorage(ctx.homeDir) }).state()
          : undefined;
        const cp = log.latestCheckpoint();
        const witness =
          state?.witnessKey && state.origin === log.origin && cp && state.size <= cp.size
            ? { checkpoint: state.checkpoint, witnessKey: state.witnessKey }
            : undefined;
        const fd = opts.out ? openSync(opts.out, 'w', 0o600) : 1;
        try {
          const header = exportLog(log, (chunk) => void writeSync(fd, chunk), witness ? { witness } : {});
          if (opts.out) {
            out(`exported ${header.treeSize} events to ${opts.out} (${header.proves})`);
            out(header.statement);
            out(`verify with: steward audit verify-export ${opts.out} --key '${header.verifierKey}'`);
          }
        } finally {
          if (opts.out) closeSync(fd);
        }
      });
    });

  audit
    .command('verify-export <file>')
    .description('verify an export offline with nothing but the broker public key')
    .requiredOption(
      '--key <key>',
      "the broker's public key (JWK, base64 raw key or verifier key, or a file holding it)",
    )
    .option('--witness-key <key>', "the witness device's public key, to check the witnessed claim")
    .option('--json', 'print the report as JSON')
    .action(async (file: string, opts: { key: string; witnessKey?: string; json?: boolean }) => {
      const key = readKey(opts.key);
      const witnessKey = opts.witnessKey ? readKey(opts.witnessKey) : undefined;
      const lines = createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
      const report = await verifyExport(
        lines,
        key.name ? toVerifier(key.name, key.publicKey) : key.publicKey,
        witnessKey
          ? witnessKey.name
            ? toVerifier(witnessKey.name, witnessKey.publicKey)
            : witnessKey.publicKey
          : undefined,
      );
      if (opts.json) out(JSON.stringify(report, null, 2));
      if (!report.ok) {
        const p = report.problem!;
        if (!opts.json)
          out(`FAILED at line ${p.line}${p.index !== undefined ? ` (event ${p.index})` : ''}: ${p.message}`);
        throw new AuditError('ERR_AUDIT_EXPORT_INVALID', `the export does not verify: ${p.message}`, {
          details: { line: p.line, ...(p.index !== undefined ? { index: p.index } : {}) },
        });
      }
      if (!opts.json) {
        out(`ok: ${report.eventsChecked} events of log ${report.origin} match the signed checkpoint`);
        out(
          `proven: ${report.proven}${report.claimed !== report.proven ? ` (the export claims ${report.claimed})` : ''}`,
        );
        if (report.note) out(`note: ${report.note}`);
      }
    });

  audit
    .command('witness')
    .description(
      'check the newest checkpoint against the one this device remembers; alarm if history was rewritten',
    )
    .option('--key <key>', "the broker's public key to pin the first time (otherwise trusted on first use)")
    .option('--json', 'print the result as JSON')
    .action((opts: { key?: string; json?: boolean }) => {
      withLog(ctx, (log) => {
        const cp = log.latestCheckpoint();
        if (!cp)
          throw new AuditError('ERR_AUDIT_NO_CHECKPOINT', 'the broker has not signed a checkpoint yet');
        const witness = new Witness({
          storage: new FileWitnessStorage(ctx.homeDir),
          signer: { name: WITNESS_KEY_NAME, privateKey: deviceKey(ctx) },
        });
        const prev = witness.state();
        let pin: string | undefined;
        if (!prev) {
          if (opts.key) {
            const k = readKey(opts.key);
            pin = formatVerifierKey(k.name ?? cp.keyName, k.publicKey);
          } else {
            pin = cp.verifierKey;
            process.stderr.write(
              `note: pinning the broker key ${cp.verifierKey} on first use; compare it with the one the broker shows\n`,
            );
          }
        }
        const proof =
          prev && prev.size > 0 && prev.size < cp.size ? safeProof(log, prev.size, cp.size) : undefined;
        const result = witness.observe({
          checkpoint: cp.note,
          ...(proof ? { consistencyProof: proof } : {}),
          ...(pin ? { verifierKey: pin } : {}),
        });
        if (opts.json) return out(JSON.stringify(result, null, 2));
        if (result.status === 'first-seen')
          out(
            `remembered the checkpoint of ${result.size} events; later checks will demand it is never rewritten`,
          );
        else if (result.status === 'unchanged') out(`ok: still ${result.size} events, same root`);
        else
          out(
            `ok: the log grew from ${result.previousSize} to ${result.size} events and the earlier ones are unchanged`,
          );
      });
    });
}

/** A consistency proof, or none when the database can no longer produce one (the witness then alarms). */
function safeProof(log: AuditLog, size1: number, size2: number): string[] | undefined {
  try {
    return log.consistencyProof(size1, size2);
  } catch {
    return undefined;
  }
}
