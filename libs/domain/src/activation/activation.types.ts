/**
 * Vocabulary of an activation (test, alert or disaster failover). Status and phase values are
 * binding: they are the public API's (see docs/api).
 */

export type ActivationType = 'test' | 'disaster' | 'alert';
/** `drp-test` and `restore-test` are tests; `failover` is an alert or a disaster. */
export type ActivationKind = 'drp-test' | 'restore-test' | 'failover';

export const ACTIVATION_STATUSES = [
  'awaiting-confirmation',
  'scheduled',
  'alert',
  'running',
  'completed',
  'completed-with-failures',
  'aborted',
  'rejected',
  'stood-down',
  'closed',
  'failback-awaiting-confirmation',
  'failing-back',
  'failed-back',
] as const;
export type ActivationStatus = (typeof ACTIVATION_STATUSES)[number];

/** A live activation holds the servers of its scope (overlap rule: see scope-claims.ts). */
export const LIVE_STATUSES: readonly ActivationStatus[] = [
  'awaiting-confirmation',
  'scheduled',
  'alert',
  'running',
  'completed',
  'completed-with-failures',
  'failback-awaiting-confirmation',
  'failing-back',
];
export const isLive = (status: ActivationStatus): boolean => LIVE_STATUSES.includes(status);

export const SERVER_PHASES = [
  'pending',
  'restoring',
  'restored',
  'booting',
  'checking',
  'ok',
  'warning',
  'failed',
  'blocked',
  'cancelled',
] as const;
export type ServerPhase = (typeof SERVER_PHASES)[number];
export const TERMINAL_PHASES: readonly ServerPhase[] = ['ok', 'warning', 'failed', 'blocked', 'cancelled'];
export const isTerminalPhase = (phase: ServerPhase): boolean => TERMINAL_PHASES.includes(phase);
/** Phases in which a server is available (its downstream servers may boot). */
export const isAvailablePhase = (phase: ServerPhase): boolean => phase === 'ok' || phase === 'warning';

export type Health = 'ok' | 'warning' | 'failed';
export type RecoveryMethod = 'backup-restore' | 'vm-replication' | 'storage-replication';
export type ProtectionClass = 'drp' | 'backup-with-tests' | 'backup-only';
export type FailedStep = 'restore' | 'boot' | 'analysis';
/**
 * What the recovery space lacked when it refused a server (placement on a host, or datastore space
 * for its disks and swap): a capacity failure, not a fault of the server itself.
 */
export const CAPACITY_SHORTAGES = ['ram', 'vcpu', 'datastore', 'anti-affinity'] as const;
export type CapacityShortage = (typeof CAPACITY_SHORTAGES)[number];
/** A server step's failure as recorded (`shortage` set when the recovery space refused it for lack of capacity). */
export interface ServerFailure {
  step: FailedStep;
  reason: string;
  attempt: number;
  at: string;
  shortage: CapacityShortage | null;
}
export type ActivationWindowKind = 'business-hours' | '24x7';

export interface Person {
  name: string;
  email: string;
}

export interface ActivationWindow {
  activationWindow: ActivationWindowKind;
  /** IANA time zone of the tenant, e.g. `Europe/Paris`. */
  timeZone: string;
  /** The tenant's contract allows an emergency override of the window (recorded only when it does). */
  emergencyOverride?: boolean;
}

/**
 * What an activation froze of one protected server when it was requested (or escalated). Events
 * carry these snapshots so that any past state is rebuilt from the activation's events alone.
 */
export interface ActivationServerSnapshot {
  serverId: string;
  hostname: string;
  osFamily: 'windows' | 'linux';
  osName: string;
  osVersion: string;
  template: { vcpu: number; ramGiB: number };
  disks: { name: string; sizeGiB: number }[];
  /** Upstream servers (hostnames) that must be available first; restricted to the scope once resolved. */
  dependsOn: string[];
  rtoMinutes: number | null;
  rpoMinutes: number | null;
  recoveryMethod: RecoveryMethod;
  protectionClass: ProtectionClass;
  antiAffinityGroup?: string | null;
}

export interface ScopeAddition {
  hostname: string;
  /** Servers of the scope that (directly) depend on it. */
  requiredBy: string[];
}

export interface ScopeExclusion {
  hostname: string;
  requiredBy: string[];
  reason: 'unknown-server' | 'not-eligible';
}

export interface ActivationScope {
  mode: 'full' | 'partial';
  /** Hostnames the requester named (empty for `full`). */
  requested: string[];
  /** Upstream dependencies pulled in by a partial scope. */
  added: ScopeAddition[];
  /** Dependencies that could not come with the scope, and why (the request says why not). */
  excluded: ScopeExclusion[];
}

/** The scope as the API receives it. */
export type RequestedScope = 'full' | { servers: string[] };

/**
 * Confirmation window of a disaster or an escalated alert, in WALL minutes (a human deadline: the
 * caller turns it into a time on the engine's clock with `Clock.afterWallTime`), and attempts allowed.
 */
export const CONFIRMATION_TTL_MINUTES = 15;
export const CONFIRMATION_ATTEMPTS = 5;
