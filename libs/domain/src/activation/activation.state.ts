import { assertNever } from '@reprise/domain/shared/decider';
import type { RecipientCode } from './activation.commands';
import type { ActivationEvent } from './activation.events';
import {
  evolveStep,
  isPostCleanup,
  newStepState,
  stepsWithin,
  withJoiningSteps,
  type RunbookStepState,
  type StepsJoining,
} from './runbook-steps';
import {
  isLive,
  type ActivationKind,
  type ActivationScope,
  type ActivationServerSnapshot,
  type ActivationStatus,
  type ActivationType,
  type ActivationWindow,
  type Health,
  type Person,
  type ScopeAddition,
  type ScopeExclusion,
  type ServerFailure,
  type ServerPhase,
} from './activation.types';
import {
  evolveFailback,
  evolveFailbackRequested,
  type FailbackState,
  type ReprotectionState,
} from './failback.state';

/** Where one server of the scope stands. `phase` is derived from the facts (see `derivePhase`). */
export interface ServerState {
  snapshot: ActivationServerSnapshot;
  phase: ServerPhase;
  /** 1, then +1 on each retry; part of every step key. */
  attempt: number;
  restoreStartedAt: string | null;
  restorePointId: string | null;
  restorePointTakenAt: string | null;
  /** Achieved RPO: age of the restore point used, minutes. */
  rpoMinutes: number | null;
  prestaged: boolean;
  disksRestored: string[];
  restoredAt: string | null;
  replicaActivated: boolean;
  bootStartedAt: string | null;
  host: string | null;
  bootedAt: string | null;
  analysisStartedAt: string | null;
  checkedAt: string | null;
  health: Health | null;
  detail: string | null;
  failure: ServerFailure | null;
  blockedBy: { hostname: string; serverId: string; reason: string; at: string } | null;
  cancelledAt: string | null;
  rtoBreachProjectedAt: string | null;
  /** When the current attempt was asked for by a retry (null on the first attempt). */
  retriedAt: string | null;
  /** When a widening brought it into the live failover (its RTO counts from then); null from the start. */
  joinedAt: string | null;
}

/** A widening of a live failover (`ScopeWideningRequested`) and its confirmation's outcome. */
export interface WideningState extends StepsJoining {
  widening: number;
  status: 'awaiting-confirmation' | 'confirmed' | 'rejected';
  mode: 'full' | 'partial';
  requested: string[];
  added: ScopeAddition[];
  excluded: ScopeExclusion[];
  /** The new servers (they join `servers` once confirmed), with the runbook steps they bring. */
  servers: ActivationServerSnapshot[];
  by: Person;
  reason: string | null;
  requestedAt: string;
  confirmedBy: (Person & { at: string }) | null;
  rejected: { reason: string; at: string } | null;
}

/** An emergency override of the activation window (`EmergencyOverrideRequested`) and its outcome. */
export interface OverrideState {
  status: 'awaiting-confirmation' | 'confirmed' | 'rejected';
  reason: string;
  by: Person;
  requestedAt: string;
  confirmedBy: (Person & { at: string }) | null;
  rejected: { reason: string; at: string } | null;
}

export type NetworkPhase = 'not-required' | 'pending' | 'setting-up' | 'ready' | 'failed';

export interface NetworkState {
  phase: NetworkPhase;
  startedAt: string | null;
  readyAt: string | null;
  failedAt: string | null;
  reason: string | null;
}

