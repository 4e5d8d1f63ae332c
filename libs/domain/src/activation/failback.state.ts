import { assertNever } from '@reprise/domain/shared/decider';
import type { Activation } from './activation.state';
import type { FailbackRequested } from './activation.events';
import type { ActivationStatus, Health, Person } from './activation.types';
import type { FailbackEvent, FailbackServerStep } from './failback.events';

/**
 * Where one server stands on its way back to the original site:
 * `pending` → `syncing` (initial copy, deltas) → `synced` → `stopping` (cut-over began) → `stopped`
 * → `final-synced` (nothing left to send) → `back` (started and checked at the original site).
 * `failed` (a step failed) and `held` (an upstream server failed) stay at the recovery site: if they
 * had been stopped there, they run there again (`at-recovery`).
 */
export type FailbackServerPhase =
  | 'pending'
  | 'syncing'
  | 'synced'
  | 'stopping'
  | 'stopped'
  | 'final-synced'
  | 'back'
  | 'failed'
  | 'held'
  | 'at-recovery';

export interface FailbackServerState {
  serverId: string;
  hostname: string;
  phase: FailbackServerPhase;
  syncStartedAt: string | null;
  /** Bytes of its disks the initial copy sends, and when it arrived. */
  copyBytes: number;
  copiedAt: string | null;
  initialCopyBytes: number;
  deltas: number;
  deltaBytes: number;
  /** Data the server changed at the recovery site, as last reported, and what of it had not arrived. */
  changedBytes: number;
  pendingBytes: number | null;
  syncedAt: string | null;
  stopStartedAt: string | null;
  stoppedAt: string | null;
  finalDeltaBytes: number;
  finalSyncedAt: string | null;
  backAt: string | null;
  health: Health | null;
  detail: string | null;
  failure: { step: FailbackServerStep; reason: string; at: string } | null;
  heldBy: { hostname: string; serverId: string; at: string } | null;
  resumedAt: string | null;
  /** It could not run again at the recovery site (the queue gave up): it runs nowhere. */
  resumeFailure: { reason: string; at: string } | null;
}

export interface FailbackState {
  /** Recorded before failback was a process: a teardown of the recovery space, nothing more. */
  legacy: boolean;
  attempt: number;
  requestedAt: string;
  by: Person;
  reason: string | null;
  /** The activation's status before the failback: it returns to it if the failback stops short. */
  statusBefore: ActivationStatus;
  excluded: string[];
  /** Servers going back in this attempt, in scope order. */
  servers: FailbackServerState[];
  confirmedBy: (Person & { at: string }) | null;
  reconnectedAt: string | null;
  /** Users could not be reconnected to the original site: the recovery site is kept, nothing is released. */
  reconnectFailure: { reason: string; at: string } | null;
  /** When this attempt stopped short (rejected, aborted, incomplete), and why. */
  endedAt: string | null;
  outcome: 'rejected' | 'aborted' | 'incomplete' | null;
  endReason: string | null;
  left: { serverId: string; hostname: string; reason: string }[];
  /** Servers back at the original site in earlier attempts (kept for the report). */
  earlier: FailbackServerState[];
}

export interface ReprotectionState {
  /** A new full restore point of each server is due from this time on. */
  dueSince: string;
  servers: { serverId: string; hostname: string }[];
}

export function deriveFailbackPhase(x: Omit<FailbackServerState, 'phase'>): FailbackServerPhase {
  if (x.resumedAt) return 'at-recovery';
  if (x.failure || x.health === 'failed') return 'failed';
  if (x.heldBy) return 'held';
  if (x.backAt) return 'back';
  if (x.finalSyncedAt) return 'final-synced';
  if (x.stoppedAt) return 'stopped';
  if (x.stopStartedAt) return 'stopping';
  if (x.syncedAt) return 'synced';
  if (x.syncStartedAt) return 'syncing';
  return 'pending';
}

