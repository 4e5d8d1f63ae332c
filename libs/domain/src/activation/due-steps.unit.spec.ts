import { activationDecider } from './activation.decider';
import { dueSteps, dueStepsAfter, type DueStep } from './due-steps';
import {
  ACTIVATION_ID,
  alertRaised,
  alice,
  authorised,
  awaitingDisaster,
  bob,
  bringUp,
  id,
  networkUp,
  restoreAll,
  restoreStarted,
  runningTest,
  server,
  stepFailed,
  t,
} from './testing/fixtures';
import { play, stateOf } from './testing/given-when-then';

const DRP = ['dc', 'db1', 'db2', 'app', 'lone'];
const summary = (steps: DueStep[]) =>
  steps.map((s) => ('hostname' in s ? `${s.kind}:${s.hostname}` : s.kind));

describe('dueSteps', () => {
  it('at launch: every restore at once (longest chain first) and the network', () => {
    const steps = dueSteps(stateOf(runningTest()));
    expect(summary(steps)).toEqual([
      'restore:dc',
      'restore:db1',
      'restore:db2',
      'restore:app',
      'restore:lone',
      'network',
    ]);
    expect(steps[0]).toMatchObject({
      kind: 'restore',
      key: `${ACTIVATION_ID}.${id('dc')}.restore.1`,
      activationId: ACTIVATION_ID,
      serverId: id('dc'),
      attempt: 1,
      priority: 3,
      method: 'backup-restore',
      prestage: false,
      disks: [
        { name: 'c', sizeGiB: 80 },
        { name: 'd', sizeGiB: 120 },
      ],
    });
    expect(steps.find((s) => s.kind === 'network')!.key).toBe(`${ACTIVATION_ID}.network`);
    for (const s of steps) expect(s.key).not.toContain(':');
  });

  it('a step recorded as started is no longer due (safe to call again after a crash)', () => {
    const events = play(runningTest(), [
      restoreStarted('dc', t(0)),
      { type: 'RecordNetworkSetupStarted', data: { at: t(0) } },
    ]);
    expect(summary(dueSteps(stateOf(events)))).toEqual([
      'restore:db1',
      'restore:db2',
      'restore:app',
      'restore:lone',
    ]);
    expect(dueSteps(stateOf(events))).toEqual(dueSteps(stateOf(events)));
  });

  it('diamond: a server boots as soon as its OWN upstream servers are available, not waiting for a wave', () => {
    const restored = play(runningTest(), [
      ...DRP.flatMap((h) => restoreAll(h, t(0), t(10))),
      ...networkUp(t(1)),
    ]);
    // dc and lone have no upstream: both boot; nothing else
    expect(summary(dueSteps(stateOf(restored)))).toEqual(['boot:dc', 'boot:lone']);
    const dcOk = play(restored, bringUp('dc', t(10), t(12), t(14)));
    expect(summary(dueSteps(stateOf(dcOk)))).toEqual(['boot:db1', 'boot:db2', 'boot:lone']);
    const db1Ok = play(dcOk, bringUp('db1', t(14), t(16), t(18)));
    // app waits for db2 (its own upstream), lone is unrelated and still due
    expect(summary(dueSteps(stateOf(db1Ok)))).toEqual(['boot:db2', 'boot:lone']);
    const db2Warning = play(db1Ok, bringUp('db2', t(14), t(16), t(19), 'warning'));
    const steps = dueSteps(stateOf(db2Warning));
    expect(summary(steps)).toEqual(['boot:app', 'boot:lone']);
    expect(steps[0]).toMatchObject({
      key: `${ACTIVATION_ID}.${id('app')}.boot.1`,
      template: { vcpu: 2, ramGiB: 8 },
      osFamily: 'windows',
      antiAffinityGroup: null,
    });
  });

  it('a booted server is due for analysis until its analysis starts', () => {
    const booted = play(runningTest(), [
      ...restoreAll('lone', t(0), t(10)),
      {
        type: 'RecordServerBootStarted',
        data: { serverId: id('lone'), attempt: 1, host: 'esx-1', at: t(10) },
      },
    ]);
    expect(summary(dueSteps(stateOf(booted))).filter((s) => s.endsWith(':lone'))).toEqual([]);
    const up = play(booted, [
      { type: 'RecordServerBooted', data: { serverId: id('lone'), attempt: 1, at: t(12) } },
    ]);
    expect(dueSteps(stateOf(up)).filter((s) => s.kind === 'analyse')).toMatchObject([
      { hostname: 'lone', key: `${ACTIVATION_ID}.${id('lone')}.analyse.1` },
    ]);
    const analysing = play(up, [
      { type: 'RecordServerAnalysisStarted', data: { serverId: id('lone'), attempt: 1, at: t(12) } },
    ]);
    expect(dueSteps(stateOf(analysing)).filter((s) => s.kind === 'analyse')).toEqual([]);
  });

  it('nothing is due below a failure; a retry is due again under a new key', () => {
    const failed = play(runningTest(), [
      ...DRP.flatMap((h) => restoreAll(h, t(0), t(10))),
      ...networkUp(t(1)),
      ...bringUp('dc', t(10), t(12), t(14)),
      stepFailed('db1', 'boot', t(15)),
    ]);
    expect(summary(dueSteps(stateOf(failed)))).toEqual(['boot:db2', 'boot:lone']);
    const retried = play(failed, [
      { type: 'RetryServer', data: { serverId: id('db1'), by: alice, at: t(20) } },
    ]);
    const steps = dueSteps(stateOf(retried));
    expect(summary(steps)).toEqual(['boot:db1', 'boot:db2', 'boot:lone']);
    expect(steps[0].key).toBe(`${ACTIVATION_ID}.${id('db1')}.boot.2`);
  });

  it('alert: pre-stages backup restores only (a replica is powered on only for the failover); no network', () => {
    const alert = alertRaised({ estate: [server('dc'), server('vm', { recoveryMethod: 'vm-replication' })] });
    const steps = dueSteps(stateOf(alert));
    expect(summary(steps)).toEqual(['restore:dc']);
    expect(steps[0]).toMatchObject({ prestage: true });
    expect(dueSteps(stateOf(play(alert, restoreAll('dc', t(0), t(5)))))).toEqual([]);
  });

  it('awaiting confirmation: the expiry; scheduled: the start; both as delayed jobs', () => {
    expect(dueSteps(stateOf(awaitingDisaster()))).toEqual([
      {
        kind: 'expire-confirmation',
        key: `${ACTIVATION_ID}.expire-confirmation`,
        activationId: ACTIVATION_ID,
        tenantId: 'tenant-1',
        runAt: t(15),
      },
    ]);
    const scheduled = play(awaitingDisaster({ at: '2024-06-07T17:00:00.000Z' }), [
      {
        type: 'ConfirmActivation',
        data: {
          email: bob.email,
          codeValid: true,
          authorisedPersons: authorised,
          at: '2024-06-07T17:05:00.000Z',
        },
      },
    ]);
    expect(dueSteps(stateOf(scheduled))).toEqual([
      {
        kind: 'start-scheduled',
        key: `${ACTIVATION_ID}.start-scheduled`,
        activationId: ACTIVATION_ID,
        tenantId: 'tenant-1',
        runAt: '2024-06-10T06:00:00.000Z',
      },
    ]);
  });

  it('aborted: nothing; close requested: teardown (new key after an incomplete one); failback requested: failback', () => {
    const aborted = play(runningTest(), [
      { type: 'AbortActivation', data: { reason: 'stop', by: alice, at: t(1) } },
    ]);
    expect(dueSteps(stateOf(aborted))).toEqual([]);
    const closing = play(aborted, [{ type: 'RequestClose', data: { by: alice, at: t(2) } }]);
    expect(dueSteps(stateOf(closing))).toMatchObject([
      { kind: 'teardown', key: `${ACTIVATION_ID}.teardown.1`, attempt: 1, reason: 'close' },
    ]);
    const incomplete = play(closing, [{ type: 'RecordTeardown', data: { remaining: ['vm-dc'], at: t(3) } }]);
    expect(dueSteps(stateOf(incomplete))).toMatchObject([
      { kind: 'teardown', key: `${ACTIVATION_ID}.teardown.2`, attempt: 2 },
    ]);
    const closed = play(incomplete, [{ type: 'RecordTeardown', data: { remaining: [], at: t(4) } }]);
    expect(dueSteps(stateOf(closed))).toEqual([]);

    const disaster = play(
      awaitingDisaster({
        estate: [server('dc')],
        window: { activationWindow: '24x7', timeZone: 'Europe/Paris' },
      }),
      [
        {
          type: 'ConfirmActivation',
          data: { email: bob.email, codeValid: true, authorisedPersons: authorised, at: t(1) },
        },
        ...restoreAll('dc', t(1), t(5)),
        ...bringUp('dc', t(5), t(6), t(7)),
        ...networkUp(t(2)),
        { type: 'RequestFailback', data: { by: alice, at: t(50) } },
      ],
    );
    expect(dueSteps(stateOf(disaster))).toMatchObject([
      { kind: 'failback', key: `${ACTIVATION_ID}.failback` },
    ]);
  });

  it('stood-down or rejected with pre-staged restores: teardown until verified', () => {
    const stood = play(alertRaised(), [
      restoreStarted('dc', t(1)),
      { type: 'StandDownAlert', data: { by: alice, at: t(2) } },
    ]);
    expect(dueSteps(stateOf(stood))).toMatchObject([{ kind: 'teardown', reason: 'stand-down' }]);
    expect(
      dueSteps(stateOf(play(stood, [{ type: 'RecordTeardown', data: { remaining: [], at: t(3) } }]))),
    ).toEqual([]);
    expect(
      dueSteps(stateOf(play(alertRaised(), [{ type: 'StandDownAlert', data: { by: alice, at: t(2) } }]))),
    ).toEqual([]);
  });

  it('a completed activation has nothing due', () => {
    const done = play(runningTest({ estate: [server('dc')] }), [
      ...restoreAll('dc', t(0), t(5)),
      ...bringUp('dc', t(5), t(6), t(7)),
      ...networkUp(t(1)),
    ]);
    expect(stateOf(done).status).toBe('completed');
    expect(dueSteps(stateOf(done))).toEqual([]);
  });

  it('dueStepsAfter: after server facts, only what those servers (and their direct downstream) now need', () => {
    const pre = play(runningTest(), [
      ...DRP.flatMap((h) => restoreAll(h, t(0), t(10))),
      ...networkUp(t(1)),
      ...bringUp('dc', t(10), t(12), t(13)).slice(0, 3),
    ]);
    const checkDc = activationDecider.decide(
      { type: 'RecordServerChecked', data: { serverId: id('dc'), attempt: 1, health: 'ok', at: t(13) } },
      stateOf(pre),
    );
    const after = stateOf([...pre, ...checkDc]);
    expect(summary(dueStepsAfter(after, checkDc))).toEqual(['boot:db1', 'boot:db2']);
    expect(summary(dueSteps(after))).toEqual(['boot:db1', 'boot:db2', 'boot:lone']);
    // anything that is not a server fact falls back to the full computation
    expect(dueStepsAfter(after, [{ type: 'ActivationStarted', data: { at: t(0) } }])).toEqual(
      dueSteps(after),
    );
  });
});
