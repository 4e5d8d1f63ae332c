import { ManualClock } from '@reprise/common/clock/system-clock';
import { meta } from '../contract/event-store.contract';
import type { RecordedEvent } from '../event-store.port';
import { leafHashOf } from '@reprise/audit-log/leaf';
import { EventIds, NO_STREAM_HEAD, placeEvents, prepareEvents } from '../stored-event';
import { PostgresEventStore } from './postgres-event-store';
import {
  dropTestSchema,
  postgresTestUrl,
  uniqueTestSchema,
  withPostgres,
} from '../testing/postgres-test-schema';
import { Client } from 'pg';

/**
 * Global order without gaps seen by readers: a reader that follows the log by position (as every
 * subscription and projection does) must never skip an event that a slower transaction commits after
 * a later position became visible.
 */
describe('PostgreSQL event store: global order without gaps', () => {
  const clock = new ManualClock(new Date('2026-03-02T10:00:00.000Z'));
  let schema: string;
  const stores: PostgresEventStore[] = [];
  const open = () => {
    const store = new PostgresEventStore({ connectionString: postgresTestUrl(), schema, clock, poolSize: 2 });
    stores.push(store);
    return store;
  };
  const clients: Client[] = [];
  const rawClient = async () => {
    const client = new Client({ connectionString: postgresTestUrl() });
    await client.connect();
    clients.push(client);
    return client;
  };

  beforeEach(() => {
    schema = uniqueTestSchema();
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.end().catch(() => undefined);
    for (const s of stores.splice(0)) await s.close().catch(() => undefined);
    await dropTestSchema(schema);
  });

  /** Follows the log by position like a subscriber: pages after the last position it has seen. */
  function tail(store: PostgresEventStore, pageSize: number) {
    const seen: number[] = [];
    let stopped = false;
    const done = (async () => {
      let after = 0;
      while (!stopped) {
        const page = await store.readAll({ afterPosition: after, maxCount: pageSize });
        for (const e of page) seen.push(e.position);
        if (page.length) after = page[page.length - 1].position;
        else await new Promise((r) => setTimeout(r, 2));
      }
      // One last read once every writer is done.
      for (;;) {
        const page = await store.readAll({ afterPosition: after, maxCount: pageSize });
        if (!page.length) break;
        for (const e of page) seen.push(e.position);
        after = page[page.length - 1].position;
      }
    })();
    return {
      seen,
      stop: async () => {
        stopped = true;
        await done;
      },
    };
  }

  /** Positions in the final log that a reader never saw. */
  const missed = (seen: number[], all: RecordedEvent[]) =>
    all.map((e) => e.position).filter((p) => !seen.includes(p));

  const waitFor = async (predicate: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000) => {
    const start = Date.now();
    while (!(await predicate())) {
      if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  it('holds every later append behind a transaction that has not committed yet, then delivers all in order', async () => {
    const reader = open();
    await reader.ready;
    const seenBySubscriber: number[] = [];
    const subscription = reader.subscribe({
      subscriberId: 'sub',
      handler: (e) => void seenBySubscriber.push(e.position),
    });
    const tailing = tail(reader, 3);
    await reader.append('before', [{ type: 'Before', data: {} }], {
      expectedRevision: 'no-stream',
      metadata: meta(),
    });

    // A slow writer: its append_events call has run (it holds the log head and its positions) but its
    // transaction has not committed.
    const slow = await rawClient();
    const [held] = placeEvents(
      'held',
      prepareEvents(
        [{ type: 'Held', data: { slow: true } }],
        meta(),
        clock.now().toISOString(),
        new EventIds(),
      ),
      NO_STREAM_HEAD,
    ).events;
    await slow.query('BEGIN');
    const {
      rows: [{ first_position: heldPosition }],
    } = await slow.query(
      `SELECT first_position::int FROM "${schema}".append_events($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      [
        ['held'],
        [-1],
        [true],
        ['held'],
        [0],
        [held.id],
        ['Held'],
        [held.dataJson],
        [1],
        [held.prevHash],
        [held.hash],
        [held.metadataJson],
      ],
    );

    // Fast writers in two other "processes" append meanwhile.
    const writers = [open(), open()];
    let settled = 0;
    const appends = writers.flatMap((w, wi) =>
      Array.from({ length: 20 }, (_, i) =>
        w
          .append(`fast-${wi}-${i}`, [{ type: 'Fast', data: { i } }], {
            expectedRevision: 'no-stream',
            metadata: meta(),
          })
          .finally(() => settled++),
      ),
    );
    await new Promise((r) => setTimeout(r, 300));
    // Nothing after the held position is visible, and the fast writers wait for the log head.
    expect(await reader.readAll({ afterPosition: heldPosition - 1 })).toEqual([]);
    expect(await reader.headPosition()).toBe(heldPosition - 1);
    expect(settled).toBe(0);

    await slow.query('COMMIT');
    const results = await Promise.all(appends);
    expect(Math.min(...results.map((r) => r.position))).toBe(heldPosition + 1);

    const all = await reader.readAll();
    expect(all.map((e) => e.position)).toEqual(Array.from({ length: 42 }, (_, i) => i + 1));
    await waitFor(() => seenBySubscriber.length === all.length, 'the subscriber');
    await subscription.stop();
    await tailing.stop();
    expect(seenBySubscriber).toEqual(all.map((e) => e.position));
    expect(tailing.seen).toEqual(all.map((e) => e.position));
    expect(all.every((e) => e.hash === leafHashOf(e))).toBe(true);
  });

  it('never lets a reader skip an event under concurrent writers whose commits are delayed at random', async () => {
    const writers = [open(), open(), open()];
    await Promise.all(writers.map((w) => w.ready));
    // Every write transaction sleeps 0-15 ms after inserting, before it commits.
    await withPostgres((client) =>
      client.query(`
        CREATE FUNCTION "${schema}".slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN PERFORM pg_sleep(random() * 0.015); RETURN NULL; END $$;
        CREATE TRIGGER slow_commit AFTER INSERT ON "${schema}".events
          FOR EACH STATEMENT EXECUTE FUNCTION "${schema}".slow_commit();`),
    );
    const readers = [tail(open(), 1), tail(open(), 5)];
    const subscriberSeen: number[] = [];
    const subscription = open().subscribe({
      subscriberId: 'sub',
      handler: (e) => void subscriberSeen.push(e.position),
    });

    const shared = 'shared-stream';
    await Promise.all(
      writers.flatMap((w, wi) =>
        Array.from({ length: 40 }, async (_, i) => {
          await new Promise((r) => setTimeout(r, Math.random() * 200));
          await w.append(`w${wi}-${i % 7}`, [{ type: 'E', data: { wi, i } }], {
            expectedRevision: 'any',
            metadata: meta(),
          });
          // Some appends race on one stream with expected revisions: losers retry.
          if (i % 5 === 0) {
            for (;;) {
              const revision = await w.streamRevision(shared);
              const ok = await w
                .append(shared, [{ type: 'S', data: { wi, i } }], {
                  expectedRevision: revision,
                  metadata: meta(),
                })
                .then(() => true)
                .catch(() => false);
              if (ok) break;
            }
          }
        }),
      ),
    );
    const all = await writers[0].readAll();
    expect(all).toHaveLength(3 * 40 + 3 * 8);
    await waitFor(() => subscriberSeen.length >= all.length, 'the subscriber');
    await subscription.stop();
    for (const reader of readers) {
      await reader.stop();
      expect(missed(reader.seen, all)).toEqual([]);
      expect(reader.seen).toEqual(all.map((e) => e.position));
    }
    expect(subscriberSeen).toEqual(all.map((e) => e.position));
    expect((await writers[0].readStream(shared)).map((e) => e.revision)).toEqual(
      Array.from({ length: 24 }, (_, i) => i),
    );
    expect((await writers[0].readAll()).every((e) => e.hash === leafHashOf(e))).toBe(true);
  });

  it('is what prevents the skip: a write that bypasses the log head lock makes the same reader skip an event', async () => {
    // Control experiment for the check above: positions taken without the lock (as a plain sequence
    // would hand them out) let a later position become visible first, and a position-following reader
    // misses the earlier one for good.
    const reader = open();
    await reader.ready;
    const insert = (client: Client, position: number) =>
      client.query(
        `INSERT INTO "${schema}".events (position, id, stream, revision, type, data, metadata, prev_hash, hash)
         VALUES ($1, gen_random_uuid(), $2, 0, 'E', '{}', '{}', '', '')`,
        [position, `bypass-${position}`],
      );
    const slow = await rawClient();
    const fast = await rawClient();
    await slow.query('BEGIN');
    await insert(slow, 1);
    await insert(fast, 2);
    const tailing = tail(reader, 10);
    await waitFor(() => tailing.seen.includes(2), 'position 2 to be read');
    await slow.query('COMMIT');
    await tailing.stop();
    const all = await reader.readAll();
    expect(all.map((e) => e.position)).toEqual([1, 2]);
    expect(missed(tailing.seen, all)).toEqual([1]);
  });
});
