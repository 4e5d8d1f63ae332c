import { reachable } from '@reprise/domain/activation/graph';
import { bootWaves, cyclicComponents } from '@reprise/domain/estate/graph';

/** A node of a dependency graph: a server and the servers it depends on (its upstream). */
export interface GraphNodeInput {
  id: string;
  dependsOn: readonly string[];
}

export interface PlacedNode {
  id: string;
  /** Dependency level (boot wave): 0 has no upstream in the graph. */
  level: number;
  /** Position inside its level, top to bottom. */
  order: number;
  x: number;
  y: number;
  critical: boolean;
}

export interface PlacedEdge {
  /** Upstream server (the dependency). */
  from: string;
  /** Downstream server (the one that depends on it). */
  to: string;
  critical: boolean;
  /** SVG path from the right side of `from` to the left side of `to`. */
  path: string;
}

export interface GraphLayout {
  nodes: PlacedNode[];
  edges: PlacedEdge[];
  levels: string[][];
  width: number;
  height: number;
  /** Servers on a dependency cycle (the plan refuses them; they are drawn in a last column). */
  cyclic: string[];
  upstreamOf(id: string): Set<string>;
  downstreamOf(id: string): Set<string>;
}

export interface LayoutOptions {
  /** Levels as the plan computed them (`GET /plan` bootWaves); computed here when absent. */
  levels?: string[][];
  criticalPath?: readonly string[];
  nodeWidth?: number;
  nodeHeight?: number;
  columnGap?: number;
  rowGap?: number;
  /** Barycentre sweeps (each one down then up) to reduce edge crossings. */
  sweeps?: number;
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * A layered drawing of a dependency graph, left to right in boot order: one column per dependency
 * level (the plan's boot waves), servers ordered inside each column by the barycentre of their
 * neighbours (a few sweeps, deterministic), the critical path's nodes and edges flagged, and the
 * transitive upstream/downstream of any server at hand for highlighting.
 */
export function layoutGraph(input: readonly GraphNodeInput[], options: LayoutOptions = {}): GraphLayout {
  const nodeWidth = options.nodeWidth ?? 168;
  const nodeHeight = options.nodeHeight ?? 44;
  const columnGap = options.columnGap ?? 72;
  const rowGap = options.rowGap ?? 14;
  const ids = new Set(input.map((n) => n.id));
  const upstream = new Map<string, string[]>();
  const downstream = new Map<string, string[]>();
  for (const n of input) {
    upstream.set(n.id, []);
    downstream.set(n.id, []);
  }
  for (const n of input)
    for (const dep of new Set(n.dependsOn))
      if (ids.has(dep) && dep !== n.id) {
        upstream.get(n.id)!.push(dep);
        downstream.get(dep)!.push(n.id);
      }

  const given = options.levels?.map((level) => level.filter((id) => ids.has(id))).filter((l) => l.length);
  const levels = given && given.length ? given : bootWaves(upstream);
  const placed = new Set(levels.flat());
  const cyclic = cyclicComponents(upstream).flat().sort(byName);
  const rest = [...ids].filter((id) => !placed.has(id)).sort(byName);
  if (rest.length) levels.push(rest);
  const levelOf = new Map<string, number>();
  levels.forEach((level, l) => level.forEach((id) => levelOf.set(id, l)));

  const columns = levels.map((level) => [...level].sort(byName));
  const position = new Map<string, number>();
  const index = () => columns.forEach((col) => col.forEach((id, i) => position.set(id, i)));
  index();
  const barycentre = (id: string, neighbours: Map<string, string[]>, fallback: number) => {
    const ps = (neighbours.get(id) ?? []).map((n) => position.get(n)!).filter((p) => p !== undefined);
    return ps.length ? ps.reduce((a, b) => a + b, 0) / ps.length : fallback;
  };
  const sortColumn = (l: number, neighbours: Map<string, string[]>) => {
    const keyed = columns[l].map((id, i) => ({ id, key: barycentre(id, neighbours, i) }));
    keyed.sort((a, b) => a.key - b.key || byName(a.id, b.id));
    columns[l] = keyed.map((k) => k.id);
    columns[l].forEach((id, i) => position.set(id, i));
  };
  for (let s = 0; s < (options.sweeps ?? 4); s++) {
    for (let l = 1; l < columns.length; l++) sortColumn(l, upstream);
    for (let l = columns.length - 2; l >= 0; l--) sortColumn(l, downstream);
  }

  const tallest = Math.max(0, ...columns.map((c) => c.length));
  const height = tallest * (nodeHeight + rowGap) - (tallest ? rowGap : 0);
  const width = columns.length * (nodeWidth + columnGap) - (columns.length ? columnGap : 0);
  const critical = new Set(options.criticalPath ?? []);
  const criticalEdges = new Set<string>();
  const path = options.criticalPath ?? [];
  for (let i = 1; i < path.length; i++) criticalEdges.add(`${path[i - 1]}→${path[i]}`);

  const nodes: PlacedNode[] = [];
  const at = new Map<string, PlacedNode>();
  columns.forEach((col, l) => {
    const offset = ((tallest - col.length) * (nodeHeight + rowGap)) / 2;
    col.forEach((id, order) => {
      const node = {
        id,
        level: l,
        order,
        x: l * (nodeWidth + columnGap),
        y: offset + order * (nodeHeight + rowGap),
        critical: critical.has(id),
      };
      nodes.push(node);
      at.set(id, node);
    });
  });
  const edges: PlacedEdge[] = [];
  for (const [to, ups] of upstream)
    for (const from of ups) {
      const a = at.get(from)!;
      const b = at.get(to)!;
      const x1 = a.x + nodeWidth;
      const y1 = a.y + nodeHeight / 2;
      const x2 = b.x;
      const y2 = b.y + nodeHeight / 2;
      const bend = Math.max(24, (x2 - x1) / 2);
      edges.push({
        from,
        to,
        critical: criticalEdges.has(`${from}→${to}`),
        path: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`,
      });
    }
  edges.sort((a, b) => Number(a.critical) - Number(b.critical) || byName(a.from + a.to, b.from + b.to));
  return {
    nodes,
    edges,
    levels: columns,
    width,
    height,
    cyclic,
    upstreamOf: (id) => new Set(reachable(upstream, id)),
    downstreamOf: (id) => new Set(reachable(downstream, id)),
  };
}

/** Number of pairs of edges that cross between adjacent columns (a layout's quality). */
export function edgeCrossings(layout: GraphLayout): number {
  const at = new Map(layout.nodes.map((n) => [n.id, n]));
  const spans = layout.edges
    .map((e) => ({ a: at.get(e.from)!, b: at.get(e.to)! }))
    .filter(({ a, b }) => b.level === a.level + 1);
  let crossings = 0;
  for (let i = 0; i < spans.length; i++)
    for (let j = i + 1; j < spans.length; j++) {
      const p = spans[i];
      const q = spans[j];
      if (p.a.level !== q.a.level) continue;
      if ((p.a.order - q.a.order) * (p.b.order - q.b.order) < 0) crossings++;
    }
  return crossings;
}
