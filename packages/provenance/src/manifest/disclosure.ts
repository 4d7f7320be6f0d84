import type { AgentManifest, EntityRef, Relation } from '@steward/protocol';
import type { AffiliationGraph } from '../graph/snapshot.ts';
import { OWNERSHIP_RELATIONS } from '../graph/types.ts';
import { edgeValidOn, walkOwners } from '../graph/walk.ts';
import { resolveEntityRef } from '../resolve/entity.ts';
import type { ManifestSignatureStatus } from './manifest.ts';

/** Options for {@link renderDisclosure}. */
export interface DisclosureOptions {
  /** Date (`YYYY-MM-DD`) the graph is read at. */
  asOf: string;
  /** What checking the maker's signature found. Default: `unchecked` if signed, else `unsigned`. */
  signature?: ManifestSignatureStatus;
  /** Most companies named per group before "and N more". Default 8. */
  maxNamed?: number;
}

const RELATION_WORDS: Readonly<Record<string, string>> = {
  owns: 'is owned by',
  controls: 'is controlled by',
  brand_of: 'is a brand of',
  operates: 'is operated by',
  paid_partner: 'is paid by',
  affiliate_fee: 'earns affiliate fees from',
};

const DECLARED_WORDS: Readonly<Record<Relation, (entity: string) => string>> = {
  owns: (e) => `${e} owns it`,
  controls: (e) => `${e} controls it`,
  brand_of: (e) => `it is a brand of ${e}`,
  operates: (e) => `${e} operates it`,
  paid_partner: (e) => `${e} pays it as a partner`,
  affiliate_fee: (e) => `it earns affiliate fees from ${e}`,
};

function list(names: string[], max: number): string {
  const shown = names.slice(0, max);
  const more = names.length - shown.length;
  const items = more > 0 ? [...shown, `${more} more`] : shown;
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]!}`;
}

/**
 * Renders the plain-language disclosure shown to the person up front: who made, runs and powers
 * their agent, whether the maker signed that, and which companies those makers own or belong to
 * ("your agent is made by X; X owns Y and Z"), as of a date.
 */
export function renderDisclosure(
  manifest: AgentManifest,
  graph: AffiliationGraph,
  options: DisclosureOptions,
): string {
  const max = options.maxNamed ?? 8;
  const lines: string[] = [];
  const { maker, operator, modelProvider } = manifest;
  const model = manifest.model ? ` (${manifest.model})` : '';
  lines.push(
    `Your agent "${manifest.agent.name}" ${manifest.agent.version} is made by ${maker.name}` +
      (operator.name === maker.name ? '' : `, run by ${operator.name}`) +
      `, and uses a model from ${modelProvider.name}${model}.`,
  );
  const signature = options.signature ?? (manifest.signature === undefined ? 'unsigned' : 'unchecked');
  lines.push(
    signature === 'verified'
      ? `${maker.name} signed this description, and the signature checks out with the key you trust.`
      : signature === 'unsigned'
        ? `${maker.name} has not signed this description: it is what your configuration says.`
        : signature === 'unchecked'
          ? `${maker.name} signed this description, but no key of ${maker.name} is trusted yet, so the signature was not checked.`
          : `Warning: the signature on this description does not check out with the key you trust. Do not rely on it.`,
  );
  const seen = new Set<string>();
  const parties: [string, EntityRef][] = [
    ['maker', maker],
    ['operator', operator],
    ['model provider', modelProvider],
  ];
  for (const [, ref] of parties) {
    for (const m of resolveEntityRef(graph, ref)) {
      if (seen.has(m.entityId)) continue;
      seen.add(m.entityId);
      const name = graph.entity(m.entityId)?.name ?? ref.name;
      const reach = walkOwners(graph, m.entityId, { asOf: options.asOf });
      const tops = reach.ultimate.filter((u) => u !== m.entityId);
      for (const top of tops) {
        const path = reach.paths.get(top) ?? [];
        const first = path[0];
        const verb = first ? (RELATION_WORDS[first.relation] ?? 'belongs to') : 'belongs to';
        lines.push(
          `${name} ${path.length === 1 ? verb : 'belongs to the group of'} ${graph.entity(top)?.name ?? top}.`,
        );
      }
      for (const root of tops.length > 0 ? tops : [m.entityId]) {
        const owned = descendants(graph, root, options.asOf).filter((id) => id !== m.entityId);
        if (owned.length > 0) {
          const rootName = graph.entity(root)?.name ?? root;
          lines.push(
            `${rootName} ${root === m.entityId ? 'owns' : 'also owns'} ${list(
              owned.map((id) => graph.entity(id)?.name ?? id),
              max,
            )}.`,
          );
        }
      }
    }
  }
  for (const a of manifest.declaredAffiliations) {
    const note = a.note ? ` (${a.note})` : '';
    lines.push(`${maker.name} declares: ${DECLARED_WORDS[a.relation](a.entity.name)}${note}.`);
  }
  lines.push(
    'Steward flags offers from these companies as affiliated with your agent, and checks whether your agent favours them.',
  );
  return lines.join('\n');
}

/** Everything owned (transitively) by `root` on a date, breadth first, bounded. */
function descendants(
  graph: AffiliationGraph,
  root: string,
  asOf: string,
  maxNodes = 500,
  maxDepth = 6,
): string[] {
  const seen = new Set<string>([root]);
  const out: string[] = [];
  let frontier = [root];
  for (let depth = 0; depth < maxDepth && frontier.length > 0 && out.length < maxNodes; depth++) {
    const next: string[] = [];
    for (const id of frontier) {
      for (const e of graph.ownedBy(id)) {
        if (!OWNERSHIP_RELATIONS.has(e.relation) || !edgeValidOn(e, asOf) || seen.has(e.child)) continue;
        seen.add(e.child);
        out.push(e.child);
        next.push(e.child);
      }
    }
    frontier = next;
  }
  return out;
}
