import { activationRto, estimatesFromSizes, projectAvailability, serverTimings } from './rto';
import {
  bootStarted,
  bringUp,
  diskRestored,
  networkUp,
  restoreAll,
  restoreStarted,
  runningTest,
  server,
  stepFailed,
  t,
} from './testing/fixtures';
import { play, stateOf } from './testing/given-when-then';
import { toActivationView } from './view';

/**
 * The service description's example: 5 servers (4 Windows, 1 Linux), one boot failure →
 * 4 ok, 0 warning, 1 failed; first server available after 30 min, last after 46.
 *   dc (win) ← db (linux) ← app (win) ← web (win);  file (win) ← dc, fails to boot.
 */
const estate = [
  server('dc', { rtoMinutes: 60, rpoMinutes: 60 }),
  server('db', {
    osFamily: 'linux',
    osName: 'Red Hat Enterprise Linux',
    osVersion: '9',
    dependsOn: ['dc'],
    rtoMinutes: 60,
    rpoMinutes: 60,
  }),
  server('app', { dependsOn: ['db'], rtoMinutes: 60 }),
  server('web', { dependsOn: ['app'], rtoMinutes: 45 }),
  server('file', { dependsOn: ['dc'], rtoMinutes: 60 }),
];

const worked = () =>
  play(runningTest({ estate }), [
    restoreStarted('dc', t(0), 1, t(-90)),
    ...['db', 'app', 'web', 'file'].map((h) => restoreStarted(h, t(0), 1, t(-30))),
    diskRestored('dc', 'c', t(20)),
    diskRestored('dc', 'd', t(20)),
    ...['c', 'd'].map((d) => diskRestored('db', d, t(25))),
    ...['c', 'd'].map((d) => diskRestored('app', d, t(22))),
    ...['c', 'd'].map((d) => diskRestored('web', d, t(15))),
    ...['c', 'd'].map((d) => diskRestored('file', d, t(18))),
    ...networkUp(t(10)),
    ...bringUp('dc', t(20), t(27), t(30)),
    ...bringUp('db', t(30), t(36), t(38)),
    bootStarted('file', t(30)),
    stepFailed('file', 'boot', t(35), 1, 'boot timeout'),
    ...bringUp('app', t(38), t(40), t(42)),
    ...bringUp('web', t(42), t(45), t(46)),
  ]);

