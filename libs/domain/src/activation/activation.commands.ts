import type {
  ActivationKind,
  ActivationServerSnapshot,
  ActivationType,
  ActivationWindow,
  CapacityShortage,
  FailedStep,
  Health,
  Person,
  RequestedScope,
} from './activation.types';
import type { RunbookStep } from '../plan/runbook';
import type { RunbookStepCommand } from './runbook-steps';
import type { FailbackCommand } from './failback.commands';

/**
 * Commands of the activation decider. Each carries its business time `at` (ISO-8601, from the
 * Clock port) and, for human commands, the actor. Worker facts (`Record…`) carry the server's
 * `attempt` (from the workflow's DueStep): a fact of a superseded attempt is ignored.
 */
export type ActivationCommand =
  | RequestActivation
  | ConfirmActivation
  | ExpireConfirmation
  | StartScheduledActivation
  | EscalateAlert
  | StandDownAlert
  | RecordServerRestoreStarted
  | RecordDiskRestored
  | RecordServerRestored
  | RecordReplicaActivated
  | RecordServerBootStarted
  | RecordServerBooted
  | RecordServerAnalysisStarted
  | RecordServerChecked
  | RecordServerStepFailed
  | RecordNetworkSetupStarted
  | RecordNetworkReady
  | RecordNetworkSetupFailed
  | RecordRtoBreachProjected
  | AbortActivation
  | RetryServer
  | RequestClose
  | RecordTeardown
  | RequestFailback
  | RecordFailback
  | RunbookStepCommand
  | FailbackCommand
  | WidenScope
  | RequestEmergencyOverride;

export type ActivationCommandType = ActivationCommand['type'];

interface Command<Type extends string, Data> {
  type: Type;
  data: Data;
}

/**
 * Each authorised person gets their own one-time code, generated and sent outside the domain; only
 * the salted hash of each comes in, so a confirmation proves who confirmed.
 */
export interface ConfirmationInput {
  /** One per authorised person (the requester's is dropped: they never receive a code). */
  codes: RecipientCode[];
  /**
   * When the codes expire, on the engine's clock: a human deadline, set by the caller through the
   * Clock port (`afterWallTime`) so that it leaves a person enough real time on any clock.
   */
  expiresAt: string;
}

export interface RecipientCode {
  email: string;
  codeHash: string;
}

export type RequestActivation = Command<
  'RequestActivation',
  {
    activationId: string;
    tenantId: string;
    type: ActivationType;
    /** Tests only: `drp-test` (default) or `restore-test` (issued by the scheduler). */
    kind?: ActivationKind;
    scope: RequestedScope;
    /** The tenant's active servers with their full `dependsOn` (scope is resolved against it). */
    estate: ActivationServerSnapshot[];
    /** The plan's runbook steps (the activation runs those of its type and scope). */
    runbook?: RunbookStep[];
    requestedBy: Person;
    reason?: string | null;
    window: ActivationWindow;
    /** Required for `disaster`. */
    confirmation?: ConfirmationInput;
    at: string;
  }
>;
export type ConfirmActivation = Command<
  'ConfirmActivation',
  {
    email: string;
    /** The handler checked the code against the hash of the code sent to `email`. */
    codeValid: boolean;
    authorisedPersons: Person[];
    at: string;
  }
>;
export type ExpireConfirmation = Command<'ExpireConfirmation', { at: string }>;
export type StartScheduledActivation = Command<'StartScheduledActivation', { at: string }>;
export type EscalateAlert = Command<
  'EscalateAlert',
  {
    scope: RequestedScope;
    estate: ActivationServerSnapshot[];
    /** The plan's runbook steps, read now (the servers pulled in run those of their scope). */
    runbook?: RunbookStep[];
    confirmation: ConfirmationInput;
    by: Person;
    reason?: string | null;
    at: string;
  }
>;
export type StandDownAlert = Command<'StandDownAlert', { by: Person; reason?: string | null; at: string }>;

