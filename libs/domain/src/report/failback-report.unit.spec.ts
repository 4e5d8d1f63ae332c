import { chainBack, CHAIN, failingBack } from '../activation/testing/failback-fixtures';
import { t } from '../activation/testing/fixtures';
import { play, stateOf } from '../activation/testing/given-when-then';
import { buildReport } from './build-report';

const tenant = { customerNumber: 'C-1', domain: 'acme.test' };
const GIB = 2 ** 30;

describe('failback report', () => {
  const done = () => play(failingBack(), [...chainBack(), { type: 'RecordFailback', data: { at: t(150) } }]);

  it('per server: data sent back, cut-over downtime, zero data loss; totals', () => {
    const report = buildReport(stateOf(done()), tenant);
    expect(report.status).toBe('failed-back');
    const app = report.servers.find((x) => x.hostname === 'app')!;
    // 200 GiB initial copy + 0.5 GiB final delta (fixtures).
    expect(app).toMatchObject({ dataReturnedGiB: 200.5, dataLossGiB: 0 });
    const fb = report.failback!;
    expect(fb.servers.map((x) => x.hostname).sort()).toEqual([...CHAIN].sort());
    // app stopped at t(120), started at the original site at t(140).
    expect(fb.servers.find((x) => x.hostname === 'app')!.downtimeMinutes).toBe(20);
    // First stop t(120) → users reconnected t(145).
    expect(fb).toMatchObject({ downtimeMinutes: 25, dataLossGiB: 0, dataReturnedGiB: 4 * 200.5 });
    expect(fb.servers.every((x) => x.pendingBytes === 0)).toBe(true);
    expect(fb.servers[0].initialCopyBytes).toBe(200 * GIB);
  });

  it('the same timeline chart: after the failover bar, running at the recovery site, reverse sync, cut-over', () => {
    const report = buildReport(stateOf(done()), tenant);
    const app = report.servers.find((x) => x.hostname === 'app')!;
    const phases = app.timeline.map((seg) => seg.phase);
    expect(phases.slice(-4)).toEqual(['at-recovery', 'reverse-sync', 'at-recovery', 'cut-over']);
    expect(app.timeline.at(-1)).toMatchObject({ outcome: 'done' });
  });

  it('no failback: the report has none, and no data figures per server', () => {
    const report = buildReport(stateOf(failingBack().slice(0, -3)), tenant);
    expect(report.failback).toBeNull();
    expect(report.servers[0]).toMatchObject({ dataReturnedGiB: null, dataLossGiB: null });
  });
});
