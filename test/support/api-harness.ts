import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { EVENT_STORE, type EventStore } from '@reprise/event-store/event-store.port';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface ApiHarness {
  app: INestApplication;
  http: ReturnType<typeof request>;
  store: EventStore;
  dataDir: string;
  /** Counts every event in the store (to prove a rejected request changed nothing). */
  eventCount(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Starts the real API app (same module and configuration as production) on an ephemeral port,
 * with a fresh SQLite file and the local Redis under a key prefix of its own (QUEUE_PREFIX), whose
 * keys (queues, sessions, sign-in counters) are deleted on close.
 */
export async function startApi(env: Record<string, string> = {}): Promise<ApiHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'reprise-e2e-'));
  Object.assign(process.env, {
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    SQLITE_PATH: join(dataDir, 'reprise.db'),
    READ_MODEL_PATH: join(dataDir, 'read-models-api.db'),
    REPRISE_ADMIN_TOKEN: ADMIN_TOKEN,
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    QUEUE_PREFIX: `reprise-test-${randomUUID().slice(0, 8)}`,
    ...env,
  });
  const prefix = process.env.QUEUE_PREFIX as string;
  // Imported after the environment is set: the app validates it at construction.
  const { createApiApp } = await import('../../apps/api/src/api.app');
  const app = await createApiApp({ logger: false });
  await app.listen(0, '127.0.0.1');
  const store = app.get<EventStore>(EVENT_STORE);
  return {
    app,
    http: request(app.getHttpServer()),
    store,
    dataDir,
    eventCount: async () => (await store.readAll()).length,
    close: async () => {
      await app.close();
      await deleteRedisKeys(`${prefix}:*`);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Deletes the Redis keys matching `pattern` (what a test's apps left under their prefix). */
export async function deleteRedisKeys(pattern: string): Promise<void> {
  const { default: Redis } = await import('ioredis');
  const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 2 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
