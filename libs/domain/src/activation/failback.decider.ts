import { assertNever } from '@reprise/domain/shared/decider';
import {
  conflict,
  DomainError,
  notFound,
  ruleViolation,
  validationError,
} from '@reprise/domain/shared/errors';
import type * as C from './activation.commands';
import type { ActivationEvent } from './activation.events';
import { evolveActivation, type Activation, type ActivationState } from './activation.state';
import { isAvailablePhase } from './activation.types';
import type * as F from './failback.commands';
import { FAILBACK_SERVER_STEPS, type ServerHeldAtRecovery } from './failback.events';
import {
  cutOverOpen,
  isSettled,
  needsResume,
  staying,
  stoppedOrStaying,
  type FailbackServerState,
} from './failback.state';
import { graphOf, reachable } from './graph';
import { toMillis } from './time';

/**
 * The failback part of the activation decider, pure: which servers go back (and the refusals that
 * keep a failback safe), then the worker's facts of each server's way back. Facts are idempotent
 * like every worker fact: a duplicate, a fact of an earlier attempt or of a failback that stopped is
 * ignored (`[]`); a fact that would break the order (a stop before every server is synced, an
 * upstream stopped before its downstream servers, a start before the upstream servers are back or
 * with bytes left to send) is a 409.
 */
export function decideFailbackFact(command: F.FailbackCommand, s: Activation): ActivationEvent[] {
  switch (command.type) {
    case 'RecordReverseSyncStarted':
      return syncStarted(command.data, s);
    case 'RecordReverseSyncProgress':
      return syncProgress(command.data, s);
    case 'RecordServerStopStarted':
      return stopStarted(command.data, s);
    case 'RecordServerStoppedAtRecovery':
      return stopped(command.data, s);
    case 'RecordFinalDelta':
      return finalDelta(command.data, s);
    case 'RecordServerStartedAtOriginal':
      return startedAtOriginal(command.data, s);
    case 'RecordFailbackStepFailed':
      return stepFailed(command.data, s);
    case 'RecordServerResumedAtRecovery':
      return resumed(command.data, s);
    case 'RecordServerResumeFailed':
      return resumeFailed(command.data, s);
    case 'RecordUsersReconnected':
      return reconnected(command.data, s);
    case 'RecordUsersReconnectFailed':
      return reconnectFailed(command.data, s);
    default:
      return assertNever(command);
  }
}

/**
 * The servers a failback takes back, and those explicitly left out. Refused: an unknown hostname,
 * leaving out a server that runs at the recovery site (the teardown would destroy what it wrote),
 * and a server that does not run there without being left out explicitly.
 */
export function failbackScope(s: Activation, exclude: string[]): { servers: string[]; excluded: string[] } {
  const byHostname = new Map(s.servers.map((x) => [x.snapshot.hostname.toLowerCase(), x]));
  const unknown = exclude.filter((h) => typeof h !== 'string' || !byHostname.has(h.toLowerCase()));
  if (unknown.length)
    throw validationError('unknown-server', `not in the activation's scope: ${unknown.join(', ')}`, [
      { field: 'exclude', message: `unknown hostname(s): ${unknown.join(', ')}` },
    ]);
  const excluded = new Set(exclude.map((h) => byHostname.get(h.toLowerCase())!.snapshot.serverId));
  const back = new Set(
    [...(s.failback?.earlier ?? []), ...(s.failback?.servers ?? [])]
      .filter((x) => x.phase === 'back')
      .map((x) => x.serverId),
  );
  const running = (id: string) => isAvailablePhase(s.servers[s.index[id]].phase);
  const excludedRunning = [...excluded].filter((id) => running(id) && !back.has(id));
  if (excludedRunning.length)
    throw ruleViolation(
      'cannot-exclude-running',
      `${names(s, excludedRunning)} run(s) at the recovery site: left out, what they wrote would be lost at the teardown`,
      { servers: names(s, excludedRunning).split(', ') },
    );
  const candidates = s.servers
    .map((x) => x.snapshot.serverId)
    .filter((id) => !back.has(id) && !excluded.has(id));
  const notRunning = candidates.filter((id) => !running(id));
  if (notRunning.length)
    throw ruleViolation(
      'servers-not-running',
      `${names(s, notRunning)} do(es) not run at the recovery site: exclude them explicitly to fail back without them`,
      { servers: names(s, notRunning).split(', ') },
    );
  if (candidates.length === 0)
    throw ruleViolation('nothing-to-fail-back', 'every server is back at the original site or left out');
  return { servers: candidates, excluded: [...excluded] };
}

