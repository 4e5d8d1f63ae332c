import { AFTER_TEARDOWN, stepInScope, type RunbookStep, type RunbookStepKind } from '../plan/runbook';
import { DomainError, conflict, notFound, validationError } from '../shared/errors';
import type { DomainEvent } from '../shared/decider';
import type { Activation } from './activation.state';
import {
  isAvailablePhase,
  isTerminalPhase,
  type ActivationServerSnapshot,
  type ActivationStatus,
  type ActivationType,
  type Person,
} from './activation.types';

/**
 * Runbook steps in an activation: the plan's steps of the activation's type, snapshotted when it
 * is requested, in one graph with its servers. A step is due once everything it follows is done
 * (servers available, steps done or failed with `continue`); a server waits for the steps it
 * depends on (`gates`). A failed `block` step blocks what follows it, exactly like a failed server.
 * Steps after "teardown" run once a closed test's teardown is verified, or after failback.
 */

export const RUNBOOK_STEP_STATUSES = [
  'pending',
  'running',
  'waiting-sign-off',
  'done',
  'failed',
  'blocked',
  'skipped',
  'cancelled',
] as const;
export type RunbookStepStatus = (typeof RUNBOOK_STEP_STATUSES)[number];

/** A step as the activation runs it: the plan's step and the servers (ids) that wait for it. */
export type ActivationStepSnapshot = RunbookStep & { gates: string[]; serverId: string | null };

export interface RunbookStepState {
  snapshot: ActivationStepSnapshot;
  attempt: number;
  startedAt: string | null;
  endedAt: string | null;
  outcome: 'done' | 'failed' | null;
  detail: string | null;
  blockedBy: string | null;
  cancelledAt: string | null;
  remindedAt: string | null;
}

// ---------------------------------------------------------------------------------------------
// events

export type RunbookStepStarted = DomainEvent<
  'RunbookStepStarted',
  { name: string; attempt: number; at: string }
>;
export type RunbookStepSucceeded = DomainEvent<
  'RunbookStepSucceeded',
  { name: string; attempt: number; detail: string | null; by?: Person; at: string }
>;
export type RunbookStepFailed = DomainEvent<
  'RunbookStepFailed',
  { name: string; attempt: number; reason: string; by?: Person; at: string }
>;
export type RunbookStepBlocked = DomainEvent<
  'RunbookStepBlocked',
  { name: string; blockedBy: string; reason: string; at: string }
>;
export type RunbookStepReminded = DomainEvent<
  'RunbookStepReminded',
  { name: string; attempt: number; at: string }
>;
export type RunbookStepRetryRequested = DomainEvent<
  'RunbookStepRetryRequested',
  { name: string; attempt: number; unblocked: string[]; unblockedServers: string[]; by: Person; at: string }
>;
export type RunbookStepEvent =
  | RunbookStepStarted
  | RunbookStepSucceeded
  | RunbookStepFailed
  | RunbookStepBlocked
  | RunbookStepReminded
  | RunbookStepRetryRequested;

// ---------------------------------------------------------------------------------------------
// snapshot at request

/**
 * The steps of the plan this activation runs: those of its type whose servers are all in scope
 * (a step following a step left out is left out too), each with the servers that wait for it.
 * `dependsOn` of the estate may name steps: the scope (resolveScope) pulls in what they follow.
 */
export function activationSteps(
  runbook: readonly RunbookStep[],
  type: ActivationType,
  estate: readonly ActivationServerSnapshot[],
  scope: readonly ActivationServerSnapshot[],
): ActivationStepSnapshot[] {
  const inScope = new Map(scope.map((s) => [s.hostname, s.serverId]));
  const kept = stepsWithin(
    runbook.filter((s) => stepInScope(s, type)),
    new Set(inScope.keys()),
  );
  return runbook
    .filter((s) => kept.has(s.name))
    .map((s) => ({
      ...s,
      serverId: s.kind === 'script' || s.kind === 'check' ? inScope.get(s.server)! : null,
      gates: estate
        .filter((x) => inScope.has(x.hostname) && x.dependsOn.includes(s.name))
        .map((x) => x.serverId),
    }));
}

