import { randomUUID } from 'node:crypto';
import { Client } from 'pg';

/**
 * For tests: the local PostgreSQL (`POSTGRES_TEST_URL`, default the `test` database on 127.0.0.1 with
 * trust auth) and one fresh schema per run, dropped at the end.
 */
export const postgresTestUrl = (): string =>
  process.env.POSTGRES_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema name no other run uses (`reprise_test_<random>`); the store creates it on first use. */
export const uniqueTestSchema = (): string => `reprise_test_${randomUUID().replace(/-/g, '').slice(0, 12)}`;

export async function withPostgres<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: postgresTestUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export const dropTestSchema = (schema: string): Promise<void> =>
  withPostgres(async (client) => {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  });