/** Refusal of a failback while the original site does not work (409: a state of the world, not of the request). */
export function requireOriginalSiteUp(originalSite: C.RequestFailback['data']['originalSite']): void {
  if (originalSite !== 'up')
    throw conflict(
      'original-site-not-up',
      `the original site is ${originalSite}: failback needs the original site up`,
      {
        originalSite,
      },
    );
}

/** An abort during the reverse synchronisation leaves the business at the recovery site; during the cut-over it is refused. */
export function abortFailback(d: C.AbortActivation['data'], s: Activation, at: string): ActivationEvent[] {
  const cutting = s.failback!.servers.filter((x) => x.stopStartedAt !== null);
  if (cutting.length)
    throw conflict(
      'cut-over-in-progress',
      `the cut-over has begun (${cutting.map((x) => x.hostname).join(', ')} stopped at the recovery site): it cannot be aborted halfway`,
      { servers: cutting.map((x) => x.hostname) },
    );
  return [{ type: 'FailbackAborted', data: { reason: d.reason, by: d.by, at } }];
}

/** The recovery space is released: only once every server is back and the users reconnected. */
export function failedBack(s: Activation, at: string): ActivationEvent[] {
  const fb = s.failback!;
  const notBack = fb.servers.filter((x) => x.phase !== 'back');
  if (s.status !== 'failing-back' || notBack.length || !fb.reconnectedAt)
    throw conflict('failback-not-done', 'the recovery site is released only once every server is back', {
      status: s.status,
      notBack: notBack.map((x) => x.hostname),
    });
  const servers = [...fb.earlier, ...fb.servers].map((x) => ({ serverId: x.serverId, hostname: x.hostname }));
  return [
    { type: 'ActivationFailedBack', data: { at } },
    { type: 'ReprotectionDue', data: { servers, at } },
  ];
}

// ---------------------------------------------------------------------------------------------

const names = (s: Activation, ids: string[]) =>
  ids.map((id) => s.servers[s.index[id]].snapshot.hostname).join(', ');

function requireAt(at: string): string {
  toMillis(at, 'at');
  return at;
}

function requireBytes(value: number, field: string): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw validationError('invalid-bytes', `${field} is a whole number of bytes`, [
      { field, message: 'must be a non-negative integer' },
    ]);
}

/** The server a fact is about, or null when the fact is to be ignored (failback over, earlier attempt). */
function factServer(s: Activation, serverId: string, attempt: number): FailbackServerState | null {
  const fb = s.failback;
  if (!fb || fb.legacy) throw conflict('failback-not-running', 'no failback runs for this activation');
  if (!Number.isInteger(attempt) || attempt < 1)
    throw validationError('invalid-attempt', 'attempt must be a positive integer', [
      { field: 'attempt', message: 'must be a positive integer' },
    ]);
  if (attempt < fb.attempt || s.status !== 'failing-back') return null;
  if (attempt > fb.attempt)
    throw conflict('unknown-attempt', `the failback is at attempt ${fb.attempt}, not ${attempt}`, {
      attempt: fb.attempt,
    });
  const x = fb.servers.find((y) => y.serverId === serverId);
  if (!x) throw notFound('server', serverId);
  return x;
}

