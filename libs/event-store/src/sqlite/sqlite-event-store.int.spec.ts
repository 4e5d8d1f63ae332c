import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ManualClock } from '@reprise/common/clock/system-clock';
import { eventStoreContract } from '../contract/event-store.contract';
import { SqliteEventStore } from './sqlite-event-store';

eventStoreContract('SQLite (file, WAL)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'reprise-es-'));
  const path = join(dir, 'events.db');
  return {
    open: (clock) => new SqliteEventStore({ path, clock, pollIntervalMs: 20 }),
    tamper: async (_store, event) => {
      // Behind the store's back: a second connection edits the file directly.
      const db = new Database(path);
      db.prepare('UPDATE events SET data = ? WHERE position = ?').run(
        JSON.stringify({ v: 999 }),
        event.position,
      );
      db.close();
      return event.position;
    },
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

describe('SQLite event store specifics', () => {
  it('opens the file in WAL mode with synchronous=FULL', () => {
    const dir = mkdtempSync(join(tmpdir(), 'reprise-es-'));
    const store = new SqliteEventStore({ path: join(dir, 'x.db'), clock: new ManualClock(new Date()) });
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(store.db.pragma('synchronous', { simple: true })).toBe(2);
    store.db.close();
    rmSync(dir, { recursive: true, force: true });
  });
});
