import type { Activation, ActivationState, ServerState } from './activation.state';
import { isAvailablePhase, type ActivationServerSnapshot } from './activation.types';
import { graphOf } from './graph';
import { round1, toMillis } from './time';

/**
 * RTO and RPO, computed from the activation's state (pure). Every figure is in minutes with one
 * decimal. A server's RTO is the time from the launch (`ActivationStarted.at`) to the moment it is
 * available (checked `ok` or `warning`).
 */

export interface ServerTimings {
  serverId: string;
  hostname: string;
  availableAt: string | null;
  /** Launch → available; null while not available. */
  availableAfterMinutes: number | null;
  /** Restore start → restored (pre-staged restores may have started before the launch). */
  restoreMinutes: number | null;
  /** Restored (or launch, if later) → boot started: time spent waiting for upstream servers. */
  waitMinutes: number | null;
  /** Boot started → booted. */
  bootMinutes: number | null;
  /** Booted (or analysis started) → checked. */
  analysisMinutes: number | null;
  rtoMinutes: number | null;
  /** null while unknown or without a target; false for a failed or blocked server with a target. */
  rtoMet: boolean | null;
  /** Achieved RPO: age of the restore point used. */
  rpoMinutes: number | null;
  rpoTargetMinutes: number | null;
  rpoMet: boolean | null;
}

const span = (from: string | null, to: string | null): number | null =>
  from && to ? round1((toMillis(to) - toMillis(from)) / 60_000) : null;
const later = (a: string, b: string | null): string => (b && toMillis(b) > toMillis(a) ? b : a);

export function serverTimings(state: Activation, x: ServerState): ServerTimings {
  const available = isAvailablePhase(x.phase);
  const availableAt = available ? x.checkedAt : null;
  const availableAfterMinutes = available && state.launchedAt ? span(state.launchedAt, availableAt) : null;
  const rtoMinutes = x.snapshot.rtoMinutes;
  let rtoMet: boolean | null = null;
  if (rtoMinutes !== null) {
    if (availableAfterMinutes !== null) rtoMet = availableAfterMinutes <= rtoMinutes;
    else if (x.phase === 'failed' || x.phase === 'blocked') rtoMet = false;
  }
  const rpoTargetMinutes = x.snapshot.rpoMinutes;
  return {
    serverId: x.snapshot.serverId,
    hostname: x.snapshot.hostname,
    availableAt,
    availableAfterMinutes,
    restoreMinutes: span(x.restoreStartedAt, x.restoredAt),
    waitMinutes:
      x.restoredAt && x.bootStartedAt ? span(later(x.restoredAt, state.launchedAt), x.bootStartedAt) : null,
    bootMinutes: span(x.bootStartedAt, x.bootedAt),
    analysisMinutes: span(x.analysisStartedAt ?? x.bootedAt, x.checkedAt),
    rtoMinutes,
    rtoMet,
    rpoMinutes: x.rpoMinutes,
    rpoTargetMinutes,
    rpoMet: rpoTargetMinutes !== null && x.rpoMinutes !== null ? x.rpoMinutes <= rpoTargetMinutes : null,
  };
}

/** Estimated durations of one server's steps (the worker feeds observed figures). */
export interface StepEstimate {
  restoreMinutes: number;
  bootMinutes: number;
  analysisMinutes: number;
}
export type StepEstimates = (server: ActivationServerSnapshot) => StepEstimate;

/**
 * Simple estimates from sizes: a backup restore moves the server's disks at `restoreGiBPerMinute`;
 * a VM replica is powered on in `replicaMinutes`; a replicated LUN is presented in `lunMinutes`.
 */
export function estimatesFromSizes(
  options: {
    restoreGiBPerMinute?: number;
    bootMinutes?: number;
    analysisMinutes?: number;
    replicaMinutes?: number;
    lunMinutes?: number;
  } = {},
): StepEstimates {
  const {
    restoreGiBPerMinute = 10,
    bootMinutes = 5,
    analysisMinutes = 2,
    replicaMinutes = 2,
    lunMinutes = 5,
  } = options;
  return (server) => ({
    restoreMinutes:
      server.recoveryMethod === 'vm-replication'
        ? replicaMinutes
        : server.recoveryMethod === 'storage-replication'
          ? lunMinutes
          : server.disks.reduce((sum, d) => sum + d.sizeGiB, 0) / restoreGiBPerMinute,
    bootMinutes,
    analysisMinutes,
  });
}

/**
 * Projected availability (minutes after launch) of every server that can still become available,
 * by walking the dependency graph from `now`: a step under way ends at `max(now, start +
 * estimate)`, a pending restore starts now, a boot starts when the server is restored and its own
 * upstream servers are available. Failed, blocked and cancelled servers (and what depends on them)
 * are left out. Before the launch, the launch is taken as `now`.
 */
