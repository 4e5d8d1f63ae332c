import { DEFAULT_ESTIMATES, type RecoveryEstimateSettings } from '../estate/estimates';
import { downstreamTails } from '../estate/graph';
import type { ActivationCommand } from './activation.commands';
import {
  pendingOverride,
  pendingWidening,
  type Activation,
  type ActivationState,
  type ServerState,
} from './activation.state';
import { isAvailablePhase, type ActivationStatus, type CapacityShortage } from './activation.types';
import {
  failbackServerSteps,
  FAILBACK_SERVER_STEP_KINDS,
  isFailbackServerStepKind,
  isFailbackStepStillDue,
  reconnectAttempt,
  releaseAttempt,
  type FailbackServerStepKind,
} from './failback.workflow';
import { graphOf } from './graph';
import { availabilityProjections, estimatesFromSizes, projectedAt, type StepEstimates } from './rto';
import { round1, toIso, toMillis } from './time';
import { RUNBOOK_STEP_KINDS, type RunbookStepKind } from '../plan/runbook';
import {
  findStep,
  gatesPassed,
  postCleanupOpen,
  stepRunnable,
  stepStatus,
  type RunbookStepState,
} from './runbook-steps';

/**
 * The activation workflow: the one process manager of an activation, pure. From the activation's
 * state (folded from its events) and the time it is asked at, it answers what is due: every step to
 * run or resume, and every timer. Nothing else in the code answers that question; the worker only
 * dispatches what it says (one handler per step kind) and fires its timers.
 *
 * It reads like the runbook it runs:
 * 1. a disaster waits for its four-eyes confirmation, which expires (timer);
 * 2. outside its window it waits for the window to open (timer);
 * 3. an alert pre-stages the restores from backups while it stands by, and so does a disaster
 *    waiting for its window (which an emergency override, confirmed, starts at once);
 * 4. running: restores, at most `maxParallelRestores` at once, the servers with the longest
 *    downstream chain of start-ups first; the network and user reconnection alongside;
 * 5. a server boots as soon as its disks are restored and ITS OWN upstream servers are available,
 *    then its health is checked; a failure blocks what depends on it (the decider records that),
 *    independent branches go on; RTO breaches are projected while there is time to act (timers);
 * 6. a test closes with a teardown verified against the cloud's own listing; a disaster fails back
 *    (confirmed by four eyes, then reverse sync, cut-over and release: see `failback.workflow.ts`).
 *
 * A step that started and has not recorded its outcome is due again, with the same key: a worker
 * that died or a queue that was lost resumes it (its handler finds the cloud operation it started).
 */

export const SERVER_STEP_KINDS = ['restore', 'boot', 'analyse'] as const;
export const ACTIVATION_STEP_KINDS = ['network', 'teardown', 'failback', 'reconnect-users'] as const;
/** Every kind of step; the worker refuses to start if one of them has no handler. */
export const STEP_KINDS = [
  ...SERVER_STEP_KINDS,
  ...ACTIVATION_STEP_KINDS,
  ...RUNBOOK_STEP_KINDS,
  ...FAILBACK_SERVER_STEP_KINDS,
] as const;
export type ServerStepKind = (typeof SERVER_STEP_KINDS)[number];
export type ActivationStepKind = (typeof ACTIVATION_STEP_KINDS)[number];
export type StepKind = ServerStepKind | ActivationStepKind | RunbookStepKind | FailbackServerStepKind;

export interface DueStep {
  kind: StepKind;
  /**
   * Stable: `<activation>.<server>.<kind>.<attempt>` for a server's step, `<activation>.<kind>.<attempt>`
   * otherwise. The queue's job id and the root of every idempotency key the step sends; never `:`.
   */
  key: string;
  serverId: string | null;
  attempt: number;
  /** A runbook step's name (its kind is one of the runbook kinds). */
  step?: string;
}

export type Timer =
  | { kind: 'expire-confirmation'; key: string; at: string }
  | { kind: 'start-scheduled'; key: string; at: string }
  | {
      kind: 'rto-breach';
      key: string;
      /** When the server's projected availability passes its RTO target. */
      at: string;
      serverId: string;
      /** Projected at the time asked (minutes after the launch). */
      projectedMinutes: number;
      targetMinutes: number;
    }
  /** A runbook step ran out of time (its `timeoutMinutes` since it started). */
  | { kind: 'step-timeout'; key: string; at: string; step: string; attempt: number; timeoutMinutes: number }
  /** A manual step still waits at half its timeout: its assignee is reminded. */
  | { kind: 'step-reminder'; key: string; at: string; step: string; attempt: number };

