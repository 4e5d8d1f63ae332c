import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  dropTestSchema,
  postgresTestUrl,
  uniqueTestSchema,
  withPostgres,
} from '@reprise/event-store/testing/postgres-test-schema';

export type TestEventStore = 'sqlite' | 'postgres';

/**
 * The event store an end-to-end suite runs on: the suite's own choice (`startApi(env, { eventStore })`,
 * `startStack({ eventStore })`), else `REPRISE_TEST_EVENT_STORE` for the whole run, else SQLite.
 * SQLite: a fresh file in the suite's data directory. PostgreSQL: a fresh schema in the local test
 * database, dropped when the suite closes its stack.
 */
export interface TestStore {
  kind: TestEventStore;
  /** Environment of every process of the stack (api, worker, spawned workers). */
  env: Record<string, string>;
  /** Behind the store's back, for tamper tests: replace an event's data, or delete it. */
  tamper: {
    setData(position: number, data: unknown): Promise<void>;
    remove(position: number): Promise<void>;
  };
  /** Whether `text` appears anywhere in what the store keeps (files or tables). */
  holds(text: string): Promise<boolean>;
  drop(): Promise<void>;
}

export function chooseTestStore(choice?: TestEventStore): TestEventStore {
  const fromRun = process.env.REPRISE_TEST_EVENT_STORE;
  if (fromRun && fromRun !== 'sqlite' && fromRun !== 'postgres')
    throw new Error(`REPRISE_TEST_EVENT_STORE must be sqlite or postgres (got "${fromRun}")`);
  return choice ?? (fromRun as TestEventStore | undefined) ?? 'sqlite';
}

export function testStore(dataDir: string, choice?: TestEventStore): TestStore {
  return chooseTestStore(choice) === 'postgres' ? postgresStore() : sqliteStore(join(dataDir, 'reprise.db'));
}

function sqliteStore(path: string): TestStore {
  const withDb = async (fn: (db: import('better-sqlite3').Database) => void) => {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(path);
    try {
      fn(db);
    } finally {
      db.close();
    }
  };
  return {
    kind: 'sqlite',
    env: { EVENT_STORE: 'sqlite', SQLITE_PATH: path },
    tamper: {
      setData: (position, data) =>
        withDb((db) =>
          db.prepare('UPDATE events SET data = ? WHERE position = ?').run(JSON.stringify(data), position),
        ),
      remove: (position) => withDb((db) => db.prepare('DELETE FROM events WHERE position = ?').run(position)),
    },
    holds: async (text) =>
      [path, `${path}-wal`, `${path}-journal`]
        .filter((file) => existsSync(file))
        .some((file) => readFileSync(file).toString('latin1').includes(text)),
    drop: async () => undefined,
  };
}

function postgresStore(): TestStore {
  const schema = uniqueTestSchema();
  const table = `"${schema}".events`;
  return {
    kind: 'postgres',
    env: { EVENT_STORE: 'postgres', POSTGRES_URL: postgresTestUrl(), POSTGRES_SCHEMA: schema },
    tamper: {
      setData: (position, data) =>
        withPostgres(async (c) => {
          await c.query(`UPDATE ${table} SET data = $1 WHERE position = $2`, [
            JSON.stringify(data),
            position,
          ]);
        }),
      remove: (position) =>
        withPostgres(async (c) => {
          await c.query(`DELETE FROM ${table} WHERE position = $1`, [position]);
        }),
    },
    holds: (text) =>
      withPostgres(async (c) => {
        const { rows } = await c.query(
          `SELECT 1 FROM ${table} WHERE strpos(data, $1) > 0 OR strpos(metadata, $1) > 0 OR strpos(type, $1) > 0
           UNION ALL SELECT 1 FROM "${schema}".checkpoints WHERE strpos(subscriber, $1) > 0 LIMIT 1`,
          [text],
        );
        return rows.length > 0;
      }),
    drop: () => dropTestSchema(schema),
  };
}
