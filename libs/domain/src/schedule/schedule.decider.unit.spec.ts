import { fold } from '@reprise/domain/shared/decider';
import { deciderSpecification } from '@reprise/domain/shared/testing/specification';
import {
  isDueToStart,
  scheduleDecider,
  type ScheduleCommand,
  type ScheduleEvent,
  type TestSchedule,
} from './schedule.decider';

const NOW = '2026-01-05T09:00:00.000Z';
const days = (n: number) => new Date(Date.parse(NOW) + n * 86_400_000).toISOString();

const { given } = deciderSpecification(scheduleDecider);

const schedule = (
  scheduledFor = days(40),
  extra: Partial<Extract<ScheduleCommand, { type: 'ScheduleTest' }>['data']> = {},
): ScheduleCommand => ({
  type: 'ScheduleTest',
  data: { scheduleId: 's-1', tenantId: 't-1', kind: 'drp-test', scheduledFor, now: NOW, ...extra },
});

const scheduled: ScheduleEvent = {
  type: 'TestScheduled',
  data: {
    scheduleId: 's-1',
    tenantId: 't-1',
    kind: 'drp-test',
    scheduledFor: days(40),
    scope: 'full',
    origin: 'user',
    dueAt: null,
    at: NOW,
  },
};
const started: ScheduleEvent = { type: 'ScheduledTestStarted', data: { activationId: 'a-1', at: days(40) } };

