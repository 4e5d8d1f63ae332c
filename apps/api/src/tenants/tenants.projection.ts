import type Database from 'better-sqlite3';
import type { Projection } from '@reprise/event-store/projections/projection-runner';
import type { RecordedEvent } from '@reprise/event-store/event-store.port';
import { tenantDecider, TenantDetails, TenantEvent } from '@reprise/domain/tenant/tenant';

/** Tenants by id (details as JSON) and by customer number. */
export const tenantsProjection: Projection = {
  name: 'tenants',
  version: 1,
  streamPrefixes: ['platform/tenant/'],
  setup(db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS tenants (
      id TEXT PRIMARY KEY, customer_number TEXT NOT NULL, version INTEGER NOT NULL, details TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS tenants_customer ON tenants (customer_number);`);
  },
  reset(db: Database.Database) {
    db.exec('DROP TABLE IF EXISTS tenants');
  },
  apply(db: Database.Database, recorded: RecordedEvent) {
    const event = recorded as unknown as TenantEvent;
    if (event.type !== 'TenantCreated' && event.type !== 'TenantSettingsChanged') return;
    const id = recorded.stream.slice('platform/tenant/'.length);
    const row = db.prepare<[string], { details: string }>('SELECT details FROM tenants WHERE id = ?').get(id);
    const state = tenantDecider.evolve(row ? (JSON.parse(row.details) as TenantDetails) : null, event);
    if (!state) return;
    db.prepare(
      'INSERT OR REPLACE INTO tenants (id, customer_number, version, details) VALUES (?, ?, ?, ?)',
    ).run(id, state.customerNumber, recorded.revision, JSON.stringify(state));
  },
};