/** The steps whose servers are all in scope (a step following a step left out is left out too). */
export function stepsWithin(candidates: readonly RunbookStep[], hostnames: ReadonlySet<string>): Set<string> {
  const kept = new Set<string>();
  let changed = true;
  while (changed) {
    changed = false;
    for (const s of candidates) {
      if (kept.has(s.name)) continue;
      const server = s.kind === 'script' || s.kind === 'check' ? s.server : null;
      const ok =
        (server === null || hostnames.has(server)) &&
        s.after.every((a) => a === AFTER_TEARDOWN || hostnames.has(a) || kept.has(a));
      if (ok) {
        kept.add(s.name);
        changed = true;
      }
    }
  }
  return kept;
}

/** Servers joining an activation that wait for a step it already runs. */
export interface StepGate {
  name: string;
  serverIds: string[];
}

/** What servers joining an activation (escalation of an alert, widening of a failover) bring of the runbook. */
export interface StepsJoining {
  /** Steps the activation does not run yet, with the joining servers that wait for them. */
  steps: ActivationStepSnapshot[];
  /** Joining servers that wait for steps the activation already runs (those keep their snapshot). */
  stepGates: StepGate[];
}

/**
 * The runbook steps servers joining an activation bring, as at request time: the runbook is the
 * one read with the command (the current plan, as a request reads it), steps already in the
 * activation keep the snapshot taken when they joined. Only the joining servers (`joining`, ids)
 * gain steps to wait for; a server already in the activation waits for what it waited for.
 */
export function stepsJoining(
  runbook: readonly RunbookStep[],
  type: ActivationType,
  estate: readonly ActivationServerSnapshot[],
  scope: readonly ActivationServerSnapshot[],
  joining: ReadonlySet<string>,
  running: readonly ActivationStepSnapshot[],
): StepsJoining {
  const all = activationSteps(runbook, type, estate, scope);
  const known = new Set(running.map((x) => x.name));
  const joiningOf = (x: ActivationStepSnapshot) => x.gates.filter((id) => joining.has(id));
  return {
    steps: all.filter((x) => !known.has(x.name)).map((x) => ({ ...x, gates: joiningOf(x) })),
    stepGates: all
      .filter((x) => known.has(x.name) && joiningOf(x).length)
      .map((x) => ({ name: x.name, serverIds: joiningOf(x) })),
  };
}

/** The activation's steps once servers joined: new gates on its steps, then the new steps. */
export const withJoiningSteps = (
  steps: readonly RunbookStepState[],
  joined: Partial<StepsJoining>,
): RunbookStepState[] => [
  ...steps.map((x) => {
    const more = joined.stepGates?.find((g) => g.name === x.snapshot.name)?.serverIds ?? [];
    return more.length ? { ...x, snapshot: { ...x.snapshot, gates: [...x.snapshot.gates, ...more] } } : x;
  }),
  ...(joined.steps ?? []).map(newStepState),
];

export const newStepState = (snapshot: ActivationStepSnapshot): RunbookStepState => ({
  snapshot,
  attempt: 1,
  startedAt: null,
  endedAt: null,
  outcome: null,
  detail: null,
  blockedBy: null,
  cancelledAt: null,
  remindedAt: null,
});

// ---------------------------------------------------------------------------------------------
// status and graph

export const isPostCleanup = (step: Pick<RunbookStep, 'after'>) => step.after.includes(AFTER_TEARDOWN);

/**
 * A step's status. Given the activation's status, a step that will never run because the activation
 * ended without running (rejected, stood down) is `skipped`.
 */
export function stepStatus(x: RunbookStepState, activation?: ActivationStatus): RunbookStepStatus {
  if (x.outcome === 'done') return 'done';
  if (x.outcome === 'failed') return 'failed';
  if (x.cancelledAt) return 'cancelled';
  if (x.blockedBy) return 'blocked';
  if (x.startedAt) return x.snapshot.kind === 'manual' ? 'waiting-sign-off' : 'running';
  if (activation !== undefined && NEVER_RUN.includes(activation)) return 'skipped';
  return 'pending';
}