/** A failed or held server that had been stopped at the recovery site must run there again (until that failed for good). */
export const needsResume = (x: FailbackServerState): boolean =>
  (x.phase === 'failed' || x.phase === 'held') && x.stopStartedAt !== null && x.resumeFailure === null;

/** Stays at the recovery site in this attempt (failed, held, or running there again). */
export const staying = (x: FailbackServerState): boolean =>
  x.phase === 'failed' || x.phase === 'held' || x.phase === 'at-recovery';

/** Nothing more will happen to the server in this attempt: back, running at the recovery site, or it could not run there again. */
export const isSettled = (x: FailbackServerState): boolean =>
  x.phase === 'back' || (staying(x) && !needsResume(x));

/** The cut-over may begin once every server is synced (or stays at the recovery site). */
export const cutOverOpen = (s: Activation): boolean =>
  !!s.failback && s.failback.servers.every((x) => x.syncedAt !== null || staying(x));

/** Stopped at the recovery site (or further), or staying there: an upstream server may stop after it. */
export const stoppedOrStaying = (x: FailbackServerState): boolean => x.stoppedAt !== null || staying(x);

function newFailbackServer(serverId: string, hostname: string): FailbackServerState {
  return {
    serverId,
    hostname,
    phase: 'pending',
    syncStartedAt: null,
    copyBytes: 0,
    copiedAt: null,
    initialCopyBytes: 0,
    deltas: 0,
    deltaBytes: 0,
    changedBytes: 0,
    pendingBytes: null,
    syncedAt: null,
    stopStartedAt: null,
    stoppedAt: null,
    finalDeltaBytes: 0,
    finalSyncedAt: null,
    backAt: null,
    health: null,
    detail: null,
    failure: null,
    heldBy: null,
    resumedAt: null,
    resumeFailure: null,
  };
}

export function evolveFailbackRequested(s: Activation, e: FailbackRequested): Activation {
  const d = e.data;
  const at = d.at;
  const earlier = s.failback
    ? [...s.failback.earlier, ...s.failback.servers.filter((x) => x.phase === 'back')]
    : [];
  const hostname = (id: string) => s.servers[s.index[id]]?.snapshot.hostname ?? id;
  const failback: FailbackState = {
    legacy: d.servers === undefined,
    attempt: d.attempt ?? 1,
    requestedAt: at,
    by: d.by,
    reason: d.reason ?? null,
    statusBefore: s.status,
    excluded: d.excluded ?? [],
    servers: (d.servers ?? []).map((id) => newFailbackServer(id, hostname(id))),
    confirmedBy: null,
    reconnectedAt: null,
    reconnectFailure: null,
    endedAt: null,
    outcome: null,
    endReason: null,
    left: [],
    earlier,
  };
  return {
    ...s,
    status: failback.legacy ? s.status : 'failback-awaiting-confirmation',
    failback,
    updatedAt: at,
  };
}

function updateFailbackServer(
  s: Activation,
  serverId: string,
  change: (x: FailbackServerState) => Partial<FailbackServerState>,
  at: string,
): Activation {
  const fb = s.failback;
  if (!fb) return s;
  const servers = fb.servers.map((x) => {
    if (x.serverId !== serverId) return x;
    const next = { ...x, ...change(x) };
    next.phase = deriveFailbackPhase(next);
    return next;
  });
  return { ...s, failback: { ...fb, servers }, updatedAt: at };
}

function endAttempt(
  s: Activation,
  outcome: 'rejected' | 'aborted' | 'incomplete',
  reason: string,
  at: string,
  left: FailbackState['left'] = [],
): Activation {
  const fb = s.failback!;
  return {
    ...s,
    status: fb.statusBefore,
    failback: { ...fb, endedAt: at, outcome, endReason: reason, left },
    updatedAt: at,
  };
}

