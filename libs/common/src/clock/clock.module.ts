import { DynamicModule, Global, Inject, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { CLOCK, type Clock } from '@reprise/domain/shared/clock';
import { checkClock } from '@reprise/recovery-cloud-client/clock-check';
import { SimulatedClock } from '@reprise/recovery-cloud-client/simulated-clock';
import { Environment, validateEnvironment } from '../config/environment';
import { SystemClock } from './system-clock';

/** The engine's clock and the recovery cloud's are not the same clock: the process must not start. */
export class ClockMismatchError extends Error {
  constructor(message: string) {
    super(`clock mismatch: ${message}`);
    this.name = 'ClockMismatchError';
  }
}

/**
 * Provides the Clock port: real time (`CLOCK=system`), or the recovery-cloud simulator's accelerated
 * clock (`CLOCK=simulated`), synced from `RECOVERY_CLOUD_URL` so that every process shares it.
 * At start-up it asks the recovery cloud for its clock: a mismatch stops the process with one line
 * (ClockMismatchError); a cloud that cannot be asked is warned about (it may be down for a while),
 * except with `CLOCK=simulated`, which cannot run without the simulator's clock.
 */
@Global()
@Module({})
export class ClockModule implements OnApplicationShutdown {
  constructor(@Inject(CLOCK) private readonly clock: Clock) {}

  static forRoot(): DynamicModule {
    return {
      module: ClockModule,
      providers: [
        {
          provide: CLOCK,
          inject: [Environment],
          useFactory: async (env: Environment): Promise<Clock> => {
            const check = await checkClock(env.CLOCK, env.RECOVERY_CLOUD_URL);
            if (check.verdict === 'mismatch') throw new ClockMismatchError(check.message);
            if (check.verdict === 'unknown') {
              if (env.CLOCK === 'simulated')
                throw new ClockMismatchError(`CLOCK=simulated needs the simulator's clock; ${check.message}`);
              new Logger('Clock').warn(
                `${check.message}. If it is the simulator on an accelerated clock, durations and RPOs will be wrong: set CLOCK=simulated.`,
              );
            }
            return env.CLOCK === 'simulated'
              ? new SimulatedClock({ baseUrl: env.RECOVERY_CLOUD_URL }).start()
              : new SystemClock();
          },
        },
      ],
      exports: [CLOCK],
    };
  }

  onApplicationShutdown(): void {
    if (this.clock instanceof SimulatedClock) this.clock.stop();
  }
}

export { validateEnvironment };
