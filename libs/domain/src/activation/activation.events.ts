import type { DomainEvent } from '@reprise/domain/shared/decider';
import type { RecipientCode } from './activation.commands';
import type { FailbackEvent } from './failback.events';
import type {
  ActivationKind,
  ActivationScope,
  ActivationServerSnapshot,
  ActivationType,
  ActivationWindow,
  CapacityShortage,
  FailedStep,
  Health,
  Person,
  RecoveryMethod,
  ScopeAddition,
  ScopeExclusion,
} from './activation.types';
import type { ActivationStepSnapshot, RunbookStepEvent, StepGate } from './runbook-steps';

/**
 * Events of one activation stream (`tenant/<t>/activation/<id>`). Every event's data carries its
 * business time `at`, so `?asOf=` replays from events alone. The one-time confirmation code NEVER
 * appears in any event: only its salted hash.
 */
export type ActivationEvent =
  | ActivationRequested
  | ActivationStarted
  | AlertRaised
  | ConfirmationRequested
  | ConfirmationAttemptFailed
  | ActivationConfirmed
  | ActivationRejected
  | ActivationScheduled
  | AlertEscalated
  | AlertStoodDown
  | ServerRestoreStarted
  | DiskRestored
  | ServerRestored
  | ReplicaActivated
  | ServerBootStarted
  | ServerBooted
  | ServerAnalysisStarted
  | ServerChecked
  | ServerStepFailed
  | ServerBlocked
  | NetworkSetupStarted
  | NetworkReady
  | NetworkSetupFailed
  | RtoBreachProjected
  | ActivationCompleted
  | ActivationAborted
  | ServerRetryRequested
  | CloseRequested
  | TeardownVerified
  | TeardownIncomplete
  | ActivationClosed
  | FailbackRequested
  | ActivationFailedBack
  | RunbookStepEvent
  | FailbackEvent
  | ScopeWideningRequested
  | ScopeWideningConfirmed
  | ScopeWideningRejected
  | EmergencyOverrideRequested
  | EmergencyOverrideConfirmed
  | EmergencyOverrideRejected;

export type ActivationEventType = ActivationEvent['type'];

export type ActivationRequested = DomainEvent<
  'ActivationRequested',
  {
    activationId: string;
    tenantId: string;
    type: ActivationType;
    kind: ActivationKind;
    scope: ActivationScope;
    servers: ActivationServerSnapshot[];
    requestedBy: Person;
    reason: string | null;
    requestedAt: string;
    window: ActivationWindow;
    /** Network and user reconnection (DRP tests and failovers, not restore tests). */
    withNetwork: boolean;
    /** The plan's runbook steps this activation runs (absent in events before runbooks existed). */
    steps?: ActivationStepSnapshot[];
    at: string;
  }
>;
export type ActivationStarted = DomainEvent<'ActivationStarted', { at: string }>;
export type AlertRaised = DomainEvent<'AlertRaised', { at: string }>;
export type ConfirmationRequested = DomainEvent<
  'ConfirmationRequested',
  {
    /** Salted hash of each recipient's own one-time code (never a code). */
    codes?: RecipientCode[];
    /** Events recorded before per-recipient codes: one code hash for every recipient. */
    codeHash?: string;
    expiresAt: string;
    /** E-mails of the authorised persons a code goes to. */
    recipients: string[];
    attemptsAllowed: number;
    /** Who asked for the failover (requester or escalator): may not confirm it. */
    requestedBy: Person;
    at: string;
  }
>;
export type ConfirmationAttemptFailed = DomainEvent<
  'ConfirmationAttemptFailed',
  { email: string; attemptsLeft: number; at: string }
>;
export type ActivationConfirmed = DomainEvent<'ActivationConfirmed', { by: Person; at: string }>;
export type ActivationRejected = DomainEvent<
  'ActivationRejected',
  { reason: 'too-many-wrong-codes' | 'confirmation-expired'; at: string }
>;
export type ActivationScheduled = DomainEvent<'ActivationScheduled', { startsAt: string; at: string }>;
export type AlertEscalated = DomainEvent<
  'AlertEscalated',
  {
    scope: ActivationScope;
    servers: ActivationServerSnapshot[];
    /** Servers of the alert's scope left out of the failover (their pre-staged restores are discarded). */
    removed: string[];
    /** Runbook steps the servers pulled in bring (see `stepsJoining`); absent before they were recorded. */
    steps?: ActivationStepSnapshot[];
    stepGates?: StepGate[];
    by: Person;
    reason: string | null;
    at: string;
  }
>;
export type AlertStoodDown = DomainEvent<'AlertStoodDown', { by: Person; reason: string | null; at: string }>;

export type ServerRestoreStarted = DomainEvent<
  'ServerRestoreStarted',
  {
    serverId: string;
    attempt: number;
    method: RecoveryMethod;
    restorePointId: string;
    restorePointTakenAt: string;
    /** Age of the restore point when the restore started (achieved RPO), minutes. */
    rpoMinutes: number;
    /** Started while the activation was an alert (pre-staging). */
    prestaged: boolean;
    at: string;
  }
>;
export type DiskRestored = DomainEvent<
  'DiskRestored',
  { serverId: string; attempt: number; disk: string; at: string }
>;
export type ServerRestored = DomainEvent<'ServerRestored', { serverId: string; attempt: number; at: string }>;
export type ReplicaActivated = DomainEvent<
  'ReplicaActivated',
  { serverId: string; attempt: number; at: string }
>;
export type ServerBootStarted = DomainEvent<
  'ServerBootStarted',
  { serverId: string; attempt: number; host: string; at: string }
>;
export type ServerBooted = DomainEvent<'ServerBooted', { serverId: string; attempt: number; at: string }>;
export type ServerAnalysisStarted = DomainEvent<
  'ServerAnalysisStarted',
  { serverId: string; attempt: number; at: string }
