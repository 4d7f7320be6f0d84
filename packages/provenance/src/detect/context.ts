import type {
  AgentManifest,
  DeclaredAffiliation,
  EntityRef,
  EvidenceEdge,
  FactOrigin,
  Flag,
  Relation,
} from '@steward/protocol';
import { ProvenanceError } from '../errors.ts';
import type { AffiliationGraph } from '../graph/snapshot.ts';
import { AFFILIATION_RELATIONS, DEFAULT_CONFIDENCE, type GraphEdge } from '../graph/types.ts';
import { edgeValidOn, walkOwners } from '../graph/walk.ts';
import { registrableDomain } from '../resolve/domain.ts';
import { resolveEntityRef, resolveVendor, type EntityMatch } from '../resolve/entity.ts';
import type { DetectionInput, DetectionOptions, VendorDescriptor } from './types.ts';

/** The agent-side parties whose interests a vendor may share. */
export type AgentParty = 'maker' | 'operator' | 'modelProvider';

/** Where an agent-side interest came from. */
export interface AgentInterest {
  party: AgentParty;
  path: GraphEdge[];
}

/** A vendor resolved and walked as of one date. */
export interface VendorView {
  vendor: VendorDescriptor;
  asOf: string;
  domain: string | undefined;
  matches: EntityMatch[];
  /** Resolved entity ids, or the vendor origin as a stand-in when nothing resolved. */
  roots: string[];
  resolved: boolean;
  /** Everything owning the vendor (graph, registry credential and its own declaration) → path. */
  reach: Map<string, GraphEdge[]>;
  /** The same from graph and registry facts only (what the vendor's disclosure is checked against). */
  factReach: Map<string, GraphEdge[]>;
  /** Ultimate owners by graph and registry facts. */
  ultimate: Set<string>;
  /** Money ties of the vendor and its owners valid on the date, with the path to the tied entity. */
  moneyTies: { edge: GraphEdge; path: GraphEdge[] }[];
  cycle: boolean;
}

/** A found affiliation between the agent side and a vendor, with its evidence. */
export interface Affiliation {
  party: AgentParty;
  /** The shared owner, or the entity tied by money. */
  via: string;
  kind: 'same_entity' | 'common_owner' | 'money_tie';
  edges: GraphEdge[];
  confidence: number;
}

const PARTY_WORDS: Readonly<Record<AgentParty, string>> = {
  maker: 'maker',
  operator: 'operator',
  modelProvider: 'model provider',
};

/** Shared, memoised state of one detection run: the graph, the input and resolved views. */
export class DetectionContext {
  readonly graph: AffiliationGraph;
  readonly input: DetectionInput;
  readonly options: Required<Omit<DetectionOptions, 'steeringCriteria'>> &
    Pick<DetectionOptions, 'steeringCriteria'>;
  readonly #names = new Map<string, string>();
  readonly #views = new Map<string, VendorView>();
  readonly #agent = new Map<string, Map<string, AgentInterest>>();
  readonly #affiliations = new Map<string, Affiliation | null>();
  readonly #vendors = new Map<string, VendorDescriptor>();
  readonly #entityOwners = new Map<string, Map<string, GraphEdge[]>>();
  readonly #agentRoots: { party: AgentParty; roots: string[]; matches: EntityMatch[] }[];
  readonly #agentOwnerOverlay = new Map<string, GraphEdge[]>();
  readonly #agentMoneyOverlay = new Map<string, GraphEdge[]>();

  constructor(graph: AffiliationGraph, input: DetectionInput, options: DetectionOptions = {}) {
    validateInput(input);
    this.graph = graph;
    this.input = input;
    this.options = {
      staleAfterDays: options.staleAfterDays ?? 730,
      minSelfPreferencingSample: options.minSelfPreferencingSample ?? 20,
      selfPreferencingZ: options.selfPreferencingZ ?? 2.33,
      selfPreferencingMargin: options.selfPreferencingMargin ?? 0.15,
      maxDepth: options.maxDepth ?? 12,
      steeringCriteria: options.steeringCriteria,
    };
    for (const v of input.vendors) this.#vendors.set(v.origin, v);
    this.#agentRoots = this.#prepareAgent(input.manifest);
  }