/** Activations that ended without running their steps. */
const NEVER_RUN: readonly ActivationStatus[] = ['rejected', 'stood-down'];
/** Post-cleanup steps run once a test is closed (its teardown verified) or a disaster failed back. */
const CLEANED_UP: readonly ActivationStatus[] = ['closed', 'failed-back'];

const TERMINAL: readonly RunbookStepStatus[] = ['done', 'failed', 'blocked', 'skipped', 'cancelled'];
export const isTerminalStep = (x: RunbookStepState) => TERMINAL.includes(stepStatus(x));
/** What follows a step may go: it is done, or it failed and says `continue`. */
export const stepPassed = (x: RunbookStepState) =>
  x.outcome === 'done' || (x.outcome === 'failed' && x.snapshot.onFailure === 'continue');

const stepsOf = (s: Activation): RunbookStepState[] => s.steps ?? [];
export const findStep = (s: Activation, name: string) => stepsOf(s).find((x) => x.snapshot.name === name);

/** Is everything the step follows done (servers available, steps passed, teardown verified)? */
export function stepReady(s: Activation, x: RunbookStepState): boolean {
  for (const a of x.snapshot.after) {
    if (a === AFTER_TEARDOWN) {
      if (!s.teardown.verifiedAt && !s.failedBackAt) return false;
      continue;
    }
    const step = findStep(s, a);
    if (step) {
      if (!stepPassed(step)) return false;
      continue;
    }
    const id = serverIdOf(s, a);
    if (id === null || !isAvailablePhase(s.servers[s.index[id]].phase)) return false;
  }
  return true;
}

const serverIdOf = (s: Activation, hostname: string): string | null =>
  s.servers.find((x) => x.snapshot.hostname === hostname)?.snapshot.serverId ?? null;

/** The steps a server waits for, passed? (a server may depend on a step) */
export const gatesPassed = (s: Activation, serverId: string): boolean =>
  stepsOf(s).every((x) => !x.snapshot.gates.includes(serverId) || stepPassed(x));

/** Does the activation (in its current status) run this step now? */
export function stepRunnable(s: Activation, x: RunbookStepState): boolean {
  const live = isPostCleanup(x.snapshot) ? CLEANED_UP.includes(s.status) : s.status === 'running';
  return live && !isTerminalStep(x) && stepReady(s, x);
}

/**
 * Steps and servers downstream of a failed node (a step name, or a server id): steps that follow it
 * (transitively) and servers gated by them, and steps following those servers. Names for steps,
 * ids for servers.
 */
export function downstreamOf(
  s: Activation,
  from: { step: string } | { serverId: string },
): { steps: string[]; servers: string[] } {
  const steps = new Set<string>();
  const servers = new Set<string>();
  const queue: Array<{ step: string } | { serverId: string }> = [from];
  const hostOf = (id: string) => s.servers[s.index[id]].snapshot.hostname;
  while (queue.length) {
    const node = queue.shift()!;
    const name = 'step' in node ? node.step : hostOf(node.serverId);
    for (const x of stepsOf(s))
      if (x.snapshot.after.includes(name) && !steps.has(x.snapshot.name)) {
        steps.add(x.snapshot.name);
        queue.push({ step: x.snapshot.name });
      }
    if ('step' in node) {
      for (const id of findStep(s, node.step)?.snapshot.gates ?? [])
        if (!servers.has(id)) {
          servers.add(id);
          queue.push({ serverId: id });
        }
    } else {
      for (const x of s.servers)
        if (x.snapshot.dependsOn.includes(name) && !servers.has(x.snapshot.serverId)) {
          servers.add(x.snapshot.serverId);
          queue.push({ serverId: x.snapshot.serverId });
        }
    }
  }
  return { steps: [...steps], servers: [...servers] };
}

/** The steps still open in a running activation (post-cleanup steps aside): it is not complete yet. */
export const stepsOpen = (s: Activation): boolean =>
  stepsOf(s).some((x) => !isPostCleanup(x.snapshot) && !isTerminalStep(x));