describe('test schedule decider', () => {
  describe('ScheduleTest', () => {
    it('records TestScheduled with the full scope by default', () => {
      given().when(schedule()).then([scheduled]);
    });

    it('accepts exactly 30 days ahead', () => {
      given()
        .when(schedule(days(30)))
        .then([{ ...scheduled, data: { ...scheduled.data, scheduledFor: days(30) } } as ScheduleEvent]);
    });

    it('refuses less than 30 days ahead (422 too-soon, naming the rule and the earliest date)', () => {
      const error = given()
        .when(schedule(days(29)))
        .thenThrows('rule', 'too-soon');
      expect(error.message).toContain('at least 30 days ahead');
      expect(error.details).toMatchObject({ minimumNoticeDays: 30, earliest: days(30) });
    });

    it('refuses a time in the past as too soon', () => {
      given()
        .when(schedule(days(-1)))
        .thenThrows('rule', 'too-soon');
    });

    it('lists every invalid field (400)', () => {
      const error = given()
        .when({
          type: 'ScheduleTest',
          data: {
            scheduleId: 's',
            tenantId: 't',
            kind: 'fire-drill' as never,
            scheduledFor: 'soon',
            scope: { servers: [] },
            now: NOW,
          },
        })
        .thenThrows('validation', 'invalid-schedule');
      expect(error.details.errors?.map((e) => e.field)).toEqual(['kind', 'scheduledFor', 'scope']);
    });

    it('refuses a partial scope naming unknown or ineligible servers', () => {
      const error = given()
        .when(
          schedule(days(40), {
            kind: 'restore-test',
            scope: { servers: ['bk-1', 'web-1', 'old-1', 'ghost'] },
            estate: [
              { hostname: 'bk-1', protectionClass: 'backup-with-tests' },
              { hostname: 'web-1', protectionClass: 'drp' },
              { hostname: 'old-1', protectionClass: 'backup-only' },
            ],
          }),
        )
        .thenThrows('rule', 'scope-refused');
      // a restore test may name drp servers too (restored on their own, isolated)
      expect(error.details).toMatchObject({ unknown: ['ghost'], notEligible: ['old-1'] });
      given()
        .when(
          schedule(days(40), {
            kind: 'drp-test',
            scope: { servers: ['bk-1'] },
            estate: [{ hostname: 'bk-1', protectionClass: 'backup-with-tests' }],
          }),
        )
        .thenThrows('rule', 'scope-refused', { notEligible: ['bk-1'] });
    });

    it('records the origin and due date of a default-cadence proposal', () => {
      given()
        .when(schedule(days(40), { origin: 'default-cadence', dueAt: days(35) }))
        .then([
          {
            ...scheduled,
            data: { ...scheduled.data, origin: 'default-cadence', dueAt: days(35) },
          } as ScheduleEvent,
        ]);
    });

    it('refuses a second TestScheduled on the same stream (409)', () => {
      given([scheduled]).when(schedule()).thenThrows('conflict', 'schedule-exists');
    });
  });

  describe('CancelSchedule', () => {
    const cancel: ScheduleCommand = { type: 'CancelSchedule', data: { by: 'api-key:k', at: days(1) } };
    it('cancels a planned test', () => {
      given([scheduled])
        .when(cancel)
        .then([{ type: 'ScheduleCancelled', data: { by: 'api-key:k', reason: null, at: days(1) } }]);
    });
    it('is idempotent once cancelled', () => {
      given([scheduled, { type: 'ScheduleCancelled', data: { by: 'x', reason: null, at: days(1) } }])
        .when(cancel)
        .thenNothing();
    });
    it('refuses to cancel a started test (409)', () => {
      given([scheduled, started]).when(cancel).thenThrows('conflict', 'wrong-schedule-status');
    });
  });

  describe('start', () => {
    const start = (activationId = 'a-1'): ScheduleCommand => ({
      type: 'RecordScheduledTestStarted',
      data: { activationId, at: days(40) },
    });
    it('records the activation it started', () => {
      given([scheduled]).when(start()).then([started]);
    });
    it('is idempotent for the same activation, a conflict for another (at most one activation)', () => {
      given([scheduled, started]).when(start()).thenNothing();
      given([scheduled, started]).when(start('a-2')).thenThrows('conflict', 'schedule-already-started');
    });
    it('never starts a cancelled schedule', () => {
      given([scheduled, { type: 'ScheduleCancelled', data: { by: 'x', reason: null, at: days(1) } }])
        .when(start())
        .thenThrows('conflict', 'wrong-schedule-status');
    });
    it('records a failure to start with its reason', () => {
      given([scheduled])
        .when({
          type: 'RecordScheduledTestFailedToStart',
          data: { reason: 'another activation is live', code: 'activation-overlap', at: days(40) },
        })
        .then([
          {
            type: 'ScheduledTestFailedToStart',
            data: { reason: 'another activation is live', code: 'activation-overlap', at: days(40) },
          },
        ]);
    });
    it('records a postponement once per set of live activations it waits for, and still starts later', () => {
      const postpone = (activationIds: string[]): ScheduleCommand => ({
        type: 'RecordScheduledTestPostponed',
        data: { reason: 'web-1 is in a live disaster', servers: ['web-1'], activationIds, at: days(40) },
      });
      const [postponed] = given([scheduled])
        .when(postpone(['d-1']))
        .then([
          {
            type: 'ScheduledTestPostponed',
            data: {
              reason: 'web-1 is in a live disaster',
              servers: ['web-1'],
              activationIds: ['d-1'],
              at: days(40),
            },
          },
        ]);
      given([scheduled, postponed])
        .when(postpone(['d-1']))
        .thenNothing();
      given([scheduled, postponed])
        .when(postpone(['d-2']))
        .thenTypes('ScheduledTestPostponed');
      expect(fold(scheduleDecider, [scheduled, postponed])).toMatchObject({
        status: 'scheduled',
        postponed: { activationIds: ['d-1'] },
      });
      given([scheduled, postponed]).when(start()).thenTypes('ScheduledTestStarted');
      given([scheduled, started])
        .when(postpone(['d-1']))
        .thenThrows('conflict', 'wrong-schedule-status');
    });
    it('finishes once its activation ended', () => {
      const state = fold(scheduleDecider, [
        scheduled,
        started,
        {
          type: 'ScheduledTestFinished',
          data: { activationId: 'a-1', activationStatus: 'closed', at: days(41) },
        },
      ]) as TestSchedule;
      expect(state).toMatchObject({
        status: 'finished',
        activationId: 'a-1',
        finished: { activationStatus: 'closed' },
      });
    });
  });

  it('is due to start when its time has come and it is still planned', () => {
    const state = fold(scheduleDecider, [scheduled]) as TestSchedule;
    expect(isDueToStart(state, days(39))).toBe(false);
    expect(isDueToStart(state, days(40))).toBe(true);
    const running = fold(scheduleDecider, [scheduled, started]) as TestSchedule;
    expect(isDueToStart(running, days(41))).toBe(false);
  });
});