describe('RTO and RPO', () => {
  it('the worked example: per-server delays, split by step, against targets', () => {
    const s = stateOf(worked());
    expect(s.status).toBe('completed-with-failures');
    const timings = Object.fromEntries(s.servers.map((x) => [x.snapshot.hostname, serverTimings(s, x)]));
    expect(timings.dc).toMatchObject({
      availableAt: t(30),
      availableAfterMinutes: 30,
      restoreMinutes: 20,
      waitMinutes: 0,
      bootMinutes: 7,
      analysisMinutes: 3,
      rtoMet: true,
      rpoMinutes: 90,
      rpoTargetMinutes: 60,
      rpoMet: false,
    });
    expect(timings.db).toMatchObject({
      availableAfterMinutes: 38,
      restoreMinutes: 25,
      waitMinutes: 5,
      bootMinutes: 6,
      analysisMinutes: 2,
      rtoMet: true,
      rpoMinutes: 30,
      rpoMet: true,
    });
    expect(timings.app).toMatchObject({ availableAfterMinutes: 42, waitMinutes: 16, rtoMet: true });
    expect(timings.web).toMatchObject({ availableAfterMinutes: 46, rtoMinutes: 45, rtoMet: false });
    expect(timings.file).toMatchObject({
      availableAt: null,
      availableAfterMinutes: null,
      restoreMinutes: 18,
      rtoMet: false,
    });
    expect(activationRto(s)).toEqual({
      firstServerAvailableAfterMinutes: 30,
      lastServerAvailableAfterMinutes: 46,
      projectedLastServerMinutes: null,
    });
  });

  it('the view: the contract shape, counts 4 ok 0 warning 1 failed', () => {
    const view = toActivationView(stateOf(worked()))!;
    expect(Object.keys(view)).toEqual(
      expect.arrayContaining([
        'id',
        'type',
        'status',
        'scope',
        'requestedBy',
        'confirmedBy',
        'launchedAt',
        'completedAt',
        'closedAt',
        'servers',
        'rto',
      ]),
    );
    expect(view).toMatchObject({
      type: 'test',
      status: 'completed-with-failures',
      launchedAt: t(0),
      completedAt: t(46),
      closedAt: null,
      confirmedBy: null,
    });
    expect(view.counts).toMatchObject({ ok: 4, warning: 0, failed: 1, blocked: 0 });
    expect(view.servers.filter((x) => x.osFamily === 'windows')).toHaveLength(4);
    expect(view.servers.find((x) => x.hostname === 'file')).toMatchObject({
      phase: 'failed',
      health: 'failed',
      detail: 'boot timeout',
      restoreStartedAt: t(0),
      restoredAt: t(18),
      bootStartedAt: t(30),
      availableAt: null,
      failure: { step: 'boot', reason: 'boot timeout' },
    });
    const web = view.servers.find((x) => x.hostname === 'web')!;
    expect(Object.keys(web)).toEqual(
      expect.arrayContaining([
        'serverId',
        'hostname',
        'phase',
        'restoreStartedAt',
        'restoredAt',
        'bootStartedAt',
        'availableAt',
        'availableAfterMinutes',
        'rtoMinutes',
        'rtoMet',
        'rpoMinutes',
        'health',
        'detail',
      ]),
    );
    expect(web).toMatchObject({
      phase: 'ok',
      availableAt: t(46),
      availableAfterMinutes: 46,
      rtoMinutes: 45,
      rtoMet: false,
      rpoMinutes: 30,
      health: 'ok',
    });
    expect(view.rto).toEqual({
      firstServerAvailableAfterMinutes: 30,
      lastServerAvailableAfterMinutes: 46,
      projectedLastServerMinutes: null,
    });
  });

  it('a blocked server shows who blocked it', () => {
    const events = play(runningTest({ estate }), [
      ...restoreAll('dc', t(0), t(20)),
      stepFailed('dc', 'boot', t(21), 1, 'no host'),
    ]);
    const view = toActivationView(stateOf(events))!;
    expect(view.servers.find((x) => x.hostname === 'web')).toMatchObject({
      phase: 'blocked',
      blockedBy: 'dc',
      detail: 'upstream dc failed (boot: no host)',
      rtoMet: false,
    });
  });

  it('?asOf= replay: the view from the events up to a time', () => {
    const events = worked();
    const upTo = (at: string) => events.filter((e) => Date.parse(e.data.at) <= Date.parse(at));
    const view = toActivationView(stateOf(upTo(t(39))))!;
    expect(view.status).toBe('running');
    expect(Object.fromEntries(view.servers.map((x) => [x.hostname, x.phase]))).toEqual({
      dc: 'ok',
      db: 'ok',
      app: 'booting',
      web: 'restored',
      file: 'failed',
    });
    expect(view.rto.firstServerAvailableAfterMinutes).toBe(30);
    expect(view.rto.lastServerAvailableAfterMinutes).toBe(38);
  });

  describe('projection while running', () => {
    // every step takes: restore 10, boot 5, analysis 2 (constant estimates)
    const estimates = () => ({ restoreMinutes: 10, bootMinutes: 5, analysisMinutes: 2 });

    it('at launch: the longest path of restore + boots along the graph', () => {
      const s = stateOf(runningTest({ estate }));
      const p = projectAvailability(s, t(0), estimates);
      // dc 10+7=17, db 24, app 31, web 38, file 24
      expect(
        Object.fromEntries(s.servers.map((x) => [x.snapshot.hostname, p.get(x.snapshot.serverId)])),
      ).toEqual({ dc: 17, db: 24, app: 31, web: 38, file: 24 });
      expect(activationRto(s, { now: t(0), estimates }).projectedLastServerMinutes).toBe(38);
    });

    it('mid-way: uses what happened, clamps overdue steps to now, and leaves failed branches out', () => {
      const events = play(runningTest({ estate }), [
        ...['dc', 'db', 'app', 'web', 'file'].flatMap((h) => restoreAll(h, t(0), t(20))),
        ...bringUp('dc', t(20), t(27), t(30)),
        bootStarted('db', t(30)),
        stepFailed('file', 'boot', t(35)),
      ]);
      const s = stateOf(events);
      const p = projectAvailability(s, t(40), estimates);
      // db booting since 30 with a 5-min estimate: overdue → booted "now" (40), +2 analysis = 42
      expect(p.get('id-db')).toBe(42);
      expect(p.get('id-app')).toBe(49);
      expect(p.get('id-web')).toBe(56);
      expect(p.has('id-file')).toBe(false);
      expect(p.get('id-dc')).toBe(30);
      expect(toActivationView(s, { now: t(40), estimates })!.rto.projectedLastServerMinutes).toBe(56);
    });

    it('default estimates from sizes', () => {
      const est = estimatesFromSizes({ restoreGiBPerMinute: 20, bootMinutes: 4, analysisMinutes: 1 });
      expect(est(server('x'))).toEqual({ restoreMinutes: 10, bootMinutes: 4, analysisMinutes: 1 });
      expect(est(server('y', { recoveryMethod: 'vm-replication' })).restoreMinutes).toBe(2);
      expect(est(server('z', { recoveryMethod: 'storage-replication' })).restoreMinutes).toBe(5);
    });
  });
});
