import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { TerminusModule } from '@nestjs/terminus';
import { LoggingModule } from '@reprise/common/logging/logging.module';
import { ChaosInterceptor } from './http/chaos.interceptor';
import { CloudController } from './http/cloud.controller';
import { CloudErrorFilter } from './http/error.filter';
import { HealthController } from './http/health.controller';
import { SimController } from './http/sim.controller';
import { TimeSkippingController } from './http/time-skipping.controller';
import { RECOVERY_CLOUD_OPTIONS, type RecoveryCloudOptions } from './recovery-cloud.options';
import { RecoveryCloudState } from './recovery-cloud.state';

@Module({})
export class RecoveryCloudModule {
  static forRoot(options: RecoveryCloudOptions): DynamicModule {
    return {
      module: RecoveryCloudModule,
      imports: [TerminusModule, ...(options.logging ? [LoggingModule] : [])],
      controllers: [CloudController, SimController, TimeSkippingController, HealthController],
      providers: [
        { provide: RECOVERY_CLOUD_OPTIONS, useValue: options },
        RecoveryCloudState,
        ChaosInterceptor,
        { provide: APP_FILTER, useClass: CloudErrorFilter },
      ],
      exports: [RecoveryCloudState],
    };
  }
}
