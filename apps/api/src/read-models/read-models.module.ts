import { dirname, join } from 'node:path';
import {
  Global,
  Inject,
  Logger,
  Module,
  OnApplicationBootstrap,
  OnApplicationShutdown,
} from '@nestjs/common';
import { Environment } from '@reprise/common/config/environment';
import { EVENT_STORE, type EventStore } from '@reprise/event-store/event-store.port';
import { ProjectionRunner } from '@reprise/event-store/projections/projection-runner';
import { API_PROJECTIONS } from './projections';

export const READ_MODELS = Symbol('READ_MODELS');

export function readModelPath(env: Environment, app: string): string {
  return env.READ_MODEL_PATH ?? join(dirname(env.SQLITE_PATH), `read-models-${app}.db`);
}

/** The API's read models: projections of the event store in a local SQLite file, with checkpoints. */
@Global()
@Module({
  providers: [
    {
      provide: READ_MODELS,
      inject: [EVENT_STORE, Environment],
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
  ],
  exports: [READ_MODELS],
})
export class ReadModelsModule implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(READ_MODELS) private readonly runner: ProjectionRunner) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.runner.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.runner.stop();
  }
}
