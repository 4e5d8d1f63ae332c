import type { ActivationState, NetworkState, OverrideState } from './activation.state';
import type {
  ActivationKind,
  ActivationScope,
  ActivationStatus,
  ActivationType,
  Health,
  Person,
  RecoveryMethod,
  ServerFailure,
  ServerPhase,
} from './activation.types';
import type { ReprotectionState } from './failback.state';
import { toFailbackView, type FailbackView } from './failback.view';
import { activationRto, serverTimings, type ActivationRto, type StepEstimates } from './rto';
import { stepStatus, type RunbookStepState, type RunbookStepStatus } from './runbook-steps';
import type { RunbookStepKind } from '../plan/runbook';

/** `GET /activations/:id`: the contract's fields, then extras. */
export interface ActivationView {
  id: string;
  type: ActivationType;
  status: ActivationStatus;
  scope: ActivationScope;
  requestedBy: Person;
  confirmedBy: (Person & { at: string }) | null;
  launchedAt: string | null;
  completedAt: string | null;
  closedAt: string | null;
  servers: ActivationServerView[];
  rto: ActivationRto;
  // extras
  tenantId: string;
  kind: ActivationKind;
  reason: string | null;
  requestedAt: string;
  startsAt: string | null;
  confirmationExpiresAt: string | null;
  endedAt: string | null;
  endReason: string | null;
  network: NetworkState;
  teardown: { requestedAt: string | null; remaining: string[]; verifiedAt: string | null };
  failbackRequestedAt: string | null;
  /** The failback (reverse sync, cut-over, what is left), its current or last attempt. */
  failback: FailbackView | null;
  /** After a failback: the new full restore points due. */
  reprotection: ReprotectionState | null;
  /** Widenings of a live failover (the last may await its confirmation, until `expiresAt`). */
  widenings: WideningView[];
  /** The last emergency override of the activation window asked for (`expiresAt` while awaited). */
  override: (OverrideState & { expiresAt: string | null }) | null;
  /** The tenant's contract allowed an emergency override of the window when it was requested. */
  emergencyOverrideAllowed: boolean;
  counts: Record<ServerPhase, number>;
  updatedAt: string;
  /** The runbook steps it runs, in plan order. */
  steps: ActivationStepView[];
}

export interface ActivationStepView {
  name: string;
  kind: RunbookStepKind;
  status: RunbookStepStatus;
  startedAt: string | null;
  endedAt: string | null;
  detail: string | null;
  // extras
  after: string[];
  onFailure: 'block' | 'continue';
  attempt: number;
  blockedBy: string | null;
  instructions: string | null;
}

export const toStepView = (x: RunbookStepState, activation?: ActivationStatus): ActivationStepView => ({
  name: x.snapshot.name,
  kind: x.snapshot.kind,
  status: stepStatus(x, activation),
  startedAt: x.startedAt,
  endedAt: x.endedAt ?? x.cancelledAt,
  detail: x.detail,
  after: x.snapshot.after,
  onFailure: x.snapshot.onFailure,
  attempt: x.attempt,
  blockedBy: x.blockedBy,
  instructions: x.snapshot.kind === 'manual' ? x.snapshot.instructions : null,
});

export interface WideningView {
  widening: number;
  status: 'awaiting-confirmation' | 'confirmed' | 'rejected';
  /** Every new server, then what the requester named and what was pulled in. */
  servers: string[];
  requested: string[];
  added: ActivationScope['added'];
  requestedBy: Person;
  requestedAt: string;
  reason: string | null;
  expiresAt: string | null;
  confirmedBy: (Person & { at: string }) | null;
  rejected: { reason: string; at: string } | null;
}

export interface ActivationServerView {
  serverId: string;
  hostname: string;
  phase: ServerPhase;
  restoreStartedAt: string | null;
  restoredAt: string | null;
  bootStartedAt: string | null;
  availableAt: string | null;
  availableAfterMinutes: number | null;
  rtoMinutes: number | null;
  rtoMet: boolean | null;
  /** Achieved RPO: age of the restore point used. */
  rpoMinutes: number | null;
  health: Health | null;
  detail: string | null;
  // extras
  osFamily: 'windows' | 'linux';
  osName: string;
  osVersion: string;
  recoveryMethod: RecoveryMethod;
  dependsOn: string[];
  attempt: number;
  host: string | null;
  prestaged: boolean;
  restorePointId: string | null;
  restorePointTakenAt: string | null;
  rpoTargetMinutes: number | null;
  rpoMet: boolean | null;
  restoreMinutes: number | null;
  waitMinutes: number | null;
  bootMinutes: number | null;
  analysisMinutes: number | null;
  failure: ServerFailure | null;
  blockedBy: string | null;
  rtoBreachProjectedAt: string | null;
  /** When a widening brought it into the failover (its RTO counts from then); null from the start. */
  joinedAt: string | null;
}

