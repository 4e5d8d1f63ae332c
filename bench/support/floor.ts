import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Queue, Worker } from 'bullmq';
import { Pool } from 'pg';
import { PG_URL, RAW_PG_TABLE, RAW_SQLITE_TABLE } from './event-store-subjects';

/**
 * The floor of an activation: what its parts cost when nothing but them runs, measured in the same
 * run with the counts the engine just produced. Reprise's overhead is read against it.
 */

/** One event as stored: what a raw commit inserts (the run's own rows). */
export type RawEvent = [stream: string, revision: number, type: string, data: string, metadata: string];

/** `count` jobs through a fresh BullMQ queue (same Redis, own prefix): added in bulk, taken by a worker of `concurrency`, doing nothing. */
export async function rawBullJobs(count: number, redisUrl: string, concurrency: number): Promise<number> {
  const url = new URL(redisUrl);
  const connection = { host: url.hostname, port: Number(url.port || 6379) };
  const prefix = `reprise-bench-floor-${randomUUID().slice(0, 8)}`;
  const queue = new Queue('floor', { connection, prefix });
  let done = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const start = performance.now();
  const worker = new Worker(
    'floor',
    async () => {
      if (++done === count) finish();
    },
    { connection, prefix, concurrency },
  );
  for (let i = 0; i < count; i += 500)
    await queue.addBulk(
      Array.from({ length: Math.min(500, count - i) }, (_, j) => ({
        name: 'step',
        data: { key: `floor.${i + j}`, attempt: 1 },
        opts: { jobId: `step__floor.${i + j}`, removeOnComplete: { count: 2000 } },
      })),
    );
  await finished;
  const seconds = (performance.now() - start) / 1000;
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return seconds;
}

/**
 * `count` small JSON calls (an operation's answer) over keep-alive `node:http` to a bare server in a
 * process of its own, `concurrency` at a time: what the cloud calls cost without Nest or fetch.
 */
export async function rawCloudCalls(count: number, concurrency: number): Promise<number> {
  const child = fork(__filename, ['serve-raw-cloud'], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
  const port = await new Promise<number>((resolve) => child.once('message', (m) => resolve(Number(m))));
  const agent = new Agent({ keepAlive: true, maxSockets: 16 });
  const call = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const body = JSON.stringify({ activationId: 'a', serverId: `s-${i}`, diskName: 'system' });
      const req = request(
        {
          host: '127.0.0.1',
          port,
          agent,
          method: i % 2 ? 'POST' : 'GET',
          path: `/cloud/v1/operations/op-${i}`,
          headers: { 'content-type': 'application/json', 'idempotency-key': `k-${i}` },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c) => (text += c));
          res.on('end', () => (JSON.parse(text), resolve()));
        },
      );
      req.on('error', reject);
      req.end(i % 2 ? body : undefined);
    });
  const start = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await call(next++);
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  child.kill();
  return seconds;
}

function serveRawCloud(): void {
  const answer = (id: string) =>
    JSON.stringify({
      operationId: id,
      kind: 'restore-disk',
      status: 'succeeded',
      tenantId: 't',
      activationId: 'a',
      hostname: 'srv-0001',
      resourceId: 'disk-000001',
      idempotencyKey: 'k',
      createdAt: '2026-11-29T10:00:00.000Z',
      startedAt: '2026-11-29T10:00:00.000Z',
      completedAt: '2026-11-29T10:00:00.000Z',
      result: { diskId: 'disk-000001', sizeGiB: 50 },
      error: null,
    });
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      if (body) JSON.parse(body);
      res.writeHead(req.method === 'POST' ? 202 : 200, { 'content-type': 'application/json' });
      res.end(answer(req.url ?? ''));
    });
  });
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1', () => process.send?.((server.address() as { port: number }).port));
}

/** The run's events committed again, raw (no hashing, no checks), in `commits` transactions of equal size. */
export async function rawCommits(
  events: RawEvent[],
  commits: number,
  store: 'sqlite' | 'postgres',
): Promise<number> {
  const per = Math.max(1, Math.ceil(events.length / Math.max(1, commits)));
  const batches: RawEvent[][] = [];
  for (let i = 0; i < events.length; i += per) batches.push(events.slice(i, i + per));
  const hash = 'f'.repeat(64);
  if (store === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-bench-floor-'));
    const db = new Database(join(dir, 'raw.db'));
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.exec(`CREATE TABLE events ${RAW_SQLITE_TABLE}`);
      const insert = db.prepare(
        'INSERT INTO events (id, stream, revision, type, data, metadata, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      );
      const commit = db.transaction((batch: RawEvent[]) => {
        for (const [stream, revision, type, data, metadata] of batch)
          insert.run(randomUUID(), stream, revision, type, data, metadata, hash, hash);
      });
      const start = performance.now();
      for (const batch of batches) commit.immediate(batch);
      return (performance.now() - start) / 1000;
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const schema = `reprise_bench_floor_${randomUUID().slice(0, 8)}`;
  const pool = new Pool({ connectionString: PG_URL, max: 2 });
  try {
    await pool.query(`CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".events ${RAW_PG_TABLE}`);
    const start = performance.now();
    for (const batch of batches) {
      const values: unknown[] = [];
      const rows = batch.map(([stream, revision, type, data, metadata], r) => {
        values.push(randomUUID(), stream, revision, type, data, metadata, hash, hash);
        return `(${Array.from({ length: 8 }, (_, c) => `$${r * 8 + c + 1}`).join(', ')})`;
      });
      await pool.query(
        `INSERT INTO "${schema}".events (id, stream, revision, type, data, metadata, prev_hash, hash) VALUES ${rows.join(', ')}`,
        values,
      );
    }
    return (performance.now() - start) / 1000;
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  }
}

if (require.main === module && process.argv[2] === 'serve-raw-cloud') serveRawCloud();
