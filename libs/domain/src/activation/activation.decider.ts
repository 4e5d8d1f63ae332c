import { assertNever, type Decider } from '@reprise/domain/shared/decider';
import { sameEmail } from '@reprise/domain/shared/email';
import {
  conflict,
  DomainError,
  forbidden,
  notFound,
  ruleViolation,
  validationError,
} from '@reprise/domain/shared/errors';
import type * as C from './activation.commands';
import type { ActivationCommand, ConfirmationInput, RecipientCode } from './activation.commands';
import type {
  ActivationEvent,
  ConfirmationData,
  ConfirmationRequested,
  ServerBlocked,
  ServerStepFailed,
} from './activation.events';
import {
  evolveActivation,
  initialActivationState,
  pendingOverride,
  pendingWidening,
  type Activation,
  type ActivationState,
  type ServerState,
} from './activation.state';
import {
  CAPACITY_SHORTAGES,
  CONFIRMATION_ATTEMPTS,
  isAvailablePhase,
  isTerminalPhase,
  type ActivationKind,
  type ActivationStatus,
  type Person,
} from './activation.types';
import { teardownRequired } from './activation.workflow';
import {
  abortFailback,
  decideFailbackFact,
  failbackScope,
  failedBack,
  requireOriginalSiteUp,
} from './failback.decider';
import { graphOf, reachable } from './graph';
import { resolveScope } from './scope';
import { isAtOrAfter, minutesBetween, toIso, toMillis } from './time';
import { isWithinWindow, nextWindowOpening } from './window';
import {
  activationSteps,
  blockedSteps,
  decideStep,
  findStep,
  gatesPassed,
  stepsFailed,
  stepsJoining,
  stepsOpen,
} from './runbook-steps';

/**
 * The activation decider: one stream per activation, pure. See `activation.commands.ts` for what
 * comes in and `activation.events.ts` for what is recorded.
 *
 * Rules worth knowing:
 * - human commands that change nothing because they were already done (abort, close, failback,
 *   stand down twice) return `[]`, so the HTTP layer answers with the current status;
 * - worker facts are idempotent: an exact duplicate, a fact of a superseded attempt, a fact about a
 *   cancelled server or an ended activation returns `[]`; a fact that contradicts the state
 *   (boot before restore, boot before the upstream servers are available, another health…) is a
 *   409 conflict;
 * - a failure blocks every transitive downstream server in the same decide, and the decide that
 *   records the last fact also records `ActivationCompleted`.
 */
export const activationDecider: Decider<ActivationCommand, ActivationState, ActivationEvent> = {
  decide: decideActivation,
  evolve: evolveActivation,
  initialState: initialActivationState,
};

export function decideActivation(command: ActivationCommand, state: ActivationState): ActivationEvent[] {
  switch (command.type) {
    case 'RequestActivation':
      return request(command.data, state);
    case 'ConfirmActivation':
      return confirm(command.data, existing(state));
    case 'ExpireConfirmation':
      return expire(command.data, existing(state));
    case 'StartScheduledActivation':
      return startScheduled(command.data, existing(state));
    case 'EscalateAlert':
      return escalate(command.data, existing(state));
    case 'StandDownAlert':
      return standDown(command.data, existing(state));
    case 'RecordServerRestoreStarted':
      return restoreStarted(command.data, existing(state));
    case 'RecordDiskRestored':
      return diskRestored(command.data, existing(state));
    case 'RecordServerRestored':
      return serverRestored(command.data, existing(state));
    case 'RecordReplicaActivated':
      return replicaActivated(command.data, existing(state));
    case 'RecordServerBootStarted':
      return bootStarted(command.data, existing(state));
    case 'RecordServerBooted':
      return booted(command.data, existing(state));
    case 'RecordServerAnalysisStarted':
      return analysisStarted(command.data, existing(state));
    case 'RecordServerChecked':
      return checked(command.data, existing(state));
    case 'RecordServerStepFailed':
      return stepFailed(command.data, existing(state));
    case 'RecordNetworkSetupStarted':
      return networkStarted(command.data, existing(state));
    case 'RecordNetworkReady':
      return networkReady(command.data, existing(state));
    case 'RecordNetworkSetupFailed':
      return networkFailed(command.data, existing(state));
    case 'RecordRtoBreachProjected':
      return rtoBreach(command.data, existing(state));
    case 'AbortActivation':
      return abort(command.data, existing(state));
    case 'RetryServer':
      return retry(command.data, existing(state));
    case 'RequestClose':
      return requestClose(command.data, existing(state));
    case 'RecordTeardown':
      return recordTeardown(command.data, existing(state));
    case 'RequestFailback':
      return requestFailback(command.data, existing(state));
    case 'RecordFailback':
      return recordFailback(command.data, existing(state));
    case 'RecordRunbookStepStarted':
    case 'RecordRunbookStepSucceeded':
    case 'RecordRunbookStepFailed':
    case 'RecordRunbookStepReminded':
    case 'SignOffRunbookStep':
    case 'FailRunbookStep':
    case 'RetryRunbookStep': {
      const s = existing(state);
      return withConsequences(s, decideStep(command, s), command.data.at);
    }
    case 'RecordReverseSyncStarted':
    case 'RecordReverseSyncProgress':
    case 'RecordServerStopStarted':
    case 'RecordServerStoppedAtRecovery':
    case 'RecordFinalDelta':
    case 'RecordServerStartedAtOriginal':
    case 'RecordFailbackStepFailed':
    case 'RecordServerResumedAtRecovery':
    case 'RecordServerResumeFailed':
    case 'RecordUsersReconnected':
    case 'RecordUsersReconnectFailed':
      return decideFailbackFact(command, existing(state));
    case 'WidenScope':
      return widen(command.data, existing(state));
    case 'RequestEmergencyOverride':
      return requestOverride(command.data, existing(state));
    default:
      return assertNever(command);
  }
}

// ---------------------------------------------------------------------------------------------
// helpers

function existing(state: ActivationState): Activation {
  if (!state.exists) throw new DomainError('not-found', 'activation-not-found', 'activation not found');
  return state;
}

