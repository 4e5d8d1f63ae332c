import type { Activation, ActivationState, ServerState } from './activation.state';
import { isAvailablePhase, type ActivationServerSnapshot } from './activation.types';
import { graphOf } from './graph';
import { round1, toMillis } from './time';
import { AFTER_TEARDOWN, STEP_ESTIMATE_MINUTES } from '../plan/runbook';
import { findStep, stepPassed, type RunbookStepState } from './runbook-steps';

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
  /**
   * What is held against the RTO target: minutes from the launch, or from when a widening brought the
   * server in (`joinedAt`) to its availability.
   */
  rtoMeasuredMinutes: number | null;
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
  const rtoMeasuredMinutes =
    available && x.joinedAt ? span(later(x.joinedAt, state.launchedAt), availableAt) : availableAfterMinutes;
  const rtoMinutes = x.snapshot.rtoMinutes;
  let rtoMet: boolean | null = null;
  if (rtoMinutes !== null) {
    if (rtoMeasuredMinutes !== null) rtoMet = rtoMeasuredMinutes <= rtoMinutes;
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
      x.restoredAt && x.bootStartedAt
        ? span(later(later(x.restoredAt, state.launchedAt), x.joinedAt), x.bootStartedAt)
        : null,
    bootMinutes: span(x.bootStartedAt, x.bootedAt),
    analysisMinutes: span(x.analysisStartedAt ?? x.bootedAt, x.checkedAt),
    rtoMinutes,
    rtoMeasuredMinutes,
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
 * When a server is projected to be available, as a function of the time it is asked at:
 * `max(fixed, now + lag)` epoch ms. Steps under way end at `max(now, start + estimate)`, steps not
 * started start now at the earliest, so every projection has this form; `-Infinity` stands for
 * "no such term". With it the projection is computed once per state, and the instant a projection
 * crosses a target is known exactly (the RTO-breach timers of the workflow).
 */
export interface Projection {
  fixed: number;
  lag: number;
}

export const projectedAt = (p: Projection, nowMs: number): number => Math.max(p.fixed, nowMs + p.lag);

const NOW: Projection = { fixed: -Infinity, lag: 0 };
const fixedAt = (ms: number): Projection => ({ fixed: ms, lag: -Infinity });
const maxOf = (a: Projection, b: Projection): Projection => ({
  fixed: Math.max(a.fixed, b.fixed),
  lag: Math.max(a.lag, b.lag),
});
const plus = (p: Projection, ms: number): Projection => ({ fixed: p.fixed + ms, lag: p.lag + ms });

/** What a server's own facts say of its projection, whatever its upstream servers do. */
type OwnTerms =
  | { kind: 'fixed'; p: Projection | null }
  | {
      kind: 'open';
      restored: Projection;
      booted: Projection | null;
      bootMs: number;
      analysis: Projection | null;
      analysisMs: number;
    };

interface Cached {
  own: OwnTerms;
  p: Projection | null;
  ups: (Projection | null)[];
}

/**
 * Projections are reused across states: evolve keeps a server's object while nothing happens to it,
 * so its own terms are computed once per change, and its projection is recomputed only when its
 * upstream projections changed (an unchanged value keeps its object, so the cascade stops there).
 */
const projectionCache = new WeakMap<StepEstimates, WeakMap<ServerState, Cached>>();
const MIN = 60_000;

function ownTerms(x: ServerState, estimates: StepEstimates): OwnTerms {
  if (isAvailablePhase(x.phase)) return { kind: 'fixed', p: fixedAt(toMillis(x.checkedAt!)) };
  if (x.phase === 'failed' || x.phase === 'blocked' || x.phase === 'cancelled')
    return { kind: 'fixed', p: null };
  const est = estimates(x.snapshot);
  const underWay = (start: string, minutes: number) => maxOf(NOW, fixedAt(toMillis(start) + minutes * MIN));
  return {
    kind: 'open',
    restored: x.restoredAt
      ? fixedAt(toMillis(x.restoredAt))
      : x.restoreStartedAt
        ? underWay(x.restoreStartedAt, est.restoreMinutes)
        : plus(NOW, est.restoreMinutes * MIN),
    booted: x.bootedAt
      ? fixedAt(toMillis(x.bootedAt))
      : x.bootStartedAt
        ? underWay(x.bootStartedAt, est.bootMinutes)
        : null,
    bootMs: est.bootMinutes * MIN,
    analysis: x.analysisStartedAt ? underWay(x.analysisStartedAt, est.analysisMinutes) : null,
    analysisMs: est.analysisMinutes * MIN,
  };
}

const sameValue = (a: Projection | null, b: Projection | null) =>
  a === b || (a !== null && b !== null && a.fixed === b.fixed && a.lag === b.lag);

/**
 * Projected availability of every server (by position in `state.servers`; null when it cannot
 * become available), by walking the dependency graph: a step under way ends at `max(now, start +
 * estimate)`, a pending restore starts now, a boot starts when the server is restored and its own
 * upstream servers are available. Failed, blocked and cancelled servers (and what depends on them)
 * are left out. Asking after every fact costs little more than a walk of the graph (see the cache).
 */
export function availabilityProjections(state: Activation, estimates: StepEstimates): (Projection | null)[] {
  const graph = graphOf(state);
  let cache = projectionCache.get(estimates);
  if (!cache) projectionCache.set(estimates, (cache = new WeakMap()));
  const known = cache;
  const memo: (Projection | null | undefined)[] = new Array(state.servers.length);
  const stepMemo = new Map<string, Projection | null>();
  /** When a runbook step is projected done: null when it cannot pass (failed with block, blocked, cancelled). */
  const stepDone = (x: RunbookStepState): Projection | null => {
    const name = x.snapshot.name;
    if (stepMemo.has(name)) return stepMemo.get(name)!;
    stepMemo.set(name, null); // cycle guard
    const estimateMs = STEP_ESTIMATE_MINUTES[x.snapshot.kind] * MIN;
    let p: Projection | null;
    if (stepPassed(x)) p = fixedAt(toMillis(x.endedAt ?? state.updatedAt));
    else if (x.outcome || x.blockedBy || x.cancelledAt) p = null;
    else if (x.startedAt) p = maxOf(NOW, fixedAt(toMillis(x.startedAt) + estimateMs));
    else {
      let ready: Projection | null = NOW;
      for (const a of x.snapshot.after) {
        if (a === AFTER_TEARDOWN || ready === null) continue;
        const step = findStep(state, a);
        const id = step ? null : graph.idByHostname.get(a.toLowerCase());
        const up = step ? stepDone(step) : id === undefined || id === null ? null : visit(state.index[id]);
        ready = up === null ? null : maxOf(ready, up);
      }
      p = ready === null ? null : plus(ready, estimateMs);
    }
    stepMemo.set(name, p);
    return p;
  };
  /** The steps a server waits for, projected done together (NOW when it waits for none). */
  const gatesOf = (serverId: string): Projection | null => {
    let p: Projection | null = NOW;
    for (const x of state.steps ?? [])
      if (x.snapshot.gates.includes(serverId)) {
        const done = stepDone(x);
        p = p === null || done === null ? null : maxOf(p, done);
      }
    return p;
  };
  const visit = (i: number): Projection | null => {
    const done = memo[i];
    if (done !== undefined) return done;
    memo[i] = null; // cycle guard
    const x = state.servers[i];
    const upIds = graph.upstream.get(x.snapshot.serverId)!;
    // A server that waits for runbook steps is projected afresh (the steps change without it).
    const gated = (state.steps ?? []).some((s) => s.snapshot.gates.includes(x.snapshot.serverId));
    const gate = gated ? gatesOf(x.snapshot.serverId) : NOW;
    const cached = gated ? undefined : known.get(x);
    let same = cached !== undefined && cached.ups.length === upIds.length;
    for (let k = 0; k < upIds.length; k++) if (visit(state.index[upIds[k]]) !== cached?.ups[k]) same = false;
    if (same) return (memo[i] = cached!.p);
    const ups = upIds.map((id) => memo[state.index[id]] as Projection | null);
    const own = cached?.own ?? ownTerms(x, estimates);
    let avail: Projection | null;
    if (own.kind === 'fixed') avail = own.p;
    else if (ups.includes(null) || gate === null) avail = null;
    else {
      const booted =
        own.booted ?? plus(maxOf(own.restored, (ups as Projection[]).reduce(maxOf, gate)), own.bootMs);
      avail = own.analysis ?? plus(maxOf(booted, NOW), own.analysisMs);
    }
    // An unchanged value keeps its object: what depends on this server keeps its projection too.
    if (cached && sameValue(cached.p, avail)) avail = cached.p;
    known.set(x, { own, p: avail, ups });
    return (memo[i] = avail);
  };
  return state.servers.map((_, i) => visit(i));
}

/**
 * Projected availability (minutes after launch) of every server that can still become available,
 * at `now`. Before the launch, the launch is taken as `now`.
 */
export function projectAvailability(
  state: ActivationState,
  now: string,
  estimates: StepEstimates,
): Map<string, number> {
  const result = new Map<string, number>();
  if (!state.exists) return result;
  const nowMs = toMillis(now, 'now');
  const launchMs = state.launchedAt ? toMillis(state.launchedAt) : nowMs;
  availabilityProjections(state, estimates).forEach((p, i) => {
    if (p)
      result.set(state.servers[i].snapshot.serverId, round1((projectedAt(p, nowMs) - launchMs) / 60_000));
  });
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