  #prepareAgent(m: AgentManifest): { party: AgentParty; roots: string[]; matches: EntityMatch[] }[] {
    const parties: [AgentParty, EntityRef][] = [
      ['maker', m.maker],
      ['operator', m.operator],
      ['modelProvider', m.modelProvider],
    ];
    const out = parties.map(([party, ref]) => {
      const matches = resolveEntityRef(this.graph, ref);
      const roots = matches.length > 0 ? matches.map((x) => x.entityId) : [`agent:${party}`]; // not a valid entity id, so it never collides with one
      if (matches.length === 0) this.#names.set(roots[0]!, ref.name);
      return { party, roots, matches };
    });
    const makerRoots = out[0]!.roots;
    const source = `agent manifest of \`${m.agent.name}\` ${m.agent.version}${this.input.manifestVerified ? ' (signed by its maker)' : ' (not signed)'}`;
    for (const aff of m.declaredAffiliations) {
      for (const target of resolveEntityRef(this.graph, aff.entity)) {
        for (const root of makerRoots) {
          if (root === target.entityId) continue;
          const edge = declaredEdge(
            root,
            target.entityId,
            aff.relation,
            'declared',
            source,
            this.input.manifest.issuedAt,
          );
          addTo(
            AFFILIATION_RELATIONS.has(aff.relation) ? this.#agentMoneyOverlay : this.#agentOwnerOverlay,
            root,
            edge,
          );
        }
      }
    }
    return out;
  }

  /** The display name of an entity id (graph name, or the name given where it was declared). */
  nameOf(id: string): string {
    return this.graph.entity(id)?.name ?? this.#names.get(id) ?? id;
  }

  /** The vendor descriptor for an origin; an unknown origin gets one resolved by its domain only. */
  vendor(origin: string): VendorDescriptor {
    let v = this.#vendors.get(origin);
    if (!v) {
      v = {
        origin,
        displayName: origin,
        keyThumbprint: '',
        payoutId: '',
        declaredOwners: [],
        declaredAffiliations: [],
      };
      this.#vendors.set(origin, v);
    }
    return v;
  }

  /** The date (`YYYY-MM-DD`) an offer is judged at: its signing date, else the input's `asOf`. */
  dateOf(iat: number | undefined): string {
    return iat === undefined ? this.input.asOf : new Date(iat * 1000).toISOString().slice(0, 10);
  }

  /** Agent-side interests as of a date: every entity the maker, operator or model provider is or belongs to. */
  agentInterests(asOf: string): Map<string, AgentInterest> {
    let interests = this.#agent.get(asOf);
    if (interests) return interests;
    interests = new Map();
    for (const { party, roots } of this.#agentRoots) {
      for (const root of roots) {
        const reach = walkOwners(this.graph, root, {
          asOf,
          maxDepth: this.options.maxDepth,
          extraOwners: (id) => this.#agentOwnerOverlay.get(id) ?? [],
        });
        for (const [id, path] of reach.paths) {
          const prior = interests.get(id);
          if (!prior || prior.path.length > path.length) interests.set(id, { party, path });
        }
      }
    }
    this.#agent.set(asOf, interests);
    return interests;
  }

  /** Agent-side money ties (declared in the manifest or in the graph) valid on a date. */
  agentMoneyTies(asOf: string): { party: AgentParty; edge: GraphEdge; path: GraphEdge[] }[] {
    const out: { party: AgentParty; edge: GraphEdge; path: GraphEdge[] }[] = [];
    for (const [id, interest] of this.agentInterests(asOf)) {
      for (const edge of [...this.graph.affiliationsOf(id), ...(this.#agentMoneyOverlay.get(id) ?? [])]) {
        if (edgeValidOn(edge, asOf)) out.push({ party: interest.party, edge, path: interest.path });
      }
    }
    return out;
  }

  /** The vendor resolved and walked as of a date (memoised). */
  view(origin: string, asOf: string): VendorView {
    const key = `${origin}\n${asOf}`;
    let view = this.#views.get(key);
    if (view) return view;
    const vendor = this.vendor(origin);
    const matches = resolveVendor(this.graph, vendor);
    const resolved = matches.length > 0;
    const roots = resolved ? matches.map((m) => m.entityId) : [origin];
    if (!resolved) this.#names.set(origin, vendor.displayName);
    const credentialOverlay = new Map<string, GraphEdge[]>();
    const declaredOverlay = new Map<string, GraphEdge[]>();
    const cred = vendor.credential;
    const cardSource = `signed agent card of ${origin}`;
    for (const root of roots) {
      if (cred) {
        for (const o of cred.owners)
          this.#declare(
            root,
            o,
            'registry',
            `vendor credential from \`${cred.issuer}\` (${cred.verificationLevel})`,
            cred.issuedAt,
            credentialOverlay,
          );
      }
      for (const o of [...vendor.declaredOwners, ...vendor.declaredAffiliations])
        this.#declare(root, o, 'declared', cardSource, undefined, declaredOverlay);
    }
    const walk = (overlays: Map<string, GraphEdge[]>[]) => {
      const paths = new Map<string, GraphEdge[]>();
      const ultimate = new Set<string>();
      let cycle = false;
      for (const root of roots) {
        const r = walkOwners(this.graph, root, {
          asOf,
          maxDepth: this.options.maxDepth,
          extraOwners: (id) =>
            overlays.flatMap((o) => (o.get(id) ?? []).filter((e) => !AFFILIATION_RELATIONS.has(e.relation))),
        });
        cycle ||= r.cycle;
        for (const u of r.ultimate) ultimate.add(u);
        for (const [id, p] of r.paths)
          if (!paths.has(id) || paths.get(id)!.length > p.length) paths.set(id, p);
      }
      return { paths, ultimate, cycle };
    };
    const facts = walk([credentialOverlay]);
    const all = walk([credentialOverlay, declaredOverlay]);
    const moneyTies: { edge: GraphEdge; path: GraphEdge[] }[] = [];
    for (const [id, path] of all.paths) {
      const overlayTies = [...(credentialOverlay.get(id) ?? []), ...(declaredOverlay.get(id) ?? [])].filter(
        (e) => AFFILIATION_RELATIONS.has(e.relation),
      );
      for (const edge of [...this.graph.affiliationsOf(id), ...overlayTies])
        if (edgeValidOn(edge, asOf)) moneyTies.push({ edge, path });
    }
    view = {
      vendor,
      asOf,
      domain: registrableDomain(origin),
      matches,
      roots,
      resolved,
      reach: all.paths,
      factReach: facts.paths,
      ultimate: facts.ultimate,
      moneyTies,
      cycle: all.cycle,
    };
    this.#views.set(key, view);
    return view;
  }

  #declare(
    root: string,
    o: DeclaredAffiliation,
    origin: FactOrigin,
    source: string,
    at: string | undefined,
    overlay: Map<string, GraphEdge[]>,
  ): void {
    for (const target of resolveEntityRef(this.graph, o.entity)) {
      if (target.entityId === root) continue;
      addTo(overlay, root, {
        ...declaredEdge(root, target.entityId, o.relation, origin, source, at),
        ...(o.stake === undefined ? {} : { stake: o.stake }),
      });
    }
  }

  /**
   * Whether the vendor (as of a date) is the agent's maker, operator or model provider, shares an
   * owner with one of them, or is tied to one by money — with the shortest evidence found.
   */
  affiliation(origin: string, asOf: string): Affiliation | null {
    const key = `${origin}\n${asOf}`;
    const memo = this.#affiliations.get(key);
    if (memo !== undefined) return memo;
    const view = this.view(origin, asOf);
    const agent = this.agentInterests(asOf);
    const matchConfidence = Math.max(0, ...view.matches.map((m) => m.confidence), view.resolved ? 0 : 0.8);
    let best: Affiliation | null = null;
    const consider = (a: Affiliation): void => {
      if (
        !best ||
        a.edges.length < best.edges.length ||
        (a.edges.length === best.edges.length && a.confidence > best.confidence)
      )
        best = a;
    };
    for (const [id, vpath] of view.reach) {
      const interest = agent.get(id);
      if (!interest) continue;
      const edges = [...vpath, ...interest.path];
      consider({
        party: interest.party,
        via: id,
        kind: edges.length === 0 ? 'same_entity' : 'common_owner',
        edges,
        confidence: pathConfidence(matchConfidence, edges),
      });
    }
    for (const { edge, path } of view.moneyTies) {
      const interest = agent.get(edge.parent);
      if (interest) {
        const edges = [...path, edge, ...interest.path];
        consider({
          party: interest.party,
          via: edge.parent,
          kind: 'money_tie',
          edges,
          confidence: pathConfidence(matchConfidence, edges),
        });
      }
    }
    for (const { party, edge, path } of this.agentMoneyTies(asOf)) {
      const vpath = view.reach.get(edge.parent);
      if (vpath) {
        const edges = [...vpath, edge, ...path];
        consider({
          party,
          via: edge.parent,
          kind: 'money_tie',
          edges,
          confidence: pathConfidence(matchConfidence, edges),
        });
      }
    }
    this.#affiliations.set(key, best);
    return best;
  }

  /** The first resolved entity (or stand-in id) of an agent party. */
  agentRootOf(party: AgentParty): string {
    return this.#agentRoots.find((r) => r.party === party)?.roots[0] ?? party;
  }

  /** Owners of a graph entity as of a date (memoised), for checks that look downward. */
  ownersOfEntity(id: string, asOf: string): Map<string, GraphEdge[]> {
    const key = `${id}\n${asOf}`;
    let paths = this.#entityOwners.get(key);
    if (!paths) {
      paths = walkOwners(this.graph, id, { asOf, maxDepth: this.options.maxDepth }).paths;
      this.#entityOwners.set(key, paths);
    }
    return paths;
  }

  /** Words for an agent party. */
  partyWords(party: AgentParty): string {
    return PARTY_WORDS[party];
  }

  /** Turns graph edges into evidence, naming both ends and the source of each. */
  evidence(edges: readonly GraphEdge[]): EvidenceEdge[] {
    return edges.slice(0, 64).map((e) => ({
      child: e.child.slice(0, 128),
      parent: e.parent.slice(0, 128),
      childName: this.nameOf(e.child).slice(0, 200),
      parentName: this.nameOf(e.parent).slice(0, 200),
      relation: e.relation,
      ...(e.stake === undefined ? {} : { stake: e.stake }),
      ...(e.validFrom === undefined ? {} : { validFrom: e.validFrom }),
      ...(e.validTo === undefined ? {} : { validTo: e.validTo }),
      origin: e.origin,
      source: e.source.slice(0, 1000),
      ...(e.sourceUrl === undefined ? {} : { sourceUrl: e.sourceUrl }),
      ...(e.retrievedAt === undefined ? {} : { retrievedAt: e.retrievedAt }),
    }));
  }

  /** Notes saying how the vendor was identified (never by name). */
  resolutionNotes(view: VendorView): string[] {
    if (!view.resolved)
      return [`${view.vendor.origin} matched no known entity; judged on its own declarations only`];
    return view.matches.map((m) => {
      const how =
        m.basis === 'domain' && view.domain
          ? `domain \`${view.domain}\` of its enrolled origin`
          : m.basis === 'lei' || m.basis === 'wikidata'
            ? `${m.basis} in its own signed card (declared, not verified by a registry)`
            : m.basis;
      return note(
        `${view.vendor.origin} is ${this.nameOf(m.entityId)} (\`${m.entityId}\`), matched by ${how}`,
      );
    });
  }
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Refuses input a detector would otherwise read wrongly (fail closed): a malformed date, a pick
 * that is not among the offers, an offer without a vendor.
 */