function wrongStatus(s: Activation, action: string, allowed: readonly ActivationStatus[]): DomainError {
  return conflict('wrong-status', `cannot ${action} an activation that is ${s.status}`, {
    status: s.status,
    allowed: [...allowed],
  });
}

function requireStatus(s: Activation, action: string, allowed: readonly ActivationStatus[]): void {
  if (!allowed.includes(s.status)) throw wrongStatus(s, action, allowed);
}

function requireAt(at: string, field = 'at'): string {
  toMillis(at, field);
  return at;
}

function requirePerson(p: Person | undefined, field: string): Person {
  if (!p || typeof p.email !== 'string' || !p.email.includes('@')) {
    throw validationError('invalid-person', `${field} needs a name and an e-mail`, [
      { field: `${field}.email`, message: 'must be an e-mail address' },
    ]);
  }
  return { name: p.name ?? '', email: p.email };
}

/** Activations in these statuses are over: late worker facts are ignored. */
const ENDED: readonly ActivationStatus[] = ['aborted', 'rejected', 'stood-down', 'closed', 'failed-back'];

/**
 * The server a worker fact is about, or `null` when the fact is to be ignored (ended activation,
 * cancelled server, server dropped at escalation, superseded attempt).
 */
function factServer(s: Activation, serverId: string, attempt: number): ServerState | null {
  if (ENDED.includes(s.status)) return null;
  const i = s.index[serverId];
  if (i === undefined) {
    if (s.escalated?.removed.includes(serverId)) return null;
    throw notFound('server', serverId);
  }
  const server = s.servers[i];
  if (server.cancelledAt) return null;
  if (!Number.isInteger(attempt) || attempt < 1) {
    throw validationError('invalid-attempt', 'attempt must be a positive integer', [
      { field: 'attempt', message: 'must be a positive integer' },
    ]);
  }
  if (attempt < server.attempt) return null;
  if (attempt > server.attempt) {
    throw conflict(
      'unknown-attempt',
      `${server.snapshot.hostname} is at attempt ${server.attempt}, not ${attempt}`,
      { serverId, attempt: server.attempt },
    );
  }
  return server;
}

function serverConflict(
  server: ServerState,
  code: string,
  message: string,
  details: Record<string, unknown> = {},
): DomainError {
  return conflict(code, `${server.snapshot.hostname}: ${message}`, {
    serverId: server.snapshot.serverId,
    hostname: server.snapshot.hostname,
    phase: server.phase,
    ...details,
  });
}

function requireNotFailed(server: ServerState): void {
  if (server.phase === 'failed')
    throw serverConflict(server, 'server-failed', 'the server failed in this attempt (retry it first)');
}

const fold = (s: Activation, events: ActivationEvent[]): Activation =>
  events.reduce<ActivationState>(evolveActivation, s) as Activation;

/**
 * Adds what follows from `events` in the same decide: `ServerBlocked` for every transitive
 * downstream server of a server that just failed, then `ActivationCompleted` when every server is
 * terminal and the network (if any) is ready or failed.
 */
function withConsequences(s: Activation, events: ActivationEvent[], at: string): ActivationEvent[] {
  let next = fold(s, events);
  const out = [...events];
  const failedNow = events.flatMap((e) =>
    e.type === 'ServerStepFailed' || (e.type === 'ServerChecked' && e.data.health === 'failed')
      ? [e.data.serverId]
      : [],
  );
  if (failedNow.length) {
    const graph = graphOf(next);
    const blocked: ServerBlocked[] = [];
    for (const failedId of failedNow) {
      const failed = next.servers[next.index[failedId]];
      const reason =
        failed.failure !== null
          ? `upstream ${failed.snapshot.hostname} failed (${failed.failure.step}: ${failed.failure.reason})`
          : `upstream ${failed.snapshot.hostname} failed its health check`;
      for (const id of reachable(graph.downstream, failedId)) {
        const d = next.servers[next.index[id]];
        if (isTerminalPhase(d.phase)) continue;
        const e: ServerBlocked = {
          type: 'ServerBlocked',
          data: {
            serverId: id,
            blockedBy: failed.snapshot.hostname,
            blockedByServerId: failedId,
            reason,
            at,
          },
        };
        blocked.push(e);
        next = fold(next, [e]);
      }
    }
    out.push(...blocked);
  }
  next = blockByRunbook(next, events, out, at);
  if (
    next.status === 'running' &&
    next.servers.every((x) => isTerminalPhase(x.phase)) &&
    ['not-required', 'ready', 'failed'].includes(next.network.phase) &&
    !stepsOpen(next)
  ) {
    const failures =
      next.servers.some((x) => x.phase === 'failed' || x.phase === 'blocked') ||
      next.network.phase === 'failed' ||
      stepsFailed(next);
    out.push({
      type: 'ActivationCompleted',
      data: { status: failures ? 'completed-with-failures' : 'completed', at },
    });
    // A restore test reports and tears down by itself: nothing in it is for anyone to use.
    if (next.kind === 'restore-test' && !next.close)
      out.push({ type: 'CloseRequested', data: { by: next.requestedBy, at } });
  }
  return out;
}

/**
 * Blocking through the runbook: a failed `block` step blocks the steps that follow it and the
 * servers that wait for it (and what follows those); a failed server blocks the steps that follow it.
 */
function blockByRunbook(
  s: Activation,
  events: ActivationEvent[],
  out: ActivationEvent[],
  at: string,
): Activation {
  if (!s.steps.length) return s;
  let next = s;
  const record = (e: ActivationEvent) => {
    out.push(e);
    next = fold(next, [e]);
  };
  for (const e of events) {
    if (e.type === 'RunbookStepFailed') {
      const step = findStep(next, e.data.name)!;
      if (step.snapshot.onFailure === 'continue') continue;
      const reason = `step ${e.data.name} failed (${e.data.reason})`;
      const below = blockedSteps(next, { step: e.data.name }, e.data.name, reason, at);
      below.steps.forEach(record);
      for (const serverId of below.servers)
        record({
          type: 'ServerBlocked',
          data: {
            serverId,
            blockedBy: e.data.name,
            blockedByServerId: `runbook-step:${e.data.name}`,
            reason,
            at,
          },
        });
    } else if (e.type === 'ServerStepFailed' || (e.type === 'ServerChecked' && e.data.health === 'failed')) {
      const failed = next.servers[next.index[e.data.serverId]];
      const reason = `upstream ${failed.snapshot.hostname} failed`;
      const below = blockedSteps(next, { serverId: e.data.serverId }, failed.snapshot.hostname, reason, at);
      below.steps.forEach(record);
      // servers that wait for those steps (the graph's own downstream servers are blocked already)
      for (const serverId of below.servers)
        record({
          type: 'ServerBlocked',
          data: {
            serverId,
            blockedBy: failed.snapshot.hostname,
            blockedByServerId: e.data.serverId,
            reason,
            at,
          },
        });
    }
  }
  return next;
}

