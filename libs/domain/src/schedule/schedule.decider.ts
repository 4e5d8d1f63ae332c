import { assertNever, type Decider, type DomainEvent } from '@reprise/domain/shared/decider';
import { conflict, ruleViolation, validationError, type FieldError } from '@reprise/domain/shared/errors';
import { isTimestamp, TIMESTAMP_RULE } from '@reprise/domain/shared/timestamp';
import type { ProtectionClass, RequestedScope } from '../activation/activation.types';
import { eligibleClasses } from '../activation/scope';

/**
 * A planned test (`tenant/<t>/test-schedule/<id>`): a DRP test or a restore test agreed at least
 * 30 days ahead, started by the worker's scheduler when its time comes. Pure: `now` and `at` come
 * in the commands.
 *
 *   scheduled ──start──▶ started ──activation ended──▶ finished
 *       │ └──overlaps a live activation: postponed (recorded once per blocker), tried again──┘
 *       │ └──failed to start (reason recorded)──▶ failed-to-start
 *       └──cancel──▶ cancelled
 */

export type TestKind = 'drp-test' | 'restore-test';
export const TEST_KINDS: readonly TestKind[] = ['drp-test', 'restore-test'];
export type ScheduleOrigin = 'user' | 'default-cadence';
export type ScheduleStatus = 'scheduled' | 'started' | 'failed-to-start' | 'cancelled' | 'finished';

/** A test is agreed at least this many days ahead. */
export const MINIMUM_NOTICE_DAYS = 30;
const DAY_MS = 86_400_000;

export interface ScheduleActor {
  name: string;
  email: string;
}

// ---------- commands ----------
interface Command<Type extends string, Data> {
  type: Type;
  data: Data;
}
export type ScheduleTest = Command<
  'ScheduleTest',
  {
    scheduleId: string;
    tenantId: string;
    kind: TestKind;
    scheduledFor: string;
    scope?: RequestedScope;
    origin?: ScheduleOrigin;
    /** Default cadence: the due date the proposal answers (also its de-duplication key). */
    dueAt?: string | null;
    /** The tenant's active servers, to refuse a partial scope naming unknown or ineligible servers. */
    estate?: { hostname: string; protectionClass: ProtectionClass }[];
    /** Clock reading of the request. */
    now: string;
  }
>;
export type CancelSchedule = Command<'CancelSchedule', { by: string; reason?: string | null; at: string }>;
export type RecordScheduledTestStarted = Command<
  'RecordScheduledTestStarted',
  { activationId: string; at: string }
>;
export type RecordScheduledTestFailedToStart = Command<
  'RecordScheduledTestFailedToStart',
  { reason: string; code?: string | null; at: string }
>;
/** The test would overlap live activations: it waits for them (tried again at every tick). */
export type RecordScheduledTestPostponed = Command<
  'RecordScheduledTestPostponed',
  { reason: string; servers: string[]; activationIds: string[]; at: string }
>;
export type RecordScheduledTestFinished = Command<
  'RecordScheduledTestFinished',
  { activationId: string; activationStatus: string; at: string }
>;
export type ScheduleCommand =
  | ScheduleTest
  | CancelSchedule
  | RecordScheduledTestStarted
  | RecordScheduledTestFailedToStart
  | RecordScheduledTestPostponed
  | RecordScheduledTestFinished;

// ---------- events ----------
export type TestScheduled = DomainEvent<
  'TestScheduled',
  {
    scheduleId: string;
    tenantId: string;
    kind: TestKind;
    scheduledFor: string;
    scope: RequestedScope;
    origin: ScheduleOrigin;
    dueAt: string | null;
    at: string;
  }
>;
export type ScheduleCancelled = DomainEvent<
  'ScheduleCancelled',
  { by: string; reason: string | null; at: string }
>;
export type ScheduledTestStarted = DomainEvent<'ScheduledTestStarted', { activationId: string; at: string }>;
export type ScheduledTestFailedToStart = DomainEvent<
  'ScheduledTestFailedToStart',
  { reason: string; code: string | null; at: string }