function validateInput(input: DetectionInput): void {
  const bad = (what: string, message: string): ProvenanceError =>
    new ProvenanceError('ERR_PROVENANCE_INPUT_INVALID', message, { details: { field: what } });
  if (!DAY.test(input.asOf) || Number.isNaN(Date.parse(input.asOf)))
    throw bad('asOf', `\`asOf\` \`${input.asOf}\` is not a date such as \`2026-11-25\``);
  if (!Number.isFinite(input.nowMs)) throw bad('nowMs', '`nowMs` is not a number of milliseconds');
  const ids = new Set<string>();
  for (const o of input.offers) {
    if (ids.has(o.offerId)) throw bad('offers', `offer \`${o.offerId}\` appears twice`);
    ids.add(o.offerId);
    if (o.iat !== undefined && !Number.isInteger(o.iat))
      throw bad('offers', `offer \`${o.offerId}\` has an \`iat\` that is not epoch seconds`);
  }
  for (const round of input.history ?? []) {
    if (round.asOf !== undefined && (!DAY.test(round.asOf) || Number.isNaN(Date.parse(round.asOf))))
      throw bad('history', `history date \`${round.asOf}\` is not a date such as \`2026-11-25\``);
  }
  if (input.pickOfferId !== undefined && !ids.has(input.pickOfferId))
    throw bad('pickOfferId', `the pick \`${input.pickOfferId}\` is not among the offers`);
}

