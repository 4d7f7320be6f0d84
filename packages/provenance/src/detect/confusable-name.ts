import type { Flag } from '@steward/protocol';
import type { AffiliationGraph } from '../graph/snapshot.ts';
import { domainLabel } from '../resolve/domain.ts';
import { mixedScripts, nameKey } from '../resolve/confusable.ts';
import { vendorDates } from './affiliated-counterparty.ts';
import { flag, type DetectionContext } from './context.ts';

const MIN_KEY = 3;
const indexes = new WeakMap<AffiliationGraph, Map<string, string[]>>();

/**
 * The confusable-name index of a graph: name key (UTS #39 skeleton, see `nameKey`) of every
 * entity's name, aliases and domain labels → entity ids. Built once per snapshot.
 */
export function confusableIndex(graph: AffiliationGraph): Map<string, string[]> {
  let index = indexes.get(graph);
  if (index) return index;
  index = new Map();
  for (const e of graph.entities()) {
    for (const n of [e.name, ...(e.aliases ?? []), ...(e.domains ?? []).map(domainLabel)]) {
      const k = nameKey(n);
      if (k.length < MIN_KEY) continue;
      const list = index.get(k);
      if (!list) index.set(k, [e.id]);
      else if (!list.includes(e.id)) list.push(e.id);
    }
  }
  indexes.set(graph, index);
  return index;
}

/**
 * Flags a vendor whose display name or domain is confusable (same UTS #39 skeleton) with a known
 * entity it is not (nor owned by, nor owns), and a display name that mixes scripts. Other known
 * vendors passed in the input count as known names too.
 */
export function detectConfusableName(ctx: DetectionContext): Flag[] {
  const index = confusableIndex(ctx.graph);
  const peers = new Map<string, string[]>();
  for (const v of ctx.input.vendors) {
    const k = nameKey(v.displayName);
    if (k.length >= MIN_KEY) peers.set(k, [...(peers.get(k) ?? []), v.origin]);
  }
  const flags: Flag[] = [];
  const scriptCache = new Map<string, string[]>();
  const scriptsOf = (name: string): string[] => {
    let s = scriptCache.get(name);
    if (!s) scriptCache.set(name, (s = mixedScripts(name)));
    return s;
  };
  for (const [origin, date] of vendorDates(ctx)) {
    const view = ctx.view(origin, date);
    const vendor = view.vendor;
    // Who the vendor is counts only on someone else's word: a registry credential or its own domain,
    // with owners from the graph. A LEI or Wikidata id, or an owner, that its card declares about
    // itself never makes it (part of) the brand it names (review findings: a card claiming Amazon's
    // LEI, even beside a credential for a shell company, exempted an "Amazon" look-alike).
    const claimed = new Set(view.matches.filter((m) => m.basis === 'lei' || m.basis === 'wikidata').map((m) => m.entityId));
    const roots = [...new Set(view.matches.filter((m) => m.basis !== 'lei' && m.basis !== 'wikidata').map((m) => m.entityId))];
    const related = new Set<string>(roots);
    for (const r of roots) for (const owner of ctx.ownersOfEntity(r, date).keys()) related.add(owner);
    const candidates: { text: string; where: string }[] = [
      { text: vendor.displayName, where: 'display name' },
    ];
    if (view.domain) candidates.push({ text: domainLabel(view.domain), where: `domain ${view.domain}` });
    const hits: string[] = [];
    let disguised = false;
    for (const c of candidates) {
      const key = nameKey(c.text);
      if (key.length < MIN_KEY) continue;
      for (const id of index.get(key) ?? []) {
        // A vendor's own group legitimately carries its names: Whole Foods may say "Amazon".
        if (related.has(id) || isOwnedBy(ctx, id, roots, date)) continue;
        const e = ctx.graph.entity(id)!;
        const same = [e.name, ...(e.aliases ?? []), ...(e.domains ?? []).map(domainLabel)].some(
          (n) => plainKey(n) === plainKey(c.text),
        );
        const claims = claimed.has(id);
        disguised ||= !same || claims;
        if (claims) hits.push(`its card claims to be ${e.name} (\`${id}\`) by LEI or Wikidata id, but no registry credential or domain confirms it`);
        hits.push(
          `${c.where} \`${c.text}\` looks like ${e.name} (\`${id}\`)${same ? '' : ' through look-alike characters'}, but this vendor is not ${e.name}`,
        );
      }
      if (c.where === 'display name') {
        for (const other of peers.get(key) ?? []) {
          if (other === origin) continue;
          const ov = ctx.vendor(other);
          if (roots.some((r) => ctx.view(other, date).roots.includes(r))) continue;
          // The look-alike is the other vendor when only its name mixes scripts: it is flagged on
          // its own turn; the vendor it imitates is not (THREATS #23, no false alarm on the original).
          if (scriptMix(vendor.displayName).length === 0 && scriptMix(ov.displayName).length > 0) continue;
          // Between two enrolled vendors, the one whose registry credential names it is the original:
          // a copycat beside it is flagged, the original is not (a copycat must not get the vendor it
          // imitates refused). A credential for some other entity vouches for nothing here.
          if (vouchedFor(vendor) && !vouchedFor(ov)) continue;
          const same = plainKey(ov.displayName) === plainKey(c.text);
          disguised ||= !same;
          hits.push(`display name \`${c.text}\` looks like the vendor ${ov.displayName} at ${other}`);
        }
      }
    }
    const scripts = scriptsOf(vendor.displayName);
    if (scripts.length > 0) hits.push(`display name mixes scripts: ${scripts.join(', ')}`);
    if (hits.length === 0) continue;
    const severity = disguised ? 'critical' : 'warning';
    flags.push(
      flag({
        kind: 'confusable_name',
        severity,
        summary: `${vendor.displayName} (${origin}) ${hits.length === 1 && scripts.length > 0 ? 'mixes scripts in its name' : 'may be impersonating a known vendor'}`,
        confidence: disguised ? 0.95 : 0.7,
        vendor: origin,
        evidence: [],
        notes: [...hits, ...ctx.resolutionNotes(view)],
      }),
    );
  }
  return flags;
}

/** Scripts of a name when it mixes any, Han with Latin included (a look-alike test, not a legitimacy test). */
function scriptMix(name: string): string[] {
  return mixedScripts(name, { allowCjkLatin: false });
}

/** True when the vendor's registry credential names a legal entity whose name begins with its display name. */
function vouchedFor(v: { displayName: string; credential?: { legalEntity?: { name?: string } } }): boolean {
  const entity = v.credential?.legalEntity?.name;
  const own = plainKey(v.displayName);
  return entity !== undefined && own.length > 0 && plainKey(entity).startsWith(own);
}

function plainKey(s: string): string {
  return s
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '');
}

function isOwnedBy(ctx: DetectionContext, id: string, roots: readonly string[], date: string): boolean {
  // The look-alike entity may be a subsidiary of the vendor (Amazon naming its own brand).
  const reach = ctx.ownersOfEntity(id, date);
  return roots.some((r) => reach.has(r));
}
