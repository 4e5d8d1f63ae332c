import type { FailbackView } from '../activation/failback.view';
import type {
  ActivationKind,
  ActivationStatus,
  ActivationType,
  Health,
  RecoveryMethod,
  ServerFailure,
  ServerPhase,
} from '../activation/activation.types';

/**
 * The DRP test report of one activation (`GET /activations/:id/report`). The first fields of each
 * object are the binding contract (docs/api); the rest are extras. Durations are minutes with one
 * decimal; times are ISO-8601 UTC. A report is a pure function of the activation's events and the
 * tenant's details, so it can be rebuilt identically at any later time.
 */
export interface ActivationReport {
  activationId: string;
  type: ActivationType;
  customerNumber: string;
  domain: string;
  launchedAt: string | null;
  closedAt: string | null;
  firstServerAvailableAfterMinutes: number | null;
  lastServerAvailableAfterMinutes: number | null;
  summary: ReportSummary;
  servers: ReportServer[];
  correctiveActions: CorrectiveAction[];
  // extras
  kind: ActivationKind;
  status: ActivationStatus;
  /** True once the activation can no longer change (closed, failed back, aborted, rejected, stood down). */
  final: boolean;
  requestedAt: string;
  requestedBy: { name: string; email: string };
  reason: string | null;
  completedAt: string | null;
  /** When it was aborted, rejected or stood down, and why. */
  endedAt: string | null;
  endReason: string | null;
  network: { required: boolean; phase: string; readyAt: string | null; reason: string | null };
  teardown: { verifiedAt: string | null; remaining: string[] };
  /** The runbook steps, each with its bar on the timeline. */
  steps: ReportStep[];
  /** Time origin of every `timeline` minute: the launch, or the request while not launched. */
  timelineOrigin: string;
  /** Business time of the last event folded: the report is the state as of then. */
  asOf: string;
  /** The failback of a disaster: data sent back, cut-over downtime per server and in total, data loss. */
  failback: FailbackView | null;
}

export interface ReportStep {
  name: string;
  kind: string;
  status: string;
  startedAt: string | null;
  endedAt: string | null;
  detail: string | null;
  /** Its bar: from its start to its end (or now while it runs). */
  timeline: TimelineSegment[];
}

export interface ReportSummary {
  servers: number;
  windows: number;
  linux: number;
  ok: number;
  warning: number;
  failed: number;
  blocked: number;
  // extras
  cancelled: number;
  /** Servers not yet in a final phase (pending, restoring, booting, checking...). */
  inProgress: number;
  rtoMet: number;
  rtoMissed: number;
}

export interface ReportServer {
  hostname: string;
  os: { family: 'windows' | 'linux'; name: string; version: string };
  template: { vcpu: number; ramGiB: number };
  restoreMinutes: number | null;
  availableAfterMinutes: number | null;
  health: Health | null;
  rtoMinutes: number | null;
  rtoMet: boolean | null;
  /** Achieved RPO: age of the restore point used. */
  rpoMinutes: number | null;
  detail: string | null;
  /** After a failback: data sent back to the original site, and data lost (must be zero), GiB; null without a failback. */
  dataReturnedGiB: number | null;
  dataLossGiB: number | null;
  // extras
  serverId: string;
  phase: ServerPhase;
  /** Held against the RTO target: from the launch, or from when a widening brought the server in. */
  rtoMeasuredMinutes: number | null;
  /** When a widening of the failover brought the server in (null: from the start). */
  joinedAt: string | null;
  recoveryMethod: RecoveryMethod;
  dependsOn: string[];
  disks: { name: string; sizeGiB: number }[];
  attempt: number;
  host: string | null;
  restorePointId: string | null;
  restorePointTakenAt: string | null;
  rpoTargetMinutes: number | null;
  rpoMet: boolean | null;
  waitMinutes: number | null;
  bootMinutes: number | null;
  analysisMinutes: number | null;
  availableAt: string | null;
  failure: Omit<ServerFailure, 'attempt'> | null;
  blockedBy: string | null;
  /** The server's phases on the report's time axis (minutes after `timelineOrigin`). */
  timeline: TimelineSegment[];
}

/**
 * What a server was doing during a segment of its bar. Segments follow each other without gaps
 * from the launch (or the retry that started the current attempt) to the server's last step.
 */
export type TimelinePhase =
  | 'earlier-attempt'
  | 'restore-queue'
  | 'restore'
  | 'wait'
  | 'queued'
  | 'boot'
  | 'analysis'
  | 'at-recovery'
  | 'reverse-sync'
  | 'cut-over'
  | 'runbook-step';

/** Every phase, in the order a server goes through them, with what it means (legend, tooltips). */
export const TIMELINE_PHASES: ReadonlyArray<{ phase: TimelinePhase; label: string }> = [
  { phase: 'earlier-attempt', label: 'Earlier attempt (failed, then retried)' },
  { phase: 'restore-queue', label: 'Waiting for a restore slot' },
  { phase: 'restore', label: 'Restore' },
  { phase: 'wait', label: 'Waiting for upstream servers' },
  { phase: 'queued', label: 'Queued for its next step' },
  { phase: 'boot', label: 'Boot' },
  { phase: 'analysis', label: 'Analysis (health check)' },
  { phase: 'runbook-step', label: 'Runbook step' },
  { phase: 'at-recovery', label: 'Running at the recovery site' },
  { phase: 'reverse-sync', label: 'Failback: synchronising back to the original site' },
  { phase: 'cut-over', label: 'Failback: cut-over (stopped, final delta, start at the original site)' },
];

export interface TimelineSegment {
  phase: TimelinePhase;
  startMinutes: number;
  /** null while the phase is still under way. */
  endMinutes: number | null;
  outcome: 'done' | 'failed' | 'running' | 'cancelled';
}

export type CorrectiveActionCode =
  | 'restore-failed'
  | 'boot-failed'
  | 'analysis-failed'
  | 'capacity-shortage'
  | 'health-warning'
  | 'rto-breach'
  | 'rpo-breach'
  | 'blocked'
  | 'network-failed'
  | 'resources-left'
  | 'aborted'
  | 'dependency-excluded'
  | 'runbook-step-failed';

export interface CorrectiveAction {
  hostname?: string;
  action: string;
  // extra
  code: CorrectiveActionCode;
  /** The request that carries the action out, when Reprise can (e.g. an on-demand restore test). */
  request?: { method: 'POST'; path: string; body: Record<string, unknown> };
}

/** What the report needs from the tenant. */
export interface ReportTenant {
  customerNumber: string;
  domain: string;
}
