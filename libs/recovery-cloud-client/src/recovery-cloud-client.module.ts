import { type DynamicModule, Module, type OnApplicationShutdown, Inject } from '@nestjs/common';
import { CLOCK } from '@reprise/domain/shared/clock';
import { HttpRecoveryCloud, type HttpRecoveryCloudOptions } from './http-recovery-cloud';
import { RECOVERY_CLOUD } from './recovery-cloud.port';
import { SimulatedClock } from './simulated-clock';

export interface RecoveryCloudClientModuleOptions extends HttpRecoveryCloudOptions {
  /**
   * Also provide `CLOCK` as a SimulatedClock synced with the cloud (when CLOCK=simulated).
   * Do not import the common ClockModule alongside, or make sure this provider wins.
   */
  simulatedClock?: boolean;
  /** Re-sync period of the simulated clock (wall ms). Default 500. */
  clockSyncIntervalMs?: number;
}

class SimulatedClockStopper implements OnApplicationShutdown {
  constructor(@Inject(CLOCK) private readonly clock: SimulatedClock) {}
  onApplicationShutdown(): void {
    this.clock.stop();
  }
}

/** Nest wiring of the RecoveryCloud port (HTTP adapter) and, optionally, the simulated clock. */
@Module({})
export class RecoveryCloudClientModule {
  static forRoot(options: RecoveryCloudClientModuleOptions): DynamicModule {
    const providers: DynamicModule['providers'] = [
      { provide: RECOVERY_CLOUD, useValue: new HttpRecoveryCloud(options) },
    ];
    const exports: DynamicModule['exports'] = [RECOVERY_CLOUD];
    if (options.simulatedClock) {
      providers.push(
        {
          provide: CLOCK,
          useFactory: () =>
            new SimulatedClock({
              baseUrl: options.baseUrl,
              syncIntervalMs: options.clockSyncIntervalMs,
            }).start(),
        },
        SimulatedClockStopper,
      );
      exports.push(CLOCK);
    }
    return { module: RecoveryCloudClientModule, global: true, providers, exports };
  }
}
