import type { Activation } from '../activation/activation.state';
import {
  addMonths,
  complianceOf,
  defaultCadenceProposals,
  successfulTestsOf,
  type ComplianceServer,
  type SuccessfulTest,
} from './compliance';
import type { TestSchedule } from './schedule.decider';

const ENROLLED = '2026-01-01T00:00:00.000Z';
const servers: ComplianceServer[] = [
  { serverId: 'web', hostname: 'web-1', protectionClass: 'drp', enrolledAt: ENROLLED },
  { serverId: 'bk', hostname: 'bk-1', protectionClass: 'backup-with-tests', enrolledAt: ENROLLED },
  { serverId: 'old', hostname: 'old-1', protectionClass: 'backup-only', enrolledAt: ENROLLED },
];
const test = (serverId: string, kind: SuccessfulTest['kind'], testedAt: string): SuccessfulTest => ({
  serverId,
  kind,
  activationId: `a-${testedAt}`,
  testedAt,
});
const byHost = (entries: ReturnType<typeof complianceOf>) =>
  Object.fromEntries(entries.map((e) => [e.hostname, e]));

describe('test compliance', () => {
  it('adds calendar months in UTC, clamping to the end of the month', () => {
    expect(addMonths('2026-01-01T00:00:00.000Z', 6)).toBe('2026-07-01T00:00:00.000Z');
    expect(addMonths('2025-08-31T10:00:00.000Z', 6)).toBe('2026-02-28T10:00:00.000Z');
    expect(addMonths('2026-03-15T00:00:00.000Z', 12)).toBe('2027-03-15T00:00:00.000Z');
  });

  it('never tested: due the class period after enrolment; none for backup-only', () => {
    const c = byHost(complianceOf(servers, [], '2026-02-01T00:00:00.000Z'));
    expect(c['web-1']).toMatchObject({
      lastTestedAt: null,
      nextDueAt: '2026-07-01T00:00:00.000Z',
      overdue: false,
    });
    expect(c['bk-1']).toMatchObject({
      lastTestedAt: null,
      nextDueAt: '2027-01-01T00:00:00.000Z',
      overdue: false,
    });
    expect(c['old-1']).toMatchObject({ nextDueAt: null, overdue: false, dueSoon: false });
  });

  it('is overdue once now passes the due date, and due soon within 30 days before', () => {
    expect(byHost(complianceOf(servers, [], '2026-06-10T00:00:00.000Z'))['web-1']).toMatchObject({
      overdue: false,
      dueSoon: true,
    });
    expect(byHost(complianceOf(servers, [], '2026-07-01T00:00:00.000Z'))['web-1'].overdue).toBe(false);
    expect(byHost(complianceOf(servers, [], '2026-07-01T00:00:00.001Z'))['web-1']).toMatchObject({
      overdue: true,
      dueSoon: false,
    });
  });

  it('a drp server counts only DRP tests; a backup-with-tests server counts restore and DRP tests', () => {
    const tests = [
      test('web', 'restore-test', '2026-05-01T00:00:00.000Z'),
      test('web', 'drp-test', '2026-03-01T00:00:00.000Z'),
      test('bk', 'restore-test', '2026-02-01T00:00:00.000Z'),
      test('bk', 'drp-test', '2026-04-01T00:00:00.000Z'),
    ];
    const c = byHost(complianceOf(servers, tests, '2026-06-01T00:00:00.000Z'));
    expect(c['web-1']).toMatchObject({
      lastTestedAt: '2026-03-01T00:00:00.000Z',
      nextDueAt: '2026-09-01T00:00:00.000Z',
    });
    expect(c['bk-1']).toMatchObject({
      lastTestedAt: '2026-04-01T00:00:00.000Z',
      nextDueAt: '2027-04-01T00:00:00.000Z',
    });
  });

  it('takes ok and warning servers of a test activation, not failed ones nor disasters', () => {
    const activation = {
      id: 'a-1',
      type: 'test',
      kind: 'drp-test',
      servers: [
        { snapshot: { serverId: 'web' }, phase: 'ok', checkedAt: '2026-03-01T01:00:00.000Z' },
        { snapshot: { serverId: 'db' }, phase: 'warning', checkedAt: '2026-03-01T01:10:00.000Z' },
        { snapshot: { serverId: 'app' }, phase: 'failed', checkedAt: '2026-03-01T01:20:00.000Z' },
        { snapshot: { serverId: 'blk' }, phase: 'blocked', checkedAt: null },
      ],
    } as unknown as Activation;
    expect(successfulTestsOf(activation).map((t) => [t.serverId, t.kind, t.testedAt])).toEqual([
      ['web', 'drp-test', '2026-03-01T01:00:00.000Z'],
      ['db', 'drp-test', '2026-03-01T01:10:00.000Z'],
    ]);
    expect(successfulTestsOf({ ...activation, type: 'disaster', kind: 'failover' } as Activation)).toEqual(
      [],
    );
  });

  describe('default cadence', () => {
    const planned = (
      kind: TestSchedule['kind'],
      status: TestSchedule['status'],
      extra: Partial<TestSchedule> = {},
    ) => ({ kind, status, origin: 'user', dueAt: null, ...extra }) as TestSchedule;

    it('proposes one test per kind when servers come due, never less than 30 days ahead', () => {
      const now = '2026-06-15T00:00:00.000Z';
      const proposals = defaultCadenceProposals(complianceOf(servers, [], now), [], now);
      expect(proposals).toEqual([
        {
          kind: 'drp-test',
          dueAt: '2026-07-01T00:00:00.000Z',
          scheduledFor: '2026-07-15T00:00:00.000Z',
          servers: ['web-1'],
        },
      ]);
    });

    it('proposes the due date itself when it is far enough ahead, and nothing beyond the horizon', () => {
      const now = '2026-05-05T00:00:00.000Z';
      expect(defaultCadenceProposals(complianceOf(servers, [], now), [], now)).toEqual([
        {
          kind: 'drp-test',
          dueAt: '2026-07-01T00:00:00.000Z',
          scheduledFor: '2026-07-01T00:00:00.000Z',
          servers: ['web-1'],
        },
      ]);
      expect(
        defaultCadenceProposals(
          complianceOf(servers, [], '2026-02-01T00:00:00.000Z'),
          [],
          '2026-02-01T00:00:00.000Z',
        ),
      ).toEqual([]);
    });

    it('proposes nothing when a test of that kind is already planned, or the tenant cancelled this proposal', () => {
      const now = '2026-12-20T00:00:00.000Z';
      const c = complianceOf(servers, [], now);
      expect(defaultCadenceProposals(c, [planned('drp-test', 'scheduled')], now).map((p) => p.kind)).toEqual([
        'restore-test',
      ]);
      expect(
        defaultCadenceProposals(
          c,
          [
            planned('restore-test', 'cancelled', {
              origin: 'default-cadence',
              dueAt: '2027-01-01T00:00:00.000Z',
            }),
          ],
          now,
        ).map((p) => p.kind),
      ).toEqual(['drp-test']);
    });
  });
});
