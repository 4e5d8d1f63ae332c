import type { Activation, ServerState } from '../activation/activation.state';
import { toFailbackView, type FailbackServerView } from '../activation/failback.view';
import { failbackTimeline } from './failback-timeline';
import { activationRto, serverTimings, type ServerTimings } from '../activation/rto';
import { round1, toMillis } from '../activation/time';
import type { RunbookStepState } from '../activation/runbook-steps';
import { toStepView } from '../activation/view';
import {
  isTerminalPhase,
  type ActivationStatus,
  type CapacityShortage,
} from '../activation/activation.types';
import type {
  ActivationReport,
  CorrectiveAction,
  ReportServer,
  ReportStep,
  ReportSummary,
  ReportTenant,
  TimelinePhase,
  TimelineSegment,
} from './report.types';

const FINAL_STATUSES: readonly ActivationStatus[] = [
  'closed',
  'failed-back',
  'aborted',
  'rejected',
  'stood-down',
];

/**
 * The DRP test report of an activation, from its folded state and the tenant's details. Pure and
 * deterministic (no clock): the same events always give the same report, so a report can be rebuilt
 * from the events alone at any later time, and a live report is the same function applied to the
 * events recorded so far.
 */
export function buildReport(activation: Activation, tenant: ReportTenant): ActivationReport {
  const s = activation;
  const origin = s.launchedAt ?? s.requestedAt;
  const timings = s.servers.map((x) => serverTimings(s, x));
  const failback = toFailbackView(s);
  const servers = s.servers.map((x, i) => {
    const server = reportServer(s, x, timings[i], origin);
    const back = failback?.servers.find((y) => y.serverId === x.snapshot.serverId);
    return back ? withFailback(s, server, back, origin) : server;
  });
  const rto = activationRto(s);
  return {
    activationId: s.id,
    type: s.type,
    customerNumber: tenant.customerNumber,
    domain: tenant.domain,
    launchedAt: s.launchedAt,
    closedAt: s.closedAt,
    firstServerAvailableAfterMinutes: rto.firstServerAvailableAfterMinutes,
    lastServerAvailableAfterMinutes: rto.lastServerAvailableAfterMinutes,
    summary: summarise(servers),
    servers,
    correctiveActions: [...correctiveActions(s, servers), ...stepActions(s)],
    kind: s.kind,
    status: s.status,
    final: FINAL_STATUSES.includes(s.status),
    requestedAt: s.requestedAt,
    requestedBy: { name: s.requestedBy.name, email: s.requestedBy.email },
    reason: s.reason,
    completedAt: s.completedAt,
    endedAt: s.endedAt,
    endReason: s.endReason,
    network: {
      required: s.withNetwork,
      phase: s.network.phase,
      readyAt: s.network.readyAt,
      reason: s.network.reason,
    },
    teardown: { verifiedAt: s.teardown.verifiedAt, remaining: [...s.teardown.remaining] },
    steps: (s.steps ?? []).map((x) => reportStep(x, s.status, origin)),
    timelineOrigin: origin,
    asOf: s.updatedAt,
    failback,
  };
}

/** A server's report with its way back: data returned and lost, and its failback on the same timeline. */
function withFailback(
  s: Activation,
  server: ReportServer,
  x: FailbackServerView,
  origin: string,
): ReportServer {
  return {
    ...server,
    dataReturnedGiB: x.dataReturnedGiB,
    dataLossGiB: x.dataLossGiB,
    timeline: [...server.timeline, ...failbackTimeline(s, x, server.availableAt, origin)],
  };
}