>;
export type ScheduledTestPostponed = DomainEvent<
  'ScheduledTestPostponed',
  { reason: string; servers: string[]; activationIds: string[]; at: string }
>;
export type ScheduledTestFinished = DomainEvent<
  'ScheduledTestFinished',
  { activationId: string; activationStatus: string; at: string }
>;
export type ScheduleEvent =
  | TestScheduled
  | ScheduleCancelled
  | ScheduledTestStarted
  | ScheduledTestFailedToStart
  | ScheduledTestPostponed
  | ScheduledTestFinished;

export const SCHEDULE_EVENT_TYPES: readonly ScheduleEvent['type'][] = [
  'TestScheduled',
  'ScheduleCancelled',
  'ScheduledTestStarted',
  'ScheduledTestFailedToStart',
  'ScheduledTestPostponed',
  'ScheduledTestFinished',
];

// ---------- state ----------
export interface TestSchedule {
  exists: true;
  id: string;
  tenantId: string;
  kind: TestKind;
  scheduledFor: string;
  scope: RequestedScope;
  origin: ScheduleOrigin;
  dueAt: string | null;
  status: ScheduleStatus;
  createdAt: string;
  activationId: string | null;
  startedAt: string | null;
  failure: { reason: string; code: string | null; at: string } | null;
  /** Last postponement: the live activations (and servers) it waits for. */
  postponed: { reason: string; servers: string[]; activationIds: string[]; at: string } | null;
  cancelled: { by: string; reason: string | null; at: string } | null;
  finished: { activationStatus: string; at: string } | null;
}
export type ScheduleState = { exists: false } | TestSchedule;

export const initialScheduleState = (): ScheduleState => ({ exists: false });

export function evolveSchedule(state: ScheduleState, event: ScheduleEvent): ScheduleState {
  if (event.type === 'TestScheduled') {
    const d = event.data;
    return {
      exists: true,
      id: d.scheduleId,
      tenantId: d.tenantId,
      kind: d.kind,
      scheduledFor: d.scheduledFor,
      scope: d.scope,
      origin: d.origin,
      dueAt: d.dueAt ?? null,
      status: 'scheduled',
      createdAt: d.at,
      activationId: null,
      startedAt: null,
      failure: null,
      postponed: null,
      cancelled: null,
      finished: null,
    };
  }
  if (!state.exists) return state;
  switch (event.type) {
    case 'ScheduleCancelled':
      return { ...state, status: 'cancelled', cancelled: { ...event.data } };
    case 'ScheduledTestStarted':
      return { ...state, status: 'started', activationId: event.data.activationId, startedAt: event.data.at };
    case 'ScheduledTestFailedToStart':
      return { ...state, status: 'failed-to-start', failure: { ...event.data } };
    case 'ScheduledTestPostponed':
      return { ...state, postponed: { ...event.data } };
    case 'ScheduledTestFinished':
      return {
        ...state,
        status: 'finished',
        finished: { activationStatus: event.data.activationStatus, at: event.data.at },
      };
    default:
      return assertNever(event);
  }
}

// ---------- decide ----------
const isTime = isTimestamp;
const iso = (ms: number) => new Date(ms).toISOString();

function requireAt(at: unknown, field = 'at'): string {
  if (!isTime(at))
    throw validationError('invalid-time', `${field} is not an ISO-8601 time`, [
      { field, message: TIMESTAMP_RULE },
    ]);
  return iso(Date.parse(at));
}

function requireExisting(state: ScheduleState): TestSchedule {
  if (!state.exists) throw conflict('schedule-not-found', 'no test is scheduled in this stream');
  return state;
}

function wrongStatus(s: TestSchedule, action: string): never {
  throw conflict('wrong-schedule-status', `cannot ${action} a schedule that is ${s.status}`, {
    status: s.status,
  });
}

