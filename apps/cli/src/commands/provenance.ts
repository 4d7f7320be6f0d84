import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { IsoDate, Relation, parseJson, type EvidenceEdge } from '@steward/protocol';
import { openStore, type Store } from '@steward/store';
import {
  MIGRATIONS,
  ProvenanceError,
  addLocalEdge,
  checkManifestSignature,
  describeEntity,
  ensureSeed,
  importFile,
  loadGraph,
  loadManifest,
  registrableDomain,
  renderDisclosure,
  resolveVendor,
  type EntityReport,
  type ImportFormat,
} from '@steward/provenance';
import type { CliContext } from '../context.ts';

function withGraphStore<T>(ctx: CliContext, fn: (store: Store) => T): T {
  const store = openStore(ctx.dbPath, { migrations: { provenance: MIGRATIONS } });
  try {
    const seeded = ensureSeed(store);
    if (seeded)
      process.stderr.write(`imported the shipped seed: ${seeded.entities} entities, ${seeded.edges} edges\n`);
    return fn(store);
  } finally {
    store.close();
  }
}

function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

function asOfOption(value: string | undefined): string {
  if (value === undefined) return today();
  if (!IsoDate.safeParse(value).success) {
    throw new ProvenanceError(
      'ERR_PROVENANCE_INPUT_INVALID',
      `\`${value}\` is not a date such as \`2026-11-25\``,
      { details: { option: 'as-of' } },
    );
  }
  return value;
}

function describeEdge(e: EvidenceEdge): string {
  const stake = e.stake === undefined ? '' : ` ${Math.round(e.stake * 1000) / 10}%`;
  const when = e.validFrom || e.validTo ? ` [${e.validFrom ?? '…'} → ${e.validTo ?? 'now'}]` : '';
  return `${e.parentName ?? e.parent} ${e.relation}${stake} ${e.childName ?? e.child}${when}`;
}

function describeSource(e: EvidenceEdge): string {
  return `source (${e.origin}): ${e.source}${e.sourceUrl ? ` <${e.sourceUrl}>` : ''}${e.retrievedAt ? `, retrieved ${e.retrievedAt}` : ''}`;
}

function printReport(r: EntityReport): void {
  const e = r.entity;
  out(`${e.name} (\`${e.id}\`)`);
  if (e.lei) out(`  LEI       ${e.lei}`);
  if (e.wikidata) out(`  Wikidata  ${e.wikidata}`);
  if (e.domains?.length) out(`  domains   ${e.domains.join(', ')}`);
  out(`  as of     ${r.asOf}`);
  if (r.owners.length === 0) out('  owners    none known');
  for (const o of r.owners) {
    out(`  owned by  ${o.name}${r.ultimate.includes(o.id) ? ' (ultimate owner)' : ''}`);
    for (const edge of o.path) {
      out(`    ${describeEdge(edge)}`);
      out(`      ${describeSource(edge)}`);
    }
  }
  for (const edge of r.owns) out(`  owns      ${describeEdge(edge)}\n      ${describeSource(edge)}`);
  for (const edge of r.moneyTies) out(`  money tie ${describeEdge(edge)}\n      ${describeSource(edge)}`);
  for (const p of r.paidPlacements)
    out(`  sells paid placement (${p.kind}): ${p.source}${p.sourceUrl ? ` <${p.sourceUrl}>` : ''}`);
  for (const edge of r.inactive)
    out(`  not in force on ${r.asOf}: ${describeEdge(edge)}\n      ${describeSource(edge)}`);
  if (r.cycle) out('  note: the ownership facts form a cycle; the walk cut it');
  if (r.truncated) out('  note: the walk stopped at its depth or size limit');
}

