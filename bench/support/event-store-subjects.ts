import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Client, Pool } from 'pg';
import { SystemClock } from '@reprise/common/clock/system-clock';
import type { EventStore, MetadataInput } from '@reprise/event-store/event-store.port';
import { PostgresEventStore } from '@reprise/event-store/postgres/postgres-event-store';
import { SqliteEventStore } from '@reprise/event-store/sqlite/sqlite-event-store';

/**
 * The subjects of the event-store benchmark (see ../event-store.bench.ts) and their workloads. Each
 * subject runs in a process of its own (`serveSubject`), so that one store's garbage, busy retries
 * or stuck promises never slow down the next one.
 */

export const BATCHES = 100;
export const BATCH_SIZE = 100;
export const SEQUENTIAL = 300;
export const CALLERS = 256;
export const WAVES = 40;
export const WRITERS = 4;
export const PG_URL = process.env.POSTGRES_BENCH_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const metadata: MetadataInput = {
  actor: 'bench',
  role: 'system',
  tenantId: 'bench',
  correlationId: 'bench',
  causationId: null,
};
const payload = (i: number) => ({
  serverId: `srv-${i % 500}`,
  disk: `disk-${i % 4}`,
  sizeGiB: 100 + (i % 50),
  at: '2026-01-01T00:00:00.000Z',
});
const META_JSON = JSON.stringify({ ...metadata, requestId: null, recordedAt: '2026-01-01T00:00:00.000Z' });
// Raw rows carry hashes of the real size, without computing them.
const FAKE_HASH = 'f'.repeat(64);
/** The columns the raw baselines insert: the rows Reprise writes, without canonical JSON or hashing. */
const rawRow = (stream: string, revision: number, i: number) =>
  [randomUUID(), stream, revision, 'E', JSON.stringify(payload(i)), META_JSON, FAKE_HASH, FAKE_HASH] as const;

/** What a subject does in each workload. Write workloads return events written, reads events read. */
interface Subject {
  name: string;
  /** One append of BATCH_SIZE events to a new stream. */
  batch(b: number): Promise<void>;
  /** One event to a new stream, awaited before the next (one commit each). */
  single(i: number): Promise<void>;
  /** CALLERS single-event appends at once (raw: what a perfect group commit would do: one transaction). */
  wave(w: number): Promise<void>;
  /** WRITERS processes (stores/connections) each running a wave at once (PostgreSQL only). */
  writers?(w: number): Promise<void>;
  readAll(): Promise<number>;
  /** Appends the store refused with an error (they are not expected to be stored). */
  refused?(): number;
  readStream(stream: string): Promise<number>;
  count(): Promise<number>;
  close(): Promise<void>;
}

const batchStream = (b: number) => `batch-${b}`;

// ---------- Reprise stores ----------

function repriseSubject(name: string, open: () => EventStore, extraWriters?: () => EventStore[]): Subject {
  const store = open();
  const others = extraWriters?.() ?? [];
  const appendOne = (s: EventStore, stream: string, i: number) =>
    s.append(stream, [{ type: 'E', data: payload(i) }], { expectedRevision: 'no-stream', metadata });
  const wave = (s: EventStore, prefix: string, w: number) =>
    Promise.all(Array.from({ length: CALLERS }, (_, j) => appendOne(s, `${prefix}-${w}-${j}`, j)));
  return {
    name,
    batch: async (b) => {
      const events = Array.from({ length: BATCH_SIZE }, (_, i) => ({ type: 'E', data: payload(i) }));
      await store.append(batchStream(b), events, { expectedRevision: 'no-stream', metadata });
    },
    single: async (i) => void (await appendOne(store, `seq-${i}`, i)),
    wave: async (w) => void (await wave(store, 'wave', w)),
    writers: others.length
      ? async (w) =>
          void (await Promise.all(
            [store, ...others].map((s, k) => wave(s, `writer${k}`, w).then(() => undefined)),
          ))
      : undefined,
    readAll: async () => {
      let read = 0;
      let after = 0;
      for (;;) {
        const page = await store.readAll({ afterPosition: after, maxCount: 10_000 });
        if (page.length === 0) return read;
        read += page.length;
        after = page[page.length - 1].position;
      }
    },
    readStream: async (stream) => (await store.readStream(stream)).length,
    count: async () => (await store.readAll()).length,
    close: async () => {
      await Promise.all([store, ...others].map((s) => s.close()));
    },
  };
}

// ---------- raw better-sqlite3 ----------

const TABLE = `(position INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, stream TEXT NOT NULL, revision INTEGER NOT NULL,
  type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL,
  UNIQUE (stream, revision))`;

