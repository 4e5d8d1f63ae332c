import type { DomainEvent } from '@reprise/domain/shared/decider';
import type { Health, Person } from './activation.types';

/**
 * Events of a failback (the way back to the original site), in the activation's stream. A failback
 * is a process: four-eyes confirmation, reverse synchronisation of every server while the business
 * runs at the recovery site, cut-over in reverse dependency order, teardown of the recovery site
 * only once every server runs at the original site with nothing left to send. Bytes are whole bytes.
 */
export type FailbackEvent =
  | FailbackConfirmed
  | FailbackRejected
  | FailbackAborted
  | ReverseSyncStarted
  | ReverseSyncProgressed
  | ServerReverseSynced
  | ServerStopStarted
  | ServerStoppedAtRecovery
  | FinalDeltaSent
  | ServerStartedAtOriginal
  | FailbackStepFailed
  | ServerHeldAtRecovery
  | ServerResumedAtRecovery
  | ServerResumeFailed
  | UsersReconnectedToOriginal
  | UsersReconnectFailed
  | FailbackIncomplete
  | ReprotectionDue;

/** The steps of a server's way back that can fail (the business then stays at the recovery site). */
export const FAILBACK_SERVER_STEPS = ['reverse-sync', 'stop', 'final-delta', 'start-at-original'] as const;
export type FailbackServerStep = (typeof FAILBACK_SERVER_STEPS)[number];

export type FailbackConfirmed = DomainEvent<'FailbackConfirmed', { by: Person; at: string }>;
export type FailbackRejected = DomainEvent<
  'FailbackRejected',
  { reason: 'too-many-wrong-codes' | 'confirmation-expired'; at: string }
>;
export type FailbackAborted = DomainEvent<'FailbackAborted', { reason: string; by: Person; at: string }>;
/** The initial copy of a server's disks to the original site began (`copyBytes` to send). */
export type ReverseSyncStarted = DomainEvent<
  'ReverseSyncStarted',
  { serverId: string; attempt: number; copyBytes: number; at: string }
>;
export type ReverseSyncProgressed = DomainEvent<
  'ReverseSyncProgressed',
  {
    serverId: string;
    attempt: number;
    /** The initial copy of the disks, or delta number `delta` (1, 2…). */
    part: 'initial-copy' | 'delta';
    delta: number;
    sentBytes: number;
    /** What the server changed at the recovery site so far, and what of it has not arrived yet. */
    changedBytes: number;
    pendingBytes: number;
    at: string;
  }
>;
export type ServerReverseSynced = DomainEvent<
  'ServerReverseSynced',
  { serverId: string; attempt: number; pendingBytes: number; at: string }
>;
/** The cut-over of the server begins: from now on the business is interrupted for it. */
export type ServerStopStarted = DomainEvent<
  'ServerStopStarted',
  { serverId: string; attempt: number; at: string }
>;
export type ServerStoppedAtRecovery = DomainEvent<
  'ServerStoppedAtRecovery',
  { serverId: string; attempt: number; at: string }
>;
export type FinalDeltaSent = DomainEvent<
  'FinalDeltaSent',
  {
    serverId: string;
    attempt: number;
    sentBytes: number;
    changedBytes: number;
    pendingBytes: number;
    at: string;
  }
>;
export type ServerStartedAtOriginal = DomainEvent<
  'ServerStartedAtOriginal',
  { serverId: string; attempt: number; health: Health; detail: string | null; at: string }
>;
export type FailbackStepFailed = DomainEvent<
  'FailbackStepFailed',
  { serverId: string; attempt: number; step: FailbackServerStep; reason: string; at: string }
>;
/** A downstream server of one that failed to go back: it stays (or runs again) at the recovery site. */
export type ServerHeldAtRecovery = DomainEvent<
  'ServerHeldAtRecovery',
  { serverId: string; attempt: number; heldBy: string; heldByServerId: string; at: string }
>;
export type ServerResumedAtRecovery = DomainEvent<
  'ServerResumedAtRecovery',
  { serverId: string; attempt: number; at: string }
>;
/** The server could not run again at the recovery site (the queue gave up): it runs nowhere. */
export type ServerResumeFailed = DomainEvent<
  'ServerResumeFailed',
  { serverId: string; attempt: number; reason: string; at: string }
>;
/** Users could not be reconnected to the original site (the queue gave up): the recovery site is kept. */
export type UsersReconnectFailed = DomainEvent<
  'UsersReconnectFailed',
  { attempt: number; reason: string; at: string }
>;
export type UsersReconnectedToOriginal = DomainEvent<
  'UsersReconnectedToOriginal',
  { attempt: number; at: string }
>;
/** The failback ended with servers still running at the recovery site (named): it may be asked again. */
export type FailbackIncomplete = DomainEvent<
  'FailbackIncomplete',
  { attempt: number; left: { serverId: string; hostname: string; reason: string }[]; at: string }
>;
/** Back at the original site: protection resumes, a new full restore point of each server is due. */
export type ReprotectionDue = DomainEvent<
  'ReprotectionDue',
  { servers: { serverId: string; hostname: string }[]; at: string }
>;
