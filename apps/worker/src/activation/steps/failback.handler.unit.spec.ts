import { validateEnvironment } from '@reprise/common/config/environment';
import {
  chainBack,
  copied,
  cutOver,
  disasterCompleted,
  failingBack,
  stopStarted,
  stoppedAtRecovery,
} from '@reprise/domain/activation/testing/failback-fixtures';
import { alice, server, t } from '@reprise/domain/activation/testing/fixtures';
import { play } from '@reprise/domain/activation/testing/given-when-then';
import { CloudPermanentError } from '@reprise/recovery-cloud-client';
import { StepHarness } from '../testing/step-harness';
import { FailbackHandler } from './failback.handler';
import { CutOverStopHandler } from './failback/cut-over-stop.handler';
import { FinalDeltaHandler } from './failback/final-delta.handler';
import { ReconnectUsersHandler } from './failback/reconnect-users.handler';
import { ResumeAtRecoveryHandler } from './failback/resume-at-recovery.handler';
import { ReverseSyncHandler } from './failback/reverse-sync.handler';
import { StartAtOriginalHandler } from './failback/start-at-original.handler';

const GIB = 2 ** 30;
const single = () => disasterCompleted([server('dc')]);

/** A harness of a failing-back activation whose servers run at the (in-memory) recovery cloud. */
async function harness(events = failingBack(single()), now = t(102)) {
  const h = new StepHarness(events, now).knowServers();
  for (const x of h.state.servers) await h.placeVm(x.snapshot.serverId);
  return h;
}

const reverseSync = (h: StepHarness, env = {}) => new ReverseSyncHandler(h.steps, validateEnvironment(env));

