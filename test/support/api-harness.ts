import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import request from 'supertest';
import { EVENT_STORE, type EventStore } from '@reprise/event-store/event-store.port';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
/** A recovery-cloud URL nothing answers (port 1 refuses connections at once). */
export const NO_CLOUD = 'http://127.0.0.1:1';

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
 * with a fresh SQLite file and the local Redis.
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
    // No recovery cloud unless the test starts one (another developer's simulator may listen on
    // the default port): the start-up clock check then only warns.
    RECOVERY_CLOUD_URL: NO_CLOUD,
    CLOCK: 'system',
    ...env,
  });
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
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