function validateScope(scope: unknown, errors: FieldError[]): RequestedScope {
  if (scope === undefined || scope === null || scope === 'full') return 'full';
  const servers = (scope as { servers?: unknown })?.servers;
  if (
    typeof scope !== 'object' ||
    Array.isArray(scope) ||
    !Array.isArray(servers) ||
    servers.length === 0 ||
    !servers.every((s) => typeof s === 'string' && s.length > 0)
  ) {
    errors.push({ field: 'scope', message: 'must be "full" or {servers: [hostname, ...]}' });
    return 'full';
  }
  return { servers: [...new Set(servers as string[])] };
}

function scheduleTest(d: ScheduleTest['data'], state: ScheduleState): ScheduleEvent[] {
  if (state.exists)
    throw conflict('schedule-exists', `schedule ${state.id} already exists`, { scheduleId: state.id });
  const errors: FieldError[] = [];
  if (!TEST_KINDS.includes(d.kind))
    errors.push({ field: 'kind', message: 'must be drp-test or restore-test' });
  if (!isTime(d.scheduledFor)) errors.push({ field: 'scheduledFor', message: TIMESTAMP_RULE });
  if (!isTime(d.now)) errors.push({ field: 'now', message: TIMESTAMP_RULE });
  const scope = validateScope(d.scope, errors);
  if (errors.length)
    throw validationError(
      'invalid-schedule',
      errors.map((e) => `${e.field} ${e.message}`).join('; '),
      errors,
    );

  const now = Date.parse(d.now);
  const scheduledFor = Date.parse(d.scheduledFor);
  const earliest = now + MINIMUM_NOTICE_DAYS * DAY_MS;
  if (scheduledFor < earliest)
    throw ruleViolation(
      'too-soon',
      `a test is agreed at least ${MINIMUM_NOTICE_DAYS} days ahead: scheduledFor must be on or after ${iso(earliest)}`,
      {
        rule: `minimum-notice-${MINIMUM_NOTICE_DAYS}-days`,
        minimumNoticeDays: MINIMUM_NOTICE_DAYS,
        earliest: iso(earliest),
        errors: [{ field: 'scheduledFor', message: `must be at least ${MINIMUM_NOTICE_DAYS} days ahead` }],
      },
    );

  if (scope !== 'full' && d.estate) {
    const classes = eligibleClasses(d.kind);
    const byName = new Map(d.estate.map((s) => [s.hostname.toLowerCase(), s]));
    const unknown = scope.servers.filter((h) => !byName.has(h.toLowerCase()));
    const ineligible = scope.servers.filter((h) => {
      const s = byName.get(h.toLowerCase());
      return s && !classes.includes(s.protectionClass);
    });
    if (unknown.length || ineligible.length)
      throw ruleViolation(
        'scope-refused',
        [
          unknown.length ? `unknown servers: ${unknown.join(', ')}` : '',
          ineligible.length ? `not in the ${classes.join(' or ')} class: ${ineligible.join(', ')}` : '',
        ]
          .filter(Boolean)
          .join('; '),
        { servers: [...unknown, ...ineligible], unknown, notEligible: ineligible },
      );
  }

  return [
    {
      type: 'TestScheduled',
      data: {
        scheduleId: d.scheduleId,
        tenantId: d.tenantId,
        kind: d.kind,
        scheduledFor: iso(scheduledFor),
        scope,
        origin: d.origin ?? 'user',
        dueAt: d.dueAt ?? null,
        at: iso(now),
      },
    },
  ];
}

function cancel(d: CancelSchedule['data'], s: TestSchedule): ScheduleEvent[] {
  const at = requireAt(d.at);
  if (s.status === 'cancelled') return [];
  if (s.status !== 'scheduled') wrongStatus(s, 'cancel');
  return [{ type: 'ScheduleCancelled', data: { by: d.by, reason: d.reason ?? null, at } }];
}

