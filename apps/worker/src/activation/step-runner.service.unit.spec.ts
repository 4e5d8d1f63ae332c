import { buildReport } from '@reprise/domain/report/build-report';
import type { StepKind } from '@reprise/domain/activation/activation.workflow';
import {
  chainBack,
  failbackStepFailed,
  failingBack,
  startedAtOriginal,
} from '@reprise/domain/activation/testing/failback-fixtures';
import { restoreAll, runningTest, server, t } from '@reprise/domain/activation/testing/fixtures';
import { play } from '@reprise/domain/activation/testing/given-when-then';
import { CloudPermanentError, CloudTransientError } from '@reprise/recovery-cloud-client';
import { StepRunner, type StepJob } from './step-runner.service';
import type { StepHandler, StepRun } from './steps/step-handler';
import { StepHarness } from './testing/step-harness';

/** A runner over an in-memory activation whose handlers do what each test says. */
function runnerFor(h: StepHarness, handler: (run: StepRun) => Promise<void>) {
  const ran: StepKind[] = [];
  const any: StepHandler = {
    run: (run) => {
      ran.push(run.step.kind);
      return handler(run);
    },
  };
  const runner = new StepRunner(
    { load: h.load, record: (_t, _a, command) => h.record(command) as never },
    { now: () => new Date(h.now()), afterWallTime: (ms) => new Date(Date.parse(h.now()) + ms) },
    { for: () => any },
  );
  return { runner, ran };
}

const jobOf = (h: StepHarness, kind: StepKind, hostname?: string): StepJob => {
  const step = h.due(kind, hostname);
  return {
    tenantId: h.state.tenantId,
    activationId: h.state.id,
    step: step.kind,
    serverId: step.serverId,
    key: step.key,
    attempt: step.attempt,
  };
};

const restored = () =>
  new StepHarness(play(runningTest({ estate: [server('app')] }), restoreAll('app', t(0), t(5))), t(5));

describe('step runner', () => {
  it('hands a due step to the handler of its kind, with the server it is about', async () => {
    const h = restored();
    let seen: StepRun | null = null;
    const { runner } = runnerFor(h, async (run) => void (seen = run));
    await runner.run(jobOf(h, 'boot', 'app'), 'job-1');
    expect(seen!.step).toMatchObject({ kind: 'boot', attempt: 1 });
    expect(seen!.server?.snapshot.hostname).toBe('app');
  });

  it('calls nothing for a step the workflow no longer says is due (a copy of a step already done)', async () => {
    const h = restored();
    const { runner, ran } = runnerFor(h, async () => undefined);
    // The restore of app is recorded: a copy of its job does nothing.
    await runner.run(
      {
        tenantId: h.state.tenantId,
        activationId: h.state.id,
        step: 'restore',
        serverId: 'id-app',
        key: 'k',
        attempt: 1,
      },
      'job-2',
    );
    expect(ran).toEqual([]);
  });

  it('a placement refused for lack of capacity is recorded as a capacity failure with the cloud’s reason', async () => {
    const h = restored();
    const reason = 'server app needs 8 GiB RAM; the roomiest host esx-1 has 2 GiB free under the 85% RAM cap';
    const { runner } = runnerFor(h, async () => {
      throw new CloudPermanentError('insufficient-ram', reason);
    });
    await runner.run(jobOf(h, 'boot', 'app'), 'job-3');
    expect(h.state.servers[0].failure).toMatchObject({
      step: 'boot',
      shortage: 'ram',
      reason: `insufficient-ram: ${reason}`,
    });
    // The report advises on the recovery space's capacity, not on the server's disk drivers.
    const [action] = buildReport(h.state, {
      customerNumber: 'C-1',
      domain: 'acme.example',
    }).correctiveActions;
    expect(action.code).toBe('capacity-shortage');
    expect(action.action).toContain(reason);
    expect(action.action).not.toMatch(/driver/);
  });

  it('any other refusal is the step’s failure without a shortage', async () => {
    const h = restored();
    const { runner } = runnerFor(h, async () => {
      throw new CloudPermanentError('boot-failure', 'no bootable disk');
    });
    await runner.run(jobOf(h, 'boot', 'app'), 'job-4');
    expect(h.state.servers[0].failure).toMatchObject({ step: 'boot', shortage: null });
    const [action] = buildReport(h.state, {
      customerNumber: 'C-1',
      domain: 'acme.example',
    }).correctiveActions;
    expect(action.code).toBe('boot-failed');
  });

  it('a transient error is thrown for the queue to retry; after the last retry it is recorded', async () => {
    const h = restored();
    const outage = new CloudTransientError('unreachable', 'recovery cloud unreachable', 5);
    const { runner } = runnerFor(h, async () => {
      throw outage;
    });
    const job = jobOf(h, 'boot', 'app');
    await expect(runner.run(job, 'job-5')).rejects.toBe(outage);
    expect(h.state.servers[0].phase).toBe('restored');
    await runner.giveUp(job, 10, outage, 'job-5');
    expect(h.state.servers[0].failure).toMatchObject({
      step: 'boot',
      reason: 'gave up after 10 attempts: recovery cloud unreachable',
    });
  });

  it('a teardown refused by the cloud is retried, never recorded as a failure', async () => {
    const h = new StepHarness(
      play(runningTest({ estate: [server('app')] }), [
        { type: 'AbortActivation', data: { reason: 'stop', by: { name: 'A', email: 'a@x.test' }, at: t(1) } },
        { type: 'RequestClose', data: { by: { name: 'A', email: 'a@x.test' }, at: t(2) } },
      ]),
      t(2),
    );
    const refusal = new CloudPermanentError('locked', 'resource locked');
    const { runner } = runnerFor(h, async () => {
      throw refusal;
    });
    await expect(runner.run(jobOf(h, 'teardown'), 'job-6')).rejects.toBe(refusal);
    expect(h.facts()).toEqual([]);
  });

  it('a failback step that resumes a server or reconnects users is recorded with its reason once the queue gives up', async () => {
    const h = new StepHarness(
      play(failingBack(), [
        ...chainBack().slice(0, 13),
        startedAtOriginal('lone', t(130)),
        failbackStepFailed('db', 'final-delta', t(131)),
      ]),
      t(131),
    );
    const outage = new Error('no host has room');
    const { runner } = runnerFor(h, async () => {
      throw outage;
    });
    const resume = jobOf(h, 'resume-at-recovery', 'db');
    await expect(runner.run(resume, 'job-6')).rejects.toBe(outage);
    await runner.giveUp(resume, 10, outage, 'job-6');
    expect(h.state.failback!.servers.find((x) => x.hostname === 'db')!.resumeFailure).toMatchObject({
      reason: 'gave up after 10 attempts: no host has room',
    });

    const back = new StepHarness(play(failingBack(), chainBack().slice(0, -1)), t(141));
    const unreachable = new Error('VPN gateway unreachable');
    const other = runnerFor(back, async () => {
      throw unreachable;
    });
    const reconnect = jobOf(back, 'reconnect-users');
    await expect(other.runner.run(reconnect, 'job-7')).rejects.toBe(unreachable);
    await other.runner.giveUp(reconnect, 10, unreachable, 'job-7');
    expect(back.state.failback!.reconnectFailure).toMatchObject({
      reason: 'gave up after 10 attempts: VPN gateway unreachable',
    });
  });
});
