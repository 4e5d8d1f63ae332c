import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { ManualClock } from '@reprise/common/clock/system-clock';
import { validateEnvironment } from '@reprise/common/config/environment';
import { activationDecider } from '@reprise/domain/activation';
import { DEFAULT_WORKFLOW_SETTINGS } from '@reprise/domain/activation/activation.workflow';
import { server } from '@reprise/domain/activation/testing/fixtures';
import { streams } from '@reprise/domain/shared/streams';
import { handleCommand } from '@reprise/event-store/command-handling';
import { SqliteEventStore } from '@reprise/event-store/sqlite/sqlite-event-store';
import type { JobPayloads } from '@reprise/jobs';
import { PartitionLeases } from '@reprise/jobs/partition-leases';
import { deleteQueueKeys, testQueuePrefix } from '../../../../test/support/redis-keys';
import { ActivationDispatcher } from './activation-dispatcher.service';
import { ActivationRecorder } from './activation-recorder.service';

/** A worker that took its share once and then went silent (SIGKILL): it never renews nor leaves. */
class SilentAfterStart extends PartitionLeases {
  override async start(): Promise<void> {
    await this.renew();
  }
}

/**
 * Two dispatchers (two workers) on one SQLite store and the real Redis, with short leases: each
 * activation is swept by exactly one of them, and the survivor takes over the activations of one that
 * dies once its leases expired.
 */
describe('activation dispatchers sharing the activations (real Redis leases, SQLite)', () => {
  const T = 'tenant-share';
  const NOW = '2026-03-02T09:00:00.000Z';
  const ACTIVATIONS = 24;
  const LEASE = { leaseMs: 800, renewMs: 200 };
  let dir: string;
  let store: SqliteEventStore;
  let redis: Redis;
  let prefix: string;
  const dispatchers: ActivationDispatcher[] = [];

  /** A dispatcher whose queue records the activations it enqueues steps for. */
  function dispatcher(leases: PartitionLeases) {
    const swept = new Set<string>();
    const queue = {
      addBulk: async (jobs: Array<{ data: JobPayloads['activation.step'] }>) => {
        for (const job of jobs) swept.add(job.data.activationId);
      },
    };
    const d = new ActivationDispatcher(
      store,
      new ManualClock(new Date(NOW)),
      queue as never,
      new ActivationRecorder(store),
      DEFAULT_WORKFLOW_SETTINGS,
      // No timer sweeps (the test sweeps), and every sweep enqueues again what is due.
      validateEnvironment({ REPRISE_RECONCILE_SWEEP_MS: '3600000', REPRISE_REENQUEUE_MS: '0' }),
      leases,
    );
    dispatchers.push(d);
    return { d, swept, leases };
  }

  const leases = (memberId: string, Kind = PartitionLeases) =>
    new Kind({ redis, prefix: `${prefix}:dispatch`, memberId, ...LEASE });
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'reprise-share-'));
    store = new SqliteEventStore({ path: join(dir, 'store.db'), clock: new ManualClock(new Date(NOW)) });
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 1 });
    prefix = testQueuePrefix('share');
    for (let i = 0; i < ACTIVATIONS; i++) {
      const activationId = `act-${i}`;
      await handleCommand(
        store,
        streams.activation(T, activationId),
        activationDecider,
        {
          type: 'RequestActivation',
          data: {
            activationId,
            tenantId: T,
            type: 'test',
            scope: 'full',
            estate: [server(`web-${i}`)],
            requestedBy: { name: 'Claire', email: 'claire@acme.example' },
            window: { activationWindow: '24x7', timeZone: 'Europe/Paris' },
            at: NOW,
          },
        },
        { actor: 'test', role: 'system', tenantId: T, correlationId: activationId, causationId: null },
      );
    }
  });

  afterEach(async () => {
    await Promise.all(dispatchers.splice(0).map((d) => d.onApplicationShutdown()));
    redis.disconnect();
    await deleteQueueKeys(prefix);
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('each activation is swept by one worker; a dead worker’s activations pass to the survivor', async () => {
    const a = dispatcher(leases('worker-a'));
    const b = dispatcher(leases('worker-b', SilentAfterStart));
    await a.d.onApplicationBootstrap();
    await b.d.onApplicationBootstrap();
    // a held everything before b joined; its next round hands b its share.
    await a.leases.renew();
    expect(a.leases.snapshot().members.sort()).toEqual(['worker-a', 'worker-b']);
    await b.leases.renew();
    // The dispatches of the start (a burst per worker) are over before the count starts.
    while ((await a.d.pending()) || (await b.d.pending())) await sleep(20);

    a.swept.clear();
    b.swept.clear();
    expect((await a.d.sweep()) + (await b.d.sweep())).toBe(ACTIVATIONS);
    const all = [...Array(ACTIVATIONS).keys()].map((i) => `act-${i}`);
    expect([...a.swept, ...b.swept].sort()).toEqual([...all].sort());
    expect([...a.swept].filter((id) => b.swept.has(id))).toEqual([]);
    expect(a.swept.size).toBeGreaterThan(0);
    expect(b.swept.size).toBeGreaterThan(0);
    const orphans = [...b.swept];

    // b goes silent: until its leases expire a leaves its activations alone, then takes them over
    // and dispatches them at once, without waiting for a sweep.
    a.swept.clear();
    const diedAt = Date.now();
    while (!orphans.every((id) => a.swept.has(id))) {
      if (Date.now() - diedAt > 5000) throw new Error(`a took over ${[...a.swept]} of ${orphans}`);
      await sleep(50);
    }
    expect(Date.now() - diedAt).toBeGreaterThanOrEqual(LEASE.leaseMs / 2);
    expect(a.leases.snapshot().held).toHaveLength(a.leases.partitions);
    a.swept.clear();
    expect(await a.d.sweep()).toBe(ACTIVATIONS);
    expect([...a.swept].sort()).toEqual([...all].sort());
  });
});
