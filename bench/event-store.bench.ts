import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Client, Pool } from 'pg';
import { SystemClock } from '@reprise/common/clock/system-clock';
import type { EventStore, MetadataInput } from '@reprise/event-store/event-store.port';
import { PostgresEventStore } from '@reprise/event-store/postgres/postgres-event-store';
import { SqliteEventStore } from '@reprise/event-store/sqlite/sqlite-event-store';

/**
 * The event stores side by side, in one run: Reprise's SQLite and PostgreSQL stores, the same rows
 * inserted with raw better-sqlite3 and raw `pg` (no hashing, no checks: the floor), and Emmett's SQLite
 * and PostgreSQL stores as peers. Rounds are interleaved (every subject runs each workload in turn,
 * in a rotated order, on fresh storage) and each figure is the median of the rounds.
 *
 *   npm run bench -- event-store            (POSTGRES_BENCH_URL, default the local `test` database)
 */

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BATCHES = 100;
const BATCH_SIZE = 100;
const SEQUENTIAL = 300;
const CALLERS = 256;
const WAVES = 40;
const WRITERS = 4;
const PG_URL = process.env.POSTGRES_BENCH_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

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
  const row = (stream: string, revision: number, i: number) =>
    insert.run(
      randomUUID(),
      stream,
      revision,
      'E',
      JSON.stringify(payload(i)),
      META_JSON,
      FAKE_HASH,
      FAKE_HASH,
    );
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
    for (const [stream, revision, i] of rows)
      values.push(
        randomUUID(),
        stream,
        revision,
        'E',
        JSON.stringify(payload(i)),
        META_JSON,
        FAKE_HASH,
        FAKE_HASH,
      );
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
  const wave = (s: EmmettStore, prefix: string, w: number) =>
    Promise.all(
      Array.from({ length: CALLERS }, (_, j) => s.appendToStream(`${prefix}-${w}-${j}`, [event(j)], options)),
    );
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
    wave: async (w) => void (await wave(store, 'wave', w).catch(() => undefined)),
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