function confirmationRequested(
  c: ConfirmationInput | undefined,
  requester: Person,
  at: string,
): ConfirmationRequested {
  if (!c || !Array.isArray(c.codes)) {
    throw validationError('confirmation-required', 'a failover needs confirmation codes (their hashes)', [
      { field: 'confirmation.codes', message: 'required' },
    ]);
  }
  const all: RecipientCode[] = [];
  for (const { email, codeHash } of c.codes) {
    if (typeof codeHash !== 'string' || codeHash.length < 16 || /^\d+$/.test(codeHash)) {
      // A missing, short or all-digit value is a plaintext code: it must never be recorded.
      throw validationError(
        'code-hash-required',
        'pass the salted hash of each one-time code, never the code',
        [{ field: 'confirmation.codes.codeHash', message: 'must be a salted hash' }],
      );
    }
    if (!all.some((x) => sameEmail(x.email, email))) all.push({ email: email.trim(), codeHash });
  }
  if (all.length === 0)
    throw ruleViolation('no-authorised-person', 'the plan names no authorised person to confirm a failover');
  // The requester never receives a code: they may not confirm their own request.
  const codes = all.filter((x) => !sameEmail(x.email, requester.email));
  if (codes.length === 0)
    throw ruleViolation(
      'no-other-authorised-person',
      'no authorised person other than the requester can confirm',
      { requester: requester.email },
    );
  if (toMillis(c.expiresAt ?? '', 'confirmation.expiresAt') <= toMillis(at))
    throw validationError('confirmation-deadline', 'the confirmation deadline must come after the request', [
      { field: 'confirmation.expiresAt', message: 'must be a time after the request' },
    ]);
  return {
    type: 'ConfirmationRequested',
    data: {
      codes,
      expiresAt: toIso(toMillis(c.expiresAt)),
      recipients: codes.map((x) => x.email),
      attemptsAllowed: CONFIRMATION_ATTEMPTS,
      requestedBy: requester,
      at,
    },
  };
}

/**
 * The hash of the code sent to `email` for this confirmation, or null when none was (the handler
 * checks the code given against it: someone else's code never matches).
 */
export function confirmationCodeHashOf(s: Activation, email: string): string | null {
  return s.confirmation?.codes.find((x) => sameEmail(x.email, email))?.codeHash ?? null;
}

function startOrSchedule(s: Activation, at: string): ActivationEvent[] {
  if (isWithinWindow(at, s.window)) return [{ type: 'ActivationStarted', data: { at } }];
  return [{ type: 'ActivationScheduled', data: { startsAt: nextWindowOpening(at, s.window), at } }];
}

// ---------------------------------------------------------------------------------------------
// life cycle

function request(d: C.RequestActivation['data'], state: ActivationState): ActivationEvent[] {
  if (state.exists)
    throw conflict('activation-exists', `activation ${state.id} already exists`, { activationId: state.id });
  const at = requireAt(d.at);
  const requestedBy = requirePerson(d.requestedBy, 'requestedBy');
  let kind: ActivationKind;
  if (d.type === 'test') {
    kind = d.kind ?? 'drp-test';
    if (kind !== 'drp-test' && kind !== 'restore-test')
      throw validationError('invalid-kind', 'a test is a drp-test or a restore-test', [
        { field: 'kind', message: 'must be drp-test or restore-test' },
      ]);
  } else if (d.type === 'disaster' || d.type === 'alert') {
    if (d.kind && d.kind !== 'failover')
      throw validationError('invalid-kind', `a ${d.type} is a failover`, [
        { field: 'kind', message: 'must be failover' },
      ]);
    kind = 'failover';
  } else {
    throw validationError('invalid-type', 'type is test, disaster or alert', [
      { field: 'type', message: 'must be test, disaster or alert' },
    ]);
  }
  // The whole request is judged (its scope names servers that exist); the overlap with other live
  // activations is the scope claims' rule (scope-claims.ts): the events decided here are recorded
  // through a claim of their servers.
  const runbook = d.runbook ?? [];
  const { scope, servers } = resolveScope(d.estate, d.scope, kind, runbook);
  // A restore test only restores and checks its servers in isolation: no runbook.
  const steps = kind === 'restore-test' ? [] : activationSteps(runbook, d.type, d.estate, servers);
  const requested: ActivationEvent = {
    type: 'ActivationRequested',
    data: {
      activationId: d.activationId,
      tenantId: d.tenantId,
      type: d.type,
      kind,
      scope,
      servers,
      requestedBy,
      reason: d.reason ?? null,
      requestedAt: at,
      window: {
        activationWindow: d.window.activationWindow,
        timeZone: d.window.timeZone,
        ...(d.window.emergencyOverride === true ? { emergencyOverride: true } : {}),
      },
      withNetwork: kind !== 'restore-test',
      ...(steps.length ? { steps } : {}),
      at,
    },
  };
  switch (d.type) {
    case 'test':
      return [requested, { type: 'ActivationStarted', data: { at } }];
    case 'disaster':
      return [requested, confirmationRequested(d.confirmation, requestedBy, at)];
    case 'alert':
      return [requested, { type: 'AlertRaised', data: { at } }];
  }
}

/** Statuses in which a failover may be widened. */
const WIDENABLE: readonly ActivationStatus[] = ['running', 'completed', 'completed-with-failures'];

type Rejection = 'confirmation-expired' | 'too-many-wrong-codes';

/**
 * What a four-eyes confirmation of the activation confirms now: the disaster itself, a widening of
 * the live failover, or an emergency override of the activation window. Each rejects and confirms
 * in its own way; the rules (who, which code, how many attempts, until when) are the same.
 */
