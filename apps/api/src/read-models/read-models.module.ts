import {
  Global,
  Inject,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { Environment } from '@reprise/common/config/environment';
import { readModelPath } from '@reprise/event-store/event-store.module';
import { RAW_EVENT_STORE, type EventStore } from '@reprise/event-store/event-store.port';
import { ProjectionRunner } from '@reprise/event-store/projections/projection-runner';
import { API_PROJECTIONS } from './projections';
import { ReadPositions, ReadYourWritesInterceptor } from './read-your-writes';

export const READ_MODELS = Symbol('READ_MODELS');

/**
 * The API's read models: projections of the event store in a local SQLite file, with checkpoints.
 * They are fed the events as stored, so they hold personal data as ciphertext (revealed where it
 * is served) and an erasure needs no rebuild. Each replica keeps its own file (`READ_MODEL_PATH`);
 * `ReadPositions` and its interceptor give clients read-your-writes through any replica.
 */
@Global()
@Module({
  providers: [
    {
      provide: READ_MODELS,
      inject: [RAW_EVENT_STORE, Environment],
      useFactory: (store: EventStore, env: Environment) => {
        const logger = new Logger('Projections');
        return new ProjectionRunner(store, API_PROJECTIONS, {
          path: readModelPath(env, 'api'),
          onError: (name, error, event) =>
            logger.error(
              `projection ${name} failed on event ${event?.position} (${event?.type}): ${(error as Error).message}`,
            ),
        });
      },
    },
    ReadPositions,
    { provide: APP_INTERCEPTOR, useClass: ReadYourWritesInterceptor },
  ],
  exports: [READ_MODELS, ReadPositions],
})
export class ReadModelsModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(READ_MODELS) private readonly runner: ProjectionRunner,
    positions: ReadPositions,
  ) {
    positions.register('projections', (position, timeoutMs) => runner.waitFor(position, timeoutMs));
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.runner.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner.stop();
  }
}
