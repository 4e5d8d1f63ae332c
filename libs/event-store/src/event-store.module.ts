import { Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { Environment } from '@reprise/common/config/environment';
import { CLOCK, type Clock } from '@reprise/domain/shared/clock';
import { EsdbEventStore } from './esdb/esdb-event-store';
import { EVENT_STORE, type EventStore } from './event-store.port';
import { SqliteEventStore } from './sqlite/sqlite-event-store';

/** Picks the adapter from the environment: `EVENT_STORE=sqlite` (default, `SQLITE_PATH`) or `esdb`. */
export function createEventStore(env: Environment, clock: Clock): EventStore {
  if (env.EVENT_STORE === 'esdb') {
    return new EsdbEventStore({ connectionString: env.EVENTSTORE_CONNECTION_STRING as string, clock });
  }
  return new SqliteEventStore({ path: env.SQLITE_PATH, clock });
}

@Global()
@Module({
  providers: [
    {
      provide: EVENT_STORE,
      inject: [Environment, CLOCK],
      useFactory: (env: Environment, clock: Clock) => createEventStore(env, clock),
    },
  ],
  exports: [EVENT_STORE],
})
export class EventStoreModule implements OnApplicationShutdown {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }
}