/** Caps a note at the Flag schema's length. */
export function note(text: string): string {
  return text.length <= 500 ? text : `${text.slice(0, 499)}…`;
}

/** Keeps at most 20 notes, as the Flag schema allows. */
export function notes(list: string[]): string[] {
  return list.slice(0, 20).map(note);
}

/** Product of the match confidence and every edge's confidence. */
export function pathConfidence(start: number, edges: readonly GraphEdge[]): number {
  let c = start;
  for (const e of edges) c *= e.confidence;
  return Math.round(c * 1000) / 1000;
}

/** Caps a summary at the Flag schema's length. */
export function summary(text: string): string {
  return text.length <= 500 ? text : `${text.slice(0, 499)}…`;
}

function addTo(map: Map<string, GraphEdge[]>, key: string, edge: GraphEdge): void {
  const list = map.get(key);
  if (list) list.push(edge);
  else map.set(key, [edge]);
}

function declaredEdge(
  child: string,
  parent: string,
  relation: Relation,
  origin: FactOrigin,
  source: string,
  at: string | undefined,
): GraphEdge {
  return {
    child,
    parent,
    relation,
    origin,
    source,
    confidence: DEFAULT_CONFIDENCE[origin],
    ...(at === undefined ? {} : { retrievedAt: at }),
  };
}

/** A flag without optional fields that are undefined (the Flag schema is strict). */
export function flag(f: Flag): Flag {
  const out: Flag = {
    kind: f.kind,
    severity: f.severity,
    summary: summary(f.summary),
    confidence: Math.min(1, Math.max(0, f.confidence)),
    evidence: f.evidence,
  };
  if (f.vendor !== undefined) out.vendor = f.vendor.slice(0, 256);
  if (f.offerId !== undefined) out.offerId = f.offerId;
  if (f.notes !== undefined && f.notes.length > 0) out.notes = notes(f.notes);
  if (f.related !== undefined && f.related.length > 0) out.related = f.related.slice(0, 64).map((r) => r.slice(0, 256));
  return out;
}