export interface WhatIsDue {
  /** Steps to run or resume now (the queue de-duplicates them by key). */
  steps: DueStep[];
  /** Timers due at the time asked: fire each with `timerCommand`. */
  timers: Timer[];
  /** When the next timer not yet due falls due, or null: a dispatcher may sleep until then. */
  nextTimerAt: string | null;
  /** Nothing will ever be due again: the activation ended and left nothing in the recovery space. */
  finished: boolean;
}

export interface WorkflowSettings {
  /**
   * Restores in flight at once. The cloud shares its bandwidth between concurrent restores, so this
   * does not change throughput; it buys order: the longest downstream chains restore first.
   */
  maxParallelRestores: number;
  /** Start-up estimates (boot, analysis) that rank downstream chains, as the plan's predicted RTO does. */
  estimates: RecoveryEstimateSettings;
  /** Step estimates of the live RTO projection. */
  rtoEstimates: StepEstimates;
}

export const DEFAULT_WORKFLOW_SETTINGS: WorkflowSettings = {
  maxParallelRestores: DEFAULT_ESTIMATES.maxParallelRestores,
  estimates: DEFAULT_ESTIMATES,
  rtoEstimates: estimatesFromSizes(),
};

/** Activations in these statuses never run anything again (but may still owe a teardown). */
const OVER: readonly ActivationStatus[] = ['closed', 'failed-back', 'rejected', 'stood-down'];

/** Is a teardown of the recovery space due (close requested, or pre-staged restores to discard)? */
export function teardownRequired(s: Activation): boolean {
  if (s.close) return s.status !== 'closed';
  if ((s.status === 'stood-down' || s.status === 'rejected') && !s.teardown.verifiedAt) {
    return s.servers.some((x) => x.restoreStartedAt !== null) || (s.escalated?.removed.length ?? 0) > 0;
  }
  return false;
}

/** The activation ended and nothing is owed to the recovery space: nothing will ever be due again. */
export function isFinished(state: Activation): boolean {
  return OVER.includes(state.status) && !teardownRequired(state) && !postCleanupOpen(state);
}

/** What is due for an activation at `now`. Pure; safe to ask at any time, as often as wanted. */
export function whatIsDue(
  state: ActivationState,
  now: string,
  settings: WorkflowSettings = DEFAULT_WORKFLOW_SETTINGS,
): WhatIsDue {
  if (!state.exists) return { steps: [], timers: [], nextTimerAt: null, finished: false };
  const { timers, nextMs } = dueTimers(state, toMillis(now, 'now'), settings);
  return {
    steps: dueSteps(state, settings),
    timers,
    nextTimerAt: Number.isFinite(nextMs) ? toIso(nextMs) : null,
    finished: isFinished(state),
  };
}

// ---------------------------------------------------------------------------------------------
// steps

const serverKey = (s: Activation, x: ServerState, kind: ServerStepKind) =>
  `${s.id}.${x.snapshot.serverId}.${kind}.${x.attempt}`;
const activationKey = (s: Activation, kind: ActivationStepKind, attempt: number) =>
  `${s.id}.${kind}.${attempt}`;

/**
 * An alert stands by, and a disaster waits for its window: both pre-stage restores from backups (a
 * replica is started only by the failover itself).
 */
const prestages = (s: Activation, x: ServerState) =>
  (s.status === 'alert' || s.status === 'scheduled') && x.snapshot.recoveryMethod === 'backup-restore';

const upstreamAvailable = (s: Activation, x: ServerState): boolean => {
  for (const up of graphOf(s).upstream.get(x.snapshot.serverId) ?? [])
    if (!isAvailablePhase(s.servers[s.index[up]].phase)) return false;
  return gatesPassed(s, x.snapshot.serverId);
};

/**
 * The step a server needs next, if any, leaving the restore bound aside: restores (to start or to
 * resume) while running or pre-staging, a boot once restored with its upstream servers available
 * (or to resume), an analysis once booted.
 */
function serverStep(s: Activation, x: ServerState): ServerStepKind | null {
  switch (x.phase) {
    case 'pending':
    case 'restoring':
      return s.status === 'running' || prestages(s, x) ? 'restore' : null;
    case 'restored':
      return s.status === 'running' && upstreamAvailable(s, x) ? 'boot' : null;
    case 'booting':
      return s.status === 'running' ? 'boot' : null;
    case 'checking':
      return s.status === 'running' ? 'analyse' : null;
    default:
      return null;
  }
}