function serverConflict(x: FailbackServerState, code: string, message: string, details = {}): DomainError {
  return conflict(code, `${x.hostname}: ${message}`, { serverId: x.serverId, phase: x.phase, ...details });
}

const fold = (s: Activation, events: ActivationEvent[]): Activation =>
  events.reduce<ActivationState>(evolveActivation, s) as Activation;

/** Upstream and downstream servers of a server among those going back. */
function neighbours(
  s: Activation,
  serverId: string,
  direction: 'upstream' | 'downstream',
): FailbackServerState[] {
  const ids = graphOf(s)[direction].get(serverId) ?? [];
  return s.failback!.servers.filter((x) => ids.includes(x.serverId));
}

/**
 * What follows from `events` in the same decide: every transitive downstream server of a server
 * that just failed is held at the recovery site; once every server is settled, a failback that left
 * servers at the recovery site (after reconnecting the users of those that came back) is incomplete.
 */
function withConsequences(s: Activation, events: ActivationEvent[], at: string): ActivationEvent[] {
  let next = fold(s, events);
  const out = [...events];
  const attempt = next.failback!.attempt;
  for (const e of events) {
    if (e.type !== 'FailbackStepFailed') continue;
    const failed = next.failback!.servers.find((x) => x.serverId === e.data.serverId)!;
    for (const id of reachable(graphOf(next).downstream, failed.serverId)) {
      const d = next.failback!.servers.find((x) => x.serverId === id);
      if (!d || d.phase === 'back' || staying(d)) continue;
      const held: ServerHeldAtRecovery = {
        type: 'ServerHeldAtRecovery',
        data: { serverId: id, attempt, heldBy: failed.hostname, heldByServerId: failed.serverId, at },
      };
      out.push(held);
      next = fold(next, [held]);
    }
  }
  const fb = next.failback!;
  if (next.status === 'failing-back' && fb.servers.every(isSettled)) {
    const back = fb.servers.filter((x) => x.phase === 'back');
    if (back.length < fb.servers.length && (back.length === 0 || fb.reconnectedAt)) {
      const left = fb.servers
        .filter((x) => x.phase !== 'back')
        .map((x) => ({
          serverId: x.serverId,
          hostname: x.hostname,
          reason: leftReason(x),
        }));
      out.push({ type: 'FailbackIncomplete', data: { attempt, left, at } });
    }
  }
  return out;
}

/** Why a server did not go back, and whether it runs at the recovery site again. */
function leftReason(x: FailbackServerState): string {
  const why = x.failure
    ? `${x.failure.step}: ${x.failure.reason}`
    : x.heldBy
      ? `upstream ${x.heldBy.hostname} did not go back`
      : 'left at the recovery site';
  return x.resumeFailure
    ? `${why}; it could not run again at the recovery site (${x.resumeFailure.reason}): it runs nowhere`
    : why;
}

function syncStarted(d: F.RecordReverseSyncStarted['data'], s: Activation): ActivationEvent[] {
  const x = factServer(s, d.serverId, d.attempt);
  if (!x) return [];
  const at = requireAt(d.at);
  if (x.phase !== 'pending') return [];
  requireBytes(d.copyBytes, 'copyBytes');
  return [
    {
      type: 'ReverseSyncStarted',
      data: { serverId: d.serverId, attempt: d.attempt, copyBytes: d.copyBytes, at },
    },
  ];
}

