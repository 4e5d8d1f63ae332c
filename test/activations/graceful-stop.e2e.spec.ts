import type { INestApplication } from '@nestjs/common';
import { sim, simStats } from './activation-helpers';
import { bearer, createTenant, enrol, startStack, waitForStatus, type Stack } from '../support/stack';

describe('a stopping worker does not wait for long cloud operations (e2e)', () => {
  let stack: Stack;
  let second: INestApplication | null = null;

  beforeAll(async () => {
    // 60× clock: a 2 TB restore at 1 GiB/s takes ~35 simulated minutes, ~35 s of wall time.
    stack = await startStack({ timeScale: 60 });
  }, 60_000);
  afterAll(async () => {
    await second?.close();
    await stack?.close();
  });

  it('stops while a restore runs, and the next worker resumes the same operation to the end', async () => {
    const t = await createTenant(stack.api);
    await enrol(stack.api, t.manager, [{ hostname: 'big-1', diskGiB: 2000 }]);
    const { body } = await stack.api.http
      .post('/api/v1/activations')
      .set(bearer(t.manager))
      .send({ type: 'test', scope: 'full', requestedBy: { name: 'Claire', email: 'claire@acme.example' } })
      .expect(202);
    await waitForStatus(stack.api, t.manager, body.id, ['running']);
    for (let i = 0; i < 200; i++) {
      const view = (await stack.api.http.get(`/api/v1/activations/${body.id}`).set(bearer(t.manager))).body;
      if (view.servers[0].phase === 'restoring') break;
      await new Promise((r) => setTimeout(r, 25));
    }
    // Closing the worker must not wait ~35 s for the restore (the test's timeout is far shorter).
    await stack.worker?.close();
    stack.worker = null;

    // Speed the cloud up so the rest runs quickly, then start a new worker: it resumes, never restarts.
    await sim(stack, '/sim/v1/clock', 'PUT', { scale: 3000 });
    const { createWorkerApp } = await import('../../apps/worker/src/worker.app');
    second = await createWorkerApp({ logger: false });
    await second.init();
    const done = await waitForStatus(
      stack.api,
      t.manager,
      body.id,
      ['completed', 'completed-with-failures'],
      30_000,
    );
    expect(done.status).toBe('completed');
    const stats = await simStats(stack);
    expect(stats.restoreRequests).toBe(1);
    expect(stats.duplicateRestoreRequests).toBe(0);
    expect(stats.duplicateRestoresSameDisk).toBe(0);
  }, 20_000);
});