/** The step of the whole activation of this kind that is due, if any (its attempt). */
function activationStepAttempt(s: Activation, kind: ActivationStepKind): number | null {
  switch (kind) {
    case 'network':
      return s.status === 'running' &&
        s.withNetwork &&
        (s.network.phase === 'pending' || s.network.phase === 'setting-up')
        ? 1
        : null;
    case 'teardown':
      return teardownRequired(s) ? s.teardown.incompleteAttempts + 1 : null;
    case 'failback':
      return releaseAttempt(s);
    case 'reconnect-users':
      return reconnectAttempt(s);
  }
}

function dueSteps(s: Activation, settings: WorkflowSettings): DueStep[] {
  const steps: DueStep[] = [];
  const push = (x: ServerState, kind: ServerStepKind) =>
    steps.push({ kind, key: serverKey(s, x, kind), serverId: x.snapshot.serverId, attempt: x.attempt });
  // Restores under way resume; new ones start while there is room, longest downstream chain first.
  let free = settings.maxParallelRestores;
  for (const x of s.servers) {
    if (x.phase === 'restoring' && serverStep(s, x) === 'restore') {
      push(x, 'restore');
      free--;
    }
  }
  if (free > 0) {
    for (const i of restoreOrder(s, settings)) {
      const x = s.servers[i];
      if (x.phase !== 'pending' || serverStep(s, x) !== 'restore') continue;
      push(x, 'restore');
      if (--free === 0) break;
    }
  }
  for (const x of s.servers) {
    if (x.phase === 'pending' || x.phase === 'restoring') continue;
    const kind = serverStep(s, x);
    if (kind) push(x, kind);
  }
  steps.push(...failbackServerSteps(s));
  for (const kind of ACTIVATION_STEP_KINDS) {
    const attempt = activationStepAttempt(s, kind);
    if (attempt !== null) steps.push({ kind, key: activationKey(s, kind, attempt), serverId: null, attempt });
  }
  for (const x of s.steps) if (stepRunnable(s, x)) steps.push(runbookDueStep(s, x));
  return steps;
}

/** A runbook step's key: `<activation>.step.<name>.<attempt>` (names are hostname-like: no `:`). */
const runbookDueStep = (s: Activation, x: RunbookStepState): DueStep => ({
  kind: x.snapshot.kind,
  key: `${s.id}.step.${x.snapshot.name}.${x.attempt}`,
  serverId: x.snapshot.serverId,
  attempt: x.attempt,
  step: x.snapshot.name,
});

/**
 * Does the state still give this step work to do? A worker asks before running a step it took
 * from the queue: a copy of a step that is done, superseded by a retry, or of an activation that
 * stopped (aborted) calls nothing. A restore once admitted stays due whatever the bound says now.
 */
export function isStillDue(
  state: Activation,
  step: Pick<DueStep, 'kind' | 'serverId' | 'attempt' | 'step'>,
): boolean {
  if (isRunbookStepKind(step.kind)) {
    const x = step.step === undefined ? undefined : findStep(state, step.step);
    return !!x && x.attempt === step.attempt && stepRunnable(state, x);
  }
  if (isFailbackServerStepKind(step.kind)) return isFailbackStepStillDue(state, { ...step, kind: step.kind });
  if (isServerStepKind(step.kind)) {
    const i = step.serverId === null ? undefined : state.index[step.serverId];
    if (i === undefined) return false;
    const x = state.servers[i];
    return x.attempt === step.attempt && serverStep(state, x) === step.kind;
  }
  return activationStepAttempt(state, step.kind) === step.attempt;
}

export const isRunbookStepKind = (kind: StepKind): kind is RunbookStepKind =>
  (RUNBOOK_STEP_KINDS as readonly string[]).includes(kind);

const isServerStepKind = (kind: StepKind): kind is ServerStepKind =>
  (SERVER_STEP_KINDS as readonly string[]).includes(kind);

/** Servers (by position) in restore order: longest downstream chain of start-ups first, then largest. Cached per scope. */
const orderCache = new WeakMap<object, { settings: WorkflowSettings; order: number[] }>();

function restoreOrder(s: Activation, settings: WorkflowSettings): number[] {
  const cached = orderCache.get(s.index);
  if (cached?.settings === settings) return cached.order;
  const e = settings.estimates;
  const tails = downstreamTails(
    graphOf(s).upstream,
    (id) => e.bootMinutes[s.servers[s.index[id]].snapshot.osFamily] + e.analysisMinutes,
  );
  const size = (x: ServerState) => x.snapshot.disks.reduce((sum, d) => sum + d.sizeGiB, 0);
  const tail = (x: ServerState) => tails.get(x.snapshot.serverId) ?? 0;
  const order = s.servers
    .map((_, i) => i)
    .sort((a, b) => tail(s.servers[b]) - tail(s.servers[a]) || size(s.servers[b]) - size(s.servers[a]));
  orderCache.set(s.index, { settings, order });
  return order;
}

