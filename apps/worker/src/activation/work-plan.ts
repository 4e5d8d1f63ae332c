import { teardownRequired } from '@reprise/domain/activation/activation.decider';
import type { Activation, ServerState } from '@reprise/domain/activation/activation.state';
import { DEFAULT_ESTIMATES } from '@reprise/domain/estate/estimates';
import { downstreamTails } from '@reprise/domain/estate/graph';
import type { StepKind } from '@reprise/jobs';

export interface WorkItem {
  step: StepKind;
  serverId: string | null;
  attempt: number;
  /** Stable key: BullMQ jobId and the root of every cloud idempotency key of this step. */
  key: string;
}

const EXECUTING = new Set(['running']);
/**
 * Restores in flight at once. The cloud shares its bandwidth between concurrent restores, so total
 * throughput does not depend on this; what it buys is order: servers whose downstream chain is
 * longest are restored first, and the leaves last, so the activation's tail is one short start-up.
 */
export const MAX_PARALLEL_RESTORES = Number(
  process.env.REPRISE_MAX_PARALLEL_RESTORES ?? DEFAULT_ESTIMATES.maxParallelRestores,
);
/** Tails depend only on the scope, which evolve() carries by reference: cached per scope. */
const tailCache = new WeakMap<object, { size: number; tails: Map<string, number> }>();

/** Minutes from a server's restore to the end of its longest downstream chain of start-ups. */
export function restoreTails(state: Activation): Map<string, number> {
  const anchor = state.servers[0]?.snapshot;
  const cached = anchor ? tailCache.get(anchor) : undefined;
  if (cached && cached.size === state.servers.length) return cached.tails;
  const graph = new Map(state.servers.map((s) => [s.snapshot.hostname, s.snapshot.dependsOn]));
  const family = new Map(state.servers.map((s) => [s.snapshot.hostname, s.snapshot.osFamily]));
  // The same tails the plan uses to predict the RTO (start-up = boot + analysis estimates).
  const tails = downstreamTails(
    graph,
    (h) => DEFAULT_ESTIMATES.bootMinutes[family.get(h) ?? 'linux'] + DEFAULT_ESTIMATES.analysisMinutes,
  );
  if (anchor) tailCache.set(anchor, { size: state.servers.length, tails });
  return tails;
}
const available = (s: ServerState | undefined) => !!s && (s.phase === 'ok' || s.phase === 'warning');

/**
 * What the worker must have in progress for an activation, from its state alone: steps that are due
 * AND steps that started but have not recorded their outcome (a crashed worker or a flushed Redis
 * lost their jobs; re-enqueuing them with the same key resumes them without repeating side effects).
 * Timers (scheduled start, confirmation expiry) are not jobs: the reconciler checks them on its sweep.
 */
export function workPlan(state: Activation): WorkItem[] {
  const items: WorkItem[] = [];
  const server = (step: StepKind, s: ServerState) =>
    items.push({
      step,
      serverId: s.snapshot.serverId,
      attempt: s.attempt,
      key: `${state.id}.${s.snapshot.serverId}.${step}.${s.attempt}`,
    });
  const byHostname = new Map(state.servers.map((s) => [s.snapshot.hostname, s]));
  const executing = EXECUTING.has(state.status);
  const prestaging = state.status === 'alert';

  if (executing || prestaging) {
    const restoring = state.servers.filter((s) => s.phase === 'restoring');
    restoring.forEach((s) => server('restore', s));
    const pending = state.servers.filter((s) => s.phase === 'pending');
    const free = Math.max(0, MAX_PARALLEL_RESTORES - restoring.length);
    if (pending.length && free) {
      const tails = restoreTails(state);
      const size = (s: ServerState) => s.snapshot.disks.reduce((sum, d) => sum + d.sizeGiB, 0);
      pending
        .sort(
          (a, b) =>
            (tails.get(b.snapshot.hostname) ?? 0) - (tails.get(a.snapshot.hostname) ?? 0) ||
            size(b) - size(a),
        )
        .slice(0, free)
        .forEach((s) => server('restore', s));
    }
  }
  for (const s of state.servers) {
    switch (s.phase) {
      case 'restored':
        if (executing && s.snapshot.dependsOn.every((h) => available(byHostname.get(h)))) server('boot', s);
        break;
      case 'booting':
        if (executing) server('boot', s);
        break;
      case 'checking':
        if (executing) server('analyse', s);
        break;
      default:
        break;
    }
  }
  if (
    executing &&
    state.withNetwork &&
    (state.network.phase === 'pending' || state.network.phase === 'setting-up')
  ) {
    items.push({ step: 'network', serverId: null, attempt: 1, key: `${state.id}.network.1` });
  }
  if (teardownRequired(state)) {
    const attempt = state.teardown.incompleteAttempts + 1;
    items.push({ step: 'teardown', serverId: null, attempt, key: `${state.id}.teardown.${attempt}` });
  }
  if (state.failback && !state.failedBackAt) {
    items.push({ step: 'failback', serverId: null, attempt: 1, key: `${state.id}.failback.1` });
  }
  return items;
}

/** Servers whose boot waits for upstream servers that are not available yet (for progress views). */
export function waitingOnUpstream(state: Activation): string[] {
  const byHostname = new Map(state.servers.map((s) => [s.snapshot.hostname, s]));
  return state.servers
    .filter((s) => s.phase === 'restored' && !s.snapshot.dependsOn.every((h) => available(byHostname.get(h))))
    .map((s) => s.snapshot.hostname);
}
