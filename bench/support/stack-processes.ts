import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import Redis from 'ioredis';
import { Client } from 'pg';
import { AppProcess, freePort, startApp, stopAll, waitForHealth } from '../../scripts/demo/processes';
import { PG_URL } from './event-store-subjects';

export interface BenchStackOptions {
  /** The apps' environment on top of the bench's own. */
  env?: Record<string, string>;
  eventStore?: 'sqlite' | 'postgres';
  /** Another checkout whose `dist/` runs instead of this one (a build to compare with, in the same run). */
  root?: string;
}

export interface StoredRow {
  stream: string;
  revision: number;
  type: string;
  data: string;
  metadata: string;
}

export interface BenchStack {
  apiUrl: string;
  cloudUrl: string;
  admin: string;
  /** Process ids of the three apps (CPU seconds are read from them). */
  pids: { api: number; worker: number; 'recovery-cloud': number };
  env: Record<string, string>;
  codes: Map<string, string>;
  webhookUrl: string;
  /** Position of the last event in the store. */
  headPosition(): Promise<number>;
  /** The events stored after `position`, as stored (data and metadata as JSON text). */
  eventsAfter(position: number): Promise<StoredRow[]>;
  call<T>(token: string, method: string, path: string, body?: unknown): Promise<T>;
  sim<T>(method: string, path: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
}

/** The three apps as separate processes (the deployment shape), plus a webhook catching codes. */
export async function startBenchStack(options: BenchStackOptions = {}): Promise<BenchStack> {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-bench-'));
  const schema = `reprise_bench_${randomUUID().slice(0, 8)}`;
  const store: Record<string, string> =
    options.eventStore === 'postgres'
      ? { EVENT_STORE: 'postgres', POSTGRES_URL: PG_URL, POSTGRES_SCHEMA: schema }
      : { EVENT_STORE: 'sqlite' };
  const [apiPort, workerPort, cloudPort] = [await freePort(), await freePort(), await freePort()];
  const admin = randomBytes(24).toString('hex');
  const codes = new Map<string, string>();
  const hook: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const parsed = JSON.parse(body || '{}') as { activationId?: string; code?: string };
      if (parsed.activationId && parsed.code) codes.set(parsed.activationId, parsed.code);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const webhookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;
  const common: Record<string, string> = {
    LOG_LEVEL: 'silent',
    SQLITE_PATH: join(dir, 'reprise.db'),
    REPRISE_ADMIN_TOKEN: admin,
    RECOVERY_CLOUD_URL: `http://127.0.0.1:${cloudPort}`,
    RECOVERY_CLOUD_PORT: String(cloudPort),
    API_PORT: String(apiPort),
    WORKER_PORT: String(workerPort),
    CLOCK: 'simulated',
    QUEUE_PREFIX: `reprise-bench-${randomUUID().slice(0, 8)}`,
    ...store,
    ...options.env,
  };
  const apps: AppProcess[] = [startApp('recovery-cloud', cloudPort, common, options.root)];
  await waitForHealth(apps[0]);
  apps.push(
    startApp('api', apiPort, common, options.root),
    startApp('worker', workerPort, common, options.root),
  );
  for (const app of apps) await waitForHealth(app);
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const cloudUrl = `http://127.0.0.1:${cloudPort}`;
  const request = async <T>(
    url: string,
    method: string,
    headers: Record<string, string>,
    body?: unknown,
  ): Promise<T> => {
    const res = await fetch(url, {
      method,
      headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${url} → ${res.status}: ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  const query = async <R>(sqlite: string, pg: string, params: unknown[]): Promise<R[]> => {
    if (options.eventStore !== 'postgres') {
      const db = new Database(common.SQLITE_PATH, { readonly: true });
      try {
        return db.prepare(sqlite).all(...params) as R[];
      } finally {
        db.close();
      }
    }
    const client = new Client({ connectionString: PG_URL });
    await client.connect();
    try {
      return (await client.query(pg.replaceAll('events', `"${schema}".events`), params)).rows as R[];
    } finally {
      await client.end();
    }
  };
  return {
    apiUrl,
    headPosition: async () =>
      Number(
        (
          await query<{ p: number | null }>(
            'SELECT MAX(position) AS p FROM events',
            'SELECT max(position) AS p FROM events',
            [],
          )
        )[0].p ?? 0,
      ),
    eventsAfter: (position) =>
      query<StoredRow>(
        'SELECT stream, revision, type, data, metadata FROM events WHERE position > ? ORDER BY position',
        'SELECT stream, revision, type, data::text AS data, metadata::text AS metadata FROM events WHERE position > $1 ORDER BY position',
        [position],
      ),
    cloudUrl,
    admin,
    pids: {
      'recovery-cloud': apps[0].child.pid as number,
      api: apps[1].child.pid as number,
      worker: apps[2].child.pid as number,
    },
    env: common,
    codes,
    webhookUrl,
    call: (token, method, path, body) =>
      request(`${apiUrl}/api/v1${path}`, method, { authorization: `Bearer ${token}` }, body),
    sim: (method, path, body) => request(`${cloudUrl}${path}`, method, {}, body),
    close: async () => {
      await stopAll(apps);
      await new Promise<void>((r) => hook.close(() => r()));
      await deleteKeys(common.REDIS_URL ?? 'redis://127.0.0.1:6379', `${common.QUEUE_PREFIX}:*`);
      rmSync(dir, { recursive: true, force: true });
      if (options.eventStore === 'postgres') {
        const client = new Client({ connectionString: PG_URL });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await client.end();
      }
    },
  };
}

/** Deletes the bench's queue keys (SCAN, never KEYS). */
async function deleteKeys(url: string, pattern: string): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}
