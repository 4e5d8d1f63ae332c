import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import Redis from 'ioredis';
import { appEntry } from '../support/processes';
import { WorkerProcesses } from '../support/worker-process';
import {
  bearer,
  createTenant,
  enrol,
  startStack,
  waitForStatus,
  type ServerInput,
  type Stack,
} from '../support/stack';
import { phases, sim, simStats, waitUntil } from './activation-helpers';

/**
 * Crash safety with real processes: the worker is the built app spawned by the test (SIGKILLed and
 * restarted), Redis is the real local one (its keys deleted mid-run), the recovery cloud goes away
 * for a while. Each activation must end completed, every server ok, with zero duplicate restores.
 */

// 10 servers, dependencies three levels deep: dc ← db ← app ← web, plus independent file servers.
const ESTATE: ServerInput[] = [
  { hostname: 'dc-1' },
  { hostname: 'dc-2' },
  { hostname: 'db-1', dependsOn: ['dc-1'], diskGiB: 200 },
  { hostname: 'db-2', dependsOn: ['dc-2'], diskGiB: 150, family: 'linux' },
  { hostname: 'app-1', dependsOn: ['db-1'] },
  { hostname: 'app-2', dependsOn: ['db-1', 'db-2'], family: 'linux' },
  { hostname: 'web-1', dependsOn: ['app-1'], family: 'linux' },
  { hostname: 'web-2', dependsOn: ['app-2'], family: 'linux' },
  { hostname: 'file-1', diskGiB: 250 },
  { hostname: 'file-2', diskGiB: 120, family: 'linux' },
];
const ALL_OK = Object.fromEntries(ESTATE.map((s) => [s.hostname, 'ok']));

interface View {
  status: string;
  servers: Array<{ hostname: string; phase: string; health: string | null; restoreStartedAt: string | null }>;
}

describe('crash safety of the activation engine (real worker process, real Redis)', () => {
  let stack: Stack;
  let t: Awaited<ReturnType<typeof createTenant>>;
  const processes = new WorkerProcesses(() => stack.env);
  const workers = processes.running;
  const startWorker = () => processes.start();
  const kill = (child: ChildProcess) => processes.kill(child);

  const view = async (id: string) =>
    (await stack.api.http.get(`/api/v1/activations/${id}`).set(bearer(t.manager)).expect(200)).body as View;

  async function runTest(): Promise<string> {
    const created = await stack.api.http
      .post('/api/v1/activations')
      .set(bearer(t.manager))
      .send({ type: 'test', scope: 'full', requestedBy: { name: 'Claire', email: 'claire@acme.example' } })
      .expect(202);
    return created.body.id as string;
  }

  /** Mid-activation: some servers restoring, none available yet. */
  const whileRestoring = (id: string) =>
    waitUntil(
      async () => {
        const v = await view(id);
        const restoring = v.servers.filter((s) => s.phase === 'restoring').length;
        return restoring >= 3 && v.servers.every((s) => s.phase !== 'ok') ? v : null;
      },
      'servers restoring',
      15_000,
      25,
    );

  /** Ends the activation (teardown verified) so the next scenario may start. */
  async function finish(id: string) {
    const done = await waitForStatus(
      stack.api,
      t.manager,
      id,
      ['completed', 'completed-with-failures'],
      30_000,
    );
    // The report says what an uninterrupted run says: every server restored, started and ok.
    const report = await stack.api.http
      .get(`/api/v1/activations/${id}/report`)
      .set(bearer(t.manager))
      .expect(200);
    expect(report.body.summary).toMatchObject({
      servers: ESTATE.length,
      ok: ESTATE.length,
      warning: 0,
      failed: 0,
      blocked: 0,
    });
    expect(report.body.lastServerAvailableAfterMinutes).toBeGreaterThanOrEqual(
      report.body.firstServerAvailableAfterMinutes,
    );
    await stack.api.http.post(`/api/v1/activations/${id}/close`).set(bearer(t.manager)).send({}).expect(200);
    return done;
  }

  beforeAll(async () => {
    if (!existsSync(appEntry('worker'))) throw new Error('build first: npm run build (npm test does)');
    // 600x: a 10-server activation of about 50 simulated minutes takes a few seconds.
    stack = await startStack({ timeScale: 600, worker: 'none' });
  }, 60_000);

  // A tenant of its own per scenario, so that one failing scenario leaves no live activation behind.
  beforeEach(async () => {
    t = await createTenant(stack.api, {});
    await enrol(stack.api, t.manager, ESTATE);
  });

  afterAll(async () => {
    await Promise.all([...workers].map(kill));
    await stack?.close();
  });

  it('SIGKILL of the worker mid-activation: a new worker completes it, no disk restored twice', async () => {
    const before = await simStats(stack);
    const first = await startWorker();
    const id = await runTest();
    const mid = await whileRestoring(id);
    await kill(first);
    expect(mid.status).toBe('running');

    await startWorker();
    const done = await finish(id);
    expect(done.status).toBe('completed');
    expect(phases(done)).toEqual(ALL_OK);
    const stats = await simStats(stack);
    expect(stats.duplicateRestoresSameDisk).toBe(0);
    // Resumed by listing the cloud's resources, not by replaying idempotency keys.
    expect(stats.duplicateRestoreRequests).toBe(0);
    expect(stats.restoreRequests - before.restoreRequests).toBe(ESTATE.length);
    expect(stats.duplicateServerCreations).toBe(before.duplicateServerCreations);
  }, 120_000);

  it('Redis keys deleted mid-activation: it completes, no disk restored twice', async () => {
    const before = await simStats(stack);
    if (workers.size === 0) await startWorker();
    const id = await runTest();
    await whileRestoring(id);
    // Redis is shared with test files running in parallel: instead of FLUSHALL, delete every key of
    // this stack's QUEUE_PREFIX (which is all a FLUSHALL would take from this worker).
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    let deleted = 0;
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${stack.env.QUEUE_PREFIX}:*`, 'COUNT', 500);
        cursor = next;
        if (keys.length) deleted += await redis.del(...keys);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
    expect(deleted).toBeGreaterThan(0);

    const done = await finish(id);
    expect(done.status).toBe('completed');
    expect(phases(done)).toEqual(ALL_OK);
    const stats = await simStats(stack);
    expect(stats.duplicateRestoresSameDisk).toBe(0);
    expect(stats.duplicateRestoreRequests).toBe(0);
    expect(stats.restoreRequests - before.restoreRequests).toBe(ESTATE.length);
  }, 120_000);

  it('the recovery cloud unreachable for a while mid-activation: it completes', async () => {
    const before = await simStats(stack);
    if (workers.size === 0) await startWorker();
    const id = await runTest();
    await whileRestoring(id);
    await sim(stack, '/sim/v1/outage', 'POST', { seconds: 3 });

    const done = await finish(id);
    expect(done.status).toBe('completed');
    expect(phases(done)).toEqual(ALL_OK);
    const stats = await simStats(stack);
    expect(stats.duplicateRestoresSameDisk).toBe(0);
    expect(stats.restoreRequests - before.restoreRequests).toBe(ESTATE.length);
  }, 120_000);
});
