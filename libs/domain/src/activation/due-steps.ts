import type { ActivationEvent } from './activation.events';
import type { Activation, ActivationState, ServerState } from './activation.state';
import { isAvailablePhase, type ActivationServerSnapshot, type RecoveryMethod } from './activation.types';
import { teardownRequired } from './activation.decider';
import { depthOf, graphOf } from './graph';

/**
 * What the process manager must have running for an activation, derived from its state alone.
 * Safe to call at any time (after each append, at start-up, after a crash or a Redis flush): it
 * returns exactly the steps that are due and not yet recorded as started. Each step has a stable
 * `key` — the BullMQ jobId and the recovery cloud's idempotency key — so enqueueing a step twice,
 * or running its job twice, does nothing twice. Keys never contain `:` (BullMQ refuses it in ids).
 *
 * Scheduling is by the graph, not by waves: every pending restore at once (the cloud shares the
 * bandwidth); a server boots as soon as its disks are restored and ITS OWN upstream servers are
 * available (`ok`/`warning`), whatever the rest of the scope is doing.
 */
export type DueStep =
  | RestoreStep
  | BootStep
  | AnalyseStep
  | NetworkStep
  | TeardownStep
  | FailbackStep
  | StartScheduledStep
  | ExpireConfirmationStep;

interface ServerStepBase {
  key: string;
  activationId: string;
  tenantId: string;
  serverId: string;
  hostname: string;
  attempt: number;
  /** Servers on the longest downstream chain behind this one (higher = more urgent). */
  priority: number;
}

export interface RestoreStep extends ServerStepBase {
  kind: 'restore';
  /** backup-restore: restore every disk in parallel; vm-replication: power on the replica; storage-replication: present the LUN. */
  method: RecoveryMethod;
  disks: ActivationServerSnapshot['disks'];
  /** Restore started while the activation is an alert (pre-staging). */
  prestage: boolean;
}

export interface BootStep extends ServerStepBase {
  kind: 'boot';
  template: ActivationServerSnapshot['template'];
  osFamily: ActivationServerSnapshot['osFamily'];
  antiAffinityGroup: string | null;
  disks: ActivationServerSnapshot['disks'];
}

export interface AnalyseStep extends ServerStepBase {
  kind: 'analyse';
}

interface ActivationStepBase {
  key: string;
  activationId: string;
  tenantId: string;
}

export interface NetworkStep extends ActivationStepBase {
  kind: 'network';
}
export interface TeardownStep extends ActivationStepBase {
  kind: 'teardown';
  attempt: number;
  reason: 'close' | 'stand-down' | 'rejected';
}
export interface FailbackStep extends ActivationStepBase {
  kind: 'failback';
}
/** Delayed job: run at `runAt`. */
export interface StartScheduledStep extends ActivationStepBase {
  kind: 'start-scheduled';
  runAt: string;
}
/** Delayed job: run at `runAt`. */
export interface ExpireConfirmationStep extends ActivationStepBase {
  kind: 'expire-confirmation';
  runAt: string;
}

export type DueStepKind = DueStep['kind'];

/** Stable key of a step (BullMQ jobId, cloud idempotency key). */
export const stepKey = (activationId: string, ...parts: (string | number)[]): string =>
  [activationId, ...parts].join('.');

export function dueSteps(state: ActivationState, only?: Iterable<string>): DueStep[] {
  if (!state.exists) return [];
  const s = state;
  const base = { activationId: s.id, tenantId: s.tenantId };
  const steps: DueStep[] = [];

  switch (s.status) {
    case 'awaiting-confirmation':
      steps.push({
        ...base,
        kind: 'expire-confirmation',
        key: stepKey(s.id, 'expire-confirmation'),
        runAt: s.confirmation!.expiresAt,
      });
      break;
    case 'scheduled':
      steps.push({
        ...base,
        kind: 'start-scheduled',
        key: stepKey(s.id, 'start-scheduled'),
        runAt: s.startsAt!,
      });
      break;
    default:
      break;
  }

  if (s.status === 'running' || s.status === 'alert') {
    const serverSteps: DueStep[] = [];
    if (only) {
      for (const serverId of only) {
        const i = s.index[serverId];
        const step = i === undefined ? null : serverStep(s, s.servers[i]);
        if (step) serverSteps.push(step);
      }
    } else {
      for (const x of s.servers) {
        const step = serverStep(s, x);
        if (step) serverSteps.push(step);
      }
    }
    serverSteps.sort((a, b) => (b as ServerStepBase).priority - (a as ServerStepBase).priority);
    for (const step of serverSteps) steps.push(step);
    if (s.status === 'running' && s.withNetwork && s.network.phase === 'pending')
      steps.push({ ...base, kind: 'network', key: stepKey(s.id, 'network') });
  }

  if (teardownRequired(s)) {
    const attempt = s.teardown.incompleteAttempts + 1;
    const reason = s.close ? 'close' : s.status === 'stood-down' ? 'stand-down' : 'rejected';
    steps.push({ ...base, kind: 'teardown', key: stepKey(s.id, 'teardown', attempt), attempt, reason });
  }
  if (s.failback && s.status !== 'failed-back')
    steps.push({ ...base, kind: 'failback', key: stepKey(s.id, 'failback') });
  return steps;
}

