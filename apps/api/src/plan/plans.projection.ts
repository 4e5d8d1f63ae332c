import type Database from 'better-sqlite3';
import type { Projection } from '@reprise/event-store/projections/projection-runner';
import type { RecordedEvent } from '@reprise/event-store/event-store.port';
import { parseTenantStream } from '@reprise/domain/shared/streams';
import type { PlanEvent } from '@reprise/domain/plan/authorised-persons';

/** The plan of each tenant: its authorised persons and the plan stream's version. */
export const plansProjection: Projection = {
  name: 'plans',
  version: 1,
  streamPrefixes: ['tenant/'],
  setup(db: Database.Database) {
    db.exec(
      'CREATE TABLE IF NOT EXISTS plans (tenant_id TEXT PRIMARY KEY, version INTEGER NOT NULL, authorised_persons TEXT NOT NULL)',
    );
  },
  reset(db: Database.Database) {
    db.exec('DROP TABLE IF EXISTS plans');
  },
  apply(db: Database.Database, recorded: RecordedEvent) {
    const parsed = parseTenantStream(recorded.stream);
    if (!parsed || parsed.category !== 'plan' || parsed.id !== null) return;
    const event = recorded as unknown as PlanEvent;
    if (event.type !== 'AuthorisedPersonsChanged') return;
    db.prepare('INSERT OR REPLACE INTO plans (tenant_id, version, authorised_persons) VALUES (?, ?, ?)').run(
      parsed.tenantId,
      recorded.revision,
      JSON.stringify(event.data.persons),
    );
  },
};
