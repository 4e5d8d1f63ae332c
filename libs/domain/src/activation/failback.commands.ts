import type { Health } from './activation.types';
import type { FailbackServerStep } from './failback.events';

interface Command<Type extends string, Data> {
  type: Type;
  data: Data;
}

/**
 * Facts of a failback that the worker records (one step handler each). `attempt` is the failback's
 * attempt (from the workflow's DueStep): a fact of an earlier attempt is ignored.
 */
export type FailbackCommand =
  | RecordReverseSyncStarted
  | RecordReverseSyncProgress
  | RecordServerStopStarted
  | RecordServerStoppedAtRecovery
  | RecordFinalDelta
  | RecordServerStartedAtOriginal
  | RecordFailbackStepFailed
  | RecordServerResumedAtRecovery
  | RecordServerResumeFailed
  | RecordUsersReconnected
  | RecordUsersReconnectFailed;

export type RecordReverseSyncStarted = Command<
  'RecordReverseSyncStarted',
  { serverId: string; attempt: number; copyBytes: number; at: string }
>;
export type RecordReverseSyncProgress = Command<
  'RecordReverseSyncProgress',
  {
    serverId: string;
    attempt: number;
    part: 'initial-copy' | 'delta';
    /** Number of the delta (1, 2…); 0 for the initial copy. */
    delta: number;
    sentBytes: number;
    changedBytes: number;
    pendingBytes: number;
    /** Close enough to cut over (the handler's threshold). */
    synced: boolean;
    at: string;
  }
>;
export type RecordServerStopStarted = Command<
  'RecordServerStopStarted',
  { serverId: string; attempt: number; at: string }
>;
export type RecordServerStoppedAtRecovery = Command<
  'RecordServerStoppedAtRecovery',
  { serverId: string; attempt: number; at: string }
>;
export type RecordFinalDelta = Command<
  'RecordFinalDelta',
  {
    serverId: string;
    attempt: number;
    sentBytes: number;
    changedBytes: number;
    pendingBytes: number;
    at: string;
  }
>;
export type RecordServerStartedAtOriginal = Command<
  'RecordServerStartedAtOriginal',
  { serverId: string; attempt: number; health: Health; detail?: string | null; at: string }
>;
export type RecordFailbackStepFailed = Command<
  'RecordFailbackStepFailed',
  { serverId: string; attempt: number; step: FailbackServerStep; reason: string; at: string }
>;
export type RecordServerResumedAtRecovery = Command<
  'RecordServerResumedAtRecovery',
  { serverId: string; attempt: number; at: string }
>;
export type RecordUsersReconnected = Command<'RecordUsersReconnected', { attempt: number; at: string }>;
export type RecordServerResumeFailed = Command<
  'RecordServerResumeFailed',
  { serverId: string; attempt: number; reason: string; at: string }
>;
export type RecordUsersReconnectFailed = Command<
  'RecordUsersReconnectFailed',
  { attempt: number; reason: string; at: string }
>;
