import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  dropTestSchema,
  postgresTestUrl,
  uniqueTestSchema,
} from '@reprise/event-store/testing/postgres-test-schema';
import { PostgresSubjectKeys } from './postgres-subject-keys';
import { SqliteSubjectKeys, type SubjectKeys } from './subject-keys';

/**
 * Both key stores, each opened twice on the same backing (two processes, two replicas): one subject
 * per person and tenant whoever creates it, and an erasure seen by every opener at once.
 */
const STORES: Array<{ name: string; open: () => { a: SubjectKeys; b: SubjectKeys; drop(): Promise<void> } }> =
  [
    {
      name: 'SQLite file',
      open: () => {
        const dir = mkdtempSync(join(tmpdir(), 'reprise-keys-'));
        const masterKey = randomBytes(32);
        const path = join(dir, 'keys.db');
        return {
          a: new SqliteSubjectKeys({ path, masterKey }),
          b: new SqliteSubjectKeys({ path, masterKey }),
          drop: async () => rmSync(dir, { recursive: true, force: true }),
        };
      },
    },
    {
      name: 'PostgreSQL table',
      open: () => {
        const schema = uniqueTestSchema();
        const masterKey = randomBytes(32);
        const options = { connectionString: postgresTestUrl(), schema, masterKey };
        return {
          a: new PostgresSubjectKeys(options),
          b: new PostgresSubjectKeys(options),
          drop: () => dropTestSchema(schema),
        };
      },
    },
  ];

describe.each(STORES)('subject keys: $name opened by two processes', ({ open }) => {
  let stores: ReturnType<typeof open>;

  beforeEach(() => {
    stores = open();
  });

  afterEach(async () => {
    await stores.a.close();
    await stores.b.close();
    await stores.drop();
  });

  it('one subject per person and tenant, whoever creates it first, with the same key', async () => {
    const [fromA, fromB] = await Promise.all([
      stores.a.subjectFor('t1', 'Claire@Acme.example'),
      stores.b.subjectFor('t1', ' claire@acme.example '),
    ]);
    expect(fromA.subjectId).toBe(fromB.subjectId);
    expect(fromA.key.equals(fromB.key)).toBe(true);
    expect(fromA.key).toHaveLength(32);
    expect(await stores.b.find('t1', 'claire@acme.example')).toEqual({ subjectId: fromA.subjectId });
    const otherTenant = await stores.b.subjectFor('t2', 'claire@acme.example');
    expect(otherTenant.subjectId).not.toBe(fromA.subjectId);
    expect(await stores.a.find('t1', 'bruno@acme.example')).toBeNull();
  });

  it('an erasure in one is seen by the other at once; destroying twice says it was gone', async () => {
    const claire = await stores.a.subjectFor('t1', 'claire@acme.example');
    const bruno = await stores.a.subjectFor('t1', 'bruno@acme.example');
    expect([...(await stores.b.keys([claire.subjectId, bruno.subjectId, 'unknown'])).keys()].sort()).toEqual(
      [claire.subjectId, bruno.subjectId].sort(),
    );
    expect(await stores.b.destroy(claire.subjectId)).toBe(true);
    expect(await stores.a.destroy(claire.subjectId)).toBe(false);
    const left = await stores.a.keys([claire.subjectId, bruno.subjectId]);
    expect([...left.keys()]).toEqual([bruno.subjectId]);
    expect(left.get(bruno.subjectId)!.equals(bruno.key)).toBe(true);
    expect(await stores.a.find('t1', 'claire@acme.example')).toBeNull();
    expect(await stores.a.keys([])).toEqual(new Map());
  });
});

describe('PostgreSQL key store beside the event store', () => {
  it('both create the same fresh schema at the same instant without tripping on each other', async () => {
    const { PostgresEventStore } = await import('@reprise/event-store/postgres/postgres-event-store');
    const { SystemClock } = await import('@reprise/common/clock/system-clock');
    for (let round = 0; round < 5; round++) {
      const schema = uniqueTestSchema();
      const connectionString = postgresTestUrl();
      const store = new PostgresEventStore({ connectionString, schema, clock: new SystemClock() });
      const keys = new PostgresSubjectKeys({ connectionString, schema, masterKey: randomBytes(32) });
      try {
        await Promise.all([store.ready, keys.subjectFor('t1', 'claire@acme.example')]);
      } finally {
        await keys.close();
        await store.close();
        await dropTestSchema(schema);
      }
    }
  });
});