async function withClient<T>(fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

// ---------- the run ----------

interface Workload {
  key: string;
  label: string;
  run(s: Subject): Promise<number | null>;
}

const WORKLOADS: Workload[] = [
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
    label: `${WRITERS} processes x ${CALLERS} callers (${WAVES / 4} waves)`,
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

type SubjectKey = 'repriseSqlite' | 'rawSqlite' | 'emmettSqlite' | 'reprisePg' | 'rawPg' | 'emmettPg';
const SUBJECTS: Array<{ key: SubjectKey; open: (dir: string, schema: string) => Promise<Subject> }> = [
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

const DEADLINE_MS = 120_000;
const withDeadline = <T>(work: Promise<T>): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`no answer within ${DEADLINE_MS / 1000} s`)),
      DEADLINE_MS,
    );
    work.then(resolve, reject).finally(() => clearTimeout(timer));
  });

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export async function run(): Promise<void> {
  const load = () =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ');
  console.log(`load average at start (1/5/15 min): ${load()}`);
  console.log(
    `${ROUNDS} interleaved rounds, fresh storage per round, median events/s; SQLite: WAL + synchronous=FULL; ` +
      `PostgreSQL: ${PG_URL.replace(/\/\/[^@]*@/, '//')} (synchronous_commit=on)`,
  );
  const rates = new Map<string, number[]>();
  const lost = new Map<SubjectKey, number>();
  /** Subjects that failed or hung in a workload: left out of the rest of that round, and reported. */
  const broken = new Map<SubjectKey, string>();
  for (let round = 0; round < ROUNDS; round++) {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-bench-'));
    const schemas: string[] = [];
    const opened: Array<{ key: SubjectKey; subject: Subject }> = [];
    try {
      // BENCH_SUBJECTS=reprisePg,rawPg runs only those (for profiling one store).
      const only = process.env.BENCH_SUBJECTS?.split(',');
      for (const { key, open } of SUBJECTS.filter((s) => !only || only.includes(s.key))) {
        const schema = `bench_${key.toLowerCase()}_${randomUUID().slice(0, 8)}`;
        schemas.push(schema);
        opened.push({ key, subject: await open(dir, schema) });
      }
      for (const workload of WORKLOADS) {
        // Rotate who goes first, so no subject always runs on a cooler (or hotter) machine.
        const order = opened.map((_, i) => opened[(i + round) % opened.length]);
        for (const { key, subject } of order) {
          if (broken.has(key)) continue;
          const start = performance.now();
          const count = await withDeadline(workload.run(subject)).catch((error: unknown) => {
            broken.set(key, `${workload.key}: ${error instanceof Error ? error.message : String(error)}`);
            return null;
          });
          const ms = performance.now() - start;
          if (process.env.BENCH_VERBOSE)
            console.error(`round ${round + 1} ${workload.key} ${key}: ${ms.toFixed(0)} ms`);
          if (count === null) continue;
          const id = `${workload.key}:${key}`;
          rates.set(id, [...(rates.get(id) ?? []), (count / ms) * 1000]);
        }
      }
      for (const { key, subject } of opened) {
        if (broken.has(key)) continue;
        const expected =
          BATCHES * BATCH_SIZE +
          SEQUENTIAL +
          CALLERS * WAVES +
          (subject.writers ? WRITERS * CALLERS * (WAVES / 4) : 0) +
          (key === 'emmettSqlite' ? 1 : 0);
        const kept = await subject.count();
        if (kept < expected) lost.set(key, (lost.get(key) ?? 0) + expected - kept);
      }
    } finally {
      for (const { key, subject } of opened)
        if (!broken.has(key)) await subject.close().catch(() => undefined);
      for (const [key, why] of broken) console.log(`${key} failed in round ${round + 1} (${why})`);
      broken.clear();
      await withClient(async (c) => {
        for (const schema of schemas) await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      });
      rmSync(dir, { recursive: true, force: true });
    }
  }
  printTable(rates, lost);
  console.log(`load average at end (1/5/15 min): ${load()}`);
}

function printTable(rates: Map<string, number[]>, lost: Map<SubjectKey, number>): void {
  const get = (w: string, s: SubjectKey) => {
    const xs = rates.get(`${w}:${s}`);
    return xs?.length ? median(xs) : undefined;
  };
  const num = (x?: number) => (x === undefined ? '—' : Math.round(x).toLocaleString('en-US'));
  const ratio = (a?: number, b?: number) => (a === undefined || b === undefined ? '—' : (a / b).toFixed(2));
  const header = [
    'workload (events/s, median)',
    'Reprise SQLite',
    'raw SQLite',
    'R/raw',
    'Emmett SQLite',
    'R/Emmett',
    'Reprise PG',
    'raw pg',
    'R/raw',
    'Emmett PG',
    'R/Emmett',
  ];
  const rows = WORKLOADS.map((w) => {
    const [rs, xs, es, rp, xp, ep] = (
      ['repriseSqlite', 'rawSqlite', 'emmettSqlite', 'reprisePg', 'rawPg', 'emmettPg'] as SubjectKey[]
    ).map((s) => get(w.key, s));
    return [
      w.label,
      num(rs),
      num(xs),
      ratio(rs, xs),
      num(es),
      ratio(rs, es),
      num(rp),
      num(xp),
      ratio(rp, xp),
      num(ep),
      ratio(rp, ep),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const r of rows) console.log(line(r));
  console.log(
    'goals: Reprise SQLite >= 0.8 x raw better-sqlite3 in every workload; Reprise PG >= 0.7 x raw pg and >= 3 x Emmett PG',
  );
  for (const [key, n] of lost)
    console.log(`${key}: ${n} acknowledged or attempted appends missing from the store after the rounds`);
}