interface ConfirmationSubject {
  rejected(reason: Rejection, at: string): ActivationEvent;
  confirmed(by: Person, at: string): ActivationEvent[];
}

function confirmationSubject(s: Activation): ConfirmationSubject | null {
  const widening = pendingWidening(s);
  if (widening && WIDENABLE.includes(s.status))
    return {
      rejected: (reason, at) => ({
        type: 'ScopeWideningRejected',
        data: { widening: widening.widening, reason, serverIds: widening.servers.map((x) => x.serverId), at },
      }),
      confirmed: (by, at) => [
        { type: 'ScopeWideningConfirmed', data: { widening: widening.widening, by, at } },
      ],
    };
  if (pendingOverride(s))
    return {
      rejected: (reason, at) => ({ type: 'EmergencyOverrideRejected', data: { reason, at } }),
      confirmed: (by, at) =>
        withConsequences(
          s,
          [
            { type: 'EmergencyOverrideConfirmed', data: { by, at } },
            { type: 'ActivationStarted', data: { at } },
          ],
          at,
        ),
    };
  if (s.status === 'failback-awaiting-confirmation')
    return {
      rejected: (reason, at) => ({ type: 'FailbackRejected', data: { reason, at } }),
      confirmed: (by, at) => [{ type: 'FailbackConfirmed', data: { by, at } }],
    };
  if (s.status === 'awaiting-confirmation')
    return {
      rejected: (reason, at) => ({ type: 'ActivationRejected', data: { reason, at } }),
      confirmed: (by, at) =>
        withConsequences(
          s,
          [{ type: 'ActivationConfirmed', data: { by, at } }, ...startOrSchedule(s, at)],
          at,
        ),
    };
  return null;
}

function confirm(d: C.ConfirmActivation['data'], s: Activation): ActivationEvent[] {
  const subject = confirmationSubject(s);
  if (!subject) throw wrongStatus(s, 'confirm', ['awaiting-confirmation']);
  const at = requireAt(d.at);
  const c = s.confirmation!;
  const person = (d.authorisedPersons ?? []).find((p) => sameEmail(p.email, d.email ?? ''));
  if (!person)
    throw forbidden('not-authorised-person', `${d.email} is not an authorised person of this plan`, {
      email: d.email,
    });
  if (sameEmail(person.email, c.requestedBy.email)) {
    throw forbidden(
      'four-eyes',
      'the requester cannot confirm their own request: another authorised person must',
      { email: d.email },
    );
  }
  if (!c.codes.some((x) => sameEmail(x.email, person.email)))
    throw forbidden('no-code-sent', `no code was sent to ${person.email} for this activation`, {
      email: d.email,
    });
  if (isAtOrAfter(at, c.expiresAt)) return [subject.rejected('confirmation-expired', at)];
  if (!d.codeValid) {
    const attemptsLeft = Math.max(0, c.attemptsAllowed - c.failedAttempts - 1);
    const failed: ActivationEvent = {
      type: 'ConfirmationAttemptFailed',
      data: { email: person.email, attemptsLeft, at },
    };
    return attemptsLeft === 0 ? [failed, subject.rejected('too-many-wrong-codes', at)] : [failed];
  }
  return subject.confirmed({ name: person.name, email: person.email }, at);
}

/** The confirmation a widening or an override asks for (as a disaster's, without changing the status). */
function confirmationData(c: ConfirmationInput | undefined, by: Person, at: string): ConfirmationData {
  const { data } = confirmationRequested(c, by, at);
  return {
    codes: data.codes!,
    expiresAt: data.expiresAt,
    recipients: data.recipients,
    attemptsAllowed: data.attemptsAllowed,
    requestedBy: data.requestedBy,
  };
}

/**
 * Starts a disaster that waits for its activation window at once, where the tenant's contract
 * allows it: an authorised person asks with a reason, another one confirms with their own code.
 */
function requestOverride(d: C.RequestEmergencyOverride['data'], s: Activation): ActivationEvent[] {
  requireStatus(s, 'override the window of', ['scheduled']);
  if (s.type !== 'disaster')
    throw ruleViolation('override-is-for-disasters', `only a disaster is started by an emergency override`);
  if (!s.window.emergencyOverride)
    throw forbidden(
      'override-not-allowed',
      "the tenant's contract does not allow an emergency override of its activation window",
      {
        activationWindow: s.window.activationWindow,
      },
    );
  if (pendingOverride(s))
    throw conflict('override-pending', 'an emergency override already awaits its confirmation');
  const at = requireAt(d.at);
  const by = requirePerson(d.by, 'by');
  if (!(d.authorisedPersons ?? []).some((p) => sameEmail(p.email, by.email)))
    throw forbidden('not-authorised-person', `${by.email} is not an authorised person of this plan`, {
      email: by.email,
    });
  if (typeof d.reason !== 'string' || !d.reason.trim())
    throw validationError('reason-required', 'an emergency override says why', [
      { field: 'reason', message: 'required' },
    ]);
  return [
    {
      type: 'EmergencyOverrideRequested',
      data: { reason: d.reason.trim(), by, confirmation: confirmationData(d.confirmation, by, at), at },
    },
  ];
}

/**
 * Widens a live failover: the named servers (or every drp server for `full`) with their upstream
 * dependencies, those not in it yet, under a new four-eyes confirmation. The servers already in
 * the failover go on meanwhile; once confirmed the new ones run with the same workflow.
 */