export interface Activation {
  exists: true;
  id: string;
  tenantId: string;
  type: ActivationType;
  kind: ActivationKind;
  status: ActivationStatus;
  scope: ActivationScope;
  requestedBy: Person;
  reason: string | null;
  requestedAt: string;
  window: ActivationWindow;
  withNetwork: boolean;
  /** Servers of the scope, in scope order; `index` maps a serverId to its position. */
  servers: ServerState[];
  index: Record<string, number>;
  confirmation: {
    /** Each recipient's code hash: a code confirms only as the person it was sent to. */
    codes: RecipientCode[];
    expiresAt: string;
    recipients: string[];
    attemptsAllowed: number;
    failedAttempts: number;
    requestedBy: Person;
    requestedAt: string;
  } | null;
  confirmedBy: (Person & { at: string }) | null;
  escalated: { by: Person; at: string; removed: string[] } | null;
  startsAt: string | null;
  launchedAt: string | null;
  completedAt: string | null;
  /** When it was aborted, rejected or stood down, and why. */
  endedAt: string | null;
  endReason: string | null;
  endedBy: Person | null;
  network: NetworkState;
  activationRtoBreachProjectedAt: string | null;
  close: { requestedAt: string; by: Person } | null;
  teardown: { incompleteAttempts: number; remaining: string[]; verifiedAt: string | null };
  closedAt: string | null;
  /** The failback (the way back to the original site), its current or last attempt. */
  failback: FailbackState | null;
  failedBackAt: string | null;
  /** The runbook steps it runs, in plan order. */
  steps: RunbookStepState[];
  /** After a failback: the new full restore points due (protection resumes). */
  reprotection: ReprotectionState | null;
  /** Widenings of a live failover, in order (the last may await its confirmation). */
  widenings: WideningState[];
  /** The last emergency override of the activation window asked for, if any. */
  override: OverrideState | null;
  /** `at` of the last event folded. */
  updatedAt: string;
}

export type ActivationState = { exists: false } | Activation;

export const initialActivationState = (): ActivationState => ({ exists: false });

export function newServerState(snapshot: ActivationServerSnapshot): ServerState {
  return {
    snapshot,
    phase: 'pending',
    attempt: 1,
    restoreStartedAt: null,
    restorePointId: null,
    restorePointTakenAt: null,
    rpoMinutes: null,
    prestaged: false,
    disksRestored: [],
    restoredAt: null,
    replicaActivated: false,
    bootStartedAt: null,
    host: null,
    bootedAt: null,
    analysisStartedAt: null,
    checkedAt: null,
    health: null,
    detail: null,
    failure: null,
    blockedBy: null,
    cancelledAt: null,
    rtoBreachProjectedAt: null,
    retriedAt: null,
    joinedAt: null,
  };
}

export function derivePhase(s: Omit<ServerState, 'phase'>): ServerPhase {
  if (s.cancelledAt) return 'cancelled';
  if (s.failure || s.health === 'failed') return 'failed';
  if (s.blockedBy) return 'blocked';
  if (s.health) return s.health;
  if (s.bootedAt) return 'checking';
  if (s.bootStartedAt) return 'booting';
  if (s.restoredAt) return 'restored';
  if (s.restoreStartedAt) return 'restoring';
  return 'pending';
}

/** No prototype: a server id such as `constructor` or `__proto__` finds nothing, never Object's own. */
const indexOf = (servers: ServerState[]): Record<string, number> => {
  const index: Record<string, number> = Object.create(null);
  servers.forEach((s, i) => (index[s.snapshot.serverId] = i));
  return index;
};

function updateServer(
  state: Activation,
  serverId: string,
  change: (s: ServerState) => Partial<ServerState>,
  at: string,
): Activation {
  const i = state.index[serverId];
  if (i === undefined) return state;
  const servers = state.servers.slice();
  const next = { ...servers[i], ...change(servers[i]) };
  next.phase = derivePhase(next);
  servers[i] = next;
  return { ...state, servers, updatedAt: at };
}

const resetBoot: Partial<ServerState> = {
  bootStartedAt: null,
  host: null,
  bootedAt: null,
  analysisStartedAt: null,
  checkedAt: null,
  health: null,
  detail: null,
};
const resetRestore: Partial<ServerState> = {
  restoreStartedAt: null,
  restorePointId: null,
  restorePointTakenAt: null,
  rpoMinutes: null,
  prestaged: false,
  disksRestored: [],
  restoredAt: null,
  replicaActivated: false,
};