function reportStep(x: RunbookStepState, status: ActivationStatus, origin: string): ReportStep {
  const view = toStepView(x, status);
  const o = toMillis(origin);
  const m = (iso: string) => round1((toMillis(iso) - o) / 60_000);
  const outcome: TimelineSegment['outcome'] =
    view.status === 'done'
      ? 'done'
      : view.status === 'failed'
        ? 'failed'
        : view.endedAt
          ? 'cancelled'
          : 'running';
  return {
    name: view.name,
    kind: view.kind,
    status: view.status,
    startedAt: view.startedAt,
    endedAt: view.endedAt,
    detail: view.detail,
    timeline: view.startedAt
      ? [
          {
            phase: 'runbook-step',
            startMinutes: m(view.startedAt),
            endMinutes: view.endedAt ? m(view.endedAt) : null,
            outcome,
          },
        ]
      : [],
  };
}

/** A failed runbook step, and what it blocked, as a corrective action. */
function stepActions(s: Activation): CorrectiveAction[] {
  return (s.steps ?? [])
    .filter((x) => x.outcome === 'failed')
    .map((x) => {
      const blocked = (s.steps ?? [])
        .filter((y) => y.blockedBy === x.snapshot.name)
        .map((y) => y.snapshot.name);
      const servers = s.servers
        .filter((y) => y.blockedBy?.hostname === x.snapshot.name)
        .map((y) => y.snapshot.hostname);
      const what = [...blocked, ...servers];
      return {
        code: 'runbook-step-failed' as const,
        action: `runbook step ${x.snapshot.name} (${x.snapshot.kind}) failed${x.detail ? ` (${x.detail})` : ''}${x.snapshot.onFailure === 'block' && what.length ? `; it blocked ${what.join(', ')}` : ''}: fix it and retry the step, or review the runbook.`,
      };
    });
}

function reportServer(s: Activation, x: ServerState, t: ServerTimings, origin: string): ReportServer {
  const snap = x.snapshot;
  const health = x.health ?? (x.phase === 'failed' ? 'failed' : null);
  const detail =
    x.phase === 'blocked' && x.blockedBy
      ? x.blockedBy.reason
      : x.phase === 'failed' && x.failure
        ? x.failure.reason
        : x.detail;
  return {
    hostname: snap.hostname,
    os: { family: snap.osFamily, name: snap.osName, version: snap.osVersion },
    template: { vcpu: snap.template.vcpu, ramGiB: snap.template.ramGiB },
    restoreMinutes: t.restoreMinutes,
    availableAfterMinutes: t.availableAfterMinutes,
    health,
    rtoMinutes: t.rtoMinutes,
    rtoMet: t.rtoMet,
    rpoMinutes: t.rpoMinutes,
    detail,
    dataReturnedGiB: null,
    dataLossGiB: null,
    serverId: snap.serverId,
    phase: x.phase,
    rtoMeasuredMinutes: t.rtoMeasuredMinutes,
    joinedAt: x.joinedAt,
    recoveryMethod: snap.recoveryMethod,
    dependsOn: [...snap.dependsOn],
    disks: snap.disks.map((d) => ({ name: d.name, sizeGiB: d.sizeGiB })),
    attempt: x.attempt,
    host: x.host,
    restorePointId: x.restorePointId,
    restorePointTakenAt: x.restorePointTakenAt,
    rpoTargetMinutes: t.rpoTargetMinutes,
    rpoMet: t.rpoMet,
    waitMinutes: t.waitMinutes,
    bootMinutes: t.bootMinutes,
    analysisMinutes: t.analysisMinutes,
    availableAt: t.availableAt,
    failure: x.failure
      ? { step: x.failure.step, reason: x.failure.reason, at: x.failure.at, shortage: x.failure.shortage }
      : null,
    blockedBy: x.blockedBy?.hostname ?? null,
    timeline: timeline(s, x, origin),
  };
}

/**
 * The server's bar on the report's time axis (minutes after `origin`): its steps (restore, boot,
 * analysis) and, between them, what it was waiting for, so that every minute from the launch (or
 * from the retry that started its current attempt) to its last step says what it was:
 * - `restore-queue`: launched, its restore not started yet (restores in flight are bounded);
 * - `wait`: restored, some of its upstream servers (in scope) not available yet;
 * - `queued`: free to go on, its next step not started yet (the engine's queue, placement);
 * - `earlier-attempt`: a failed attempt, until the retry that started the current one.
 * A wait still under way is drawn up to now while the activation runs.
 */
