import { Pool } from 'pg';
import { KeyWrapping, type SubjectKeys } from './subject-keys';

/**
 * PostgreSQL key store: the `subject_keys` table in the event store's database and schema, so every
 * api and worker replica, on any machine, seals and reveals with the same keys and an erasure is seen
 * by all at once. A destroyed key's row is deleted; its dead tuple lingers until VACUUM (and in WAL
 * archives and backups, like any deleted row): run VACUUM on the table after erasures where that
 * matters.
 */
export class PostgresSubjectKeys implements SubjectKeys {
  private readonly pool: Pool;
  private readonly wrapping: KeyWrapping;
  private readonly table: string;
  private readonly ready: Promise<void>;

  constructor(options: { connectionString: string; schema: string; masterKey: Buffer }) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(options.schema))
      throw new Error(`invalid PostgreSQL schema name "${options.schema}"`);
    this.wrapping = new KeyWrapping(options.masterKey);
    this.table = `"${options.schema}".subject_keys`;
    this.pool = new Pool({ connectionString: options.connectionString, max: 2 });
    this.pool.on('error', () => undefined);
    this.ready = this.migrate(options.schema);
    this.ready.catch(() => undefined);
  }

  private async migrate(schema: string): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Several processes may start at once, and the event store creates the same schema: under the
      // event store's own migration lock, one creates them, the others wait and find them.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`reprise-migrate:${schema}`]);
      await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await client.query(`CREATE TABLE IF NOT EXISTS ${this.table} (
        subject_id  text  PRIMARY KEY,
        tenant_id   text  NOT NULL,
        email_index bytea NOT NULL,
        wrapped_key bytea NOT NULL,
        created_at  text  NOT NULL,
        UNIQUE (tenant_id, email_index)
      )`);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private async query<R>(text: string, values: unknown[]): Promise<R[]> {
    await this.ready;
    return (await this.pool.query(text, values)).rows as R[];
  }

  async find(tenantId: string, email: string): Promise<{ subjectId: string } | null> {
    const [row] = await this.query<{ subject_id: string }>(
      `SELECT subject_id FROM ${this.table} WHERE tenant_id = $1 AND email_index = $2`,
      [tenantId, this.wrapping.index(tenantId, email)],
    );
    return row ? { subjectId: row.subject_id } : null;
  }

  async subjectFor(tenantId: string, email: string): Promise<{ subjectId: string; key: Buffer }> {
    const index = this.wrapping.index(tenantId, email);
    const fresh = this.wrapping.newSubject();
    // Two replicas creating the same subject at once: the first insert wins, both read it back.
    await this.query(
      `INSERT INTO ${this.table} (subject_id, tenant_id, email_index, wrapped_key, created_at)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tenant_id, email_index) DO NOTHING`,
      [fresh.subjectId, tenantId, index, fresh.wrappedKey, new Date().toISOString()],
    );
    const [row] = await this.query<{ subject_id: string; wrapped_key: Buffer }>(
      `SELECT subject_id, wrapped_key FROM ${this.table} WHERE tenant_id = $1 AND email_index = $2`,
      [tenantId, index],
    );
    return { subjectId: row.subject_id, key: this.wrapping.unwrap(row.subject_id, row.wrapped_key) };
  }

  async keys(subjectIds: Iterable<string>): Promise<Map<string, Buffer>> {
    const ids = [...new Set(subjectIds)];
    const out = new Map<string, Buffer>();
    if (ids.length === 0) return out;
    const rows = await this.query<{ subject_id: string; wrapped_key: Buffer }>(
      `SELECT subject_id, wrapped_key FROM ${this.table} WHERE subject_id = ANY($1)`,
      [ids],
    );
    for (const row of rows) out.set(row.subject_id, this.wrapping.unwrap(row.subject_id, row.wrapped_key));
    return out;
  }

  async destroy(subjectId: string): Promise<boolean> {
    const rows = await this.query(`DELETE FROM ${this.table} WHERE subject_id = $1 RETURNING subject_id`, [
      subjectId,
    ]);
    return rows.length > 0;
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
