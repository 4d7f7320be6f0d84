import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import type { AuditEvent } from '@steward/protocol';
import { openStore } from '@steward/store';
import { openAuditLog } from '@steward/audit';
import {
  IdentityError,
  MIGRATIONS,
  RegistryStore,
  RevocationList,
  VendorStore,
  discoverVendor,
  parseOrigin,
  refreshVendor,
  type VendorObservation,
  type VendorRecord,
} from '@steward/identity';
import type { CliContext } from '../context.ts';

function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

interface Stores {
  vendors: VendorStore;
  revocation: RevocationList;
  registries: RegistryStore;
}

async function withVendors<T>(ctx: CliContext, fn: (s: Stores) => Promise<T> | T): Promise<T> {
  const store = openStore(ctx.dbPath, { migrations: { identity: MIGRATIONS } });
  const events: AuditEvent[] = [];
  try {
    const audit = (e: AuditEvent) => events.push(e);
    const revocation = new RevocationList(store, { audit });
    const result = await fn({ revocation, vendors: new VendorStore(store, { revocation, audit }), registries: new RegistryStore(store) });
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

function describeObservation(o: VendorObservation): string[] {
  const c = o.card.commerce;
  const lines = [
    `name:        ${o.card.card.name}  (vendor text, not an identity)`,
    `origin:      ${new URL(o.card.card.url).origin}`,
    `card key:    ${o.card.key.kid}  (${o.card.key.alg}, card signed in the ${o.card.form} form)`,
    `all keys:    ${o.keys.map((k) => k.kid).join(', ')}`,
  ];
  if (o.card.uncovered.length > 0) lines.push(`unsigned:    ${o.card.uncovered.join(', ')}`);
  if (c) {
    lines.push(`legal:       ${c.legalEntity.name}${c.legalEntity.lei ? ` (LEI ${c.legalEntity.lei})` : ''}`);
    lines.push(`owners:      ${c.owners.map((x) => `${x.entity.name} ${x.relation}${x.stake === undefined ? '' : ` ${Math.round(x.stake * 100)}%`}`).join('; ') || 'none declared'}`);
    lines.push(`affiliations: ${c.affiliations.map((x) => `${x.entity.name} (${x.relation})`).join('; ') || 'none declared'}`);
    lines.push(`payout:      ${c.payout.payoutId} (${c.payout.holder})`);
  }
  lines.push(o.credential ? `registry:    ${o.credential.claims.iss} says ${o.credential.claims.verificationLevel}` : 'registry:    none (the key will be pinned on your confirmation)');
  return lines;
}

function describeRecord(v: VendorRecord): string {
  return `${v.status.padEnd(9)}  ${v.verificationLevel.padEnd(8)}  ${v.origin}  ${v.displayName}  keys ${v.keys.map((k) => k.kid).join(', ')}`;
}

async function confirmInteractively(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) return false;
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

/** `steward vendors add|list|revoke|refresh|confirm|trust-registry`: the vendors the person trusts. */
export function register(program: Command, ctx: CliContext): void {
  const vendors = program.command('vendors').description('the vendor agents you trust, pinned by key and origin');

  vendors
    .command('add')
    .description("fetch a vendor's card and keys from its origin, verify them, show them, and enrol on your confirmation")
    .argument('<origin>', 'e.g. https://shop.example')
    .option('-y, --yes', 'confirm without asking')
    .option('--allow-private', 'development only: allow loopback/private addresses and plain http')
    .option('--credential <file>', "a registry credential (JWT) for this vendor; the registry must be trusted (see trust-registry)")
    .action(async (originArg: string, opts: { yes?: boolean; allowPrivate?: boolean; credential?: string }) => {
      const origin = parseOrigin(originArg);
      const enrolled = await withVendors(ctx, async ({ vendors: store, revocation, registries }) => {
        const token = opts.credential === undefined ? undefined : readFileSync(opts.credential, 'utf8').trim();
        const observation = await discoverVendor(origin, {
          revocation,
          fetch: { allowPrivate: opts.allowPrivate === true },
          ...(token === undefined ? {} : { credential: { token, registries: registries.resolveKey } }),
        });
        for (const line of describeObservation(observation)) out(line);
        const ok = opts.yes === true || (await confirmInteractively(`enrol ${origin}?`));
        if (!ok) return undefined;
        return store.enrol(observation);
      });
      if (!enrolled) {
        out('not enrolled (run again with --yes to confirm)');
        process.exitCode = 1;
        return;
      }
      out(`enrolled ${describeRecord(enrolled)}`);
    });

  vendors
    .command('list')
    .description('enrolled vendors and their status')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const all = await withVendors(ctx, ({ vendors: store }) => store.list());
      if (opts.json) return out(JSON.stringify(all.map(({ card: _card, ...v }) => v), null, 2));
      if (all.length === 0) return out('no vendors enrolled');
      for (const v of all) {
        out(describeRecord(v));
      }
    });

  vendors
    .command('revoke')
    .description('put an origin on the deny-list: every check refuses it at once')
    .argument('<origin>')
    .option('-r, --reason <reason>', 'why, for the audit log', 'revoked by the person')
    .action(async (originArg: string, opts: { reason: string }) => {
      const origin = parseOrigin(originArg);
      await withVendors(ctx, ({ vendors: store }) => store.revoke(origin, opts.reason));
      out(`revoked ${origin}`);
    });

  vendors
    .command('refresh')
    .description('re-fetch an enrolled vendor; any change of card, keys, owners or payout suspends it until you confirm')
    .argument('<origin>')
    .option('--allow-private', 'development only: allow loopback/private addresses and plain http')
    .action(async (originArg: string, opts: { allowPrivate?: boolean }) => {
      const origin = parseOrigin(originArg);
      const r = await withVendors(ctx, ({ vendors: store, revocation, registries }) =>
        refreshVendor(store, origin, { revocation, fetch: { allowPrivate: opts.allowPrivate === true }, credential: { token: '', registries: registries.resolveKey } }),
      );
      out(r.changed ? `${origin} changed its ${r.kinds.join(', ')}: suspended until you run \`steward vendors confirm ${origin}\`` : `${origin} unchanged (${r.status})`);
    });

  vendors
    .command('confirm')
    .description("accept a suspended vendor's recorded change and reactivate it")
    .argument('<origin>')
    .action(async (originArg: string) => {
      const origin = parseOrigin(originArg);
      const v = await withVendors(ctx, ({ vendors: store }) => store.confirm(origin));
      out(`confirmed ${describeRecord(v)}`);
    });

  vendors
    .command('trust-registry')
    .description('trust a registry to vouch for vendors, with its keys (a JWKS file you obtained out of band)')
    .argument('<id>', "the registry's origin, e.g. https://registry.example")
    .argument('<jwks-file>')
    .option('-n, --name <name>', 'a name to show', '')
    .action(async (idArg: string, file: string, opts: { name: string }) => {
      const id = parseOrigin(idArg);
      let jwks: unknown;
      try {
        jwks = JSON.parse(readFileSync(file, 'utf8'));
      } catch (cause) {
        throw new IdentityError('ERR_KEY_INVALID', `\`${file}\` is not a JWKS json file`, { cause });
      }
      const keys = (jwks as { keys?: unknown }).keys;
      if (!Array.isArray(keys)) throw new IdentityError('ERR_KEY_INVALID', `\`${file}\` has no \`keys\` array`);
      const r = await withVendors(ctx, ({ registries }) => registries.trust(id, opts.name || id, keys.map(stripPublished)));
      out(`trusting registry ${r.id} with keys ${r.keys.length}`);
    });
}

function stripPublished(k: unknown): unknown {
  if (typeof k !== 'object' || k === null) return k;
  const { alg: _alg, use: _use, ...rest } = k as Record<string, unknown>;
  return rest;
}
