import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { trustedKeys } from '@reprise/audit-log/tree-head';
import { LogVerifier } from '@reprise/audit-log/verify-log';
import { SystemClock } from '@reprise/common/clock/system-clock';
import { SqliteEventStore } from '@reprise/event-store/sqlite/sqlite-event-store';
import type { MetadataInput } from '@reprise/event-store/event-store.port';

const SINGLE = 20_000;
const IN_FLIGHT = 256;
const BATCHES = 1_000;
const BATCH_SIZE = 100;
const REPLAY = 100_000;

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

const rate = (count: number, ms: number) => Math.round((count / ms) * 1000);
const line = (label: string, count: number, ms: number, raw?: { count: number; ms: number }) => {
  const store = rate(count, ms);
  const extra = raw
    ? `   raw better-sqlite3: ${rate(raw.count, raw.ms).toLocaleString('en-US')} ev/s   store/raw: ${(store / rate(raw.count, raw.ms)).toFixed(2)}`
    : '';
  console.log(
    `${label.padEnd(44)} ${store.toLocaleString('en-US').padStart(10)} ev/s  (${count} events in ${(ms / 1000).toFixed(2)} s)${extra}`,
  );
};

function rawDb(path: string) {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE events (position INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, stream TEXT NOT NULL, revision INTEGER NOT NULL,
    type TEXT NOT NULL, data TEXT NOT NULL, metadata TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, UNIQUE (stream, revision))`);
  return db;
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-bench-'));
  try {
    console.log('SQLite event store, WAL + synchronous=FULL (an acknowledged append survives a power cut)');

    // Raw better-sqlite3 baseline: same table, no hashing, no JSON canonicalisation, no revision checks.
    const raw = rawDb(join(dir, 'raw.db'));
    const insert = raw.prepare(
      'INSERT INTO events (id, stream, revision, type, data, metadata, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const meta = JSON.stringify(metadata);
    let t = performance.now();
    const rawSingleCount = 2_000;
    for (let i = 0; i < rawSingleCount; i++)
      insert.run(`r${i}`, `s-${i}`, 0, 'E', JSON.stringify(payload(i)), meta, '', '');
    const rawSingle = { count: rawSingleCount, ms: performance.now() - t };
    const rawGrouped = raw.transaction((from: number) => {
      for (let i = from; i < from + IN_FLIGHT; i++)
        insert.run(`g${i}`, `g-${i}`, 0, 'E', JSON.stringify(payload(i)), meta, '', '');
    });
    t = performance.now();
    for (let i = 0; i < SINGLE; i += IN_FLIGHT) rawGrouped(i);
    const rawGroup = { count: SINGLE, ms: performance.now() - t };
    const rawBatch = raw.transaction((b: number) => {
      for (let i = 0; i < BATCH_SIZE; i++)
        insert.run(`b${b}-${i}`, `batch-${b}`, i, 'E', JSON.stringify(payload(i)), meta, '', '');
    });
    t = performance.now();
    for (let b = 0; b < BATCHES; b++) rawBatch(b);
    const rawBatches = { count: BATCHES * BATCH_SIZE, ms: performance.now() - t };
    t = performance.now();
    let n = 0;
    for (const row of raw.prepare('SELECT * FROM events ORDER BY position').iterate() as IterableIterator<{
      data: string;
    }>) {
      JSON.parse(row.data);
      if (++n >= REPLAY) break;
    }
    const rawReplay = { count: n, ms: performance.now() - t };
    raw.close();

    const store = new SqliteEventStore({ path: join(dir, 'store.db'), clock: new SystemClock() });

    // 1. One event per append call, awaited one at a time (worst case: one fsync each).
    t = performance.now();
    const sequential = 2_000;
    for (let i = 0; i < sequential; i++)
      await store.append(`seq-${i}`, [{ type: 'E', data: payload(i) }], {
        expectedRevision: 'no-stream',
        metadata,
      });
    line('append 1 event/call, sequential', sequential, performance.now() - t, rawSingle);

    // 2. One event per append call, many callers at once (group commit: one transaction per tick).
    t = performance.now();
    for (let i = 0; i < SINGLE; i += IN_FLIGHT) {
      const calls = [];
      for (let j = i; j < Math.min(i + IN_FLIGHT, SINGLE); j++)
        calls.push(
          store.append(`one-${j}`, [{ type: 'E', data: payload(j) }], {
            expectedRevision: 'no-stream',
            metadata,
          }),
        );
      await Promise.all(calls);
    }
    line(`append 1 event/call, ${IN_FLIGHT} concurrent callers`, SINGLE, performance.now() - t, rawGroup);

    // 3. Batches of 100 events per append.
    t = performance.now();
    for (let b = 0; b < BATCHES; b++) {
      const events = Array.from({ length: BATCH_SIZE }, (_, i) => ({ type: 'E', data: payload(i) }));
      await store.append(`batch-${b}`, events, { expectedRevision: 'no-stream', metadata });
    }
    line(`append batches of ${BATCH_SIZE}`, BATCHES * BATCH_SIZE, performance.now() - t, rawBatches);

    // 4. Full replay of 100,000 events in global order.
    t = performance.now();
    let read = 0;
    let after = 0;
    while (read < REPLAY) {
      const page = store.readAllSync({ afterPosition: after, maxCount: 10_000 });
      if (page.length === 0) break;
      read += page.length;
      after = page[page.length - 1].position;
    }
    line(
      `read all in global order (${REPLAY.toLocaleString('en-US')})`,
      Math.min(read, REPLAY),
      performance.now() - t,
      rawReplay,
    );

    t = performance.now();
    const verifier = new LogVerifier({ tenantId: 'bench', keys: trustedKeys([]) });
    for (let after = 0; ;) {
      const page = await store.readAllCanonical({ afterPosition: after, maxCount: 10_000 });
      if (page.length === 0) break;
      for (const entry of page) verifier.add(entry);
      after = page[page.length - 1].position;
    }
    line(
      'verify the log (leaf hashes, revisions, roots)',
      verifier.finish().checkedEvents,
      performance.now() - t,
    );
    await store.close();
    console.log('goals: batches >= 50,000 ev/s; one at a time >= 5,000 ev/s; replay >= 250,000 ev/s');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
