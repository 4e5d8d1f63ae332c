import { chainBack, failingBack } from '../activation/testing/failback-fixtures';
import { t } from '../activation/testing/fixtures';
import { play, stateOf } from '../activation/testing/given-when-then';
import { fullRestorePointSince, reprotectionFindings, reprotectionsDue } from './reprotection';

describe('reprotection after a failback', () => {
  const failedBack = () =>
    stateOf(play(failingBack(), [...chainBack(), { type: 'RecordFailback', data: { at: t(150) } }]));

  it('every server failed back owes a new full restore point from the failback on', () => {
    const due = reprotectionsDue([failedBack()]);
    expect(due.map((d) => d.hostname)).toEqual(['dc', 'db', 'app', 'lone']);
    expect(due.every((d) => d.dueSince === t(150))).toBe(true);
    expect(reprotectionsDue([stateOf(failingBack())])).toEqual([]);
  });

  it('only a full restore point taken since counts; the readiness check warns until each has one', () => {
    const points = [
      { kind: 'full' as const, takenAt: t(0) },
      { kind: 'incremental' as const, takenAt: t(200) },
    ];
    expect(fullRestorePointSince(t(150), points)).toBeNull();
    expect(fullRestorePointSince(t(150), [...points, { kind: 'full', takenAt: t(300) }])).toBe(t(300));
    const due = reprotectionsDue([failedBack()]);
    const findings = reprotectionFindings(
      due.map((d) => ({ ...d, fullRestorePointAt: d.hostname === 'dc' ? t(300) : null })),
    );
    expect(findings).toEqual([
      expect.objectContaining({
        severity: 'warning',
        code: 'reprotection-due',
        servers: ['db', 'app', 'lone'],
      }),
    ]);
    expect(reprotectionFindings(due.map((d) => ({ ...d, fullRestorePointAt: t(300) })))).toEqual([]);
  });
});