export function timeline(s: Activation, x: ServerState, origin: string): TimelineSegment[] {
  const o = toMillis(origin);
  const m = (iso: string) => round1((toMillis(iso) - o) / 60_000);
  const failure = x.failure;
  const segments: TimelineSegment[] = [];
  const step = (phase: TimelinePhase, start: string | null, end: string | null, failedHere: boolean) => {
    if (!start) return;
    if (end) {
      segments.push({
        phase,
        startMinutes: m(start),
        endMinutes: m(end),
        outcome: failedHere ? 'failed' : 'done',
      });
    } else if (failedHere && failure) {
      segments.push({ phase, startMinutes: m(start), endMinutes: m(failure.at), outcome: 'failed' });
    } else if (x.cancelledAt) {
      segments.push({ phase, startMinutes: m(start), endMinutes: m(x.cancelledAt), outcome: 'cancelled' });
    } else {
      segments.push({ phase, startMinutes: m(start), endMinutes: null, outcome: 'running' });
    }
  };
  // How far the bar has got: the launch, then the end of each step.
  let cursor = origin;
  const later = (a: string, b: string) => (toMillis(b) > toMillis(a) ? b : a);
  const earlier = (a: string, b: string) => (toMillis(b) < toMillis(a) ? b : a);
  const push = (phase: TimelinePhase, until: string | null, outcome: TimelineSegment['outcome']) =>
    segments.push({ phase, startMinutes: m(cursor), endMinutes: until === null ? null : m(until), outcome });
  /** The failed attempt before a retry that falls before `until` is drawn first. */
  const earlierAttempt = (until: string) => {
    const retry = x.retriedAt;
    if (!retry || toMillis(retry) <= toMillis(cursor) || toMillis(retry) > toMillis(until)) return;
    push('earlier-attempt', retry, 'failed');
    cursor = retry;
  };
  /** Fills the bar up to `until` with what the server was waiting for. */
  const gap = (phase: TimelinePhase, until: string) => {
    earlierAttempt(until);
    if (toMillis(until) > toMillis(cursor)) push(phase, until, 'done');
    cursor = later(cursor, until);
  };
  /** A wait that is not over: up to now while the activation runs, or up to what ended it. */
  const openGap = (phase: TimelinePhase) => {
    const endedAt = x.cancelledAt ?? x.blockedBy?.at ?? null;
    if (endedAt) {
      earlierAttempt(endedAt);
      if (toMillis(endedAt) > toMillis(cursor)) push(phase, endedAt, 'cancelled');
    } else if (s.status === 'running') {
      earlierAttempt(s.updatedAt);
      push(phase, null, 'running');
    }
  };

  if (x.restoreStartedAt) {
    gap('restore-queue', x.restoreStartedAt);
    step('restore', x.restoreStartedAt, x.restoredAt, failure?.step === 'restore');
    if (!x.restoredAt) return segments;
    cursor = later(cursor, x.restoredAt);
  } else if (x.snapshot.recoveryMethod === 'backup-restore' && !x.bootStartedAt) {
    if (s.launchedAt) openGap('restore-queue');
    return segments;
  }
  const upstream = x.snapshot.dependsOn
    .map((h) => s.servers.find((u) => u.snapshot.hostname === h))
    .filter((u): u is ServerState => !!u);
  if (upstream.length) {
    const available = (u: ServerState) => !!u.checkedAt && (u.health === 'ok' || u.health === 'warning');
    const ready = upstream.every(available) ? upstream.map((u) => u.checkedAt!).reduce(later) : null;
    // It waited until its last upstream server was available (at most until it booted).
    const waited = ready && x.bootStartedAt ? earlier(ready, x.bootStartedAt) : (ready ?? x.bootStartedAt);
    if (!waited) {
      openGap('wait');
      return segments;
    }
    gap('wait', waited);
  }
  if (!x.bootStartedAt) {
    openGap('queued');
    return segments;
  }
  gap('queued', x.bootStartedAt);
  step('boot', x.bootStartedAt, x.bootedAt, failure?.step === 'boot');
  if (!x.bootedAt) return segments;
  cursor = later(cursor, x.bootedAt);
  const analysisStart = x.analysisStartedAt ?? x.bootedAt;
  gap('queued', analysisStart);
  step('analysis', analysisStart, x.checkedAt, failure?.step === 'analysis' || x.health === 'failed');
  return segments;
}

