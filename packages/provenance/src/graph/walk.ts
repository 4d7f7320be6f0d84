import type { AffiliationGraph } from './snapshot.ts';
import type { EdgeRecord, GraphEdge } from './types.ts';

/** How far and as of when to walk. */
export interface WalkOptions {
  /** The date the answer is for (`YYYY-MM-DD`): edges not valid on it are ignored. */
  asOf: string;
  /** Most ownership steps followed from the start. Default 12. */
  maxDepth?: number;
  /** Most entities visited. Default 2000. */
  maxNodes?: number;
  /** Extra owner edges for ids the graph does not hold (declared or credential facts for this call). */
  extraOwners?: (id: string) => readonly GraphEdge[];
}

/** Everything that owns or controls an entity, with the path of edges to each. */
export interface OwnershipReach {
  root: string;
  /** Ancestor id → the edges from `root` up to it (empty for `root` itself). Shortest path first found. */
  paths: Map<string, GraphEdge[]>;
  /** Ancestors (or `root`) with no owner of their own on the date. */
  ultimate: string[];
  /** True when a cycle of ownership was met (it is cut, not followed). */
  cycle: boolean;
  /** True when the depth or node guard stopped the walk. */
  truncated: boolean;
}

/** True when the edge held on `asOf` (`YYYY-MM-DD`): `validFrom` ≤ asOf ≤ `validTo`, open ends allowed. */
export function edgeValidOn(edge: Pick<EdgeRecord, 'validFrom' | 'validTo'>, asOf: string): boolean {
  // ISO calendar dates compare correctly as strings.
  if (edge.validFrom !== undefined && edge.validFrom > asOf) return false;
  if (edge.validTo !== undefined && edge.validTo < asOf) return false;
  return true;
}

/**
 * Walks ownership edges (owns, controls, brand_of, operates) up from `root` to its ultimate
 * parents, as of a date, breadth first, with cycle, depth and size guards. Pure.
 */
export function walkOwners(graph: AffiliationGraph, root: string, options: WalkOptions): OwnershipReach {
  const maxDepth = options.maxDepth ?? 12;
  const maxNodes = options.maxNodes ?? 2000;
  const paths = new Map<string, GraphEdge[]>([[root, []]]);
  const ultimate: string[] = [];
  let cycle = false;
  let truncated = false;
  let frontier = [root];
  for (let depth = 0; frontier.length > 0; depth++) {
    const next: string[] = [];
    for (const id of frontier) {
      const path = paths.get(id) ?? [];
      const owners = validOwners(graph, id, options);
      if (owners.length === 0) {
        ultimate.push(id);
        continue;
      }
      if (depth >= maxDepth) {
        truncated = true;
        continue;
      }
      for (const edge of owners) {
        if (paths.has(edge.parent)) {
          // Met before: either a cycle back onto this path, or a second route (diamond). Only the
          // first is a cycle; both are cut so every node is visited once.
          if (edge.parent === root || path.some((e) => e.child === edge.parent)) cycle = true;
          continue;
        }
        if (paths.size >= maxNodes) {
          truncated = true;
          continue;
        }
        paths.set(edge.parent, [...path, edge]);
        next.push(edge.parent);
      }
    }
    frontier = next;
  }
  if (ultimate.length === 0) {
    // Everything reached is owned by something reached (a cycle) or the guard stopped us: the
    // farthest entities found stand in for ultimate parents.
    let far = 0;
    for (const p of paths.values()) far = Math.max(far, p.length);
    for (const [id, p] of paths) if (p.length === far) ultimate.push(id);
  }
  return { root, paths, ultimate, cycle, truncated };
}

function validOwners(graph: AffiliationGraph, id: string, options: WalkOptions): GraphEdge[] {
  const out: GraphEdge[] = [];
  for (const e of graph.ownersOf(id)) if (edgeValidOn(e, options.asOf)) out.push(e);
  if (options.extraOwners)
    for (const e of options.extraOwners(id)) if (edgeValidOn(e, options.asOf)) out.push(e);
  return out;
}
