import { existsSync } from 'node:fs';
import { simStats, waitUntil } from '../activations/activation-helpers';
import { appEntry } from '../support/processes';
import { bearer, createTenant, enrol, startStack, waitForStatus, type Stack } from '../support/stack';
import { WorkerProcesses } from '../support/worker-process';
import { activationView, startReceiver, stepStatuses, type Receiver } from './support';

/**
 * Crash safety of runbook steps with real processes: the worker is the built app, SIGKILLed in the
 * middle of a webhook call (the receiver got it, the worker never heard the answer) and in the
 * middle of a script run in the recovery cloud. A new worker resumes each step; the side effect
 * happens exactly once: the receiver counts distinct webhook-ids, the simulator counts guest runs.
 */
describe('runbook steps survive a SIGKILL of the worker (real worker process)', () => {
  let stack: Stack;
  let receiver: Receiver;
  const processes = new WorkerProcesses(() => stack.env);

  beforeAll(async () => {
    if (!existsSync(appEntry('worker'))) throw new Error('build first: npm run build (npm test does)');
    stack = await startStack({ timeScale: 600, worker: 'none' });
    // The receiver answers 3 s after it took the delivery: time to kill the worker in between.
    receiver = await startReceiver({ delayMs: 3000 });
  }, 60_000);
  afterAll(async () => {
    await processes.killAll();
    await receiver?.close();
    await stack?.close();
  });

  async function tenantWith(steps: object[]) {
    const t = await createTenant(stack.api);
    await enrol(stack.api, t.manager, [{ hostname: 'db-1', family: 'linux' }]);
    await stack.api.http.put('/api/v1/plan/runbook').set(bearer(t.manager)).send({ steps }).expect(200);
    receiver.secret = (
      await stack.api.http.post('/api/v1/plan/runbook/secret').set(bearer(t.manager)).expect(201)
    ).body.secret;
    const res = await stack.api.http
      .post('/api/v1/activations')
      .set(bearer(t.manager))
      .send({ type: 'test', scope: 'full', requestedBy: { name: 'Claire', email: 'claire@acme.example' } })
      .expect(202);
    return { t, id: res.body.id as string };
  }

  it('during a webhook call: the resumed step calls again with the same webhook-id, one effect', async () => {
    const worker = await processes.start();
    const { t, id } = await tenantWith([
      // 600 simulated minutes: a minute of wall time at 600x, longer than the receiver's 3 s
      {
        name: 'notify',
        kind: 'webhook',
        after: ['db-1'],
        url: `${receiver.url}/notify`,
        timeoutMinutes: 600,
      },
    ]);
    // the receiver has the delivery, the worker waits for its answer: kill it now
    await waitUntil(
      async () => receiver.deliveries.some((d) => d.body.activationId === id),
      'the delivery',
      30_000,
      10,
    );
    await processes.kill(worker);
    expect(stepStatuses(await activationView(stack, t.manager, id))).toEqual({ notify: 'running' });

    await processes.start();
    const done = await waitForStatus(
      stack.api,
      t.manager,
      id,
      ['completed', 'completed-with-failures'],
      60_000,
    );
    expect(done.status).toBe('completed');
    const mine = receiver.deliveries.filter((d) => d.body.activationId === id);
    expect(mine.length).toBeGreaterThanOrEqual(2);
    expect(new Set(mine.map((d) => d.id)).size).toBe(1);
    expect(mine.every((d) => d.valid)).toBe(true);
    expect([...receiver.effects().values()].filter((d) => d.body.activationId === id)).toHaveLength(1);
    await processes.killAll();
  }, 90_000);

  it('during a script run: the resumed step finds the same run in the cloud, run once', async () => {
    const before = (await simStats(stack)) as unknown as { guestRuns: number; replayedRequests: number };
    const worker = await processes.start();
    // 200 lines: about 2,000 simulated seconds, 3 to 4 s at 600x
    const script = Array.from({ length: 200 }, (_, i) => `echo step ${i}`).join('\n');
    const { t, id } = await tenantWith([
      {
        name: 'fix',
        kind: 'script',
        after: ['db-1'],
        server: 'db-1',
        interpreter: 'bash',
        script,
        timeoutMinutes: 600,
      },
    ]);
    await waitUntil(
      async () => ((await simStats(stack)) as unknown as { guestRuns: number }).guestRuns > before.guestRuns,
      'the guest run',
      30_000,
      10,
    );
    await processes.kill(worker);
    expect(stepStatuses(await activationView(stack, t.manager, id))).toEqual({ fix: 'running' });

    await processes.start();
    const done = await waitForStatus(
      stack.api,
      t.manager,
      id,
      ['completed', 'completed-with-failures'],
      60_000,
    );
    expect(done.status).toBe('completed');
    expect(stepStatuses(done)).toEqual({ fix: 'done' });
    const after = (await simStats(stack)) as unknown as { guestRuns: number; replayedRequests: number };
    expect(after.guestRuns - before.guestRuns).toBe(1);
    expect(after.replayedRequests).toBeGreaterThan(before.replayedRequests);
    await processes.killAll();
  }, 90_000);

  it('a manual step waiting survives a SIGKILL of the worker: signed off later, it completes', async () => {
    const worker = await processes.start();
    const { t, id } = await tenantWith([
      { name: 'owner-ok', kind: 'manual', after: ['db-1'], instructions: 'check', timeoutMinutes: 6000 },
    ]);
    await waitUntil(
      async () => stepStatuses(await activationView(stack, t.manager, id))['owner-ok'] === 'waiting-sign-off',
      'the sign-off to be awaited',
      30_000,
      25,
    );
    await processes.kill(worker);
    await processes.start();
    await stack.api.http
      .post(`/api/v1/activations/${id}/steps/owner-ok/sign-off`)
      .set(bearer(t.manager))
      .send({ note: 'fine' })
      .expect(200);
    const done = await waitForStatus(
      stack.api,
      t.manager,
      id,
      ['completed', 'completed-with-failures'],
      60_000,
    );
    expect(done.status).toBe('completed');
    expect(stepStatuses(done)).toEqual({ 'owner-ok': 'done' });
    await processes.killAll();
  }, 90_000);
});