function widen(d: C.WidenScope['data'], s: Activation): ActivationEvent[] {
  if (s.type !== 'disaster')
    throw ruleViolation(
      'widening-is-for-disasters',
      `only a disaster failover is widened (this is a ${s.type})`,
    );
  requireStatus(s, 'widen', WIDENABLE);
  const pending = pendingWidening(s);
  if (pending)
    throw conflict('widening-pending', `widening ${pending.widening} still awaits its confirmation`, {
      widening: pending.widening,
    });
  const at = requireAt(d.at);
  const by = requirePerson(d.by, 'by');
  const runbook = d.runbook ?? [];
  const { scope, servers } = resolveScope(d.estate, d.scope, 'failover', runbook);
  const fresh = servers.filter((x) => s.index[x.serverId] === undefined);
  if (fresh.length === 0)
    throw ruleViolation('nothing-to-add', 'every server of that scope is already in this failover', {
      servers: scope.requested,
    });
  const isFresh = new Set(fresh.map((x) => x.hostname));
  return [
    {
      type: 'ScopeWideningRequested',
      data: {
        widening: s.widenings.length + 1,
        mode: scope.mode,
        requested: scope.mode === 'full' ? [...isFresh] : scope.requested.filter((h) => isFresh.has(h)),
        added: scope.added.filter((a) => isFresh.has(a.hostname)),
        excluded: scope.excluded.filter((x) => x.requiredBy.some((h) => isFresh.has(h))),
        servers: fresh,
        // The runbook as read with the command, as a request reads it (see stepsJoining).
        ...stepsJoining(
          runbook,
          s.type,
          d.estate,
          servers,
          new Set(fresh.map((x) => x.serverId)),
          s.steps.map((x) => x.snapshot),
        ),
        confirmation: confirmationData(d.confirmation, by, at),
        by,
        reason: d.reason ?? null,
        at,
      },
    },
  ];
}

/**
 * What the HTTP layer answers after appending the events of a `ConfirmActivation` that did not
 * confirm: a wrong code is 403 with `attemptsLeft` (the failed attempt IS recorded), an expired
 * confirmation is 409. `null` when it was confirmed. `statusAfter`: the activation's status once the
 * events are recorded (a rejected failback returns the disaster to its status before).
 */
export function confirmationRefusal(
  events: readonly ActivationEvent[],
  statusAfter?: ActivationStatus,
): DomainError | null {
  const rejected = events.find((e) => e.type === 'ActivationRejected' || e.type === 'FailbackRejected');
  const failback = rejected?.type === 'FailbackRejected';
  if (
    (rejected?.type === 'ActivationRejected' || rejected?.type === 'FailbackRejected') &&
    rejected.data.reason === 'confirmation-expired'
  ) {
    return conflict(
      'confirmation-expired',
      `the confirmation expired: the ${failback ? 'failback' : 'activation'} is rejected`,
      { status: statusAfter ?? 'rejected' },
    );
  }
  const widening = events.find((e) => e.type === 'ScopeWideningRejected');
  if (widening?.type === 'ScopeWideningRejected' && widening.data.reason === 'confirmation-expired') {
    return conflict('confirmation-expired', 'the confirmation expired: the widening is rejected', {
      widening: widening.data.widening,
      wideningStatus: 'rejected',
    });
  }
  const override = events.find((e) => e.type === 'EmergencyOverrideRejected');
  if (override?.type === 'EmergencyOverrideRejected' && override.data.reason === 'confirmation-expired') {
    return conflict(
      'confirmation-expired',
      'the confirmation expired: the emergency override is rejected (the disaster still starts when its window opens)',
      { overrideStatus: 'rejected', status: 'scheduled' },
    );
  }
  const failed = events.find((e) => e.type === 'ConfirmationAttemptFailed');
  if (failed?.type === 'ConfirmationAttemptFailed') {
    const left = failed.data.attemptsLeft;
    const subject = widening
      ? 'widening'
      : override
        ? 'emergency override'
        : failback
          ? 'failback'
          : 'activation';
    return forbidden(
      'wrong-code',
      left > 0
        ? `wrong code: ${left} attempt(s) left`
        : `wrong code: no attempt left, the ${subject} is rejected`,
      widening
        ? { attemptsLeft: left, wideningStatus: 'rejected' }
        : override
          ? { attemptsLeft: left, overrideStatus: 'rejected', status: 'scheduled' }
          : { attemptsLeft: left, status: statusAfter ?? (left > 0 ? 'awaiting-confirmation' : 'rejected') },
    );
  }
  return null;
}

function expire(d: C.ExpireConfirmation['data'], s: Activation): ActivationEvent[] {
  const at = requireAt(d.at);
  const subject = confirmationSubject(s);
  if (!subject) return [];
  if (!isAtOrAfter(at, s.confirmation!.expiresAt))
    throw conflict('not-yet-due', `the confirmation expires at ${s.confirmation!.expiresAt}`, {
      expiresAt: s.confirmation!.expiresAt,
    });
  return [subject.rejected('confirmation-expired', at)];
}

function startScheduled(d: C.StartScheduledActivation['data'], s: Activation): ActivationEvent[] {
  const at = requireAt(d.at);
  if (s.status !== 'scheduled') return [];
  if (!isAtOrAfter(at, s.startsAt!))
    throw conflict('not-yet-due', `the activation starts at ${s.startsAt}`, { startsAt: s.startsAt });
  return withConsequences(s, [{ type: 'ActivationStarted', data: { at } }], at);
}

function escalate(d: C.EscalateAlert['data'], s: Activation): ActivationEvent[] {
  requireStatus(s, 'escalate', ['alert']);
  const at = requireAt(d.at);
  const by = requirePerson(d.by, 'by');
  const runbook = d.runbook ?? [];
  const { scope, servers } = resolveScope(d.estate, d.scope, 'failover', runbook);
  const keep = new Set(servers.map((x) => x.serverId));
  const removed = s.servers.map((x) => x.snapshot.serverId).filter((id) => !keep.has(id));
  // The servers pulled in get their steps from the runbook as read with the command, as a request does.
  const joining = new Set(servers.filter((x) => s.index[x.serverId] === undefined).map((x) => x.serverId));
  const { steps, stepGates } = stepsJoining(
    runbook,
    'disaster',
    d.estate,
    servers,
    joining,
    s.steps.map((x) => x.snapshot),
  );
  return [
    {
      type: 'AlertEscalated',
      data: {
        scope,
        servers,
        removed,
        ...(steps.length ? { steps } : {}),
        ...(stepGates.length ? { stepGates } : {}),
        by,
        reason: d.reason ?? null,
        at,
      },
    },
    confirmationRequested(d.confirmation, by, at),
  ];
}

function standDown(d: C.StandDownAlert['data'], s: Activation): ActivationEvent[] {
  if (s.status === 'stood-down') return [];
  requireStatus(s, 'stand down', ['alert']);
  const at = requireAt(d.at);
  return [{ type: 'AlertStoodDown', data: { by: requirePerson(d.by, 'by'), reason: d.reason ?? null, at } }];
}

