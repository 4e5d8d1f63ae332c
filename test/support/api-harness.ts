import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { EVENT_STORE, type EventStore } from '@reprise/event-store/event-store.port';
import { deleteQueueKeys, testQueuePrefix } from './redis-keys';
import { testStore, type TestEventStore, type TestStore } from './event-store';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
/** A recovery-cloud URL nothing answers (port 1 refuses connections at once). */
export const NO_CLOUD = 'http://127.0.0.1:1';

export interface ApiHarness {
  app: INestApplication;
  http: ReturnType<typeof request>;
  store: EventStore;
  /** The store's kind, its environment, and tamper/inspection helpers (see event-store.ts). */
  testStore: TestStore;
  dataDir: string;
  /** Prefix of its keys in Redis (QUEUE_PREFIX: queues, sessions, sign-in counters). */
  queuePrefix: string;
  /** Counts the events in the store but the audit log's own bookkeeping (to prove a rejected request changed nothing). */
  eventCount(): Promise<number>;
  close(): Promise<void>;
}

export interface ApiOptions {
  /** The event store of this suite (default: `REPRISE_TEST_EVENT_STORE`, else SQLite). */
  eventStore?: TestEventStore;
}

/**
 * Starts the real API app (same module and configuration as production) on an ephemeral port,
 * with a fresh event store (a SQLite file or a PostgreSQL schema) and the local Redis, under a key
 * prefix of this test run (QUEUE_PREFIX) whose keys (queues, sessions, sign-in counters) it deletes
 * on close, unless the caller chose it.
 */
export async function startApi(
  env: Record<string, string> = {},
  options: ApiOptions = {},
): Promise<ApiHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'reprise-e2e-'));
  const store = testStore(dataDir, options.eventStore);
  Object.assign(process.env, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    // Also where the processes' read models default to (next to it), whatever the store.
    SQLITE_PATH: join(dataDir, 'reprise.db'),
    ...store.env,
    READ_MODEL_PATH: join(dataDir, 'read-models-api.db'),
    REPRISE_ADMIN_TOKEN: ADMIN_TOKEN,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: testQueuePrefix('api'),
    // No recovery cloud unless the test starts one (another developer's simulator may listen on
    // the default port): the start-up clock check then only warns.
    RECOVERY_CLOUD_URL: NO_CLOUD,
    CLOCK: 'system',
    ...env,
  });
  const queuePrefix = process.env.QUEUE_PREFIX as string;
  // Imported after the environment is set: the app validates it at construction.
  const { createApiApp } = await import('../../apps/api/src/api.app');
  const app = await createApiApp({ logger: false });
  await app.listen(0, '127.0.0.1');
  const eventStore = app.get<EventStore>(EVENT_STORE);
  return {
    app,
    http: request(app.getHttpServer()),
    store: eventStore,
    testStore: store,
    dataDir,
    // The audit log's own bookkeeping (signed tree heads and their deliveries, written by the worker
    // on its own schedule) is not counted: a request changes nothing else, or it changed something.
    eventCount: async () =>
      (await eventStore.readAll()).filter(
        (e) => !/^tenant\/[^/]+\/(audit$|notification\/tree-head\.)/.test(e.stream),
      ).length,
    queuePrefix,
    close: async () => {
      await app.close();
      await store.drop();
      // Its own prefix only: a stack that passed one deletes it once everything is stopped.
      if (env.QUEUE_PREFIX === undefined) await deleteQueueKeys(queuePrefix);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
