import type { Activation } from '../activation/activation.state';
import { isAvailablePhase, type ProtectionClass } from '../activation/activation.types';
import { MINIMUM_NOTICE_DAYS, type TestKind, type TestSchedule } from './schedule.decider';

/**
 * Test compliance (pure): when each protected server was last tested successfully, when its next
 * test is due, and whether it is overdue.
 *
 * - `drp`: a full DRP test every 6 months; only a DRP test in which the server came up `ok` or
 *   `warning` counts.
 * - `backup-with-tests`: restored and checked once a year; a restore test or a DRP test counts.
 * - `backup-only`: never tested, never due.
 * Never tested: due the same period after enrolment.
 */

export const TEST_PERIOD_MONTHS: Record<ProtectionClass, number | null> = {
  drp: 6,
  'backup-with-tests': 12,
  'backup-only': null,
};
/** A "test due" notice is sent this many days before the due date. */
export const DUE_SOON_DAYS = 30;
const DAY_MS = 86_400_000;

export interface ComplianceServer {
  serverId: string;
  hostname: string;
  protectionClass: ProtectionClass;
  enrolledAt: string;
}

/** One server that came up `ok`/`warning` in a test. */
export interface SuccessfulTest {
  serverId: string;
  kind: TestKind;
  activationId: string;
  /** When the server was checked available. */
  testedAt: string;
}

export interface ComplianceEntry {
  serverId: string;
  hostname: string;
  protectionClass: ProtectionClass;
  lastTestedAt: string | null;
  lastActivationId: string | null;
  nextDueAt: string | null;
  overdue: boolean;
  /** Not overdue and due within DUE_SOON_DAYS. */
  dueSoon: boolean;
}

/** Adds calendar months in UTC, clamping to the month's last day (31 Aug + 6 months = 28/29 Feb). */
export function addMonths(iso: string, months: number): string {
  const d = new Date(iso);
  const day = d.getUTCDate();
  const target = new Date(d.getTime());
  target.setUTCDate(1);
  target.setUTCMonth(target.getUTCMonth() + months);
  const last = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, last));
  return target.toISOString();
}

/** The servers of a test activation that came up `ok` or `warning` (a disaster is not a test). */
export function successfulTestsOf(activation: Activation): SuccessfulTest[] {
  if (activation.type !== 'test') return [];
  const kind: TestKind = activation.kind === 'restore-test' ? 'restore-test' : 'drp-test';
  return activation.servers
    .filter((x) => isAvailablePhase(x.phase) && x.checkedAt)
    .map((x) => ({
      serverId: x.snapshot.serverId,
      kind,
      activationId: activation.id,
      testedAt: x.checkedAt as string,
    }));
}

const counts = (cls: ProtectionClass, kind: TestKind): boolean =>
  cls === 'drp' ? kind === 'drp-test' : cls === 'backup-with-tests';

export function complianceOf(
  servers: readonly ComplianceServer[],
  tests: readonly SuccessfulTest[],
  now: string,
): ComplianceEntry[] {
  const nowMs = Date.parse(now);
  return servers.map((s) => {
    const last = tests
      .filter((t) => t.serverId === s.serverId && counts(s.protectionClass, t.kind))
      .reduce<SuccessfulTest | null>(
        (best, t) => (!best || Date.parse(t.testedAt) > Date.parse(best.testedAt) ? t : best),
        null,
      );
    const months = TEST_PERIOD_MONTHS[s.protectionClass];
    const nextDueAt = months === null ? null : addMonths(last?.testedAt ?? s.enrolledAt, months);
    const dueMs = nextDueAt ? Date.parse(nextDueAt) : null;
    const overdue = dueMs !== null && nowMs > dueMs;
    return {
      serverId: s.serverId,
      hostname: s.hostname,
      protectionClass: s.protectionClass,
      lastTestedAt: last?.testedAt ?? null,
      lastActivationId: last?.activationId ?? null,
      nextDueAt,
      overdue,
      dueSoon: dueMs !== null && !overdue && dueMs - nowMs <= DUE_SOON_DAYS * DAY_MS,
    };
  });
}

/** The test kind that keeps a protection class compliant (none for backup-only). */
export const cadenceKindOf = (cls: ProtectionClass): TestKind | null =>
  cls === 'drp' ? 'drp-test' : cls === 'backup-with-tests' ? 'restore-test' : null;

export interface CadenceProposal {
  kind: TestKind;
  scheduledFor: string;
  /** The earliest due date of the servers the test covers (the proposal's key). */
  dueAt: string;
  servers: string[];
}

/**
 * The default cadence: for each test kind whose servers come due within `horizonDays` and for which
 * no test is planned (a `scheduled` schedule of that kind), propose one test of the whole
 * perimeter of that kind on the earliest due date, but never less than 30 days ahead. A proposal
 * the tenant cancelled for that due date is not proposed again.
 */
export function defaultCadenceProposals(
  compliance: readonly ComplianceEntry[],
  schedules: readonly TestSchedule[],
  now: string,
  horizonDays = 60,
): CadenceProposal[] {
  const nowMs = Date.parse(now);
  const proposals: CadenceProposal[] = [];
  for (const kind of ['drp-test', 'restore-test'] as const) {
    const entries = compliance.filter((c) => cadenceKindOf(c.protectionClass) === kind && c.nextDueAt);
    if (entries.length === 0) continue;
    if (schedules.some((s) => s.kind === kind && s.status === 'scheduled')) continue;
    const dueAt = entries.map((c) => c.nextDueAt as string).sort()[0];
    if (Date.parse(dueAt) - nowMs > horizonDays * DAY_MS) continue;
    if (
      schedules.some(
        (s) =>
          s.kind === kind && s.origin === 'default-cadence' && s.dueAt === dueAt && s.status === 'cancelled',
      )
    )
      continue;
    const earliest = nowMs + MINIMUM_NOTICE_DAYS * DAY_MS;
    proposals.push({
      kind,
      scheduledFor: new Date(Math.max(Date.parse(dueAt), earliest)).toISOString(),
      dueAt,
      servers: entries
        .filter((c) => Date.parse(c.nextDueAt as string) - nowMs <= horizonDays * DAY_MS)
        .map((c) => c.hostname),
    });
  }
  return proposals;
}
