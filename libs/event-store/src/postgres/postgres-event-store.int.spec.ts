import { leafHashOf } from '@reprise/audit-log/leaf';
import { ManualClock } from '@reprise/common/clock/system-clock';
import { eventStoreContract, meta } from '../contract/event-store.contract';
import { PostgresEventStore, type PostgresEventStoreOptions } from './postgres-event-store';
import {
  dropTestSchema,
  postgresTestUrl,
  uniqueTestSchema,
  withPostgres,
} from '../testing/postgres-test-schema';

eventStoreContract('PostgreSQL', () => {
  const schema = uniqueTestSchema();
  return {
    open: (clock) =>
      new PostgresEventStore({ connectionString: postgresTestUrl(), schema, clock, poolSize: 2 }),
    tamper: async (_store, event) => {
      await withPostgres(async (client) => {
        await client.query(`UPDATE "${schema}".events SET data = $1 WHERE position = $2`, [
          JSON.stringify({ v: 999 }),
          event.position,
        ]);
      });
      return event.position;
    },
    cleanup: () => dropTestSchema(schema),
  };
});

describe('PostgreSQL event store specifics', () => {
  const clock = new ManualClock(new Date('2026-03-02T10:00:00.000Z'));
  let schema: string;
  const stores: PostgresEventStore[] = [];
  const open = (options: Partial<PostgresEventStoreOptions> = {}) => {
    const store = new PostgresEventStore({
      connectionString: postgresTestUrl(),
      schema,
      clock,
      poolSize: 2,
      ...options,
    });
    stores.push(store);
    return store;
  };
  const waitFor = async (predicate: () => boolean, what: string, timeoutMs = 10_000) => {
    const start = Date.now();
    while (!predicate()) {
      if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  beforeEach(() => {
    schema = uniqueTestSchema();
  });

  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close().catch(() => undefined);
    await dropTestSchema(schema);
  });

  it('creates its schema once when several processes start together', async () => {
    const many = [open(), open(), open(), open()];
    await Promise.all(many.map((s) => s.ready));
    await many[3].append('x', [{ type: 'A', data: {} }], { expectedRevision: 'no-stream', metadata: meta() });
    expect(await many[0].streamRevision('x')).toBe(0);
  });

  it('commits appends that arrive together in one call of append_events (group commit)', async () => {
    const store = open();
    await store.ready;
    const calls = jest.spyOn(store.pool, 'query');
    const results = await Promise.all(
      Array.from({ length: 256 }, (_, i) =>
        store.append(`g-${i}`, [{ type: 'E', data: { i } }], {
          expectedRevision: 'no-stream',
          metadata: meta(),
        }),
      ),
    );
    const appendCalls = calls.mock.calls.filter(([config]) =>
      String((config as { text?: string }).text ?? config).includes('append_events'),
    );
    expect(appendCalls.length).toBeGreaterThanOrEqual(1);
    expect(appendCalls.length).toBeLessThanOrEqual(2);
    expect(results.map((r) => r.position)).toEqual(Array.from({ length: 256 }, (_, i) => i + 1));
  });

  it('re-decides against the real head when another process moved a stream it had cached', async () => {
    const a = open();
    const b = open();
    await a.append('s', [{ type: 'A0', data: {} }], { expectedRevision: 'no-stream', metadata: meta() });
    await b.append('s', [{ type: 'B1', data: {} }], { expectedRevision: 0, metadata: meta() });
    // `a` still believes the head is 0.
    await expect(
      a.append('s', [{ type: 'A-stale', data: {} }], { expectedRevision: 0, metadata: meta() }),
    ).rejects.toMatchObject({ name: 'WrongExpectedVersionError', expected: 0, actual: 1 });
    await b.append('s', [{ type: 'B2', data: {} }], { expectedRevision: 1, metadata: meta() });
    // A revision `a` never saw (read elsewhere) is accepted, and 'any' chains onto the real head.
    const [exact, any] = await Promise.all([
      a.append('s', [{ type: 'A3', data: {} }], { expectedRevision: 2, metadata: meta() }),
      a.append('s', [{ type: 'A4', data: {} }], { expectedRevision: 'any', metadata: meta() }),
    ]);
    expect([exact.nextRevision, any.nextRevision]).toEqual([3, 4]);
    expect((await b.readStream('s')).map((e) => e.type)).toEqual(['A0', 'B1', 'B2', 'A3', 'A4']);
    const stored = await b.readStream('s');
    expect(stored.every((e) => e.hash === leafHashOf(e))).toBe(true);
  });

  it('wakes subscribers of other processes by NOTIFY, and again after the listening connection is cut', async () => {
    const reader = open({ pollIntervalMs: 600_000 });
    const writer = open();
    await reader.ready;
    const seen: string[] = [];
    const sub = reader.subscribe({ subscriberId: 'far', handler: (e) => void seen.push(e.type) });
    await sub.caughtUp;
    await writer.append('n', [{ type: 'N1', data: {} }], { expectedRevision: 'any', metadata: meta() });
    await waitFor(() => seen.length === 1, 'the notified event');

    const cut = await withPostgres((client) =>
      client.query(`SELECT pg_terminate_backend(pid) AS cut FROM pg_stat_activity WHERE query = $1`, [
        `LISTEN "reprise_events_${schema}"`,
      ]),
    );
    expect(cut.rows).toEqual([{ cut: true }]);
    // Appended while the listener is down or reconnecting: picked up when it is back.
    await writer.append('n', [{ type: 'N2', data: {} }], { expectedRevision: 'any', metadata: meta() });
    await waitFor(() => seen.length === 2, 'the event appended while the listener was cut');
    await new Promise((r) => setTimeout(r, 1_500));
    await writer.append('n', [{ type: 'N3', data: {} }], { expectedRevision: 'any', metadata: meta() });
    await waitFor(() => seen.length === 3, 'an event after the listener reconnected');
    expect(seen).toEqual(['N1', 'N2', 'N3']);
    await sub.stop();
  });

  it('reports a store that cannot reach its server on every call, without hanging', async () => {
    const store = open({ connectionString: 'postgres://postgres@127.0.0.1:1/test' });
    await expect(store.ping()).rejects.toThrow();
    await expect(
      store.append('x', [{ type: 'A', data: {} }], { expectedRevision: 'any', metadata: meta() }),
    ).rejects.toThrow();
  });
});
