import { dirname, join } from 'node:path';
import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { Environment } from '@reprise/common/config/environment';
import { CLOCK, type Clock } from '@reprise/domain/shared/clock';
import { EsdbEventStore } from './esdb/esdb-event-store';
import { RAW_EVENT_STORE, type EventStore } from './event-store.port';
import { PostgresEventStore } from './postgres/postgres-event-store';
import { SqliteEventStore } from './sqlite/sqlite-event-store';

/**
 * Picks the adapter from the environment: `EVENT_STORE=sqlite` (default, `SQLITE_PATH`), `postgres`
 * (`POSTGRES_URL`, `POSTGRES_SCHEMA`) or `esdb` (`EVENTSTORE_CONNECTION_STRING`).
 */
export async function createEventStore(env: Environment, clock: Clock): Promise<EventStore> {
  switch (env.EVENT_STORE) {
    case 'esdb':
      return new EsdbEventStore({ connectionString: env.EVENTSTORE_CONNECTION_STRING as string, clock });
    case 'postgres': {
      const store = new PostgresEventStore({
        connectionString: env.POSTGRES_URL as string,
        schema: env.POSTGRES_SCHEMA,
        clock,
      });
      // Fail at start-up, not on the first request, when the server or the schema is not usable.
      await store.ready.catch(async (error) => {
        await store.close().catch(() => undefined);
        throw error;
      });
      return store;
    }
    case 'sqlite':
      return new SqliteEventStore({ path: env.SQLITE_PATH, clock });
    default: {
      const unknown: never = env.EVENT_STORE;
      throw new Error(`unknown event store ${String(unknown)}`);
    }
  }
}

/** The local SQLite file of one process's read models (rebuildable from the events). */
export function readModelPath(env: Environment, app: string): string {
  return env.READ_MODEL_PATH ?? join(dirname(env.SQLITE_PATH), `read-models-${app}.db`);
}

/** The local SQLite file of one process's Merkle trees of the tenants' logs (beside its read models). */
export const auditTreesPath = (env: Environment, app: string): string =>
  join(dirname(readModelPath(env, app)), `audit-trees-${app}.db`);

/**
 * The store adapter, as `RAW_EVENT_STORE`: events exactly as stored (personal data as ciphertext).
 * The domain's `EVENT_STORE` wraps it (libs/privacy).
 */
@Global()
@Module({
  providers: [
    {
      provide: RAW_EVENT_STORE,
      inject: [Environment, CLOCK],
      useFactory: (env: Environment, clock: Clock) => createEventStore(env, clock),
    },
  ],
  exports: [RAW_EVENT_STORE],
})
export class EventStoreModule implements OnApplicationShutdown {
  constructor(@Inject(RAW_EVENT_STORE) private readonly store: EventStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
