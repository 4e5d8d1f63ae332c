import type { ActivationServerSnapshot } from './activation.types';

/**
 * The dependency graph of a scope (edges upstream → downstream), by serverId. `dependsOn` holds
 * hostnames restricted to the scope.
 */
export interface ScopeGraph {
  idByHostname: Map<string, string>;
  upstream: Map<string, string[]>;
  downstream: Map<string, string[]>;
}

/**
 * The graph of an activation state, cached per `index` object: the snapshots (hence the graph) only
 * change when `index` is rebuilt (request, escalation), so facts reuse the same graph.
 */
const graphCache = new WeakMap<object, ScopeGraph>();
const depthCache = new WeakMap<object, Map<string, number>>();

export function graphOf(state: {
  index: object;
  servers: readonly { snapshot: ActivationServerSnapshot }[];
}): ScopeGraph {
  let graph = graphCache.get(state.index);
  if (!graph) {
    graph = scopeGraph(state.servers);
    graphCache.set(state.index, graph);
  }
  return graph;
}

export function depthOf(state: {
  index: object;
  servers: readonly { snapshot: ActivationServerSnapshot }[];
}): Map<string, number> {
  let depth = depthCache.get(state.index);
  if (!depth) {
    depth = downstreamDepth(graphOf(state));
    depthCache.set(state.index, depth);
  }
  return depth;
}

export function scopeGraph(servers: readonly { snapshot: ActivationServerSnapshot }[]): ScopeGraph {
  const idByHostname = new Map<string, string>();
  for (const s of servers) idByHostname.set(s.snapshot.hostname.toLowerCase(), s.snapshot.serverId);
  const upstream = new Map<string, string[]>();
  const downstream = new Map<string, string[]>();
  for (const s of servers) {
    upstream.set(s.snapshot.serverId, []);
    downstream.set(s.snapshot.serverId, []);
  }
  for (const s of servers) {
    for (const dep of s.snapshot.dependsOn) {
      const up = idByHostname.get(dep.toLowerCase());
      if (!up || up === s.snapshot.serverId) continue;
      upstream.get(s.snapshot.serverId)!.push(up);
      downstream.get(up)!.push(s.snapshot.serverId);
    }
  }
  return { idByHostname, upstream, downstream };
}

/** Every server reachable from `from` along `edges` (not including `from`), in BFS order. */
export function reachable(edges: Map<string, string[]>, from: string): string[] {
  const seen = new Set<string>([from]);
  const order: string[] = [];
  const queue = [from];
  while (queue.length) {
    const id = queue.shift()!;
    for (const next of edges.get(id) ?? []) {
      if (seen.has(next)) continue;
      seen.add(next);
      order.push(next);
      queue.push(next);
    }
  }
  return order;
}

/**
 * Number of servers on the longest downstream chain starting at each server (1 for a leaf): the
 * more servers wait behind one, the sooner it should run. Cycles (refused by the plan) are cut.
 */
export function downstreamDepth(graph: ScopeGraph): Map<string, number> {
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const visit = (id: string): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    if (visiting.has(id)) return 0;
    visiting.add(id);
    let best = 0;
    for (const d of graph.downstream.get(id) ?? []) best = Math.max(best, visit(d));
    visiting.delete(id);
    depth.set(id, best + 1);
    return best + 1;
  };
  for (const id of graph.downstream.keys()) visit(id);
  return depth;
}