>;
export type ServerChecked = DomainEvent<
  'ServerChecked',
  { serverId: string; attempt: number; health: Health; detail: string | null; at: string }
>;
export type ServerStepFailed = DomainEvent<
  'ServerStepFailed',
  {
    serverId: string;
    step: FailedStep;
    reason: string;
    attempt: number;
    /** The recovery space refused the server for lack of capacity (absent in events before it existed). */
    shortage?: CapacityShortage;
    at: string;
  }
>;
export type ServerBlocked = DomainEvent<
  'ServerBlocked',
  { serverId: string; blockedBy: string; blockedByServerId: string; reason: string; at: string }
>;
export type NetworkSetupStarted = DomainEvent<'NetworkSetupStarted', { at: string }>;
export type NetworkReady = DomainEvent<'NetworkReady', { at: string }>;
export type NetworkSetupFailed = DomainEvent<'NetworkSetupFailed', { reason: string; at: string }>;
export type RtoBreachProjected = DomainEvent<
  'RtoBreachProjected',
  { serverId: string | null; projectedMinutes: number; targetMinutes: number; at: string }
>;
export type ActivationCompleted = DomainEvent<
  'ActivationCompleted',
  { status: 'completed' | 'completed-with-failures'; at: string }
>;
export type ActivationAborted = DomainEvent<
  'ActivationAborted',
  { reason: string; by: Person; cancelled: string[]; at: string }
>;
export type ServerRetryRequested = DomainEvent<
  'ServerRetryRequested',
  {
    serverId: string;
    attempt: number;
    /** Phase the server runs again from: a restore failure restores again, anything later reboots. */
    resumeFrom: 'pending' | 'restored';
    /** Downstream servers no longer blocked. */
    unblocked: string[];
    /** Downstream servers still blocked, now by another failed server. */
    reblocked: { serverId: string; blockedBy: string; blockedByServerId: string }[];
    by: Person;
    at: string;
  }
>;
export type CloseRequested = DomainEvent<'CloseRequested', { by: Person; at: string }>;
export type TeardownVerified = DomainEvent<'TeardownVerified', { remaining: string[]; at: string }>;
export type TeardownIncomplete = DomainEvent<
  'TeardownIncomplete',
  { remaining: string[]; attempt: number; at: string }
>;
export type ActivationClosed = DomainEvent<'ActivationClosed', { at: string }>;
/**
 * A failback asked for (then confirmed by four eyes). Events recorded before failback was a process
 * carry `by` and `at` only: that failback was a teardown of the recovery space.
 */
export type FailbackRequested = DomainEvent<
  'FailbackRequested',
  {
    by: Person;
    reason?: string | null;
    /** 1, then +1 for a failback asked again after an incomplete, aborted or rejected one. */
    attempt?: number;
    /** Servers that go back in this failback (running at the recovery site, not yet back). */
    servers?: string[];
    /** Servers explicitly left out (not running at the recovery site). */
    excluded?: string[];
    at: string;
  }
>;
export type ActivationFailedBack = DomainEvent<'ActivationFailedBack', { at: string }>;

/**
 * A live failover widened (`POST /activations/:id/scope`): the new servers (requested, and the
 * upstream dependencies pulled in) wait for their own four-eyes confirmation, with a code per
 * authorised person as for a disaster, while the servers already in the failover go on.
 */
export type ScopeWideningRequested = DomainEvent<
  'ScopeWideningRequested',
  {
    /** 1 for the first widening of the activation, then 2… */
    widening: number;
    mode: 'full' | 'partial';
    /** New servers the requester named (for `full`: every new one). */
    requested: string[];
    /** New upstream dependencies pulled in, with the servers that need them. */
    added: ScopeAddition[];
    /** Dependencies that could not come, and why. */
    excluded: ScopeExclusion[];
    /** Snapshots of every new server (`dependsOn` restricted to the activation's servers). */
    servers: ActivationServerSnapshot[];
    /** Runbook steps the new servers bring (see `stepsJoining`); absent before they were recorded. */
    steps?: ActivationStepSnapshot[];
    stepGates?: StepGate[];
    confirmation: ConfirmationData;
    by: Person;
    reason: string | null;
    at: string;
  }
>;
export type ScopeWideningConfirmed = DomainEvent<
  'ScopeWideningConfirmed',
  { widening: number; by: Person; at: string }
>;
export type ScopeWideningRejected = DomainEvent<
  'ScopeWideningRejected',
  {
    widening: number;
    reason: 'too-many-wrong-codes' | 'confirmation-expired';
    /** The new servers, no longer claimed by the activation. */
    serverIds: string[];
    at: string;
  }
>;

/** As a disaster's `ConfirmationRequested`: each recipient's code hash, never a code. */
export interface ConfirmationData {
  codes: RecipientCode[];
  expiresAt: string;
  recipients: string[];
  attemptsAllowed: number;
  requestedBy: Person;
}

/**
 * A disaster declared outside its business-hours window waits `scheduled` (its disks pre-staged):
 * where the tenant's contract allows it, an authorised person asks to start it at once, with a
 * reason, and another authorised person confirms with their own code.
 */
export type EmergencyOverrideRequested = DomainEvent<
  'EmergencyOverrideRequested',
  { reason: string; by: Person; confirmation: ConfirmationData; at: string }
>;
export type EmergencyOverrideConfirmed = DomainEvent<
  'EmergencyOverrideConfirmed',
  { by: Person; at: string }
>;
export type EmergencyOverrideRejected = DomainEvent<
  'EmergencyOverrideRejected',
  { reason: 'too-many-wrong-codes' | 'confirmation-expired'; at: string }
>;