function abort(d: C.AbortActivation['data'], s: Activation): ActivationEvent[] {
  if (s.status === 'aborted') return [];
  requireStatus(s, 'abort', [
    'awaiting-confirmation',
    'scheduled',
    'running',
    'failback-awaiting-confirmation',
    'failing-back',
  ]);
  const at = requireAt(d.at);
  if (!d.reason || !d.reason.trim())
    throw validationError('reason-required', 'an abort says why', [{ field: 'reason', message: 'required' }]);
  if (s.status === 'failback-awaiting-confirmation' || s.status === 'failing-back')
    return abortFailback({ ...d, by: requirePerson(d.by, 'by') }, s, at);
  const cancelled = s.servers.filter((x) => !isTerminalPhase(x.phase)).map((x) => x.snapshot.serverId);
  return [
    { type: 'ActivationAborted', data: { reason: d.reason, by: requirePerson(d.by, 'by'), cancelled, at } },
  ];
}

function retry(d: C.RetryServer['data'], s: Activation): ActivationEvent[] {
  const i = s.index[d.serverId];
  if (i === undefined) throw notFound('server', d.serverId);
  requireStatus(s, 'retry a server of', ['running', 'completed-with-failures', 'alert']);
  const at = requireAt(d.at);
  const server = s.servers[i];
  if (server.phase !== 'failed')
    throw serverConflict(
      server,
      'server-not-failed',
      `only a failed server can be retried (it is ${server.phase})`,
    );
  const resumeFrom = server.failure?.step === 'restore' ? 'pending' : 'restored';
  const graph = graphOf(s);
  const stillFailed = new Set(
    s.servers
      .filter((x) => x.phase === 'failed' && x.snapshot.serverId !== d.serverId)
      .map((x) => x.snapshot.serverId),
  );
  const unblocked: string[] = [];
  const reblocked: { serverId: string; blockedBy: string; blockedByServerId: string }[] = [];
  // Downstream in the graph, and through the runbook steps that follow it.
  const below = new Set(reachable(graph.downstream, d.serverId));
  for (const x of s.servers) if (x.blockedBy?.serverId === d.serverId) below.add(x.snapshot.serverId);
  for (const id of below) {
    const b = s.servers[s.index[id]];
    if (b.phase !== 'blocked') continue;
    const blocker = reachable(graph.upstream, id).find((up) => stillFailed.has(up));
    if (!blocker) unblocked.push(id);
    else if (b.blockedBy?.serverId === d.serverId) {
      reblocked.push({
        serverId: id,
        blockedBy: s.servers[s.index[blocker]].snapshot.hostname,
        blockedByServerId: blocker,
      });
    }
  }
  return [
    {
      type: 'ServerRetryRequested',
      data: {
        serverId: d.serverId,
        attempt: server.attempt + 1,
        resumeFrom,
        unblocked,
        reblocked,
        by: requirePerson(d.by, 'by'),
        at,
      },
    },
  ];
}

function requestClose(d: C.RequestClose['data'], s: Activation): ActivationEvent[] {
  if (s.close) return [];
  const at = requireAt(d.at);
  if (s.type !== 'test' && s.status !== 'aborted') {
    if (s.status === 'completed' || s.status === 'completed-with-failures') {
      // A wrong state (409), as the contract says: the disaster's next step is failback.
      throw conflict('failback-required', `a ${s.type} ends with failback, not close`, {
        status: s.status,
        next: 'failback',
      });
    }
    throw wrongStatus(s, 'close', ['aborted']);
  }
  requireStatus(s, 'close', ['completed', 'completed-with-failures', 'aborted']);
  return [{ type: 'CloseRequested', data: { by: requirePerson(d.by, 'by'), at } }];
}

function recordTeardown(d: C.RecordTeardown['data'], s: Activation): ActivationEvent[] {
  const at = requireAt(d.at);
  if (!teardownRequired(s)) {
    if (s.status === 'closed' || s.teardown.verifiedAt) return [];
    throw conflict('teardown-not-requested', 'no teardown was requested for this activation', {
      status: s.status,
    });
  }
  const remaining = [...new Set(d.remaining ?? [])];
  if (remaining.length > 0)
    return [
      { type: 'TeardownIncomplete', data: { remaining, attempt: s.teardown.incompleteAttempts + 1, at } },
    ];
  const events: ActivationEvent[] = [{ type: 'TeardownVerified', data: { remaining: [], at } }];
  if (s.close) events.push({ type: 'ActivationClosed', data: { at } });
  return events;
}

/**
 * A failback is asked for: the original site must be up, every server of the scope must run at the
 * recovery site or be left out explicitly; then four eyes confirm it, as for a disaster. Asked
 * again while one is pending or running, it changes nothing.
 */
function requestFailback(d: C.RequestFailback['data'], s: Activation): ActivationEvent[] {
  if (['failback-awaiting-confirmation', 'failing-back', 'failed-back'].includes(s.status)) return [];
  if (s.failback?.legacy) return [];
  const at = requireAt(d.at);
  const by = requirePerson(d.by, 'by');
  if (s.type !== 'disaster')
    throw ruleViolation('failback-is-for-disasters', 'only a disaster fails back; a test is closed');
  requireStatus(s, 'fail back', ['completed', 'completed-with-failures']);
  requireOriginalSiteUp(d.originalSite);
  const { servers, excluded } = failbackScope(s, d.exclude ?? []);
  return [
    {
      type: 'FailbackRequested',
      data: {
        by,
        reason: d.reason ?? null,
        attempt: (s.failback?.attempt ?? 0) + 1,
        servers,
        excluded,
        at,
      },
    },
    confirmationRequested(d.confirmation, by, at),
  ];
}

function recordFailback(d: C.RecordFailback['data'], s: Activation): ActivationEvent[] {
  const at = requireAt(d.at);
  if (s.status === 'failed-back') return [];
  if (!s.failback)
    throw conflict('failback-not-requested', 'no failback was requested for this activation', {
      status: s.status,
    });
  if (s.failback.legacy) return [{ type: 'ActivationFailedBack', data: { at } }];
  return failedBack(s, at);
}