const EXTENSION_EVENTS: ReadonlySet<ActivationEvent['type']> = new Set([
  'AlertEscalated',
  'ConfirmationRequested',
  'ScopeWideningRequested',
]);

/** The emergency override awaiting its confirmation, if any (only a scheduled activation has one). */
export const pendingOverride = (s: Activation): OverrideState | null =>
  s.status === 'scheduled' && s.override?.status === 'awaiting-confirmation' ? s.override : null;

/** The widening awaiting its confirmation, if any. */
export const pendingWidening = (s: Activation): WideningState | null => {
  const last = s.widenings[s.widenings.length - 1];
  return last?.status === 'awaiting-confirmation' ? last : null;
};

function updateWidening(s: Activation, widening: number, change: Partial<WideningState>): WideningState[] {
  return s.widenings.map((w) => (w.widening === widening ? { ...w, ...change } : w));
}

/** The scope once a widening joined it. */
function widenedScope(scope: ActivationScope, w: WideningState): ActivationScope {
  const known = new Set(scope.excluded.map((x) => x.hostname));
  return {
    mode: w.mode === 'full' ? 'full' : scope.mode,
    requested: [...scope.requested, ...w.requested],
    added: [...scope.added, ...w.added],
    excluded: [...scope.excluded, ...w.excluded.filter((x) => !known.has(x.hostname))],
  };
}

