/**
 * Dependency-graph algorithms, all O(V + E). A graph maps each node to the nodes it depends on
 * (its upstream: they must be up first). Nodes only named as dependencies are treated as leaves.
 */
export type DependencyGraph = ReadonlyMap<string, readonly string[]>;

const WHITE = 0;
const GREY = 1;
const BLACK = 2;

/**
 * Finds one dependency cycle, in dependency order and closed: `["web-1","app-1","db-1","web-1"]`
 * means web-1 depends on app-1, which depends on db-1, which depends on web-1. Search starts from
 * `startAt` (then every node), so a cycle introduced by a change to `startAt` is named from it.
 */
export function findCycle(graph: DependencyGraph, startAt: string[] = []): string[] | null {
  const colour = new Map<string, number>();
  const roots = [...startAt, ...graph.keys()];
  for (const root of roots) {
    if ((colour.get(root) ?? WHITE) !== WHITE) continue;
    // Iterative DFS: stack of [node, index of next dependency to visit].
    const path: string[] = [];
    const stack: Array<[string, number]> = [[root, 0]];
    colour.set(root, GREY);
    path.push(root);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const deps = graph.get(top[0]) ?? [];
      if (top[1] >= deps.length) {
        colour.set(top[0], BLACK);
        stack.pop();
        path.pop();
        continue;
      }
      const next = deps[top[1]++];
      const c = colour.get(next) ?? WHITE;
      if (c === GREY) {
        const from = path.indexOf(next);
        return [...path.slice(from), next];
      }
      if (c === WHITE) {
        colour.set(next, GREY);
        path.push(next);
        stack.push([next, 0]);
      }
    }
  }
  return null;
}

/** Every node that lies on a cycle. */
export function nodesOnCycles(graph: DependencyGraph): Set<string> {
  return new Set(cyclicComponents(graph).flat());
}

/** Strongly connected components that contain a cycle (size > 1, or a self-loop); Tarjan, iterative, O(V + E). */
export function cyclicComponents(graph: DependencyGraph): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const sccStack: string[] = [];
  const result: string[][] = [];
  let counter = 0;
  for (const root of graph.keys()) {
    if (index.has(root)) continue;
    const work: Array<[string, number]> = [[root, 0]];
    index.set(root, counter);
    low.set(root, counter++);
    sccStack.push(root);
    onStack.add(root);
    while (work.length) {
      const frame = work[work.length - 1];
      const [node] = frame;
      const deps = graph.get(node) ?? [];
      if (frame[1] < deps.length) {
        const next = deps[frame[1]++];
        if (!index.has(next)) {
          index.set(next, counter);
          low.set(next, counter++);
          sccStack.push(next);
          onStack.add(next);
          work.push([next, 0]);
        } else if (onStack.has(next)) {
          low.set(node, Math.min(low.get(node)!, index.get(next)!));
        }
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1][0];
        low.set(parent, Math.min(low.get(parent)!, low.get(node)!));
      }
      if (low.get(node) === index.get(node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = sccStack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== node);
        const selfLoop = component.length === 1 && (graph.get(node) ?? []).includes(node);
        if (component.length > 1 || selfLoop) result.push(component.sort());
      }
    }
  }
  return result;
}

/**
 * Topological order (upstream first) of the acyclic part of the graph; nodes on or behind a cycle
 * are left out and returned in `blocked`. Dependencies outside the graph's keys are ignored.
 */
export function topologicalOrder(graph: DependencyGraph): { order: string[]; blocked: string[] } {
  const pending = new Map<string, number>();
  const downstream = new Map<string, string[]>();
  for (const [node, deps] of graph) {
    let count = 0;
    for (const dep of new Set(deps)) {
      if (!graph.has(dep)) continue;
      count++;
      const list = downstream.get(dep);
      if (list) list.push(node);
      else downstream.set(dep, [node]);
    }
    pending.set(node, count);
  }
  const queue: string[] = [];
  for (const [node, count] of pending) if (count === 0) queue.push(node);
  const order: string[] = [];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i];
    order.push(node);
    for (const d of downstream.get(node) ?? []) {
      const left = pending.get(d)! - 1;
      pending.set(d, left);
      if (left === 0) queue.push(d);
    }
  }
  const placed = new Set(order);
  return { order, blocked: [...graph.keys()].filter((n) => !placed.has(n)) };
}

