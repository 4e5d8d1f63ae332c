import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { leafHashOf } from '@reprise/audit-log/leaf';
import { ManualClock } from '@reprise/common/clock/system-clock';
import type { Decider } from '@reprise/domain/shared/decider';
import { conflict } from '@reprise/domain/shared/errors';
import { AggregateExecutor } from './aggregate-executor';
import { meta } from './contract/event-store.contract';
import { SqliteEventStore } from './sqlite/sqlite-event-store';

type Cmd = { type: 'Add'; data: { n: number } } | { type: 'Cap'; data: { max: number } };
type Ev = { type: 'Added'; data: { n: number } };
interface St {
  total: number;
  count: number;
}
/** A counter that refuses to go above 10. */
const counter: Decider<Cmd, St, Ev> = {
  initialState: () => ({ total: 0, count: 0 }),
  evolve: (s, e) => ({ total: s.total + e.data.n, count: s.count + 1 }),
  decide: (c, s) => {
    if (c.type === 'Cap') return [];
    if (s.total + c.data.n > 10) throw conflict('over-cap', `total ${s.total} + ${c.data.n} > 10`);
    return [{ type: 'Added', data: { n: c.data.n } }];
  },
};

describe('AggregateExecutor (real SQLite file)', () => {
  let dir: string;
  let a: SqliteEventStore;
  let b: SqliteEventStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'reprise-agg-'));
    a = new SqliteEventStore({ path: join(dir, 'e.db'), clock: new ManualClock() });
    b = new SqliteEventStore({ path: join(dir, 'e.db'), clock: new ManualClock() });
  });
  afterEach(async () => {
    await a.close();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('batches concurrent commands into one append and refuses only the one that breaks the rule', async () => {
    const exec = new AggregateExecutor(a, counter);
    const results = await Promise.allSettled(
      [1, 2, 3, 4, 5].map((n) => exec.execute('s', { type: 'Add', data: { n } }, meta())),
    );
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(fulfilled).toHaveLength(4); // 1+2+3+4 = 10; 5 would exceed
    expect(rejected).toHaveLength(1);
    expect(rejected[0].reason).toMatchObject({ code: 'over-cap' });
    const events = await a.readStream('s');
    expect(events.map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3, 4]);
    expect((await exec.load('s')).state).toEqual({ total: 10, count: 4 });
  });

  it('two executors on two connections (two processes) never lose an update and never break the rule', async () => {
    const one = new AggregateExecutor(a, counter);
    const two = new AggregateExecutor(b, counter);
    const calls = Array.from({ length: 30 }, (_, i) =>
      (i % 2 ? one : two).execute('shared', { type: 'Add', data: { n: 1 } }, meta()),
    );
    const results = await Promise.allSettled(calls);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    const events = await a.readStream('shared');
    expect(events).toHaveLength(10);
    expect(events.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(events.every((e) => e.hash === leafHashOf(e))).toBe(true);
  });
});