export function evolveFailback(s: Activation, event: FailbackEvent): Activation {
  const at = event.data.at;
  switch (event.type) {
    case 'FailbackConfirmed':
      return {
        ...s,
        status: 'failing-back',
        failback: s.failback && { ...s.failback, confirmedBy: { ...event.data.by, at } },
        updatedAt: at,
      };
    case 'FailbackRejected':
      return endAttempt(s, 'rejected', event.data.reason, at);
    case 'FailbackAborted':
      return endAttempt(s, 'aborted', event.data.reason, at);
    case 'ReverseSyncStarted':
      return updateFailbackServer(
        s,
        event.data.serverId,
        () => ({ syncStartedAt: at, copyBytes: event.data.copyBytes }),
        at,
      );
    case 'ReverseSyncProgressed': {
      const d = event.data;
      return updateFailbackServer(
        s,
        d.serverId,
        (x) => ({
          syncStartedAt: x.syncStartedAt ?? at,
          copiedAt: d.part === 'initial-copy' ? at : x.copiedAt,
          initialCopyBytes: d.part === 'initial-copy' ? d.sentBytes : x.initialCopyBytes,
          deltas: d.part === 'delta' ? d.delta : x.deltas,
          deltaBytes: d.part === 'delta' ? x.deltaBytes + d.sentBytes : x.deltaBytes,
          changedBytes: d.changedBytes,
          pendingBytes: d.pendingBytes,
        }),
        at,
      );
    }
    case 'ServerReverseSynced':
      return updateFailbackServer(s, event.data.serverId, () => ({ syncedAt: at }), at);
    case 'ServerStopStarted':
      return updateFailbackServer(s, event.data.serverId, () => ({ stopStartedAt: at }), at);
    case 'ServerStoppedAtRecovery':
      return updateFailbackServer(s, event.data.serverId, () => ({ stoppedAt: at }), at);
    case 'FinalDeltaSent': {
      const d = event.data;
      return updateFailbackServer(
        s,
        d.serverId,
        () => ({
          finalSyncedAt: at,
          finalDeltaBytes: d.sentBytes,
          changedBytes: d.changedBytes,
          pendingBytes: d.pendingBytes,
        }),
        at,
      );
    }
    case 'ServerStartedAtOriginal': {
      const d = event.data;
      return updateFailbackServer(
        s,
        d.serverId,
        () => ({ backAt: at, health: d.health, detail: d.detail }),
        at,
      );
    }
    case 'FailbackStepFailed': {
      const d = event.data;
      return updateFailbackServer(
        s,
        d.serverId,
        () => ({ failure: { step: d.step, reason: d.reason, at }, detail: d.reason }),
        at,
      );
    }
    case 'ServerHeldAtRecovery': {
      const d = event.data;
      return updateFailbackServer(
        s,
        d.serverId,
        () => ({ heldBy: { hostname: d.heldBy, serverId: d.heldByServerId, at } }),
        at,
      );
    }
    case 'ServerResumedAtRecovery':
      return updateFailbackServer(s, event.data.serverId, () => ({ resumedAt: at }), at);
    case 'ServerResumeFailed': {
      const d = event.data;
      return updateFailbackServer(s, d.serverId, () => ({ resumeFailure: { reason: d.reason, at } }), at);
    }
    case 'UsersReconnectFailed':
      return s.failback
        ? {
            ...s,
            failback: { ...s.failback, reconnectFailure: { reason: event.data.reason, at } },
            updatedAt: at,
          }
        : s;
    case 'UsersReconnectedToOriginal':
      return s.failback ? { ...s, failback: { ...s.failback, reconnectedAt: at }, updatedAt: at } : s;
    case 'FailbackIncomplete':
      return endAttempt(s, 'incomplete', 'servers left at the recovery site', at, event.data.left);
    case 'ReprotectionDue':
      return { ...s, reprotection: { dueSince: at, servers: event.data.servers }, updatedAt: at };
    default:
      return assertNever(event);
  }
}
