import type { ActivationEvent } from '../activation/activation.events';
import { evolveActivation, initialActivationState, type Activation } from '../activation/activation.state';
import { buildReport } from './build-report';
import {
  FIVE,
  FIVE_BOOT_FAILURE,
  LAUNCH,
  fiveServerExample,
  minutesAfter,
  scenarioEvents,
  snapshot,
} from './testing/report-scenarios';

const tenant = { customerNumber: '12321', domain: 'ocb00.example' };
const fold = (events: ActivationEvent[]): Activation => {
  const state = events.reduce(evolveActivation, initialActivationState());
  if (!state.exists) throw new Error('no activation');
  return state;
};
const t = (m: number) => minutesAfter(LAUNCH, m);
const byHost = (report: ReturnType<typeof buildReport>, hostname: string) =>
  report.servers.find((x) => x.hostname === hostname)!;

describe('buildReport: the service description example (5 servers, one boot failure)', () => {
  const events = fiveServerExample('act-5', 'tenant-1');
  const report = buildReport(fold(events), tenant);

  it('has the header fields of the contract', () => {
    expect(report).toMatchObject({
      activationId: 'act-5',
      type: 'test',
      kind: 'drp-test',
      status: 'closed',
      final: true,
      customerNumber: '12321',
      domain: 'ocb00.example',
      launchedAt: LAUNCH,
      closedAt: t(54.1),
      completedAt: t(46.2),
      firstServerAvailableAfterMinutes: 30,
      lastServerAvailableAfterMinutes: 46,
    });
  });

  it('summarises 5 servers: 4 Windows, 1 Linux, 4 ok, 0 warning, 1 failed, 0 blocked', () => {
    expect(report.summary).toEqual({
      servers: 5,
      windows: 4,
      linux: 1,
      ok: 4,
      warning: 0,
      failed: 1,
      blocked: 0,
      cancelled: 0,
      inProgress: 0,
      rtoMet: 4,
      rtoMissed: 1,
    });
  });

  it('has one entry per server with the figures of the events', () => {
    const pick = (h: string) => {
      const x = byHost(report, h);
      return [x.restoreMinutes, x.availableAfterMinutes, x.health, x.rtoMinutes, x.rtoMet, x.rpoMinutes];
    };
    expect(report.servers.map((x) => x.hostname)).toEqual(['dc01', 'sql01', 'app01', 'file01', 'lnx01']);
    expect(pick('dc01')).toEqual([20, 30, 'ok', 60, true, 600]);
    expect(pick('sql01')).toEqual([24.5, 40.5, 'ok', 60, true, 180]);
    expect(pick('app01')).toEqual([18.2, 46, 'ok', 60, true, 610]);
    expect(pick('file01')).toEqual([27.8, null, 'failed', 120, false, 595]);
    expect(pick('lnx01')).toEqual([12.6, 32.4, 'ok', 45, true, 300]);
    expect(byHost(report, 'lnx01')).toMatchObject({
      os: { family: 'linux', name: 'Ubuntu', version: '22.04' },
      template: { vcpu: 2, ramGiB: 4 },
      detail: 'all services running',
    });
    expect(byHost(report, 'file01')).toMatchObject({
      os: { family: 'windows', name: 'Windows Server', version: '2012 R2' },
      detail: FIVE_BOOT_FAILURE,
      phase: 'failed',
      failure: { step: 'boot', reason: FIVE_BOOT_FAILURE, at: t(33.3) },
    });
  });

  it('lays every phase on the timeline, minutes after the launch', () => {
    expect(byHost(report, 'dc01').timeline).toEqual([
      { phase: 'restore', startMinutes: 0, endMinutes: 20, outcome: 'done' },
      { phase: 'boot', startMinutes: 20, endMinutes: 26, outcome: 'done' },
      { phase: 'analysis', startMinutes: 26, endMinutes: 30, outcome: 'done' },
    ]);
    expect(byHost(report, 'sql01').timeline).toEqual([
      { phase: 'restore', startMinutes: 0, endMinutes: 24.5, outcome: 'done' },
      { phase: 'wait', startMinutes: 24.5, endMinutes: 30, outcome: 'done' },
      { phase: 'boot', startMinutes: 30, endMinutes: 36, outcome: 'done' },
      { phase: 'analysis', startMinutes: 36, endMinutes: 40.5, outcome: 'done' },
    ]);
    expect(byHost(report, 'file01').timeline).toEqual([
      { phase: 'restore', startMinutes: 0, endMinutes: 27.8, outcome: 'done' },
      { phase: 'boot', startMinutes: 27.8, endMinutes: 33.3, outcome: 'failed' },
    ]);
  });

  it('asks for one corrective action: the server that did not boot', () => {
    expect(report.correctiveActions).toHaveLength(1);
    expect(report.correctiveActions[0]).toMatchObject({ hostname: 'file01', code: 'boot-failed' });
    expect(report.correctiveActions[0].action).toContain('file01');
    expect(report.correctiveActions[0].action).toContain(FIVE_BOOT_FAILURE);
  });

  it('a boot refused for lack of capacity asks for capacity, each shortage its own advice, never disk drivers', () => {
    const advice = (['ram', 'vcpu', 'datastore', 'anti-affinity'] as const).map((shortage) => {
      const refused = events.map((e) =>
        e.type === 'ServerStepFailed'
          ? { ...e, data: { ...e.data, reason: `cloud: no ${shortage}`, shortage } }
          : e,
      );
      const [action, ...rest] = buildReport(fold(refused), tenant).correctiveActions;
      expect(rest).toEqual([]);
      expect(action).toMatchObject({ hostname: 'file01', code: 'capacity-shortage' });
      expect(action.action).toContain(`cloud: no ${shortage}`);
      expect(action.action).toMatch(/recovery space/);
      expect(action.action).not.toMatch(/driver/);
      return action.action;
    });
    expect(new Set(advice).size).toBe(4);
    expect(advice[0]).toMatch(/RAM/);
    expect(advice[3]).toMatch(/anti-affinity/);
  });

  it('is deterministic: the same events give the same report, and JSON round-trips', () => {
    const again = buildReport(fold(fiveServerExample('act-5', 'tenant-1')), tenant);
    expect(again).toEqual(report);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('is live: the events recorded so far give the report so far', () => {
    // Up to 33 minutes: dc01 and lnx01 available, sql01 booting, app01 waiting, file01 booting.
    const cut = events.filter((e) => Date.parse(e.data.at) <= Date.parse(t(33)));
    const live = buildReport(fold(cut), tenant);
    expect(live).toMatchObject({
      status: 'running',
      final: false,
      closedAt: null,
      firstServerAvailableAfterMinutes: 30,
      lastServerAvailableAfterMinutes: 32.4,
    });
    expect(live.summary).toMatchObject({ ok: 2, failed: 0, inProgress: 3 });
    expect(byHost(live, 'sql01').timeline.at(-1)).toEqual({
      phase: 'boot',
      startMinutes: 30,
      endMinutes: null,
      outcome: 'running',
    });
    expect(live.correctiveActions).toEqual([]);
  });
});

describe('buildReport: corrective actions', () => {
  const base = { activationId: 'act-x', tenantId: 'tenant-1' };

  it('names a warning, an RTO breach (target vs actual) and an RPO breach', () => {
    const web = snapshot('web01', { rtoMinutes: 60, rpoMinutes: 1440 });
    const report = buildReport(
      fold(
        scenarioEvents({
          ...base,
          servers: [
            {
              snapshot: web,
              run: {
                restore: { start: 0, end: 50, rpoMinutes: 2000 },
                boot: { start: 50, end: 60 },
                analysis: { start: 60, end: 72.5, health: 'warning', detail: 'IIS app pool stopped' },
              },
            },
          ],
        }),
      ),
      tenant,
    );
    expect(report.summary).toMatchObject({ servers: 1, windows: 1, ok: 0, warning: 1, failed: 0 });
    expect(report.servers[0]).toMatchObject({
      health: 'warning',
      availableAfterMinutes: 72.5,
      rtoMet: false,
      rpoMinutes: 2000,
      rpoMet: false,
      detail: 'IIS app pool stopped',
    });
    const codes = report.correctiveActions.map((a) => [a.hostname, a.code]);
    expect(codes).toEqual([
      ['web01', 'health-warning'],
      ['web01', 'rto-breach'],
      ['web01', 'rpo-breach'],
    ]);
    expect(report.correctiveActions[0].action).toContain('IIS app pool stopped');
    expect(report.correctiveActions[1].action).toMatch(/72\.5 min.*60 min.*12\.5 min/);
    expect(report.correctiveActions[2].action).toMatch(/2000 min.*1440 min/);
  });

  it('names the failed upstream of a blocked chain, and the restore failure', () => {
    const dc = snapshot('dc01');
    const app = snapshot('app01', { dependsOn: ['dc01'] });
    const web = snapshot('web01', { dependsOn: ['app01'] });
    const report = buildReport(
      fold(
        scenarioEvents({
          ...base,
          servers: [
            {
              snapshot: dc,
              run: { restore: { start: 0, end: 12, rpoMinutes: 60, failReason: 'restore point unreadable' } },
            },
            {
              snapshot: app,
              run: { restore: { start: 0, end: 10, rpoMinutes: 60 }, blocked: { at: 12, by: dc } },
            },
            {
              snapshot: web,
              run: { restore: { start: 0, end: 8, rpoMinutes: 60 }, blocked: { at: 12, by: dc } },
            },
          ],
          tail: [{ type: 'ActivationCompleted', data: { status: 'completed-with-failures', at: t(12.1) } }],
        }),
      ),
      tenant,
    );
    expect(report.summary).toMatchObject({ servers: 3, ok: 0, failed: 1, blocked: 2 });
    expect(report.firstServerAvailableAfterMinutes).toBeNull();
    expect(report.lastServerAvailableAfterMinutes).toBeNull();
    expect(report.servers.map((x) => [x.hostname, x.health, x.rtoMet, x.blockedBy])).toEqual([
      ['dc01', 'failed', false, null],
      ['app01', null, false, 'dc01'],
      ['web01', null, false, 'dc01'],
    ]);
    expect(report.servers[0].timeline).toEqual([
      { phase: 'restore', startMinutes: 0, endMinutes: 12, outcome: 'failed' },
    ]);
    expect(report.correctiveActions.map((a) => [a.hostname, a.code])).toEqual([
      ['dc01', 'restore-failed'],
      ['app01', 'blocked'],
      ['web01', 'blocked'],
    ]);
    expect(report.correctiveActions[0].action).toContain('restore point unreadable');
    // "run a restore test" points at the on-demand restore test of that server
    expect(report.correctiveActions[0].action).toContain('"type": "restore-test"');
    expect(report.correctiveActions[0].request).toEqual({
      method: 'POST',
      path: '/api/v1/activations',
      body: { type: 'restore-test', scope: { servers: ['dc01'] } },
    });
    expect(report.correctiveActions[1].request).toBeUndefined();
    expect(report.correctiveActions[2].action).toContain('upstream server dc01 failed');
  });

  it('reports a network failure and resources left behind', () => {
    const lnx = snapshot('lnx01', { osFamily: 'linux', osName: 'Debian', osVersion: '12' });
    const report = buildReport(
      fold(
        scenarioEvents({
          ...base,
          servers: [
            {
              snapshot: lnx,
              run: {
                restore: { start: 0, end: 5, rpoMinutes: 60 },
                boot: { start: 5, end: 7 },
                analysis: { start: 7, end: 9 },
              },
            },
          ],
          tail: [
            { type: 'NetworkSetupStarted', data: { at: t(1) } },
            {
              type: 'NetworkSetupFailed',
              data: { reason: 'IPsec tunnel to site Lyon did not come up', at: t(6) },
            },
            { type: 'ActivationCompleted', data: { status: 'completed-with-failures', at: t(9.5) } },
            { type: 'CloseRequested', data: { by: { name: 'Alice', email: 'alice@acme.test' }, at: t(20) } },
            {
              type: 'TeardownIncomplete',
              data: { remaining: ['vm:lnx01', 'datastore:lnx01-root'], attempt: 3, at: t(25) },
            },
          ],
        }),
      ),
      tenant,
    );
    expect(report.summary).toMatchObject({ servers: 1, linux: 1, ok: 1 });
    expect(report.network).toMatchObject({ required: true, phase: 'failed' });
    expect(report.teardown.remaining).toEqual(['vm:lnx01', 'datastore:lnx01-root']);
    expect(report.correctiveActions.map((a) => a.code)).toEqual(['network-failed', 'resources-left']);
    expect(report.correctiveActions[0].action).toContain('IPsec tunnel to site Lyon');
    expect(report.correctiveActions[1].action).toContain('vm:lnx01');
  });

  it('reports an aborted activation and its cancelled servers', () => {
    const a = snapshot('a01');
    const b = snapshot('b01', { dependsOn: ['a01'] });
    const report = buildReport(
      fold(
        scenarioEvents({
          ...base,
          servers: [
            { snapshot: a, run: { restore: { start: 0, rpoMinutes: 30 } } },
            { snapshot: b, run: {} },
          ],
          tail: [
            {
              type: 'ActivationAborted',
              data: {
                reason: 'wrong perimeter',
                by: { name: 'Alice', email: 'alice@acme.test' },
                cancelled: [a.serverId, b.serverId],
                at: t(5),
              },
            },
          ],
        }),
      ),
      tenant,
    );
    expect(report).toMatchObject({ status: 'aborted', final: true, endReason: 'wrong perimeter' });
    expect(report.summary).toMatchObject({ cancelled: 2, inProgress: 0 });
    expect(report.servers[0].timeline).toEqual([
      { phase: 'restore', startMinutes: 0, endMinutes: 5, outcome: 'cancelled' },
    ]);
    expect(report.correctiveActions).toEqual([
      expect.objectContaining({ code: 'aborted', action: expect.stringContaining('a01, b01') }),
    ]);
  });

  it('puts pre-staged restores before the launch, then the wait for the engine after the launch (no upstream: not "waiting for upstream")', () => {
    const x = snapshot('pre01');
    const report = buildReport(
      fold(
        scenarioEvents({
          ...base,
          servers: [
            {
              snapshot: x,
              run: {
                restore: { start: -20, end: -5, rpoMinutes: 30 },
                boot: { start: 2, end: 6 },
                analysis: { start: 6, end: 8 },
              },
            },
          ],
        }),
      ),
      tenant,
    );
    expect(report.servers[0].timeline).toEqual([
      { phase: 'restore', startMinutes: -20, endMinutes: -5, outcome: 'done' },
      { phase: 'queued', startMinutes: 0, endMinutes: 2, outcome: 'done' },
      { phase: 'boot', startMinutes: 2, endMinutes: 6, outcome: 'done' },
      { phase: 'analysis', startMinutes: 6, endMinutes: 8, outcome: 'done' },
    ]);
    expect(report.servers[0].availableAfterMinutes).toBe(8);
  });

  it('still reports a requested activation that never launched', () => {
    const events = scenarioEvents({ ...base, servers: [{ snapshot: FIVE.dc01, run: {} }] }).slice(0, 1);
    const report = buildReport(fold(events), tenant);
    expect(report).toMatchObject({
      launchedAt: null,
      closedAt: null,
      firstServerAvailableAfterMinutes: null,
      timelineOrigin: report.requestedAt,
    });
    expect(report.servers[0]).toMatchObject({
      restoreMinutes: null,
      availableAfterMinutes: null,
      health: null,
      rtoMet: null,
      timeline: [],
    });
  });
});

describe('timeline: every segment of a bar says what it was', () => {
  const base = { activationId: 'act-tl', tenantId: 'tenant-1' };
  const report = (servers: Parameters<typeof scenarioEvents>[0]['servers'], tail: ActivationEvent[] = []) =>
    buildReport(fold(scenarioEvents({ ...base, servers, tail })), tenant);

  it('names the waits: a restore slot, upstream servers (only for servers that have some), the engine', () => {
    const db = snapshot('db01');
    const app = snapshot('app01', { dependsOn: ['db01'] });
    const solo = snapshot('solo01');
    const r = report([
      {
        snapshot: db,
        run: {
          restore: { start: 0, end: 10, rpoMinutes: 5 },
          boot: { start: 10, end: 14 },
          analysis: { start: 14, end: 16 },
        },
      },
      // its restore waited for a slot, then for db01, then for the engine; its analysis started late
      {
        snapshot: app,
        run: {
          restore: { start: 3, end: 8, rpoMinutes: 5 },
          boot: { start: 17, end: 20 },
          analysis: { start: 21, end: 23 },
        },
      },
      // no upstream: the gap after its restore is the engine's, not "waiting for upstream servers"
      {
        snapshot: solo,
        run: {
          restore: { start: 0, end: 4, rpoMinutes: 5 },
          boot: { start: 6, end: 9 },
          analysis: { start: 9, end: 10 },
        },
      },
    ]);
    expect(byHost(r, 'app01').timeline).toEqual([
      { phase: 'restore-queue', startMinutes: 0, endMinutes: 3, outcome: 'done' },
      { phase: 'restore', startMinutes: 3, endMinutes: 8, outcome: 'done' },
      { phase: 'wait', startMinutes: 8, endMinutes: 16, outcome: 'done' },
      { phase: 'queued', startMinutes: 16, endMinutes: 17, outcome: 'done' },
      { phase: 'boot', startMinutes: 17, endMinutes: 20, outcome: 'done' },
      { phase: 'queued', startMinutes: 20, endMinutes: 21, outcome: 'done' },
      { phase: 'analysis', startMinutes: 21, endMinutes: 23, outcome: 'done' },
    ]);
    expect(byHost(r, 'solo01').timeline.map((seg) => seg.phase)).toEqual([
      'restore',
      'queued',
      'boot',
      'analysis',
    ]);
  });

  it('shows a failed attempt until its retry, and a wait that is still under way', () => {
    const x = snapshot('rt01');
    const events = scenarioEvents({
      ...base,
      servers: [
        {
          snapshot: x,
          run: {
            restore: { start: 0, end: 5, rpoMinutes: 5 },
            boot: { start: 5, end: 7, failReason: 'no boot' },
          },
        },
      ],
    });
    events.push(
      {
        type: 'ServerRetryRequested',
        data: {
          serverId: x.serverId,
          attempt: 2,
          resumeFrom: 'restored',
          unblocked: [],
          reblocked: [],
          by: { name: 'A', email: 'a@x.io' },
          at: t(12),
        },
      },
      { type: 'ServerBootStarted', data: { serverId: x.serverId, attempt: 2, host: 'esx-02', at: t(13) } },
    );
    expect(buildReport(fold(events), tenant).servers[0].timeline).toEqual([
      { phase: 'restore', startMinutes: 0, endMinutes: 5, outcome: 'done' },
      { phase: 'earlier-attempt', startMinutes: 5, endMinutes: 12, outcome: 'failed' },
      { phase: 'queued', startMinutes: 12, endMinutes: 13, outcome: 'done' },
      { phase: 'boot', startMinutes: 13, endMinutes: null, outcome: 'running' },
    ]);
    const waiting = report([
      { snapshot: snapshot('up01'), run: { restore: { start: 0, rpoMinutes: 5 } } },
      {
        snapshot: snapshot('down01', { dependsOn: ['up01'] }),
        run: { restore: { start: 0, end: 2, rpoMinutes: 5 } },
      },
    ]);
    expect(byHost(waiting, 'down01').timeline.at(-1)).toEqual({
      phase: 'wait',
      startMinutes: 2,
      endMinutes: null,
      outcome: 'running',
    });
  });

  it('covers every minute of every bar (generated activations): contiguous segments, waits only for servers with upstream', () => {
    let seed = 2027;
    const random = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
    const round = (n: number) => Math.round(n * 10) / 10;
    for (let run = 0; run < 200; run++) {
      const count = 1 + Math.floor(random() * 8);
      const servers: Parameters<typeof scenarioEvents>[0]['servers'] = [];
      const availableAt = new Map<string, number>();
      for (let i = 0; i < count; i++) {
        const upstream = servers.map((x) => x.snapshot.hostname).filter(() => random() < 0.3);
        const snap = snapshot(`s${i}`, { dependsOn: upstream });
        const restoreStart = round(random() < 0.5 ? 0 : random() * 20);
        const restoreEnd = round(restoreStart + 1 + random() * 20);
        const ready = Math.max(restoreEnd, ...upstream.map((h) => availableAt.get(h)!));
        const bootStart = round(ready + (random() < 0.5 ? 0 : random() * 3));
        const bootEnd = round(bootStart + 1 + random() * 5);
        const analysisStart = round(bootEnd + (random() < 0.5 ? 0 : random() * 2));
        const analysisEnd = round(analysisStart + 1 + random() * 3);
        availableAt.set(snap.hostname, analysisEnd);
        servers.push({
          snapshot: snap,
          run: {
            restore: { start: restoreStart, end: restoreEnd, rpoMinutes: 5 },
            boot: { start: bootStart, end: bootEnd },
            analysis: { start: analysisStart, end: analysisEnd },
          },
        });
      }
      const r = report(servers);
      for (const x of r.servers) {
        const bar = x.timeline;
        expect([x.hostname, bar[0].startMinutes]).toEqual([x.hostname, 0]);
        for (let i = 1; i < bar.length; i++)
          expect([x.hostname, i, bar[i].startMinutes]).toEqual([x.hostname, i, bar[i - 1].endMinutes]);
        expect(bar.at(-1)!.endMinutes).toBe(x.availableAfterMinutes);
        if (x.dependsOn.length === 0) expect(bar.map((seg) => seg.phase)).not.toContain('wait');
        for (const seg of bar.filter((s) => s.phase === 'wait'))
          expect(seg.endMinutes).toBeLessThanOrEqual(
            Math.max(...x.dependsOn.map((h) => availableAt.get(h)!)),
          );
      }
    }
  });
});