function summarise(servers: ReportServer[]): ReportSummary {
  const count = (f: (x: ReportServer) => boolean) => servers.filter(f).length;
  return {
    servers: servers.length,
    windows: count((x) => x.os.family === 'windows'),
    linux: count((x) => x.os.family === 'linux'),
    ok: count((x) => x.phase === 'ok'),
    warning: count((x) => x.phase === 'warning'),
    failed: count((x) => x.phase === 'failed'),
    blocked: count((x) => x.phase === 'blocked'),
    cancelled: count((x) => x.phase === 'cancelled'),
    inProgress: count((x) => !isTerminalPhase(x.phase)),
    rtoMet: count((x) => x.rtoMet === true),
    rtoMissed: count((x) => x.rtoMet === false),
  };
}

const STEP_ADVICE: Record<'restore' | 'boot' | 'analysis', (host: string) => string> = {
  restore: (h) =>
    `check the backups of ${h} (last restore point, backup job logs, encryption key) and the recovery-space datastores, then retry the server or run a restore test of it (POST /api/v1/activations {"type": "restore-test", "scope": {"servers": ["${h}"]}})`,
  boot: (h) =>
    `check the template (vCPU/RAM), disk drivers and boot configuration of ${h} for the recovery space, then retry the server`,
  analysis: (h) =>
    `restart the services of ${h} that did not come back, record the manual steps in the DRP procedure, then retry the server`,
};

/** An on-demand restore test of one server: what the "run a restore test" advice points at. */
const restoreTestRequest = (hostname: string): NonNullable<CorrectiveAction['request']> => ({
  method: 'POST',
  path: '/api/v1/activations',
  body: { type: 'restore-test', scope: { servers: [hostname] } },
});

/** What to do when the recovery space refused a server for lack of capacity (not a fault of the server). */
const SHORTAGE_ADVICE: Record<CapacityShortage, (host: string) => string> = {
  ram: (h) =>
    `the recovery space has too little RAM under its cap for ${h}: add hosts or RAM to the recovery space (or raise the cap with the provider), stop what else runs there, or lower the RAM of its template`,
  vcpu: (h) =>
    `the recovery hosts have too few vCPU left for ${h}: add hosts to the recovery space or lower the vCPU of its template`,
  datastore: (h) =>
    `the recovery datastores lack space for ${h} (its disks plus a swap file the size of its RAM): free or add datastore space in the recovery space`,
  'anti-affinity': (h) =>
    `every recovery host with room already runs a member of the anti-affinity group of ${h}: add a host to the recovery space or review the group`,
};

/**
 * Corrective actions derived from what happened, in a stable order: per server in scope order
 * (failure, warning, blocked, RTO breach, RPO breach), then activation-level findings.
 */
