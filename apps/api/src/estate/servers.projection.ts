import type Database from 'better-sqlite3';
import type { Projection } from '@reprise/event-store/projections/projection-runner';
import type { RecordedEvent } from '@reprise/event-store/event-store.port';
import { parseTenantStream } from '@reprise/domain/shared/streams';
import { evolveServer, isServerEvent, ServerEvent, ServerState } from '@reprise/domain/estate/server';

/**
 * The server list: one row per server with its folded state (the decider's own `evolve`, so the
 * read model and the aggregate cannot disagree) and indexed columns for filters.
 */
export const serversProjection: Projection = {
  name: 'servers',
  version: 1,
  streamPrefixes: ['tenant/'],
  setup(db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS servers (
      id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, hostname TEXT NOT NULL, protection_class TEXT NOT NULL,
      status TEXT NOT NULL, version INTEGER NOT NULL, depends_on TEXT NOT NULL, state TEXT NOT NULL, updated_at TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS servers_tenant ON servers (tenant_id, hostname);
      CREATE INDEX IF NOT EXISTS servers_tenant_status ON servers (tenant_id, status, protection_class);`);
  },
  reset(db: Database.Database) {
    db.exec('DROP TABLE IF EXISTS servers');
  },
  apply(db: Database.Database, recorded: RecordedEvent) {
    if (!isServerEvent(recorded.type)) return;
    const parsed = parseTenantStream(recorded.stream);
    if (!parsed || parsed.category !== 'server' || !parsed.id) return;
    const row = db
      .prepare<[string], { state: string }>('SELECT state FROM servers WHERE id = ?')
      .get(parsed.id);
    const state = evolveServer(
      row ? (JSON.parse(row.state) as ServerState) : null,
      recorded as unknown as ServerEvent,
    );
    if (!state) return;
    db.prepare(
      'INSERT OR REPLACE INTO servers (id, tenant_id, hostname, protection_class, status, version, depends_on, state, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(
      state.id,
      parsed.tenantId,
      state.hostname,
      state.protectionClass,
      state.status,
      recorded.revision,
      JSON.stringify(state.dependsOn),
      JSON.stringify(state),
      recorded.metadata.recordedAt,
    );
  },
};
