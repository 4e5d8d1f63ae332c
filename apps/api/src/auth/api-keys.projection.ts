import type Database from 'better-sqlite3';
import type { Projection } from '@reprise/event-store/projections/projection-runner';
import type { RecordedEvent } from '@reprise/event-store/event-store.port';
import type { ApiKeyEvent } from '@reprise/domain/tenant/api-key';

/** API keys by token hash, for the guard (revoked keys stay, marked). */
export const apiKeysProjection: Projection = {
  name: 'api-keys',
  version: 1,
  streamPrefixes: ['platform/api-key/'],
  setup(db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS api_keys (
      key_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL,
      token_hash TEXT NOT NULL UNIQUE, token_prefix TEXT NOT NULL, issued_at TEXT NOT NULL, revoked_at TEXT);
      CREATE INDEX IF NOT EXISTS api_keys_tenant ON api_keys (tenant_id);`);
  },
  reset(db: Database.Database) {
    db.exec('DROP TABLE IF EXISTS api_keys');
  },
  apply(db: Database.Database, recorded: RecordedEvent) {
    const event = recorded as unknown as ApiKeyEvent;
    switch (event.type) {
      case 'ApiKeyIssued': {
        const d = event.data;
        db.prepare(
          'INSERT OR REPLACE INTO api_keys (key_id, tenant_id, name, role, token_hash, token_prefix, issued_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)',
        ).run(d.keyId, d.tenantId, d.name, d.role, d.tokenHash, d.tokenPrefix, d.at);
        return;
      }
      case 'ApiKeyRevoked':
        db.prepare('UPDATE api_keys SET revoked_at = ? WHERE key_id = ?').run(
          event.data.at,
          event.data.keyId,
        );
        return;
      default:
        return;
    }
  },
};

export interface ApiKeyRow {
  key_id: string;
  tenant_id: string;
  name: string;
  role: string;
  token_hash: string;
  token_prefix: string;
  issued_at: string;
  revoked_at: string | null;
}