/** The step due for one server of a running (or alert) activation, if any. Objects are built literally: this is a hot path. */
function serverStep(s: Activation, x: ServerState): RestoreStep | BootStep | AnalyseStep | null {
  const snap = x.snapshot;
  const prestage = s.status === 'alert';
  if (x.phase === 'pending') {
    // Pre-staging restores only backups: a replica is powered on only for the failover itself.
    if (prestage && snap.recoveryMethod !== 'backup-restore') return null;
    return {
      kind: 'restore',
      key: stepKey(s.id, snap.serverId, 'restore', x.attempt),
      activationId: s.id,
      tenantId: s.tenantId,
      serverId: snap.serverId,
      hostname: snap.hostname,
      attempt: x.attempt,
      priority: depthOf(s).get(snap.serverId) ?? 1,
      method: snap.recoveryMethod,
      disks: snap.disks,
      prestage,
    };
  }
  if (prestage) return null;
  if (x.phase === 'restored') {
    for (const up of graphOf(s).upstream.get(snap.serverId)!) {
      if (!isAvailablePhase(s.servers[s.index[up]].phase)) return null;
    }
    return {
      kind: 'boot',
      key: stepKey(s.id, snap.serverId, 'boot', x.attempt),
      activationId: s.id,
      tenantId: s.tenantId,
      serverId: snap.serverId,
      hostname: snap.hostname,
      attempt: x.attempt,
      priority: depthOf(s).get(snap.serverId) ?? 1,
      template: snap.template,
      osFamily: snap.osFamily,
      antiAffinityGroup: snap.antiAffinityGroup ?? null,
      disks: snap.disks,
    };
  }
  if (x.phase === 'checking' && !x.analysisStartedAt) {
    return {
      kind: 'analyse',
      key: stepKey(s.id, snap.serverId, 'analyse', x.attempt),
      activationId: s.id,
      tenantId: s.tenantId,
      serverId: snap.serverId,
      hostname: snap.hostname,
      attempt: x.attempt,
      priority: depthOf(s).get(snap.serverId) ?? 1,
    };
  }
  return null;
}

/** Events after which only the servers they name (and their direct downstream servers) can have new steps. */
const SERVER_FACTS: ReadonlySet<ActivationEvent['type']> = new Set([
  'ServerRestoreStarted',
  'DiskRestored',
  'ServerRestored',
  'ReplicaActivated',
  'ServerBootStarted',
  'ServerBooted',
  'ServerAnalysisStarted',
  'ServerChecked',
  'ServerStepFailed',
  'ServerBlocked',
  'RtoBreachProjected',
]);

/**
 * The steps that may have become due through `events` just appended (state is AFTER them): for
 * server facts, only the servers named and their direct downstream servers are looked at (O(k)
 * instead of O(n), for the process manager's hot path); anything else falls back to `dueSteps`.
 * Steps already due before are included again when they concern those servers: enqueueing by
 * `key` makes that harmless. At start-up and on reconcile, use `dueSteps(state)`.
 */
export function dueStepsAfter(state: ActivationState, events: readonly ActivationEvent[]): DueStep[] {
  if (!state.exists) return [];
  if (
    !events.every(
      (e) =>
        SERVER_FACTS.has(e.type) ||
        e.type === 'NetworkSetupStarted' ||
        e.type === 'NetworkReady' ||
        e.type === 'NetworkSetupFailed',
    )
  ) {
    return dueSteps(state);
  }
  const graph = graphOf(state);
  const touched = new Set<string>();
  for (const e of events) {
    const serverId = (e.data as { serverId?: string | null }).serverId;
    if (!serverId || state.index[serverId] === undefined) continue;
    touched.add(serverId);
    for (const d of graph.downstream.get(serverId) ?? []) touched.add(d);
  }
  return dueSteps(state, touched);
}