export function correctiveActions(s: Activation, servers: ReportServer[]): CorrectiveAction[] {
  const actions: CorrectiveAction[] = [];
  for (const x of servers) {
    const h = x.hostname;
    if (x.phase === 'failed' && x.failure?.shortage) {
      actions.push({
        hostname: h,
        code: 'capacity-shortage',
        action: `the recovery space refused the ${x.failure.step === 'restore' ? 'restore' : 'placement'} of ${h} for lack of capacity (${x.failure.reason}): ${SHORTAGE_ADVICE[x.failure.shortage](h)}; then retry the server. The readiness check (POST /plan/check) shows the capacity the whole plan needs.`,
      });
    } else if (x.phase === 'failed') {
      const step = x.failure?.step ?? 'analysis';
      const what =
        step === 'restore' ? 'restore failed' : step === 'boot' ? 'did not boot' : 'failed its health check';
      const reason = x.failure?.reason ?? x.detail;
      actions.push({
        hostname: h,
        code: `${step}-failed`,
        action: `${h} ${what}${reason ? ` (${reason})` : ''}: ${STEP_ADVICE[step](h)}.`,
        ...(step === 'restore' ? { request: restoreTestRequest(h) } : {}),
      });
    } else if (x.phase === 'warning') {
      actions.push({
        hostname: h,
        code: 'health-warning',
        action: `${h} came up with a warning${x.detail ? ` (${x.detail})` : ''}: fix what the health check reported, and make the services restart automatically or document the manual step.`,
      });
    } else if (x.phase === 'blocked' && x.blockedBy) {
      actions.push({
        hostname: h,
        code: 'blocked',
        action: `${h} was not started because its upstream server ${x.blockedBy} failed: fix ${x.blockedBy} first, then retry ${x.blockedBy} to bring ${h} up.`,
      });
    }
    const measured = x.rtoMeasuredMinutes;
    if (x.rtoMinutes !== null && measured !== null && measured > x.rtoMinutes) {
      const over = round1(measured - x.rtoMinutes);
      actions.push({
        hostname: h,
        code: 'rto-breach',
        action: `${h} was available after ${fmt(measured)} min${x.joinedAt ? ' (from when the failover was widened to it)' : ''}, over its RTO target of ${fmt(x.rtoMinutes)} min by ${fmt(over)} min: review its boot order and upstream chain, its template, or move it to a faster recovery method (replication).`,
      });
    }
    if (x.rpoTargetMinutes !== null && x.rpoMinutes !== null && x.rpoMinutes > x.rpoTargetMinutes) {
      actions.push({
        hostname: h,
        code: 'rpo-breach',
        action: `${h} was restored from a restore point ${fmt(x.rpoMinutes)} min old, over its RPO target of ${fmt(x.rpoTargetMinutes)} min: check its backup schedule and the last backup jobs so that a recent enough restore point exists.`,
      });
    }
  }
  if (s.network.phase === 'failed') {
    actions.push({
      code: 'network-failed',
      action: `Network and user reconnection failed${s.network.reason ? ` (${s.network.reason})` : ''}: check the recovery network, the NCA/VPN tunnels or the MPLS rerouting with the network team before the next test.`,
    });
  }
  if (s.teardown.remaining.length > 0 && !s.teardown.verifiedAt) {
    actions.push({
      code: 'resources-left',
      action: `Resources left behind in the recovery space after ${s.teardown.incompleteAttempts} teardown attempt(s): ${s.teardown.remaining.join(', ')}. Remove them (they keep being billed) and check the teardown.`,
    });
  }
  if (s.status === 'aborted') {
    const cancelled = servers.filter((x) => x.phase === 'cancelled').map((x) => x.hostname);
    actions.push({
      code: 'aborted',
      action: `The activation was aborted${s.endReason ? ` (${s.endReason})` : ''}${cancelled.length ? `; not recovered: ${cancelled.join(', ')}` : ''}. Plan a new test of the whole perimeter.`,
    });
  }
  for (const ex of s.scope.excluded) {
    actions.push({
      hostname: ex.hostname,
      code: 'dependency-excluded',
      action: `${ex.hostname} is required by ${ex.requiredBy.join(', ')} but could not be part of the scope (${ex.reason}): enrol it in the DRP perimeter or remove the dependency.`,
    });
  }
  return actions;
}

const fmt = (n: number) => (Number.isInteger(n) ? String(n) : n.toFixed(1));