function syncProgress(d: F.RecordReverseSyncProgress['data'], s: Activation): ActivationEvent[] {
  const x = factServer(s, d.serverId, d.attempt);
  if (!x) return [];
  const at = requireAt(d.at);
  if (x.phase !== 'pending' && x.phase !== 'syncing') return [];
  if (d.part === 'initial-copy' ? x.copiedAt !== null : d.delta <= x.deltas) return [];
  if (d.part === 'delta' && (x.copiedAt === null || d.delta !== x.deltas + 1))
    throw serverConflict(x, 'delta-out-of-order', `delta ${d.delta} does not follow delta ${x.deltas}`);
  for (const field of ['sentBytes', 'changedBytes', 'pendingBytes'] as const) requireBytes(d[field], field);
  const events: ActivationEvent[] = [
    {
      type: 'ReverseSyncProgressed',
      data: {
        serverId: d.serverId,
        attempt: d.attempt,
        part: d.part,
        delta: d.part === 'delta' ? d.delta : 0,
        sentBytes: d.sentBytes,
        changedBytes: d.changedBytes,
        pendingBytes: d.pendingBytes,
        at,
      },
    },
  ];
  if (d.synced)
    events.push({
      type: 'ServerReverseSynced',
      data: { serverId: d.serverId, attempt: d.attempt, pendingBytes: d.pendingBytes, at },
    });
  return events;
}

function stopStarted(d: F.RecordServerStopStarted['data'], s: Activation): ActivationEvent[] {
  const x = factServer(s, d.serverId, d.attempt);
  if (!x) return [];
  const at = requireAt(d.at);
  if (x.stopStartedAt) return [];
  if (x.phase !== 'synced') throw serverConflict(x, 'not-synced', 'it is not synced with the original site');
  if (!cutOverOpen(s)) throw serverConflict(x, 'cut-over-not-open', 'other servers are still syncing');
  const running = neighbours(s, d.serverId, 'downstream').filter((y) => !stoppedOrStaying(y));
  if (running.length)
    throw serverConflict(
      x,
      'downstream-still-running',
      `stop ${running.map((y) => y.hostname).join(', ')} first`,
    );
  return [{ type: 'ServerStopStarted', data: { serverId: d.serverId, attempt: d.attempt, at } }];
}

function stopped(d: F.RecordServerStoppedAtRecovery['data'], s: Activation): ActivationEvent[] {
  const x = factServer(s, d.serverId, d.attempt);
  if (!x) return [];
  const at = requireAt(d.at);
  if (x.phase !== 'stopping') return [];
  return [{ type: 'ServerStoppedAtRecovery', data: { serverId: d.serverId, attempt: d.attempt, at } }];
}

function finalDelta(d: F.RecordFinalDelta['data'], s: Activation): ActivationEvent[] {
  const x = factServer(s, d.serverId, d.attempt);
  if (!x) return [];
  const at = requireAt(d.at);
  if (x.finalSyncedAt || x.phase !== 'stopped') {
    if (x.finalSyncedAt || x.phase !== 'stopping') return [];
    throw serverConflict(x, 'not-stopped', 'the final delta follows the stop');
  }
  for (const field of ['sentBytes', 'changedBytes', 'pendingBytes'] as const) requireBytes(d[field], field);
  if (d.pendingBytes !== 0)
    throw serverConflict(x, 'bytes-left', `${d.pendingBytes} bytes are still to send after the final delta`, {
      pendingBytes: d.pendingBytes,
    });
  return [
    {
      type: 'FinalDeltaSent',
      data: {
        serverId: d.serverId,
        attempt: d.attempt,
        sentBytes: d.sentBytes,
        changedBytes: d.changedBytes,
        pendingBytes: 0,
        at,
      },
    },
  ];
}

function startedAtOriginal(d: F.RecordServerStartedAtOriginal['data'], s: Activation): ActivationEvent[] {
  const x = factServer(s, d.serverId, d.attempt);
  if (!x) return [];
  const at = requireAt(d.at);
  if (x.backAt || x.phase === 'failed') return [];
  if (x.phase !== 'final-synced')
    throw serverConflict(x, 'not-final-synced', 'it starts at the original site after its final delta');
  const waiting = neighbours(s, d.serverId, 'upstream').filter((y) => y.phase !== 'back');
  if (waiting.length)
    throw serverConflict(x, 'upstream-not-back', `waiting for ${waiting.map((y) => y.hostname).join(', ')}`);
  if (!['ok', 'warning', 'failed'].includes(d.health))
    throw validationError('invalid-health', 'health is ok, warning or failed', [
      { field: 'health', message: 'must be ok, warning or failed' },
    ]);
  if (d.health === 'failed')
    return withConsequences(s, [failure(d, 'start-at-original', d.detail || 'health check failed', at)], at);
  return withConsequences(
    s,
    [
      {
        type: 'ServerStartedAtOriginal',
        data: { serverId: d.serverId, attempt: d.attempt, health: d.health, detail: d.detail ?? null, at },
      },
    ],
    at,
  );
}

