import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';

/**
 * The keys of crypto-shredding: one random AES-256 key per person (subject) and tenant. A person is
 * found by e-mail through a keyed hash (the store never holds an e-mail); destroying the key is the
 * erasure. Kept apart from the events, which are append-only.
 */
export interface SubjectKeys {
  /** The subject of an e-mail in a tenant, created with a fresh key when missing. */
  subjectFor(tenantId: string, email: string): Promise<{ subjectId: string; key: Buffer }>;
  /** The subject of an e-mail in a tenant, if it has one (an erased person has none). */
  find(tenantId: string, email: string): Promise<{ subjectId: string } | null>;
  /** The keys of these subjects that still exist (an erased subject has none). */
  keys(subjectIds: Iterable<string>): Promise<Map<string, Buffer>>;
  /** Destroys a subject's key and its e-mail index; false when it was already gone. */
  destroy(subjectId: string): Promise<boolean>;
  close(): Promise<void>;
}

export const SUBJECT_KEYS = Symbol('SUBJECT_KEYS');

/** E-mails are compared trimmed and in lower case. */
export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

/**
 * What every key store does to what it keeps: keys wrapped (AES-256-GCM, the subject id as
 * associated data) with a key derived from the master key; e-mails indexed by an HMAC under another.
 */
export class KeyWrapping {
  private readonly wrapKey: Buffer;
  private readonly indexKey: Buffer;

  constructor(masterKey: Buffer) {
    if (masterKey.length !== 32) throw new Error('the privacy master key must be 32 bytes');
    const derive = (info: string) => Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), info, 32));
    this.wrapKey = derive('reprise privacy: key wrapping');
    this.indexKey = derive('reprise privacy: e-mail index');
  }

  index(tenantId: string, email: string): Buffer {
    return createHmac('sha256', this.indexKey)
      .update(`${tenantId}\n${normaliseEmail(email)}`)
      .digest();
  }

  /** A fresh subject: its id and its random key, wrapped. */
  newSubject(): { subjectId: string; wrappedKey: Buffer } {
    const subjectId = randomUUID();
    return { subjectId, wrappedKey: this.wrap(subjectId, randomBytes(32)) };
  }

  wrap(subjectId: string, key: Buffer): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.wrapKey, iv);
    cipher.setAAD(Buffer.from(subjectId));
    const body = Buffer.concat([cipher.update(key), cipher.final()]);
    return Buffer.concat([iv, body, cipher.getAuthTag()]);
  }

  unwrap(subjectId: string, wrapped: Buffer): Buffer {
    const decipher = createDecipheriv('aes-256-gcm', this.wrapKey, wrapped.subarray(0, 12));
    decipher.setAAD(Buffer.from(subjectId));
    decipher.setAuthTag(wrapped.subarray(wrapped.length - 16));
    return Buffer.concat([decipher.update(wrapped.subarray(12, wrapped.length - 16)), decipher.final()]);
  }
}

/**
 * SQLite key store (one file, shared by the processes of one machine like the SQLite event store).
 * `secure_delete` overwrites a destroyed key's bytes in the file.
 */
export class SqliteSubjectKeys implements SubjectKeys {
  private readonly db: Database.Database;
  private readonly wrapping: KeyWrapping;

  constructor(options: { path: string; masterKey: Buffer }) {
    this.wrapping = new KeyWrapping(options.masterKey);
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 15000');
    this.db.pragma('secure_delete = ON');
    this.db.exec(`CREATE TABLE IF NOT EXISTS subject_keys (
      subject_id  TEXT PRIMARY KEY,
      tenant_id   TEXT NOT NULL,
      email_index BLOB NOT NULL,
      wrapped_key BLOB NOT NULL,
      created_at  TEXT NOT NULL,
      UNIQUE (tenant_id, email_index)
    )`);
  }

  private row(tenantId: string, index: Buffer) {
    return this.db
      .prepare<[string, Buffer], { subject_id: string; wrapped_key: Buffer }>(
        'SELECT subject_id, wrapped_key FROM subject_keys WHERE tenant_id = ? AND email_index = ?',
      )
      .get(tenantId, index);
  }

  async find(tenantId: string, email: string): Promise<{ subjectId: string } | null> {
    const row = this.row(tenantId, this.wrapping.index(tenantId, email));
    return row ? { subjectId: row.subject_id } : null;
  }

  async subjectFor(tenantId: string, email: string): Promise<{ subjectId: string; key: Buffer }> {
    const index = this.wrapping.index(tenantId, email);
    let row = this.row(tenantId, index);
    if (!row) {
      const fresh = this.wrapping.newSubject();
      // Two processes creating the same subject at once: the first insert wins, both read it back.
      this.db
        .prepare(
          'INSERT OR IGNORE INTO subject_keys (subject_id, tenant_id, email_index, wrapped_key, created_at) VALUES (?, ?, ?, ?, ?)',
        )
        .run(fresh.subjectId, tenantId, index, fresh.wrappedKey, new Date().toISOString());
      row = this.row(tenantId, index) as { subject_id: string; wrapped_key: Buffer };
    }
    return { subjectId: row.subject_id, key: this.wrapping.unwrap(row.subject_id, row.wrapped_key) };
  }

  async keys(subjectIds: Iterable<string>): Promise<Map<string, Buffer>> {
    const ids = [...new Set(subjectIds)];
    const out = new Map<string, Buffer>();
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = this.db
        .prepare<string[], { subject_id: string; wrapped_key: Buffer }>(
          `SELECT subject_id, wrapped_key FROM subject_keys WHERE subject_id IN (${chunk.map(() => '?').join(',')})`,
        )
        .all(...chunk);
      for (const row of rows) out.set(row.subject_id, this.wrapping.unwrap(row.subject_id, row.wrapped_key));
    }
    return out;
  }

  async destroy(subjectId: string): Promise<boolean> {
    const changes = this.db.prepare('DELETE FROM subject_keys WHERE subject_id = ?').run(subjectId).changes;
    // Fold the WAL back so the destroyed key's page images do not linger in it.
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    return changes > 0;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