/**
 * The read model of one activation, from its state alone (so `?asOf=` is `toActivationView(fold(events
 * up to t))`). `now` (default: the last event's time) and `estimates` feed the projected last-server time.
 */
export function toActivationView(
  state: ActivationState,
  options: { now?: string; estimates?: StepEstimates } = {},
): ActivationView | null {
  if (!state.exists) return null;
  const s = state;
  const counts = Object.fromEntries(
    (
      [
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
      ] as ServerPhase[]
    ).map((p) => [p, 0]),
  ) as Record<ServerPhase, number>;
  const servers = s.servers.map((x): ActivationServerView => {
    counts[x.phase]++;
    const t = serverTimings(s, x);
    const snap = x.snapshot;
    return {
      serverId: snap.serverId,
      hostname: snap.hostname,
      phase: x.phase,
      restoreStartedAt: x.restoreStartedAt,
      restoredAt: x.restoredAt,
      bootStartedAt: x.bootStartedAt,
      availableAt: t.availableAt,
      availableAfterMinutes: t.availableAfterMinutes,
      rtoMinutes: t.rtoMinutes,
      rtoMet: t.rtoMet,
      rpoMinutes: t.rpoMinutes,
      health: x.health ?? (x.phase === 'failed' ? 'failed' : null),
      detail:
        x.phase === 'blocked'
          ? x.blockedBy!.reason
          : x.phase === 'failed' && x.failure
            ? x.failure.reason
            : x.detail,
      osFamily: snap.osFamily,
      osName: snap.osName,
      osVersion: snap.osVersion,
      recoveryMethod: snap.recoveryMethod,
      dependsOn: snap.dependsOn,
      attempt: x.attempt,
      host: x.host,
      prestaged: x.prestaged,
      restorePointId: x.restorePointId,
      restorePointTakenAt: x.restorePointTakenAt,
      rpoTargetMinutes: t.rpoTargetMinutes,
      rpoMet: t.rpoMet,
      restoreMinutes: t.restoreMinutes,
      waitMinutes: t.waitMinutes,
      bootMinutes: t.bootMinutes,
      analysisMinutes: t.analysisMinutes,
      failure: x.failure,
      blockedBy: x.blockedBy?.hostname ?? null,
      rtoBreachProjectedAt: x.rtoBreachProjectedAt,
      joinedAt: x.joinedAt,
    };
  });
  return {
    id: s.id,
    type: s.type,
    status: s.status,
    scope: s.scope,
    requestedBy: s.requestedBy,
    confirmedBy: s.confirmedBy,
    launchedAt: s.launchedAt,
    completedAt: s.completedAt,
    closedAt: s.closedAt,
    servers,
    rto: activationRto(s, { now: options.now ?? s.updatedAt, estimates: options.estimates }),
    tenantId: s.tenantId,
    kind: s.kind,
    reason: s.reason,
    requestedAt: s.requestedAt,
    startsAt: s.startsAt,
    confirmationExpiresAt:
      s.status === 'awaiting-confirmation' || s.status === 'failback-awaiting-confirmation'
        ? (s.confirmation?.expiresAt ?? null)
        : null,
    endedAt: s.endedAt,
    endReason: s.endReason,
    network: s.network,
    teardown: {
      requestedAt: s.close?.requestedAt ?? null,
      remaining: s.teardown.remaining,
      verifiedAt: s.teardown.verifiedAt,
    },
    failbackRequestedAt: s.failback?.requestedAt ?? null,
    failback: toFailbackView(s),
    reprotection: s.reprotection,
    widenings: s.widenings.map((w) => ({
      widening: w.widening,
      status: w.status,
      servers: w.servers.map((x) => x.hostname),
      requested: w.requested,
      added: w.added,
      requestedBy: w.by,
      requestedAt: w.requestedAt,
      reason: w.reason,
      expiresAt: w.status === 'awaiting-confirmation' ? (s.confirmation?.expiresAt ?? null) : null,
      confirmedBy: w.confirmedBy,
      rejected: w.rejected,
    })),
    override: s.override && {
      ...s.override,
      expiresAt: s.override.status === 'awaiting-confirmation' ? (s.confirmation?.expiresAt ?? null) : null,
    },
    emergencyOverrideAllowed: s.window.emergencyOverride === true,
    counts,
    updatedAt: s.updatedAt,
    steps: (s.steps ?? []).map((x) => toStepView(x, s.status)),
  };
}