describe('failback step handlers (in-memory recovery cloud)', () => {
  it('reverse sync: initial copy then deltas while more than the threshold is left, progress recorded per transfer', async () => {
    const h = await harness();
    h.cloud.changes('id-dc', 3 * GIB);
    h.cloud.changesPerTransfer = GIB; // the business writes 1 GiB while each transfer runs
    const step = h.due('reverse-sync', 'dc');
    await h.run(
      reverseSync(h, { REPRISE_FAILBACK_CUTOVER_MIB: '512', REPRISE_FAILBACK_MAX_DELTAS: '3' }),
      step,
    );
    const x = h.state.failback!.servers[0];
    // Never under 512 MiB: synced after the deltas allowed, 1 GiB left for the final delta.
    expect(x).toMatchObject({ phase: 'synced', initialCopyBytes: 200 * GIB, deltas: 3, deltaBytes: 3 * GIB });
    expect(x.pendingBytes).toBe(GIB);
    expect(h.facts()).toEqual(['RecordReverseSyncStarted', ...Array(4).fill('RecordReverseSyncProgress')]);
    expect(x).toMatchObject({ copyBytes: 200 * GIB, copiedAt: expect.any(String) });
    expect(h.cloud.calls.filter((c) => c.kind.startsWith('reverse')).map((c) => c.idempotencyKey)).toEqual([
      `${step.key}:copy`,
      `${step.key}:delta:1`,
      `${step.key}:delta:2`,
      `${step.key}:delta:3`,
    ]);
  });

  it('reverse sync: little enough left after the copy, no delta', async () => {
    const h = await harness();
    h.cloud.changesPerTransfer = GIB;
    await h.run(reverseSync(h, { REPRISE_FAILBACK_CUTOVER_MIB: '2048' }), h.due('reverse-sync', 'dc'));
    expect(h.state.failback!.servers[0]).toMatchObject({ phase: 'synced', deltas: 0, pendingBytes: GIB });
  });

  it('reverse sync resumed after a crash: the copy is not sent again under a new key', async () => {
    const h = await harness();
    const step = h.due('reverse-sync', 'dc');
    // A worker started the copy and died before recording it.
    await h.cloud.startReverseSync(
      { tenantId: h.state.tenantId, activationId: h.state.id, serverId: 'id-dc' },
      { idempotencyKey: `${step.key}:copy` },
    );
    await h.run(reverseSync(h), step);
    expect(h.cloud.mutatingCalls('reverse-sync')).toBe(2); // the first call, and its replay
    expect(new Set(h.cloud.calls.map((c) => c.idempotencyKey)).size).toBe(h.cloud.calls.length - 1);
    expect(h.state.failback!.servers[0].phase).toBe('synced');
  });

  it('cut-over stop: the stop is recorded before the server is shut down; an abort recorded first stops nothing', async () => {
    const h = await harness(play(failingBack(single()), [copied('dc', t(110))]), t(110));
    await h.run(new CutOverStopHandler(h.steps), h.due('cut-over-stop', 'dc'));
    expect(h.facts()).toEqual(['RecordServerStopStarted', 'RecordServerStoppedAtRecovery']);
    expect(h.cloud.listed(h.state.id).find((r) => r.kind === 'server')?.state).toBe('stopped');

    const aborted = await harness(play(failingBack(single()), [copied('dc', t(110))]), t(110));
    const step = aborted.due('cut-over-stop', 'dc');
    await aborted.record({ type: 'AbortActivation', data: { reason: 'storm', by: alice, at: t(111) } });
    await aborted.run(new CutOverStopHandler(aborted.steps), step);
    expect(aborted.cloud.mutatingCalls('stop-server')).toBe(0);
    expect(aborted.state.status).toBe('completed');
  });

  it('final delta: sent once under the step key; run again, the same operation is replayed', async () => {
    const h = await harness(play(failingBack(single()), [copied('dc', t(110))]), t(110));
    await h.run(new CutOverStopHandler(h.steps), h.due('cut-over-stop', 'dc'));
    h.cloud.changes('id-dc', GIB); // ignored: the server is stopped
    const step = h.due('final-delta', 'dc');
    await h.run(new FinalDeltaHandler(h.steps), step);
    await h.run(new FinalDeltaHandler(h.steps), step);
    expect(h.cloud.calls.filter((c) => c.kind === 'reverse-delta').map((c) => c.idempotencyKey)).toEqual([
      `${step.key}:final`,
      `${step.key}:final`,
    ]);
    expect(h.state.failback!.servers[0]).toMatchObject({ phase: 'final-synced', pendingBytes: 0 });
    expect(h.cloud.reverseState('id-dc')).toMatchObject({ stopped: true });
  });

  it('start at the original site: recorded back with its health; a refusal of the cloud is thrown as permanent', async () => {
    const cut = play(failingBack(single()), [copied('dc', t(110)), ...cutOver('dc', t(111))]);
    const h = await harness(cut, t(112));
    await h.run(new StartAtOriginalHandler(h.steps), h.due('start-at-original', 'dc'));
    expect(h.state.failback!.servers[0]).toMatchObject({ phase: 'back', health: 'ok' });
    expect(h.cloud.reverseState('id-dc').originalStarts).toBe(1);

    const refused = await harness(cut, t(112));
    refused.cloud.failNext('start-at-original', { code: 'original-start-failure', message: 'array down' });
    await expect(
      refused.run(new StartAtOriginalHandler(refused.steps), refused.due('start-at-original', 'dc')),
    ).rejects.toBeInstanceOf(CloudPermanentError);
  });

  it('start at the original site with a failed health check: the copy started there is stopped, then the failure recorded', async () => {
    const cut = play(failingBack(single()), [copied('dc', t(110)), ...cutOver('dc', t(111))]);
    const h = await harness(cut, t(112));
    h.cloud.healthOf('id-dc', 'failed', 'services do not answer');
    const step = h.due('start-at-original', 'dc');
    // A worker started it and died before it stopped the unhealthy copy: the step resumes.
    await h.cloud.startAtOriginal(
      { tenantId: h.state.tenantId, activationId: h.state.id, serverId: 'id-dc' },
      { idempotencyKey: `${step.key}:start` },
    );
    await h.run(new StartAtOriginalHandler(h.steps), step);
    expect(h.cloud.reverseState('id-dc')).toMatchObject({ originalStarts: 1, runningAtOriginal: false });
    expect(h.cloud.calls.filter((c) => c.kind === 'stop-at-original').map((c) => c.idempotencyKey)).toEqual([
      `${step.key}:stop-failed-copy`,
    ]);
    expect(h.state.failback!.servers[0]).toMatchObject({
      phase: 'failed',
      failure: {
        step: 'start-at-original',
        reason: 'services do not answer; the copy started at the original site was stopped there',
      },
    });
    // The server runs again at the recovery site, nowhere else.
    expect(h.due('resume-at-recovery', 'dc')).toBeDefined();
  });

  it('resume at the recovery site: a stopped server is powered on again', async () => {
    const failed = play(failingBack(single()), [
      copied('dc', t(110)),
      stopStarted('dc', t(111)),
      stoppedAtRecovery('dc', t(112)),
      {
        type: 'RecordFailbackStepFailed',
        data: { serverId: 'id-dc', attempt: 1, step: 'final-delta', reason: 'x', at: t(113) },
      },
    ]);
    const h = await harness(failed, t(113));
    await h.run(new CutOverStopHandler(h.steps), {
      kind: 'cut-over-stop',
      key: 'earlier',
      serverId: 'id-dc',
      attempt: 1,
    });
    expect(h.cloud.listed(h.state.id).find((r) => r.kind === 'server')?.state).toBe('stopped');
    await h.run(new ResumeAtRecoveryHandler(h.steps), h.due('resume-at-recovery', 'dc'));
    expect(h.cloud.listed(h.state.id).find((r) => r.kind === 'server')?.state).toBe('running');
    expect(h.state).toMatchObject({ status: 'completed', failback: { outcome: 'incomplete' } });
  });

  it('users reconnected, then the recovery space released and verified by listing: failed back', async () => {
    const h = await harness(play(failingBack(), chainBack().slice(0, -1)), t(141));
    await h.run(new ReconnectUsersHandler(h.steps), h.due('reconnect-users'));
    expect(h.state.failback!.reconnectedAt).not.toBeNull();
    await h.run(new FailbackHandler(h.steps), h.due('failback'));
    expect(h.cloud.listed(h.state.id)).toEqual([]);
    expect(h.state).toMatchObject({ status: 'failed-back', reprotection: { servers: expect.any(Array) } });
  });

  it('anything still listed after the release: no failback recorded, the step is retried', async () => {
    const h = await harness(play(failingBack(), chainBack()), t(146));
    h.cloud.teardownLeaves.add('server');
    await expect(h.run(new FailbackHandler(h.steps), h.due('failback'))).rejects.toThrow(/still listed/);
    expect(h.state.status).toBe('failing-back');
  });
});