export type RecordServerRestoreStarted = Command<
  'RecordServerRestoreStarted',
  { serverId: string; attempt: number; restorePointId: string; restorePointTakenAt: string; at: string }
>;
export type RecordDiskRestored = Command<
  'RecordDiskRestored',
  { serverId: string; attempt: number; disk: string; at: string }
>;
export type RecordServerRestored = Command<
  'RecordServerRestored',
  { serverId: string; attempt: number; at: string }
>;
export type RecordReplicaActivated = Command<
  'RecordReplicaActivated',
  { serverId: string; attempt: number; at: string }
>;
export type RecordServerBootStarted = Command<
  'RecordServerBootStarted',
  { serverId: string; attempt: number; host: string; at: string }
>;
export type RecordServerBooted = Command<
  'RecordServerBooted',
  { serverId: string; attempt: number; at: string }
>;
export type RecordServerAnalysisStarted = Command<
  'RecordServerAnalysisStarted',
  { serverId: string; attempt: number; at: string }
>;
export type RecordServerChecked = Command<
  'RecordServerChecked',
  { serverId: string; attempt: number; health: Health; detail?: string | null; at: string }
>;
export type RecordServerStepFailed = Command<
  'RecordServerStepFailed',
  {
    serverId: string;
    attempt: number;
    step: FailedStep;
    reason: string;
    /** Set when the recovery space refused the server for lack of capacity (the cloud's reason in `reason`). */
    shortage?: CapacityShortage;
    at: string;
  }
>;
export type RecordNetworkSetupStarted = Command<'RecordNetworkSetupStarted', { at: string }>;
export type RecordNetworkReady = Command<'RecordNetworkReady', { at: string }>;
export type RecordNetworkSetupFailed = Command<'RecordNetworkSetupFailed', { reason: string; at: string }>;
export type RecordRtoBreachProjected = Command<
  'RecordRtoBreachProjected',
  { serverId: string | null; projectedMinutes: number; targetMinutes: number; at: string }
>;
export type AbortActivation = Command<'AbortActivation', { reason: string; by: Person; at: string }>;
export type RetryServer = Command<'RetryServer', { serverId: string; by: Person; at: string }>;
export type RequestClose = Command<'RequestClose', { by: Person; at: string }>;
/** The worker's check of the recovery cloud's own listing after a teardown: what is still there. */
export type RecordTeardown = Command<'RecordTeardown', { remaining: string[]; at: string }>;
export type RequestFailback = Command<
  'RequestFailback',
  {
    by: Person;
    reason?: string | null;
    /** Hostnames left out explicitly (servers not running at the recovery site). */
    exclude?: string[];
    /** The original site's state as the recovery cloud reports it: failback needs it `up`. */
    originalSite: 'down' | 'recovering' | 'up';
    /** Four eyes, as for a disaster: a code to each other authorised person. */
    confirmation: ConfirmationInput;
    at: string;
  }
>;
/** The recovery space released after every server is back (verified by the cloud's listing). */
export type RecordFailback = Command<'RecordFailback', { at: string }>;
/** Widen a live failover: new servers under a new four-eyes confirmation. */
export type WidenScope = Command<
  'WidenScope',
  {
    scope: RequestedScope;
    /** The tenant's active servers with their full `dependsOn`. */
    estate: ActivationServerSnapshot[];
    /** The plan's runbook steps, read now (the new servers run those of their scope). */
    runbook?: RunbookStep[];
    confirmation: ConfirmationInput;
    by: Person;
    reason?: string | null;
    at: string;
  }
>;
/** Start a scheduled disaster at once (outside its window), where the contract allows it. */
export type RequestEmergencyOverride = Command<
  'RequestEmergencyOverride',
  {
    reason: string;
    /** The plan's authorised persons: only one of them may ask. */
    authorisedPersons: Person[];
    confirmation: ConfirmationInput;
    by: Person;
    at: string;
  }
>;