function rawSqliteSubject(path: string): Subject {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE events ${TABLE}`);
  const insert = db.prepare(
    'INSERT INTO events (id, stream, revision, type, data, metadata, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const row = (stream: string, revision: number, i: number) => insert.run(...rawRow(stream, revision, i));
  const batch = db.transaction((b: number) => {
    for (let i = 0; i < BATCH_SIZE; i++) row(batchStream(b), i, i);
  });
  const wave = db.transaction((w: number) => {
    for (let j = 0; j < CALLERS; j++) row(`wave-${w}-${j}`, 0, j);
  });
  const all = db.prepare('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT 10000');
  const one = db.prepare('SELECT * FROM events WHERE stream = ? ORDER BY revision');
  type R = { position: number; data: string; metadata: string };
  const parse = (r: R) => ({ ...r, data: JSON.parse(r.data), metadata: JSON.parse(r.metadata) });
  return {
    name: 'raw better-sqlite3',
    batch: async (b) => batch(b),
    single: async (i) => void row(`seq-${i}`, 0, i),
    wave: async (w) => wave(w),
    readAll: async () => {
      let read = 0;
      let after = 0;
      for (;;) {
        const page = (all.all(after) as R[]).map(parse);
        if (page.length === 0) return read;
        read += page.length;
        after = page[page.length - 1].position;
      }
    },
    readStream: async (stream) => (one.all(stream) as R[]).map(parse).length,
    count: async () => (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n,
    close: async () => void db.close(),
  };
}

// ---------- raw pg ----------

async function rawPgSubject(schema: string): Promise<Subject> {
  const pool = new Pool({ connectionString: PG_URL, max: WRITERS + 1 });
  const t = `"${schema}".events`;
  await pool.query(`CREATE SCHEMA "${schema}"; CREATE TABLE ${t} (
    position bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, id uuid NOT NULL UNIQUE, stream text NOT NULL,
    revision integer NOT NULL, type text NOT NULL, data text NOT NULL, metadata text NOT NULL,
    prev_hash text NOT NULL, hash text NOT NULL, UNIQUE (stream, revision))`);
  const insertSql = (n: number) =>
    `INSERT INTO ${t} (id, stream, revision, type, data, metadata, prev_hash, hash) VALUES ${Array.from(
      { length: n },
      (_, r) => `(${Array.from({ length: 8 }, (_, c) => `$${r * 8 + c + 1}`).join(', ')})`,
    ).join(', ')}`;
  const texts = new Map<number, string>();
  const insert = (client: Pool | Client, rows: Array<[string, number, number]>) => {
    const n = rows.length;
    if (!texts.has(n)) texts.set(n, insertSql(n));
    const values: unknown[] = [];
    for (const [stream, revision, i] of rows) values.push(...rawRow(stream, revision, i));
    return client.query({ name: `${schema}-insert-${n}`, text: texts.get(n) as string, values });
  };
  const waveRows = (prefix: string, w: number) =>
    Array.from({ length: CALLERS }, (_, j) => [`${prefix}-${w}-${j}`, 0, j] as [string, number, number]);
  type R = [string, string, string, number, string, string, string, string, string];
  const parse = (r: R) => ({ r, data: JSON.parse(r[5]), metadata: JSON.parse(r[6]) });
  return {
    name: 'raw pg',
    batch: async (b) =>
      void (await insert(
        pool,
        Array.from({ length: BATCH_SIZE }, (_, i) => [batchStream(b), i, i]),
      )),
    single: async (i) => void (await insert(pool, [[`seq-${i}`, 0, i]])),
    wave: async (w) => void (await insert(pool, waveRows('wave', w))),
    writers: async (w) =>
      void (await Promise.all(
        Array.from({ length: WRITERS }, (_, k) => insert(pool, waveRows(`writer${k}`, w))),
      )),
    readAll: async () => {
      let read = 0;
      let after = 0;
      for (;;) {
        const { rows } = await pool.query<R>({
          name: `${schema}-all`,
          text: `SELECT position, id, stream, revision, type, data, metadata, prev_hash, hash FROM ${t}
                 WHERE position > $1 ORDER BY position LIMIT 10000`,
          values: [after],
          rowMode: 'array',
        });
        if (rows.length === 0) return read;
        read += rows.map(parse).length;
        after = Number(rows[rows.length - 1][0]);
      }
    },
    readStream: async (stream) => {
      const { rows } = await pool.query<R>({
        name: `${schema}-one`,
        text: `SELECT position, id, stream, revision, type, data, metadata, prev_hash, hash FROM ${t}
               WHERE stream = $1 ORDER BY revision`,
        values: [stream],
        rowMode: 'array',
      });
      return rows.map(parse).length;
    },
    count: async () => Number((await pool.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n),
    close: () => pool.end(),
  };
}

// ---------- Emmett ----------

type EmmettStore = {
  appendToStream(stream: string, events: unknown[], options?: unknown): Promise<unknown>;
  readStream(stream: string): Promise<{ events: unknown[] }>;
};

function emmettWorkloads(
  name: string,
  store: EmmettStore,
  readAll: () => Promise<number>,
  count: () => Promise<number>,
  close: () => Promise<void>,
  extra?: EmmettStore[],
): Subject {
  const event = (i: number) => ({ type: 'E', data: payload(i), metadata });
  const options = { expectedStreamVersion: 'STREAM_DOES_NOT_EXIST' };
  let refused = 0;
  // Every append is awaited; the ones the store refuses (Emmett SQLite under overlapping appends) are
  // counted, so that lost acknowledged appends can be told apart from refused ones.
  const wave = async (s: EmmettStore, prefix: string, w: number) => {
    const results = await Promise.allSettled(
      Array.from({ length: CALLERS }, (_, j) => s.appendToStream(`${prefix}-${w}-${j}`, [event(j)], options)),
    );
    refused += results.filter((r) => r.status === 'rejected').length;
  };
  return {
    name,
    batch: async (b) =>
      void (await store.appendToStream(
        batchStream(b),
        Array.from({ length: BATCH_SIZE }, (_, i) => event(i)),
        options,
      )),
    single: async (i) => void (await store.appendToStream(`seq-${i}`, [event(i)], options)),
    // Emmett's SQLite store loses appends when they overlap: count() reports what was kept.
    wave: (w) => wave(store, 'wave', w),
    refused: () => refused,
    writers: extra
      ? async (w) => void (await Promise.all([store, ...extra].map((s, k) => wave(s, `writer${k}`, w))))
      : undefined,
    readAll,
    readStream: async (stream) => (await store.readStream(stream)).events.length,
    count,
    close,
  };
}

async function emmettSqliteSubject(path: string): Promise<Subject> {
  const sqlite = await import('@event-driven-io/emmett-sqlite');
  const store = sqlite.getSQLiteEventStore({ fileName: path, schema: { autoMigration: 'CreateOrUpdate' } });
  // The first call creates the schema.
  await store.appendToStream('warm-up', [{ type: 'W', data: {} }]);
  const connection = sqlite.sqliteConnection({ fileName: path });
  return emmettWorkloads(
    'Emmett SQLite',
    store as unknown as EmmettStore,
    async () => {
      let read = 0;
      let after = 0n;
      for (;;) {
        const page = await sqlite.readMessagesBatch(connection, { after, batchSize: 10_000 });
        read += page.messages.length;
        if (!page.areEventsLeft || page.messages.length === 0) return read;
        after = page.currentGlobalPosition;
      }
    },
    async () =>
      Number(
        ((await connection.query('SELECT count(*) AS n FROM emt_messages')) as Array<{ n: number }>)[0].n,
      ),
    async () => {
      connection.close();
      await (store as unknown as { close?: () => Promise<void> }).close?.();
    },
  );
}

async function emmettPostgresSubject(schema: string): Promise<Subject> {
  const pg = await import('@event-driven-io/emmett-postgresql');
  const { dumbo, rawSql } = await import('@event-driven-io/dumbo');
  await withClient((c) => c.query(`CREATE SCHEMA "${schema}"`));
  // Emmett's tables are unqualified: a search_path per run keeps each run in its own schema.
  const url = `${PG_URL}${PG_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const stores = Array.from({ length: WRITERS }, () => pg.getPostgreSQLEventStore(url));
  await stores[0].schema.migrate();
  const [store] = stores;
  const pool = dumbo({ connectionString: url });
  return emmettWorkloads(
    'Emmett PostgreSQL',
    store as unknown as EmmettStore,
    async () => {
      let read = 0;
      let after = 0n;
      for (;;) {
        const page = await pg.readMessagesBatch(pool.execute, { after, batchSize: 10_000 });
        read += page.messages.length;
        if (!page.areMessagesLeft || page.messages.length === 0) return read;
        after = page.currentGlobalPosition;
      }
    },
    async () =>
      Number(
        (await pool.execute.query<{ n: string }>(rawSql('SELECT count(*) AS n FROM emt_messages'))).rows[0].n,
      ),
    async () => {
      await Promise.all(stores.map((s) => s.close()));
      await pool.close();
    },
    stores.slice(1) as unknown as EmmettStore[],
  );
}

export async function withClient<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

// ---------- workloads and subjects ----------

export interface Workload {
  key: string;
  label: string;
  run(s: Subject): Promise<number | null>;
}

export const WORKLOADS: Workload[] = [
  {
    key: 'batches',
    label: `append batches of ${BATCH_SIZE} (${BATCHES} appends)`,
    run: async (s) => {
      for (let b = 0; b < BATCHES; b++) await s.batch(b);
      return BATCHES * BATCH_SIZE;
    },
  },
  {
    key: 'sequential',
    label: `append 1 event, sequential, commit each (${SEQUENTIAL})`,
    run: async (s) => {
      for (let i = 0; i < SEQUENTIAL; i++) await s.single(i);
      return SEQUENTIAL;
    },
  },
  {
    key: 'concurrent',
    label: `append 1 event, ${CALLERS} concurrent callers (${WAVES} waves)`,
    run: async (s) => {
      for (let w = 0; w < WAVES; w++) await s.wave(w);
      return CALLERS * WAVES;
    },
  },
  {
    key: 'writers',
    label: `${WRITERS} writers (stores) x ${CALLERS} callers (${WAVES / 4} waves)`,
    run: async (s) => {
      if (!s.writers) return null;
      for (let w = 0; w < WAVES / 4; w++) await s.writers(w);
      return WRITERS * CALLERS * (WAVES / 4);
    },
  },
  {
    key: 'readAll',
    label: 'read all in global order (pages of 10,000)',
    run: (s) => s.readAll(),
  },
  {
    key: 'readStream',
    label: `read one stream of ${BATCH_SIZE}, x${BATCHES} streams`,
    run: async (s) => {
      let read = 0;
      for (let b = 0; b < BATCHES; b++) read += await s.readStream(batchStream(b));
      return read;
    },
  },
];

export type SubjectKey = 'repriseSqlite' | 'rawSqlite' | 'emmettSqlite' | 'reprisePg' | 'rawPg' | 'emmettPg';
export const SUBJECTS: Array<{ key: SubjectKey; open: (dir: string, schema: string) => Promise<Subject> }> = [
  {
    key: 'repriseSqlite',
    open: async (dir) =>
      repriseSubject(
        'Reprise SQLite',
        () => new SqliteEventStore({ path: join(dir, 'reprise.db'), clock: new SystemClock() }),
      ),
  },
  { key: 'rawSqlite', open: async (dir) => rawSqliteSubject(join(dir, 'raw.db')) },
  { key: 'emmettSqlite', open: (dir) => emmettSqliteSubject(join(dir, 'emmett.db')) },
  {
    key: 'reprisePg',
    open: async (_dir, schema) => {
      const open = () =>
        new PostgresEventStore({ connectionString: PG_URL, schema, clock: new SystemClock() });
      const first = open();
      await first.ready;
      const subject = repriseSubject(
        'Reprise PostgreSQL',
        () => first,
        () => Array.from({ length: WRITERS - 1 }, open),
      );
      return subject;
    },
  },
  { key: 'rawPg', open: (_dir, schema) => rawPgSubject(schema) },
  { key: 'emmettPg', open: (_dir, schema) => emmettPostgresSubject(schema) },
];

/** Child side: opens one subject and runs the workloads the parent asks for, one at a time. */
export async function serveSubject(key: SubjectKey, dir: string, schema: string): Promise<void> {
  const entry = SUBJECTS.find((s) => s.key === key);
  if (!entry) throw new Error(`unknown subject ${key}`);
  const subject = await entry.open(dir, schema);
  const send = (message: unknown) => new Promise<void>((resolve) => process.send?.(message, () => resolve()));
  process.on(
    'message',
    async (message: { op: 'run'; workload: string } | { op: 'count' } | { op: 'close' }) => {
      try {
        if (message.op === 'run') {
          const workload = WORKLOADS.find((w) => w.key === message.workload) as Workload;
          const start = performance.now();
          const count = await workload.run(subject);
          await send({ count, ms: performance.now() - start, writers: Boolean(subject.writers) });
        } else if (message.op === 'count') {
          await send({ kept: await subject.count(), refused: subject.refused?.() ?? 0 });
        } else {
          await subject.close();
          await send({ closed: true });
          process.exit(0);
        }
      } catch (error) {
        await send({ error: error instanceof Error ? error.message : String(error) });
      }
    },
  );
  await send({ ready: true });
}

if (require.main === module) {
  const [key, dir, schema] = process.argv.slice(2);
  serveSubject(key as SubjectKey, dir, schema).catch(async (error) => {
    process.send?.({ error: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  });
}