export const stepsFailed = (s: Activation): boolean =>
  stepsOf(s).some((x) => !isPostCleanup(x.snapshot) && (x.outcome === 'failed' || x.blockedBy !== null));
/** Post-cleanup steps still to run: the activation is not finished while they are. */
export const postCleanupOpen = (s: Activation): boolean =>
  !NEVER_RUN.includes(s.status) && stepsOf(s).some((x) => isPostCleanup(x.snapshot) && !isTerminalStep(x));

// ---------------------------------------------------------------------------------------------
// evolve

export function evolveStep(s: Activation, event: RunbookStepEvent): Activation {
  const at = event.data.at;
  const change = (name: string, f: (x: RunbookStepState) => Partial<RunbookStepState>): Activation => ({
    ...s,
    steps: stepsOf(s).map((x) => (x.snapshot.name === name ? { ...x, ...f(x) } : x)),
    updatedAt: at,
  });
  switch (event.type) {
    case 'RunbookStepStarted':
      return change(event.data.name, () => ({ startedAt: at }));
    case 'RunbookStepSucceeded':
      return change(event.data.name, () => ({ outcome: 'done', endedAt: at, detail: event.data.detail }));
    case 'RunbookStepFailed':
      return change(event.data.name, () => ({ outcome: 'failed', endedAt: at, detail: event.data.reason }));
    case 'RunbookStepBlocked':
      return change(event.data.name, () => ({ blockedBy: event.data.blockedBy, detail: event.data.reason }));
    case 'RunbookStepReminded':
      return change(event.data.name, () => ({ remindedAt: at }));
    case 'RunbookStepRetryRequested': {
      const unblocked = new Set(event.data.unblocked);
      const steps = stepsOf(s).map((x) =>
        x.snapshot.name === event.data.name
          ? { ...newStepState(x.snapshot), attempt: event.data.attempt }
          : unblocked.has(x.snapshot.name)
            ? { ...x, blockedBy: null, detail: null }
            : x,
      );
      return { ...s, steps, updatedAt: at };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// decide (facts of the worker, sign-off and fail by a person, retry)

export type RunbookStepCommand =
  | { type: 'RecordRunbookStepStarted'; data: { name: string; attempt: number; at: string } }
  | {
      type: 'RecordRunbookStepSucceeded';
      data: { name: string; attempt: number; detail: string | null; at: string };
    }
  | { type: 'RecordRunbookStepFailed'; data: { name: string; attempt: number; reason: string; at: string } }
  | { type: 'RecordRunbookStepReminded'; data: { name: string; attempt: number; at: string } }
  | { type: 'SignOffRunbookStep'; data: { name: string; note: string | null; by: Person; at: string } }
  | { type: 'FailRunbookStep'; data: { name: string; reason: string; by: Person; at: string } }
  | { type: 'RetryRunbookStep'; data: { name: string; by: Person; at: string } };

function requireStep(s: Activation, name: string): RunbookStepState {
  const x = findStep(s, name);
  if (!x) throw notFound('step', name);
  return x;
}

/** The step a worker fact is about at this attempt, or null when the fact is late (ignored). */
function factStep(s: Activation, name: string, attempt: number): RunbookStepState | null {
  const x = requireStep(s, name);
  if (!Number.isInteger(attempt) || attempt < 1)
    throw validationError('invalid-attempt', 'attempt must be a positive integer', [
      { field: 'attempt', message: 'must be a positive integer' },
    ]);
  if (attempt !== x.attempt || isTerminalStep(x)) return null;
  if (!isPostCleanup(x.snapshot) && s.status !== 'running') return null;
  return x;
}

const stepConflict = (x: RunbookStepState, code: string, message: string): DomainError =>
  conflict(code, `step ${x.snapshot.name}: ${message}`, { step: x.snapshot.name, status: stepStatus(x) });

/** The events of a step command; the decider adds the consequences (blocking, completion). */
export function decideStep(command: RunbookStepCommand, s: Activation): RunbookStepEvent[] {
  const d = command.data;
  switch (command.type) {
    case 'RecordRunbookStepStarted': {
      const x = factStep(s, d.name, command.data.attempt);
      if (!x || x.startedAt) return [];
      return [{ type: 'RunbookStepStarted', data: { name: d.name, attempt: x.attempt, at: d.at } }];
    }
    case 'RecordRunbookStepSucceeded': {
      const x = factStep(s, d.name, command.data.attempt);
      if (!x) return [];
      return [
        {
          type: 'RunbookStepSucceeded',
          data: { name: d.name, attempt: x.attempt, detail: command.data.detail, at: d.at },
        },
      ];
    }
    case 'RecordRunbookStepFailed': {
      const x = factStep(s, d.name, command.data.attempt);
      if (!x) return [];
      return [
        {
          type: 'RunbookStepFailed',
          data: { name: d.name, attempt: x.attempt, reason: command.data.reason, at: d.at },
        },
      ];
    }
    case 'RecordRunbookStepReminded': {
      const x = factStep(s, d.name, command.data.attempt);
      if (!x || x.remindedAt) return [];
      return [{ type: 'RunbookStepReminded', data: { name: d.name, attempt: x.attempt, at: d.at } }];
    }
    case 'SignOffRunbookStep':
    case 'FailRunbookStep': {
      const x = requireStep(s, d.name);
      if (x.snapshot.kind !== 'manual')
        throw stepConflict(x, 'not-a-manual-step', `a ${x.snapshot.kind} step is not signed off`);
      if (stepStatus(x) !== 'waiting-sign-off')
        throw stepConflict(x, 'step-not-waiting', `it is ${stepStatus(x)}, not waiting for a sign-off`);
      if (command.type === 'SignOffRunbookStep')
        return [
          {
            type: 'RunbookStepSucceeded',
            data: {
              name: d.name,
              attempt: x.attempt,
              detail: command.data.note,
              by: command.data.by,
              at: d.at,
            },
          },
        ];
      if (!command.data.reason?.trim())
        throw validationError('reason-required', 'a failed step says why', [
          { field: 'reason', message: 'required' },
        ]);
      return [
        {
          type: 'RunbookStepFailed',
          data: {
            name: d.name,
            attempt: x.attempt,
            reason: command.data.reason,
            by: command.data.by,
            at: d.at,
          },
        },
      ];
    }
    case 'RetryRunbookStep': {
      const x = requireStep(s, d.name);
      if (x.outcome !== 'failed')
        throw stepConflict(
          x,
          'step-not-failed',
          `only a failed step can be retried (it is ${stepStatus(x)})`,
        );
      if (!isPostCleanup(x.snapshot) && !['running', 'completed-with-failures'].includes(s.status))
        throw conflict('wrong-status', `cannot retry a step of a ${s.status} activation`, {
          status: s.status,
        });
      const below = downstreamOf(s, { step: d.name });
      const unblocked = below.steps.filter((n) => findStep(s, n)?.blockedBy === d.name);
      const unblockedServers = below.servers.filter(
        (id) => s.servers[s.index[id]].blockedBy?.hostname === d.name,
      );
      return [
        {
          type: 'RunbookStepRetryRequested',
          data: {
            name: d.name,
            attempt: x.attempt + 1,
            unblocked,
            unblockedServers,
            by: command.data.by,
            at: d.at,
          },
        },
      ];
    }
  }
}

/** Steps a failed node blocks (its blocking events); servers are blocked by the decider's own rule. */
export function blockedSteps(
  s: Activation,
  from: { step: string } | { serverId: string },
  blockedBy: string,
  reason: string,
  at: string,
): { steps: RunbookStepBlocked[]; servers: string[] } {
  const below = downstreamOf(s, from);
  return {
    steps: below.steps
      .map((n) => findStep(s, n)!)
      .filter((x) => !isTerminalStep(x))
      .map((x) => ({ type: 'RunbookStepBlocked', data: { name: x.snapshot.name, blockedBy, reason, at } })),
    servers: below.servers.filter((id) => !isTerminalPhase(s.servers[s.index[id]].phase)),
  };
}

/** Estimated minutes of a step of this kind (plan prediction, live projection). */
export type StepKindEstimates = Record<RunbookStepKind, number>;