const failure = (
  d: { serverId: string; attempt: number },
  step: F.RecordFailbackStepFailed['data']['step'],
  reason: string,
  at: string,
): ActivationEvent => ({
  type: 'FailbackStepFailed',
  data: { serverId: d.serverId, attempt: d.attempt, step, reason, at },
});

function stepFailed(d: F.RecordFailbackStepFailed['data'], s: Activation): ActivationEvent[] {
  const x = factServer(s, d.serverId, d.attempt);
  if (!x) return [];
  const at = requireAt(d.at);
  if (x.failure) return [];
  if (!FAILBACK_SERVER_STEPS.includes(d.step))
    throw validationError('invalid-step', `step is one of ${FAILBACK_SERVER_STEPS.join(', ')}`, [
      { field: 'step', message: `must be one of ${FAILBACK_SERVER_STEPS.join(', ')}` },
    ]);
  if (x.phase === 'back' || x.phase === 'held' || x.phase === 'at-recovery')
    throw serverConflict(x, 'not-failing-back', `it is ${x.phase}`);
  return withConsequences(s, [failure(d, d.step, d.reason || 'unknown', at)], at);
}

function resumed(d: F.RecordServerResumedAtRecovery['data'], s: Activation): ActivationEvent[] {
  const x = factServer(s, d.serverId, d.attempt);
  if (!x) return [];
  const at = requireAt(d.at);
  if (!needsResume(x)) return [];
  return withConsequences(
    s,
    [{ type: 'ServerResumedAtRecovery', data: { serverId: d.serverId, attempt: d.attempt, at } }],
    at,
  );
}

function resumeFailed(d: F.RecordServerResumeFailed['data'], s: Activation): ActivationEvent[] {
  const x = factServer(s, d.serverId, d.attempt);
  if (!x) return [];
  const at = requireAt(d.at);
  if (!needsResume(x)) return [];
  return withConsequences(
    s,
    [
      {
        type: 'ServerResumeFailed',
        data: { serverId: d.serverId, attempt: d.attempt, reason: d.reason || 'unknown', at },
      },
    ],
    at,
  );
}

function reconnectFailed(d: F.RecordUsersReconnectFailed['data'], s: Activation): ActivationEvent[] {
  const fb = s.failback;
  if (!fb || fb.legacy || s.status !== 'failing-back' || d.attempt !== fb.attempt) return [];
  const at = requireAt(d.at);
  if (fb.reconnectedAt || fb.reconnectFailure) return [];
  return [{ type: 'UsersReconnectFailed', data: { attempt: d.attempt, reason: d.reason || 'unknown', at } }];
}

function reconnected(d: F.RecordUsersReconnected['data'], s: Activation): ActivationEvent[] {
  const fb = s.failback;
  if (!fb || fb.legacy || s.status !== 'failing-back' || d.attempt !== fb.attempt) return [];
  const at = requireAt(d.at);
  if (fb.reconnectedAt) return [];
  if (!fb.servers.every(isSettled) || !fb.servers.some((x) => x.phase === 'back'))
    throw conflict('servers-not-back', 'users reconnect to the original site once the servers are back');
  return withConsequences(s, [{ type: 'UsersReconnectedToOriginal', data: { attempt: d.attempt, at } }], at);
}