/** `steward provenance …`: show, add to and import the affiliation graph; show the agent's provenance. */
export function register(program: Command, ctx: CliContext): void {
  const group = program
    .command('provenance')
    .description('who owns whom: the affiliation graph, and who made your agent');

  group
    .command('show')
    .description(
      'show what the graph says about a vendor origin (https://…) or an entity id, with every source',
    )
    .argument(
      '<vendor-origin-or-entity>',
      'a vendor origin such as https://www.wholefoodsmarket.com, or an entity id such as whole-foods',
    )
    .option('--as-of <date>', 'read the graph as of this date (YYYY-MM-DD); default today')
    .option('--json', 'print JSON')
    .action((target: string, opts: { asOf?: string; json?: boolean }) => {
      const asOf = asOfOption(opts.asOf);
      withGraphStore(ctx, (store) => {
        const graph = loadGraph(store);
        let ids: { id: string; basis: string }[];
        if (target.includes('://')) {
          const matches = resolveVendor(graph, {
            origin: target,
            displayName: target,
            keyThumbprint: '',
            payoutId: '',
            declaredOwners: [],
            declaredAffiliations: [],
          });
          ids = matches.map((m) => ({
            id: m.entityId,
            basis: `${m.basis} ${registrableDomain(target) ?? ''}`.trim(),
          }));
          if (ids.length === 0) {
            throw new ProvenanceError(
              'ERR_PROVENANCE_ENTITY_UNKNOWN',
              `no entity holds the domain of \`${target}\``,
              { details: { origin: target } },
            );
          }
        } else {
          ids = [{ id: target, basis: 'entity id' }];
        }
        const reports = ids.map(({ id, basis }) => ({ basis, report: describeEntity(graph, id, asOf) }));
        if (opts.json) {
          out(JSON.stringify(reports, null, 2));
          return;
        }
        for (const { basis, report } of reports) {
          if (target.includes('://')) out(`${target} is matched by ${basis}:`);
          printReport(report);
        }
      });
    });

  group
    .command('add-edge')
    .description(
      'add your own note to the graph: <parent> <relation> <child>, e.g. `amazon owns whole-foods`',
    )
    .argument('<parent>', 'entity id of the owner, partner or payer')
    .argument('<relation>', `one of ${Relation.options.join(', ')}`)
    .argument('<child>', 'entity id of the owned, operated or paid party')
    .option('--stake <share>', 'share held, 0..1')
    .option('--from <date>', 'first day the fact held (YYYY-MM-DD)')
    .option('--to <date>', 'last day the fact held (YYYY-MM-DD)')
    .option('--source <text>', 'where you learned it')
    .option('--source-url <url>', 'a link to the source')
    .action(
      (
        parent: string,
        relation: string,
        child: string,
        opts: { stake?: string; from?: string; to?: string; source?: string; sourceUrl?: string },
      ) => {
        withGraphStore(ctx, (store) => {
          const stake = opts.stake === undefined ? undefined : Number(opts.stake);
          const edge = addLocalEdge(store, {
            child,
            parent,
            relation: relation as Relation,
            ...(stake === undefined ? {} : { stake }),
            ...(opts.from === undefined ? {} : { validFrom: opts.from }),
            ...(opts.to === undefined ? {} : { validTo: opts.to }),
            ...(opts.source === undefined ? {} : { source: opts.source }),
            ...(opts.sourceUrl === undefined ? {} : { sourceUrl: opts.sourceUrl }),
          });
          out(
            `added (local): ${edge.parent} ${edge.relation} ${edge.child}${edge.validFrom ? ` from ${edge.validFrom}` : ''}${edge.validTo ? ` to ${edge.validTo}` : ''}`,
          );
        });
      },
    );

  group
    .command('import')
    .description(
      'import facts: Steward facts JSON (like the seed), GLEIF Level 2 relationship records, or Wikidata items',
    )
    .argument('<file>', 'a JSON file')
    .option('--format <format>', 'steward | gleif | wikidata (default: detected)')
    .option('--json', 'print the result as JSON')
    .action((file: string, opts: { format?: string; json?: boolean }) => {
      if (opts.format !== undefined && !['steward', 'gleif', 'wikidata'].includes(opts.format)) {
        throw new ProvenanceError(
          'ERR_PROVENANCE_IMPORT_FORMAT_UNKNOWN',
          `\`${opts.format}\` is not a format (steward, gleif or wikidata)`,
          { details: { format: opts.format } },
        );
      }
      withGraphStore(ctx, (store) => {
        const result = importFile(store, file, {
          ...(opts.format === undefined ? {} : { format: opts.format as ImportFormat }),
          onProgress: (done, total) => {
            if (total >= 10_000)
              process.stderr.write(
                `\r${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} facts${done === total ? '\n' : ''}`,
              );
          },
        });
        if (opts.json) out(JSON.stringify(result));
        else
          out(
            `imported ${result.format}: ${result.entities} entities, ${result.edges} edges, ${result.paidPlacements} paid-placement facts${result.skipped ? `, ${result.skipped} records skipped` : ''}`,
          );
      });
    });

  group
    .command('agent')
    .description("show your agent's provenance manifest and the plain-language disclosure")
    .option(
      '--manifest <file>',
      'the manifest JSON (default: $STEWARD_AGENT_MANIFEST or <data dir>/agent-manifest.json)',
    )
    .option(
      '--key <file>',
      "the maker's public Ed25519 JWK you trust (default: <data dir>/agent-maker.jwk.json if present)",
    )
    .option('--as-of <date>', 'read the graph as of this date (YYYY-MM-DD); default today')
    .option('--json', 'print the manifest, signature status and disclosure as JSON')
    .action(async (opts: { manifest?: string; key?: string; asOf?: string; json?: boolean }) => {
      const asOf = asOfOption(opts.asOf);
      const path =
        opts.manifest ?? process.env.STEWARD_AGENT_MANIFEST ?? join(ctx.dataDir, 'agent-manifest.json');
      const manifest = loadManifest(path);
      const keyPath = opts.key ?? join(ctx.dataDir, 'agent-maker.jwk.json');
      let jwk: Record<string, unknown> | undefined;
      if (opts.key !== undefined || existsSync(keyPath)) {
        try {
          jwk = parseJson(readFileSync(keyPath, 'utf8'), { maxBytes: 8192 }) as Record<string, unknown>;
        } catch (cause) {
          throw new ProvenanceError(
            'ERR_PROVENANCE_MANIFEST_SIGNATURE_INVALID',
            `cannot read the maker key \`${keyPath}\``,
            { cause, details: { path: keyPath } },
          );
        }
      }
      const signature = await checkManifestSignature(manifest, jwk);
      const disclosure = withGraphStore(ctx, (store) =>
        renderDisclosure(manifest, loadGraph(store), { asOf, signature }),
      );
      if (opts.json) {
        out(JSON.stringify({ manifest, signature, disclosure }, null, 2));
        return;
      }
      out(`agent        ${manifest.agent.name} ${manifest.agent.version}`);
      out(`maker        ${manifest.maker.name}`);
      out(`operator     ${manifest.operator.name}`);
      out(`model        ${manifest.modelProvider.name}${manifest.model ? ` / ${manifest.model}` : ''}`);
      out(`signature    ${signature}`);
      out();
      out(disclosure);
    });
}