// ---------------------------------------------------------------------------------------------
// execution facts

function restoreStarted(d: C.RecordServerRestoreStarted['data'], s: Activation): ActivationEvent[] {
  const server = factServer(s, d.serverId, d.attempt);
  if (!server) return [];
  const at = requireAt(d.at);
  if (server.restoreStartedAt) {
    if (server.restorePointId === d.restorePointId) return [];
    throw serverConflict(
      server,
      'restore-already-started',
      `restore already started from ${server.restorePointId}`,
      { restorePointId: server.restorePointId },
    );
  }
  // An alert pre-stages, and so does a disaster waiting for its window (an escalated alert goes
  // on pre-staging while its confirmation is awaited).
  const prestaging =
    s.status === 'alert' ||
    s.status === 'scheduled' ||
    (s.status === 'awaiting-confirmation' && s.escalated !== null);
  if (s.status !== 'running' && !prestaging)
    throw wrongStatus(s, 'restore a server of', ['running', 'alert']);
  requireNotFailed(server);
  if (!d.restorePointId)
    throw validationError('restore-point-required', 'restorePointId is required', [
      { field: 'restorePointId', message: 'required' },
    ]);
  toMillis(d.restorePointTakenAt, 'restorePointTakenAt');
  const events: ActivationEvent[] = [
    {
      type: 'ServerRestoreStarted',
      data: {
        serverId: d.serverId,
        attempt: d.attempt,
        method: server.snapshot.recoveryMethod,
        restorePointId: d.restorePointId,
        restorePointTakenAt: d.restorePointTakenAt,
        rpoMinutes: Math.max(0, minutesBetween(d.restorePointTakenAt, at)),
        prestaged: s.status !== 'running',
        at,
      },
    },
  ];
  if (server.snapshot.recoveryMethod === 'backup-restore' && server.snapshot.disks.length === 0) {
    events.push({ type: 'ServerRestored', data: { serverId: d.serverId, attempt: d.attempt, at } });
  }
  return events;
}

function requireRestoreInFlight(server: ServerState): void {
  if (!server.restoreStartedAt)
    throw serverConflict(server, 'restore-not-started', 'its restore has not started');
  requireNotFailed(server);
}

function diskRestored(d: C.RecordDiskRestored['data'], s: Activation): ActivationEvent[] {
  const server = factServer(s, d.serverId, d.attempt);
  if (!server) return [];
  const at = requireAt(d.at);
  if (server.restoredAt || server.disksRestored.includes(d.disk)) return [];
  if (!server.snapshot.disks.some((x) => x.name === d.disk))
    throw serverConflict(server, 'unknown-disk', `it has no disk ${d.disk}`, { disk: d.disk });
  requireRestoreInFlight(server);
  const events: ActivationEvent[] = [
    { type: 'DiskRestored', data: { serverId: d.serverId, attempt: d.attempt, disk: d.disk, at } },
  ];
  const done = new Set([...server.disksRestored, d.disk]);
  if (server.snapshot.disks.every((x) => done.has(x.name)))
    events.push({ type: 'ServerRestored', data: { serverId: d.serverId, attempt: d.attempt, at } });
  return events;
}

function serverRestored(d: C.RecordServerRestored['data'], s: Activation): ActivationEvent[] {
  const server = factServer(s, d.serverId, d.attempt);
  if (!server) return [];
  const at = requireAt(d.at);
  if (server.restoredAt) return [];
  requireRestoreInFlight(server);
  return [{ type: 'ServerRestored', data: { serverId: d.serverId, attempt: d.attempt, at } }];
}

function replicaActivated(d: C.RecordReplicaActivated['data'], s: Activation): ActivationEvent[] {
  const server = factServer(s, d.serverId, d.attempt);
  if (!server) return [];
  const at = requireAt(d.at);
  if (server.restoredAt) return [];
  if (server.snapshot.recoveryMethod === 'backup-restore')
    throw serverConflict(server, 'not-replicated', 'it is restored from backup, not replicated');
  requireRestoreInFlight(server);
  return [{ type: 'ReplicaActivated', data: { serverId: d.serverId, attempt: d.attempt, at } }];
}

function bootStarted(d: C.RecordServerBootStarted['data'], s: Activation): ActivationEvent[] {
  const server = factServer(s, d.serverId, d.attempt);
  if (!server) return [];
  const at = requireAt(d.at);
  if (server.bootStartedAt) {
    if (server.host === d.host) return [];
    throw serverConflict(server, 'boot-already-started', `boot already started on ${server.host}`, {
      host: server.host,
    });
  }
  requireStatus(s, 'boot a server of', ['running']);
  requireNotFailed(server);
  if (server.phase === 'blocked')
    throw serverConflict(server, 'server-blocked', `blocked by ${server.blockedBy!.hostname}`);
  if (!server.restoredAt) throw serverConflict(server, 'not-restored', 'its disks are not restored');
  const graph = graphOf(s);
  const waitingFor = graph.upstream
    .get(d.serverId)!
    .map((id) => s.servers[s.index[id]])
    .filter((up) => !isAvailablePhase(up.phase))
    .map((up) => up.snapshot.hostname);
  if (!gatesPassed(s, d.serverId))
    waitingFor.push(
      ...s.steps.filter((x) => x.snapshot.gates.includes(d.serverId)).map((x) => x.snapshot.name),
    );
  if (waitingFor.length)
    throw serverConflict(server, 'upstream-not-available', `waiting for ${waitingFor.join(', ')}`, {
      waitingFor,
    });
  if (!d.host)
    throw validationError('host-required', 'host is required', [{ field: 'host', message: 'required' }]);
  return [
    { type: 'ServerBootStarted', data: { serverId: d.serverId, attempt: d.attempt, host: d.host, at } },
  ];
}

function booted(d: C.RecordServerBooted['data'], s: Activation): ActivationEvent[] {
  const server = factServer(s, d.serverId, d.attempt);
  if (!server) return [];
  const at = requireAt(d.at);
  if (server.bootedAt) return [];
  if (!server.bootStartedAt) throw serverConflict(server, 'boot-not-started', 'its boot has not started');
  requireNotFailed(server);
  return [{ type: 'ServerBooted', data: { serverId: d.serverId, attempt: d.attempt, at } }];
}