export function evolveActivation(state: ActivationState, event: ActivationEvent): ActivationState {
  if (event.type === 'ActivationRequested') {
    const d = event.data;
    const servers = d.servers.map(newServerState);
    return {
      exists: true,
      id: d.activationId,
      tenantId: d.tenantId,
      type: d.type,
      kind: d.kind,
      status: d.type === 'alert' ? 'alert' : d.type === 'disaster' ? 'awaiting-confirmation' : 'running',
      scope: d.scope,
      requestedBy: d.requestedBy,
      reason: d.reason,
      requestedAt: d.requestedAt,
      window: d.window,
      withNetwork: d.withNetwork,
      servers,
      index: indexOf(servers),
      confirmation: null,
      confirmedBy: null,
      escalated: null,
      startsAt: null,
      launchedAt: null,
      completedAt: null,
      endedAt: null,
      endReason: null,
      endedBy: null,
      network: {
        phase: d.withNetwork ? 'pending' : 'not-required',
        startedAt: null,
        readyAt: null,
        failedAt: null,
        reason: null,
      },
      activationRtoBreachProjectedAt: null,
      close: null,
      teardown: { incompleteAttempts: 0, remaining: [], verifiedAt: null },
      closedAt: null,
      failback: null,
      failedBackAt: null,
      steps: (d.steps ?? []).map(newStepState),
      reprotection: null,
      widenings: [],
      override: null,
      updatedAt: d.at,
    };
  }
  if (!state.exists) return state;
  const at = event.data.at;
  const s: Activation = state;
  // An extension of the scope is decided on the claims registry and recorded here later (see
  // scope-claims.ts): one that lands after the activation ended changes nothing.
  if (EXTENSION_EVENTS.has(event.type) && !isLive(s.status)) return s;
  switch (event.type) {
    case 'ActivationStarted':
      return { ...s, status: 'running', launchedAt: at, startsAt: null, updatedAt: at };
    case 'AlertRaised':
      return { ...s, status: 'alert', updatedAt: at };
    case 'ConfirmationRequested': {
      const d = event.data;
      return {
        ...s,
        // A failback's confirmation keeps the failback's own status.
        status: s.status === 'failback-awaiting-confirmation' ? s.status : 'awaiting-confirmation',
        confirmation: {
          codes: d.codes ?? d.recipients.map((email) => ({ email, codeHash: d.codeHash ?? '' })),
          expiresAt: d.expiresAt,
          recipients: d.recipients,
          attemptsAllowed: d.attemptsAllowed,
          failedAttempts: 0,
          requestedBy: d.requestedBy,
          requestedAt: at,
        },
        updatedAt: at,
      };
    }
    case 'ConfirmationAttemptFailed':
      return s.confirmation
        ? {
            ...s,
            confirmation: { ...s.confirmation, failedAttempts: s.confirmation.failedAttempts + 1 },
            updatedAt: at,
          }
        : s;
    case 'ActivationConfirmed':
      return { ...s, confirmedBy: { ...event.data.by, at }, updatedAt: at };
    case 'ActivationRejected':
      return { ...s, status: 'rejected', endedAt: at, endReason: event.data.reason, updatedAt: at };
    case 'ActivationScheduled':
      return { ...s, status: 'scheduled', startsAt: event.data.startsAt, updatedAt: at };
    case 'AlertEscalated': {
      const d = event.data;
      const kept = new Map(s.servers.map((x) => [x.snapshot.serverId, x]));
      const servers = d.servers.map((snap) => {
        const old = kept.get(snap.serverId);
        return old ? { ...old, snapshot: snap } : newServerState(snap);
      });
      // Steps whose servers left the scope are dropped with them; those the new servers bring join.
      const steps = withJoiningSteps(s.steps, d);
      const keptSteps = stepsWithin(
        steps.map((x) => x.snapshot),
        new Set(servers.map((x) => x.snapshot.hostname)),
      );
      return {
        ...s,
        type: 'disaster',
        scope: d.scope,
        servers,
        index: indexOf(servers),
        steps: steps
          .filter((x) => keptSteps.has(x.snapshot.name))
          .map((x) => ({
            ...x,
            snapshot: { ...x.snapshot, gates: x.snapshot.gates.filter((id) => !d.removed.includes(id)) },
          })),
        escalated: { by: d.by, at, removed: d.removed },
        updatedAt: at,
      };
    }
    case 'AlertStoodDown':
      return {
        ...s,
        status: 'stood-down',
        endedAt: at,
        endReason: event.data.reason,
        endedBy: event.data.by,
        updatedAt: at,
      };
    case 'ServerRestoreStarted': {
      const d = event.data;
      return updateServer(
        s,
        d.serverId,
        () => ({
          restoreStartedAt: at,
          restorePointId: d.restorePointId,
          restorePointTakenAt: d.restorePointTakenAt,
          rpoMinutes: d.rpoMinutes,
          prestaged: d.prestaged,
        }),
        at,
      );
    }
    case 'DiskRestored':
      return updateServer(
        s,
        event.data.serverId,
        (x) => ({ disksRestored: [...x.disksRestored, event.data.disk] }),
        at,
      );
    case 'ServerRestored':
      return updateServer(s, event.data.serverId, () => ({ restoredAt: at }), at);
    case 'ReplicaActivated':
      return updateServer(s, event.data.serverId, () => ({ restoredAt: at, replicaActivated: true }), at);
    case 'ServerBootStarted':
      return updateServer(s, event.data.serverId, () => ({ bootStartedAt: at, host: event.data.host }), at);
    case 'ServerBooted':
      return updateServer(s, event.data.serverId, () => ({ bootedAt: at }), at);
    case 'ServerAnalysisStarted':
      return updateServer(s, event.data.serverId, () => ({ analysisStartedAt: at }), at);
    case 'ServerChecked':
      return updateServer(
        s,
        event.data.serverId,
        () => ({ checkedAt: at, health: event.data.health, detail: event.data.detail }),
        at,
      );
    case 'ServerStepFailed': {
      const d = event.data;
      return updateServer(
        s,
        d.serverId,
        () => ({
          failure: { step: d.step, reason: d.reason, attempt: d.attempt, at, shortage: d.shortage ?? null },
          detail: d.reason,
        }),
        at,
      );
    }
    case 'ServerBlocked': {
      const d = event.data;
      return updateServer(
        s,
        d.serverId,
        () => ({ blockedBy: { hostname: d.blockedBy, serverId: d.blockedByServerId, reason: d.reason, at } }),
        at,
      );
    }
    case 'NetworkSetupStarted':
      return { ...s, network: { ...s.network, phase: 'setting-up', startedAt: at }, updatedAt: at };
    case 'NetworkReady':
      return { ...s, network: { ...s.network, phase: 'ready', readyAt: at }, updatedAt: at };
    case 'NetworkSetupFailed':
      return {
        ...s,
        network: { ...s.network, phase: 'failed', failedAt: at, reason: event.data.reason },
        updatedAt: at,
      };
    case 'RtoBreachProjected':
      return event.data.serverId === null
        ? { ...s, activationRtoBreachProjectedAt: at, updatedAt: at }
        : updateServer(s, event.data.serverId, () => ({ rtoBreachProjectedAt: at }), at);
    case 'ActivationCompleted':
      return { ...s, status: event.data.status, completedAt: at, updatedAt: at };
    case 'ActivationAborted': {
      const cancelled = new Set(event.data.cancelled);
      const servers = s.servers.map((x) =>
        cancelled.has(x.snapshot.serverId) ? { ...x, cancelledAt: at, phase: 'cancelled' as const } : x,
      );
      return {
        ...s,
        status: 'aborted',
        servers,
        // Post-cleanup steps stay: they run once the aborted test is closed.
        steps: s.steps.map((x) =>
          x.outcome || x.blockedBy || isPostCleanup(x.snapshot) ? x : { ...x, cancelledAt: at },
        ),
        endedAt: at,
        endReason: event.data.reason,
        endedBy: event.data.by,
        updatedAt: at,
      };
    }
    case 'ServerRetryRequested': {
      const d = event.data;
      let next = updateServer(
        s,
        d.serverId,
        () => ({
          attempt: d.attempt,
          failure: null,
          rtoBreachProjectedAt: null,
          retriedAt: at,
          ...(d.resumeFrom === 'pending' ? { ...resetRestore, ...resetBoot } : resetBoot),
        }),
        at,
      );
      for (const id of d.unblocked) next = updateServer(next, id, () => ({ blockedBy: null }), at);
      for (const r of d.reblocked) {
        next = updateServer(
          next,
          r.serverId,
          (x) => ({ blockedBy: { ...x.blockedBy!, hostname: r.blockedBy, serverId: r.blockedByServerId } }),
          at,
        );
      }
      // Steps blocked by this server wait for it again.
      const hostname = next.servers[next.index[d.serverId]]?.snapshot.hostname;
      next = {
        ...next,
        steps: next.steps.map((x) =>
          x.blockedBy === hostname ? { ...x, blockedBy: null, detail: null } : x,
        ),
      };
      const status =
        next.status === 'completed-with-failures' || next.status === 'completed' ? 'running' : next.status;
      return { ...next, status, completedAt: status === 'running' ? null : next.completedAt };
    }
    case 'CloseRequested':
      return { ...s, close: { requestedAt: at, by: event.data.by }, updatedAt: at };
    case 'TeardownVerified':
      return { ...s, teardown: { ...s.teardown, remaining: [], verifiedAt: at }, updatedAt: at };
    case 'TeardownIncomplete':
      return {
        ...s,
        teardown: { ...s.teardown, remaining: event.data.remaining, incompleteAttempts: event.data.attempt },
        updatedAt: at,
      };
    case 'ActivationClosed':
      return { ...s, status: 'closed', closedAt: at, updatedAt: at };
    case 'FailbackRequested':
      return evolveFailbackRequested(s, event);
    case 'ActivationFailedBack':
      return { ...s, status: 'failed-back', failedBackAt: at, closedAt: at, updatedAt: at };
    case 'RunbookStepRetryRequested': {
      let next = evolveStep(s, event);
      for (const id of event.data.unblockedServers)
        next = updateServer(next, id, () => ({ blockedBy: null }), at);
      const reopened = next.status === 'completed-with-failures' || next.status === 'completed';
      return reopened ? { ...next, status: 'running', completedAt: null } : next;
    }
    case 'RunbookStepStarted':
    case 'RunbookStepSucceeded':
    case 'RunbookStepFailed':
    case 'RunbookStepBlocked':
    case 'RunbookStepReminded':
      return evolveStep(s, event);
    case 'FailbackConfirmed':
    case 'FailbackRejected':
    case 'FailbackAborted':
    case 'ReverseSyncStarted':
    case 'ReverseSyncProgressed':
    case 'ServerReverseSynced':
    case 'ServerStopStarted':
    case 'ServerStoppedAtRecovery':
    case 'FinalDeltaSent':
    case 'ServerStartedAtOriginal':
    case 'FailbackStepFailed':
    case 'ServerHeldAtRecovery':
    case 'ServerResumedAtRecovery':
    case 'ServerResumeFailed':
    case 'UsersReconnectedToOriginal':
    case 'UsersReconnectFailed':
    case 'FailbackIncomplete':
    case 'ReprotectionDue':
      return evolveFailback(s, event);
    case 'ScopeWideningRequested': {
      const d = event.data;
      const widening: WideningState = {
        widening: d.widening,
        status: 'awaiting-confirmation',
        mode: d.mode,
        requested: d.requested,
        added: d.added,
        excluded: d.excluded,
        servers: d.servers,
        steps: d.steps ?? [],
        stepGates: d.stepGates ?? [],
        by: d.by,
        reason: d.reason,
        requestedAt: at,
        confirmedBy: null,
        rejected: null,
      };
      return {
        ...s,
        widenings: [...s.widenings, widening],
        confirmation: { ...d.confirmation, failedAttempts: 0, requestedAt: at },
        updatedAt: at,
      };
    }
    case 'ScopeWideningConfirmed': {
      const w = pendingWidening(s);
      if (!w || w.widening !== event.data.widening) return s;
      const servers = [...s.servers, ...w.servers.map((x) => ({ ...newServerState(x), joinedAt: at }))];
      const reopened = s.status === 'completed' || s.status === 'completed-with-failures';
      return {
        ...s,
        servers,
        index: indexOf(servers),
        steps: withJoiningSteps(s.steps, w),
        scope: widenedScope(s.scope, w),
        status: reopened ? 'running' : s.status,
        completedAt: reopened ? null : s.completedAt,
        widenings: updateWidening(s, w.widening, {
          status: 'confirmed',
          confirmedBy: { ...event.data.by, at },
        }),
        updatedAt: at,
      };
    }
    case 'EmergencyOverrideRequested': {
      const d = event.data;
      return {
        ...s,
        override: {
          status: 'awaiting-confirmation',
          reason: d.reason,
          by: d.by,
          requestedAt: at,
          confirmedBy: null,
          rejected: null,
        },
        confirmation: { ...d.confirmation, failedAttempts: 0, requestedAt: at },
        updatedAt: at,
      };
    }
    case 'EmergencyOverrideConfirmed':
      return s.override
        ? {
            ...s,
            override: { ...s.override, status: 'confirmed', confirmedBy: { ...event.data.by, at } },
            updatedAt: at,
          }
        : s;
    case 'EmergencyOverrideRejected':
      return s.override
        ? {
            ...s,
            override: { ...s.override, status: 'rejected', rejected: { reason: event.data.reason, at } },
            updatedAt: at,
          }
        : s;
    case 'ScopeWideningRejected':
      return {
        ...s,
        widenings: updateWidening(s, event.data.widening, {
          status: 'rejected',
          rejected: { reason: event.data.reason, at },
        }),
        updatedAt: at,
      };
    default:
      return assertNever(event);
  }
}
