/** A node placed on the drawing. */
export interface Placed {
  id: string;
  name: string;
  x: number;
  y: number;
  layer: number;
}

/**
 * Lays out a small ownership graph in layers: an edge `from → to` puts `to` one layer below
 * `from` (owners above what they own). Cycles are cut; unknown edge ends are ignored. Deterministic,
 * so the same graph draws the same way each time.
 */
export function layoutGraph(
  nodes: readonly { id: string; name: string }[],
  edges: readonly { from: string; to: string }[],
  size: { width: number; rowHeight: number; top: number },
): Placed[] {
  const ids = new Set(nodes.map((n) => n.id));
  const layer = new Map<string, number>(nodes.map((n) => [n.id, 0]));
  const valid = edges.filter((e) => ids.has(e.from) && ids.has(e.to) && e.from !== e.to);
  // longest-path layering, bounded by the node count so a cycle cannot loop forever
  for (let round = 0; round < nodes.length; round++) {
    let moved = false;
    for (const e of valid) {
      const want = layer.get(e.from)! + 1;
      if (want > layer.get(e.to)! && want < nodes.length) {
        layer.set(e.to, want);
        moved = true;
      }
    }
    if (!moved) break;
  }
  const rows = new Map<number, { id: string; name: string }[]>();
  for (const n of [...nodes].sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id))) {
    const l = layer.get(n.id)!;
    rows.set(l, [...(rows.get(l) ?? []), n]);
  }
  const out: Placed[] = [];
  for (const [l, row] of [...rows.entries()].sort((a, b) => a[0] - b[0])) {
    row.forEach((n, i) => {
      out.push({ id: n.id, name: n.name, layer: l, x: Math.round(((i + 1) * size.width) / (row.length + 1)), y: size.top + l * size.rowHeight });
    });
  }
  return out;
}