function analysisStarted(d: C.RecordServerAnalysisStarted['data'], s: Activation): ActivationEvent[] {
  const server = factServer(s, d.serverId, d.attempt);
  if (!server) return [];
  const at = requireAt(d.at);
  if (server.analysisStartedAt) return [];
  if (!server.bootedAt) throw serverConflict(server, 'not-booted', 'it has not booted');
  requireNotFailed(server);
  return [{ type: 'ServerAnalysisStarted', data: { serverId: d.serverId, attempt: d.attempt, at } }];
}

function checked(d: C.RecordServerChecked['data'], s: Activation): ActivationEvent[] {
  const server = factServer(s, d.serverId, d.attempt);
  if (!server) return [];
  const at = requireAt(d.at);
  if (server.health) {
    if (server.health === d.health) return [];
    throw serverConflict(server, 'already-checked', `already checked ${server.health}`, {
      health: server.health,
    });
  }
  if (!['ok', 'warning', 'failed'].includes(d.health))
    throw validationError('invalid-health', 'health is ok, warning or failed', [
      { field: 'health', message: 'must be ok, warning or failed' },
    ]);
  if (!server.bootedAt) throw serverConflict(server, 'not-booted', 'it has not booted');
  requireNotFailed(server);
  return withConsequences(
    s,
    [
      {
        type: 'ServerChecked',
        data: { serverId: d.serverId, attempt: d.attempt, health: d.health, detail: d.detail ?? null, at },
      },
    ],
    at,
  );
}

function stepFailed(d: C.RecordServerStepFailed['data'], s: Activation): ActivationEvent[] {
  const server = factServer(s, d.serverId, d.attempt);
  if (!server) return [];
  const at = requireAt(d.at);
  if (server.failure) {
    if (server.failure.step === d.step) return [];
    throw serverConflict(server, 'server-failed', `it already failed at ${server.failure.step}`);
  }
  if (server.health)
    throw serverConflict(server, 'already-checked', `already checked ${server.health}`, {
      health: server.health,
    });
  switch (d.step) {
    case 'restore':
      if (server.restoredAt) throw serverConflict(server, 'step-already-done', 'it is already restored');
      break;
    case 'boot':
      if (!server.restoredAt) throw serverConflict(server, 'not-restored', 'its disks are not restored');
      if (server.bootedAt) throw serverConflict(server, 'step-already-done', 'it has already booted');
      requireStatus(s, 'boot a server of', ['running']);
      break;
    case 'analysis':
      if (!server.bootedAt) throw serverConflict(server, 'not-booted', 'it has not booted');
      requireStatus(s, 'analyse a server of', ['running']);
      break;
    default:
      throw validationError('invalid-step', 'step is restore, boot or analysis', [
        { field: 'step', message: 'must be restore, boot or analysis' },
      ]);
  }
  if (d.shortage !== undefined && !CAPACITY_SHORTAGES.includes(d.shortage))
    throw validationError('invalid-shortage', `shortage is one of ${CAPACITY_SHORTAGES.join(', ')}`, [
      { field: 'shortage', message: `must be one of ${CAPACITY_SHORTAGES.join(', ')}` },
    ]);
  const failed: ServerStepFailed = {
    type: 'ServerStepFailed',
    data: { serverId: d.serverId, step: d.step, reason: d.reason || 'unknown', attempt: d.attempt, at },
  };
  if (d.shortage) failed.data.shortage = d.shortage;
  return withConsequences(s, [failed], at);
}

function networkFact(s: Activation): boolean {
  if (ENDED.includes(s.status)) return false;
  if (!s.withNetwork)
    throw conflict('network-not-required', 'this activation has no network step (restore test)');
  return true;
}

function networkStarted(d: C.RecordNetworkSetupStarted['data'], s: Activation): ActivationEvent[] {
  if (!networkFact(s)) return [];
  const at = requireAt(d.at);
  if (s.network.phase !== 'pending') return [];
  requireStatus(s, 'set up the network of', ['running']);
  return [{ type: 'NetworkSetupStarted', data: { at } }];
}

function networkReady(d: C.RecordNetworkReady['data'], s: Activation): ActivationEvent[] {
  if (!networkFact(s)) return [];
  const at = requireAt(d.at);
  if (s.network.phase === 'ready') return [];
  if (s.network.phase === 'failed') throw conflict('network-failed', 'the network setup already failed');
  if (s.network.phase !== 'setting-up')
    throw conflict('network-not-started', 'the network setup has not started');
  return withConsequences(s, [{ type: 'NetworkReady', data: { at } }], at);
}

function networkFailed(d: C.RecordNetworkSetupFailed['data'], s: Activation): ActivationEvent[] {
  if (!networkFact(s)) return [];
  const at = requireAt(d.at);
  if (s.network.phase === 'failed') return [];
  if (s.network.phase === 'ready') throw conflict('network-ready', 'the network is already ready');
  requireStatus(s, 'set up the network of', ['running']);
  return withConsequences(
    s,
    [{ type: 'NetworkSetupFailed', data: { reason: d.reason || 'unknown', at } }],
    at,
  );
}

function rtoBreach(d: C.RecordRtoBreachProjected['data'], s: Activation): ActivationEvent[] {
  const at = requireAt(d.at);
  if (s.status !== 'running') return [];
  if (!Number.isFinite(d.projectedMinutes) || !Number.isFinite(d.targetMinutes)) {
    throw validationError('invalid-minutes', 'projectedMinutes and targetMinutes are numbers', [
      { field: 'projectedMinutes', message: 'must be a number' },
    ]);
  }
  const event: ActivationEvent = {
    type: 'RtoBreachProjected',
    data: { serverId: d.serverId, projectedMinutes: d.projectedMinutes, targetMinutes: d.targetMinutes, at },
  };
  if (d.serverId === null) return s.activationRtoBreachProjectedAt ? [] : [event];
  const i = s.index[d.serverId];
  if (i === undefined) throw notFound('server', d.serverId);
  const server = s.servers[i];
  if (server.rtoBreachProjectedAt || isTerminalPhase(server.phase)) return [];
  return [event];
}
