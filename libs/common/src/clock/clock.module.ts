import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { CLOCK, type Clock } from '@reprise/domain/shared/clock';
import { SimulatedClock } from '@reprise/recovery-cloud-client/simulated-clock';
import { Environment, validateEnvironment } from '../config/environment';
import { SystemClock } from './system-clock';

/**
 * Provides the Clock port: real time (`CLOCK=system`), or the recovery-cloud simulator's accelerated
 * clock (`CLOCK=simulated`), synced from `RECOVERY_CLOUD_URL` so that every process shares it.
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
          useFactory: async (env: Environment): Promise<Clock> =>
            env.CLOCK === 'simulated'
              ? new SimulatedClock({ baseUrl: env.RECOVERY_CLOUD_URL }).start()
              : new SystemClock(),
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