/** Boot waves for display: wave 0 has no upstream, wave n depends on something in wave n-1. Sorted by name inside a wave. */
export function bootWaves(graph: DependencyGraph): string[][] {
  const { order } = topologicalOrder(graph);
  const level = new Map<string, number>();
  const waves: string[][] = [];
  for (const node of order) {
    let l = 0;
    for (const dep of graph.get(node) ?? []) if (level.has(dep)) l = Math.max(l, level.get(dep)! + 1);
    level.set(node, l);
    (waves[l] ??= []).push(node);
  }
  return waves.map((w) => w.sort());
}

export interface NodeTiming {
  /** Minutes from launch until the node can start booting on its own (e.g. its disks are restored). */
  ready: number;
  /** Minutes from boot start until available (boot + health analysis). */
  start: number;
}

export interface Schedule {
  /** Minutes from launch until each node is available. */
  availableAt: Map<string, number>;
  /** Nodes whose chain determines the last availability, upstream first. */
  criticalPath: string[];
  /** Minutes until the last node is available. */
  makespan: number;
}

/**
 * Graph-driven schedule: a node boots once it is ready and every upstream node is available
 * (not whole waves). availableAt(n) = max(ready(n), max availableAt(upstream)) + start(n).
 */
export function schedule(graph: DependencyGraph, timing: (node: string) => NodeTiming): Schedule {
  const { order } = topologicalOrder(graph);
  const availableAt = new Map<string, number>();
  const via = new Map<string, string | null>();
  let last: string | null = null;
  for (const node of order) {
    const t = timing(node);
    let begin = t.ready;
    let from: string | null = null;
    for (const dep of graph.get(node) ?? []) {
      const at = availableAt.get(dep);
      if (at !== undefined && at > begin) {
        begin = at;
        from = dep;
      }
    }
    const at = begin + t.start;
    availableAt.set(node, at);
    via.set(node, from);
    if (last === null || at > availableAt.get(last)!) last = node;
  }
  const criticalPath: string[] = [];
  for (let n = last; n !== null; n = via.get(n) ?? null) criticalPath.push(n);
  criticalPath.reverse();
  return { availableAt, criticalPath, makespan: last === null ? 0 : availableAt.get(last)! };
}

/**
 * Minutes from a node's readiness to the end of its longest downstream chain of start-ups
 * (its own start included). The engine restores nodes with the longest tail first.
 */
export function downstreamTails(
  graph: DependencyGraph,
  start: (node: string) => number,
): Map<string, number> {
  const downstream = new Map<string, string[]>();
  for (const [node, ups] of graph)
    for (const up of ups) {
      const list = downstream.get(up);
      if (list) list.push(node);
      else downstream.set(up, [node]);
    }
  const { order } = topologicalOrder(graph);
  const tails = new Map<string, number>();
  for (let i = order.length - 1; i >= 0; i--) {
    const node = order[i];
    let below = 0;
    for (const d of downstream.get(node) ?? []) below = Math.max(below, tails.get(d) ?? 0);
    tails.set(node, start(node) + below);
  }
  for (const node of graph.keys()) if (!tails.has(node)) tails.set(node, start(node)); // nodes on cycles
  return tails;
}

/**
 * When restores sharing one bandwidth finish, if at most `maxParallel` run at once and they start in
 * `priority` order (highest first): each running restore gets bandwidth / running. Sizes in GiB,
 * bandwidth in GiB per minute; returns minutes after the start. O(n · maxParallel).
 */
export function sharedRestoreFinish(
  sizes: ReadonlyMap<string, number>,
  bandwidthGiBPerMinute: number,
  maxParallel: number,
  priority: (node: string) => number,
): Map<string, number> {
  const queue = [...sizes.keys()].sort(
    (a, b) => priority(b) - priority(a) || (sizes.get(b) ?? 0) - (sizes.get(a) ?? 0),
  );
  const finish = new Map<string, number>();
  const running = new Map<string, number>(); // node → GiB left
  let now = 0;
  let next = 0;
  const fill = () => {
    while (running.size < maxParallel && next < queue.length) {
      const node = queue[next++];
      const size = sizes.get(node) ?? 0;
      if (size <= 0) finish.set(node, now);
      else running.set(node, size);
    }
  };
  fill();
  while (running.size) {
    const rate = bandwidthGiBPerMinute / running.size;
    let smallest = Infinity;
    for (const left of running.values()) smallest = Math.min(smallest, left);
    const elapsed = smallest / rate;
    now += elapsed;
    for (const [node, left] of running) {
      const remaining = left - smallest;
      if (remaining <= 1e-9) {
        running.delete(node);
        finish.set(node, now);
      } else running.set(node, remaining);
    }
    fill();
  }
  return finish;
}