// ---------------------------------------------------------------------------------------------
// timers

/** A projection "passes" a target once it rounds (one decimal) above it. */
const PAST_TARGET_MS = 0.05 * 60_000;

/** The timers armed for the activation: those due at `nowMs`, and when the next one falls due. */
function dueTimers(
  s: Activation,
  nowMs: number,
  settings: WorkflowSettings,
): { timers: Timer[]; nextMs: number } {
  const timers: Timer[] = [];
  let nextMs = Infinity;
  const arm = (atMs: number, timer: () => Timer) => {
    if (atMs <= nowMs) timers.push(timer());
    else nextMs = Math.min(nextMs, atMs);
  };
  const widening = pendingWidening(s);
  if (widening && s.confirmation && s.status !== 'awaiting-confirmation') {
    const at = s.confirmation.expiresAt;
    const key = `${s.id}.widening-${widening.widening}.expire-confirmation`;
    arm(toMillis(at), () => ({ kind: 'expire-confirmation', key, at }));
  }
  const override = pendingOverride(s);
  if (override && s.confirmation) {
    const at = s.confirmation.expiresAt;
    const key = `${s.id}.override-${toMillis(override.requestedAt)}.expire-confirmation`;
    arm(toMillis(at), () => ({ kind: 'expire-confirmation', key, at }));
  }
  switch (s.status) {
    case 'awaiting-confirmation':
    case 'failback-awaiting-confirmation': {
      const at = s.confirmation?.expiresAt;
      if (at)
        arm(toMillis(at), () => ({ kind: 'expire-confirmation', key: `${s.id}.expire-confirmation`, at }));
      break;
    }
    case 'scheduled': {
      const at = s.startsAt;
      if (at) arm(toMillis(at), () => ({ kind: 'start-scheduled', key: `${s.id}.start-scheduled`, at }));
      break;
    }
    case 'running':
      armRtoBreaches(s, nowMs, settings, arm);
      break;
    default:
      break;
  }
  armStepTimers(s, arm);
  return { timers, nextMs };
}

/**
 * One timer per server with an RTO target, not yet available and without a recorded breach: due
 * when its projected availability passes the target, so the breach is recorded (and notified) while
 * there is still time to act. Exact: the projection is `max(fixed, now + lag)`, so the instant it
 * crosses the target is `launch + target - lag`; when the fixed part is already past, it is due now.
 */
function armRtoBreaches(
  s: Activation,
  nowMs: number,
  settings: WorkflowSettings,
  arm: (atMs: number, timer: () => Timer) => void,
): void {
  if (!s.launchedAt) return;
  const watched = (x: ServerState) =>
    x.snapshot.rtoMinutes !== null && !x.rtoBreachProjectedAt && !isAvailablePhase(x.phase);
  if (!s.servers.some(watched)) return;
  const launchMs = toMillis(s.launchedAt);
  const projections = availabilityProjections(s, settings.rtoEstimates);
  s.servers.forEach((x, i) => {
    const p = projections[i];
    if (!p || !watched(x)) return;
    const target = x.snapshot.rtoMinutes!;
    // A server a widening brought in is held to its RTO from then, not from the launch.
    const originMs = x.joinedAt ? Math.max(launchMs, toMillis(x.joinedAt)) : launchMs;
    const limitMs = originMs + target * 60_000 + PAST_TARGET_MS;
    const atMs = p.fixed >= limitMs ? Math.max(originMs, toMillis(s.updatedAt)) : limitMs - p.lag;
    if (!Number.isFinite(atMs)) return;
    arm(atMs, () => ({
      kind: 'rto-breach',
      key: `${s.id}.${x.snapshot.serverId}.rto-breach`,
      at: toIso(atMs),
      serverId: x.snapshot.serverId,
      projectedMinutes: round1((projectedAt(p, nowMs) - originMs) / 60_000),
      targetMinutes: target,
    }));
  });
}