export function projectAvailability(
  state: ActivationState,
  now: string,
  estimates: StepEstimates,
): Map<string, number> {
  const result = new Map<string, number>();
  if (!state.exists) return result;
  const s = state;
  const nowMs = toMillis(now, 'now');
  const launchMs = s.launchedAt ? toMillis(s.launchedAt) : nowMs;
  const graph = graphOf(s);
  const memo = new Map<string, number | null>();
  const MIN = 60_000;
  const visit = (id: string): number | null => {
    if (memo.has(id)) return memo.get(id)!;
    memo.set(id, null); // cycle guard
    const x = s.servers[s.index[id]];
    let avail: number | null;
    if (isAvailablePhase(x.phase)) avail = toMillis(x.checkedAt!);
    else if (x.phase === 'failed' || x.phase === 'blocked' || x.phase === 'cancelled') avail = null;
    else {
      const est = estimates(x.snapshot);
      let upReady = nowMs;
      let blocked = false;
      for (const up of graph.upstream.get(id)!) {
        const u = visit(up);
        if (u === null) blocked = true;
        else upReady = Math.max(upReady, u);
      }
      if (blocked) avail = null;
      else {
        const restored = x.restoredAt
          ? toMillis(x.restoredAt)
          : x.restoreStartedAt
            ? Math.max(nowMs, toMillis(x.restoreStartedAt) + est.restoreMinutes * MIN)
            : nowMs + est.restoreMinutes * MIN;
        const booted = x.bootedAt
          ? toMillis(x.bootedAt)
          : x.bootStartedAt
            ? Math.max(nowMs, toMillis(x.bootStartedAt) + est.bootMinutes * MIN)
            : Math.max(restored, upReady, nowMs) + est.bootMinutes * MIN;
        avail = x.analysisStartedAt
          ? Math.max(nowMs, toMillis(x.analysisStartedAt) + est.analysisMinutes * MIN)
          : Math.max(booted, nowMs) + est.analysisMinutes * MIN;
      }
    }
    memo.set(id, avail);
    return avail;
  };
  for (const x of s.servers) {
    const avail = visit(x.snapshot.serverId);
    if (avail !== null) result.set(x.snapshot.serverId, round1((avail - launchMs) / MIN));
  }
  return result;
}

export interface ActivationRto {
  firstServerAvailableAfterMinutes: number | null;
  lastServerAvailableAfterMinutes: number | null;
  /** While running (and given `now`): projected availability of the last server; else null. */
  projectedLastServerMinutes: number | null;
}

export function activationRto(
  state: ActivationState,
  options: { now?: string; estimates?: StepEstimates } = {},
): ActivationRto {
  if (!state.exists)
    return {
      firstServerAvailableAfterMinutes: null,
      lastServerAvailableAfterMinutes: null,
      projectedLastServerMinutes: null,
    };
  const delays = state.servers
    .map((x) => serverTimings(state, x).availableAfterMinutes)
    .filter((m): m is number => m !== null);
  let projected: number | null = null;
  if (state.status === 'running' && options.now) {
    const p = [
      ...projectAvailability(state, options.now, options.estimates ?? estimatesFromSizes()).values(),
    ];
    projected = p.length ? Math.max(...p) : null;
  }
  return {
    firstServerAvailableAfterMinutes: delays.length ? Math.min(...delays) : null,
    lastServerAvailableAfterMinutes: delays.length ? Math.max(...delays) : null,
    projectedLastServerMinutes: projected,
  };
}

export interface ProjectedBreach {
  serverId: string;
  hostname: string;
  projectedMinutes: number;
  targetMinutes: number;
}

/**
 * Servers not yet available whose projected availability exceeds their RTO target and for which
 * no `RtoBreachProjected` was recorded yet: the worker records one per server while there is
 * still time to act.
 */
export function projectRtoBreaches(
  state: ActivationState,
  now: string,
  estimates: StepEstimates,
): ProjectedBreach[] {
  if (!state.exists || state.status !== 'running') return [];
  const projection = projectAvailability(state, now, estimates);
  const breaches: ProjectedBreach[] = [];
  for (const x of state.servers) {
    const target = x.snapshot.rtoMinutes;
    if (target === null || x.rtoBreachProjectedAt || isAvailablePhase(x.phase)) continue;
    const projected = projection.get(x.snapshot.serverId);
    if (projected !== undefined && projected > target) {
      breaches.push({
        serverId: x.snapshot.serverId,
        hostname: x.snapshot.hostname,
        projectedMinutes: projected,
        targetMinutes: target,
      });
    }
  }
  return breaches;
}
