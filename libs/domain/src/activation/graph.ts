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