/** Each running runbook step times out; a manual step waiting is reminded at half its timeout. */
function armStepTimers(s: Activation, arm: (atMs: number, timer: () => Timer) => void): void {
  for (const x of s.steps) {
    if (!x.startedAt || !stepRunnable(s, x)) continue;
    const { name, timeoutMinutes } = x.snapshot;
    const started = toMillis(x.startedAt);
    const at = started + timeoutMinutes * 60_000;
    const base = { step: name, attempt: x.attempt };
    arm(at, () => ({
      kind: 'step-timeout',
      key: `${s.id}.step.${name}.${x.attempt}.timeout`,
      at: toIso(at),
      timeoutMinutes,
      ...base,
    }));
    if (x.snapshot.kind === 'manual' && !x.remindedAt) {
      const remindAt = started + (timeoutMinutes * 60_000) / 2;
      arm(remindAt, () => ({
        kind: 'step-reminder',
        key: `${s.id}.step.${name}.${x.attempt}.reminder`,
        at: toIso(remindAt),
        ...base,
      }));
    }
  }
}

/**
 * A person is awaited (the four-eyes confirmation of a disaster, of a widening or of an override): their deadline is on wall time
 * (`Clock.afterWallTime`), so a simulated clock must not skip time while it runs.
 */
export function awaitsPerson(state: ActivationState): boolean {
  return (
    state.exists &&
    (state.status === 'awaiting-confirmation' ||
      state.status === 'failback-awaiting-confirmation' ||
      state.steps.some((x) => stepStatus(x) === 'waiting-sign-off') ||
      pendingWidening(state) !== null ||
      pendingOverride(state) !== null)
  );
}

/** The command that fires a due timer at `now`. */
export function timerCommand(timer: Timer, now: string): ActivationCommand {
  switch (timer.kind) {
    case 'expire-confirmation':
      return { type: 'ExpireConfirmation', data: { at: now } };
    case 'start-scheduled':
      return { type: 'StartScheduledActivation', data: { at: now } };
    case 'step-timeout':
      return {
        type: 'RecordRunbookStepFailed',
        data: {
          name: timer.step,
          attempt: timer.attempt,
          reason: `timed out after ${timer.timeoutMinutes} minutes`,
          at: now,
        },
      };
    case 'step-reminder':
      return {
        type: 'RecordRunbookStepReminded',
        data: { name: timer.step, attempt: timer.attempt, at: now },
      };
    case 'rto-breach':
      return {
        type: 'RecordRtoBreachProjected',
        data: {
          serverId: timer.serverId,
          projectedMinutes: timer.projectedMinutes,
          targetMinutes: timer.targetMinutes,
          at: now,
        },
      };
  }
}

// ---------------------------------------------------------------------------------------------
// failures

/**
 * What a step that failed for good records: a server step fails its server (which blocks what
 * depends on it), the network setup fails the reconnection, a failback step leaves its server (and
 * what depends on it) at the recovery site; `null` for a step whose failure is retried until it
 * succeeds (teardown and release leave the recovery space to be verified again; a server must run
 * again at the recovery site; users must reconnect).
 */
export function stepFailure(
  step: Pick<DueStep, 'kind' | 'serverId' | 'attempt' | 'step'>,
  failure: { reason: string; shortage?: CapacityShortage | null; at: string },
): ActivationCommand | null {
  const { reason, at } = failure;
  switch (step.kind) {
    case 'restore':
    case 'boot':
    case 'analyse': {
      if (step.serverId === null) return null;
      const data = {
        serverId: step.serverId,
        attempt: step.attempt,
        step: step.kind === 'analyse' ? ('analysis' as const) : step.kind,
        reason,
        at,
      };
      return {
        type: 'RecordServerStepFailed',
        data: failure.shortage ? { ...data, shortage: failure.shortage } : data,
      };
    }
    case 'network':
      return { type: 'RecordNetworkSetupFailed', data: { reason, at } };
    case 'reverse-sync':
    case 'cut-over-stop':
    case 'final-delta':
    case 'start-at-original':
      if (step.serverId === null) return null;
      return {
        type: 'RecordFailbackStepFailed',
        data: {
          serverId: step.serverId,
          attempt: step.attempt,
          step: step.kind === 'cut-over-stop' ? 'stop' : step.kind,
          reason,
          at,
        },
      };
    case 'resume-at-recovery':
      return step.serverId === null
        ? null
        : {
            type: 'RecordServerResumeFailed',
            data: { serverId: step.serverId, attempt: step.attempt, reason, at },
          };
    case 'reconnect-users':
      return { type: 'RecordUsersReconnectFailed', data: { attempt: step.attempt, reason, at } };
    case 'teardown':
    case 'failback':
      return null;
    case 'webhook':
    case 'script':
    case 'check':
    case 'manual':
      return step.step === undefined
        ? null
        : { type: 'RecordRunbookStepFailed', data: { name: step.step, attempt: step.attempt, reason, at } };
  }
}
