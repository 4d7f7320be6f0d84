import type { Command } from 'commander';
import { DataClass } from '@steward/protocol';
import { openAuditLog, type AuditLog } from '@steward/audit';
import { openStore, type Store } from '@steward/store';
import { MIGRATIONS, loadProfileKeyFile, openProfile, ProfileError, type Profile, type VendorKnowledge } from '@steward/profile';
import type { CliContext } from '../context.ts';

/**
 * Opens the profile for one command, with the audit log in the same database as its sink, so
 * edits and erasure requests are on the record. The CLI keeps its data key in
 * `<data dir>/profile.key` (0600, created on first use); the broker will derive it from its key store.
 */
function withProfile<T>(ctx: CliContext, fn: (profile: Profile) => T): T {
  const dataKey = loadProfileKeyFile(ctx.dataDir);
  let store: Store | undefined;
  let log: AuditLog | undefined;
  try {
    store = openStore(ctx.dbPath, { migrations: { profile: MIGRATIONS } });
    const audit = openAuditLog(store);
    log = audit;
    return fn(openProfile(store, { dataKey, audit: (event) => void audit.appendDurably(event) }));
  } finally {
    log?.close();
    store?.close();
  }
}

function dataClass(value: string): DataClass {
  const r = DataClass.safeParse(value);
  if (!r.success) {
    throw new ProfileError('ERR_PROFILE_VALUE_INVALID', `\`${value}\` is not a data class (one of ${DataClass.options.join(', ')})`, {
      details: { field: 'dataClass' },
    });
  }
  return r.data;
}

/** Shows the shape of a value without revealing it: its first character and its length. */
function mask(value: string): string {
  const chars = [...value];
  return `${chars[0] ?? ''}${'•'.repeat(Math.min(Math.max(chars.length - 1, 0), 8))} (${chars.length} chars)`;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function printKnowledge(all: VendorKnowledge[]): void {
  if (all.length === 0) {
    out('no vendor has received anything from your profile');
    return;
  }
  for (const k of all) {
    out(`${k.vendor}  (first ${k.firstAt}, last ${k.lastAt})`);
    for (const f of k.fields) {
      const form = f.form === 'relay' ? 'relay address' : f.form === 'payment_token' ? 'payment token' : 'value';
      const state = f.form === 'payment_token' ? '' : f.current ? '  current' : '  outdated';
      out(`  ${f.dataClass} (${f.label}): ${form}, ${f.times}× for ${f.purposes.join(', ')}, first ${f.firstAt}, last ${f.lastAt}${state}`);
    }
    for (const e of k.erasureRequests) out(`  erasure requested ${e.requestedAt}: ${e.dataClasses.join(', ')}`);
  }
}

/** `steward profile set|show|remove|who-knows|request-erasure`: the person's own data and who received it. */
export function register(program: Command, ctx: CliContext): void {
  const profile = program.command('profile').description("your personal data, encrypted at rest, and who has received what");

  profile
    .command('set')
    .description('add or replace a value (prefer --stdin: a value on the command line lands in your shell history)')
    .argument('<class>', `data class: ${DataClass.options.join(', ')}`)
    .argument('[value]', 'the value; omit it with --stdin')
    .option('-l, --label <label>', 'which value of the class, e.g. home or work', 'primary')
    .option('--stdin', 'read the value from standard input')
    .action(async (cls: string, value: string | undefined, opts: { label: string; stdin?: boolean }) => {
      const dc = dataClass(cls);
      const text = opts.stdin ? await readStdin() : value;
      if (text === undefined) {
        throw new ProfileError('ERR_PROFILE_VALUE_INVALID', 'give the value as an argument or with --stdin', { details: { field: 'value' } });
      }
      const ref = withProfile(ctx, (p) => p.set(dc, text, opts.label));
      out(`saved ${ref.dataClass} (${ref.label}), encrypted`);
    });

  profile
    .command('show')
    .description('list stored values, masked unless --reveal')
    .argument('[class]', 'only this data class')
    .option('-l, --label <label>', 'only this label')
    .option('--reveal', 'print the values in clear')
    .option('--json', 'print JSON')
    .action((cls: string | undefined, opts: { label?: string; reveal?: boolean; json?: boolean }) => {
      const dc = cls === undefined ? undefined : dataClass(cls);
      const values = withProfile(ctx, (p) => p.list(dc)).filter((v) => opts.label === undefined || v.label === opts.label);
      const shown = values.map((v) => ({ dataClass: v.dataClass, label: v.label, value: opts.reveal ? v.value : mask(v.value), updatedAt: v.updatedAt }));
      if (opts.json) {
        out(JSON.stringify(shown, null, 2));
        return;
      }
      if (shown.length === 0) out('no values stored');
      for (const v of shown) out(`${v.dataClass} (${v.label}): ${v.value}  [updated ${v.updatedAt}]`);
    });

  profile
    .command('remove')
    .description('remove a value')
    .argument('<class>', 'data class')
    .option('-l, --label <label>', 'which value of the class')
    .action((cls: string, opts: { label?: string }) => {
      const dc = dataClass(cls);
      const ref = withProfile(ctx, (p) => p.remove(dc, opts.label));
      out(`removed ${ref.dataClass} (${ref.label})`);
    });

  profile
    .command('request-erasure')
    .description('record that you asked a vendor to erase your data (default: every class it received); sending the request is up to you or the broker')
    .argument('<vendor>', 'vendor origin, e.g. https://shop.example')
    .argument('[classes...]', 'only these data classes')
    .action((vendor: string, classes: string[]) => {
      const dcs = classes.length > 0 ? classes.map(dataClass) : undefined;
      const req = withProfile(ctx, (p) => p.requestErasure(vendor, dcs));
      out(`recorded erasure request ${req.requestId} to ${req.vendor} for ${req.dataClasses.join(', ')}`);
    });

  profile
    .command('who-knows')
    .description('which vendors have received which of your data, when, and in which form')
    .argument('[vendor]', 'only this vendor origin, e.g. https://shop.example')
    .option('--json', 'print JSON')
    .action((vendor: string | undefined, opts: { json?: boolean }) => {
      const all = withProfile(ctx, (p) => p.whoKnows(vendor));
      if (opts.json) out(JSON.stringify(all, null, 2));
      else printKnowledge(all);
    });
}