function started(d: RecordScheduledTestStarted['data'], s: TestSchedule): ScheduleEvent[] {
  const at = requireAt(d.at);
  if (!d.activationId)
    throw validationError('invalid-activation-id', 'activationId is required', [
      { field: 'activationId', message: 'is required' },
    ]);
  if (s.status === 'started' || s.status === 'finished') {
    if (s.activationId === d.activationId) return [];
    throw conflict('schedule-already-started', `schedule ${s.id} already started ${s.activationId}`, {
      activationId: s.activationId,
    });
  }
  if (s.status !== 'scheduled') wrongStatus(s, 'start');
  return [{ type: 'ScheduledTestStarted', data: { activationId: d.activationId, at } }];
}

function failedToStart(d: RecordScheduledTestFailedToStart['data'], s: TestSchedule): ScheduleEvent[] {
  const at = requireAt(d.at);
  if (s.status === 'failed-to-start') return [];
  if (s.status !== 'scheduled') wrongStatus(s, 'record a failure to start for');
  const reason = typeof d.reason === 'string' && d.reason.trim() ? d.reason : 'unknown';
  return [{ type: 'ScheduledTestFailedToStart', data: { reason, code: d.code ?? null, at } }];
}

function postponed(d: RecordScheduledTestPostponed['data'], s: TestSchedule): ScheduleEvent[] {
  const at = requireAt(d.at);
  if (s.status !== 'scheduled') wrongStatus(s, 'postpone');
  const activationIds = [...new Set(d.activationIds ?? [])].sort();
  const servers = [...new Set(d.servers ?? [])].sort();
  if (s.postponed && s.postponed.activationIds.join() === activationIds.join()) return [];
  const reason = typeof d.reason === 'string' && d.reason.trim() ? d.reason : 'overlaps a live activation';
  return [{ type: 'ScheduledTestPostponed', data: { reason, servers, activationIds, at } }];
}

function finished(d: RecordScheduledTestFinished['data'], s: TestSchedule): ScheduleEvent[] {
  const at = requireAt(d.at);
  if (s.status === 'finished') return [];
  if (s.status !== 'started' || s.activationId !== d.activationId) wrongStatus(s, 'finish');
  return [
    {
      type: 'ScheduledTestFinished',
      data: { activationId: d.activationId, activationStatus: d.activationStatus, at },
    },
  ];
}

export function decideSchedule(command: ScheduleCommand, state: ScheduleState): ScheduleEvent[] {
  switch (command.type) {
    case 'ScheduleTest':
      return scheduleTest(command.data, state);
    case 'CancelSchedule':
      return cancel(command.data, requireExisting(state));
    case 'RecordScheduledTestStarted':
      return started(command.data, requireExisting(state));
    case 'RecordScheduledTestFailedToStart':
      return failedToStart(command.data, requireExisting(state));
    case 'RecordScheduledTestPostponed':
      return postponed(command.data, requireExisting(state));
    case 'RecordScheduledTestFinished':
      return finished(command.data, requireExisting(state));
    default:
      return assertNever(command);
  }
}

export const scheduleDecider: Decider<ScheduleCommand, ScheduleState, ScheduleEvent> = {
  decide: decideSchedule,
  evolve: evolveSchedule,
  initialState: initialScheduleState,
};

/** Folds the events of many schedule streams (store order) into their states, by stream. */
export function foldSchedules(
  events: Iterable<{ stream: string; type: string; data: unknown }>,
): Map<string, TestSchedule> {
  const states = new Map<string, ScheduleState>();
  for (const e of events) {
    if (!SCHEDULE_EVENT_TYPES.includes(e.type as ScheduleEvent['type'])) continue;
    states.set(e.stream, evolveSchedule(states.get(e.stream) ?? initialScheduleState(), e as ScheduleEvent));
  }
  const out = new Map<string, TestSchedule>();
  for (const [stream, s] of states) if (s.exists) out.set(stream, s);
  return out;
}

/** Is this schedule due to start (time come, not started, not cancelled)? */
export const isDueToStart = (s: TestSchedule, now: string): boolean =>
  s.status === 'scheduled' && Date.parse(s.scheduledFor) <= Date.parse(now);
