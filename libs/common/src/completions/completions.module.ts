import {
  BeforeApplicationShutdown,
  DynamicModule,
  Global,
  Inject,
  Logger,
  Module,
  OnModuleInit,
} from '@nestjs/common';
import { COMPLETERS } from '@reprise/domain/completers';
import { CompletionRunner } from '@reprise/event-store/completions/completion-runner';
import { EVENT_STORE, type EventStore } from '@reprise/event-store/event-store.port';
import { ActivationClaims } from './activation-claims';

export const COMPLETIONS = Symbol('COMPLETIONS');

/**
 * The completion runner of a process (api, worker): rolls every decision forward (estate changes,
 * activation-scope claims); and the process's claims of activation scopes, which wait for it. It catches up in `onModuleInit`, before the read models start
 * and before the app listens, so that no reader of a restarted process sees a decision half done.
 */
@Global()
@Module({})
export class CompletionsModule implements OnModuleInit, BeforeApplicationShutdown {
  constructor(@Inject(COMPLETIONS) private readonly runner: CompletionRunner) {}

  static forApp(app: string): DynamicModule {
    return {
      module: CompletionsModule,
      providers: [
        {
          provide: COMPLETIONS,
          inject: [EVENT_STORE],
          useFactory: (store: EventStore) => {
            const logger = new Logger('Completions');
            return new CompletionRunner(store, {
              subscriberId: `${app}-completions`,
              streamPrefixes: ['tenant/'],
              completionsOf: (event) => COMPLETERS.flatMap((complete) => complete(event)),
              onError: (error, event) =>
                logger.error(
                  `completing ${event?.type} ${event?.stream}@${event?.revision} failed, will retry: ${(error as Error).message}`,
                ),
            });
          },
        },
        {
          provide: ActivationClaims,
          inject: [EVENT_STORE, COMPLETIONS],
          useFactory: (store: EventStore, runner: CompletionRunner) => new ActivationClaims(store, runner),
        },
      ],
      exports: [COMPLETIONS, ActivationClaims],
    };
  }

  async onModuleInit(): Promise<void> {
    await this.runner.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runner.stop();
  }
}
