import { Global, Module } from '@nestjs/common';
import { CLOCK } from '@reprise/domain/shared/clock';
import { SystemClock } from './system-clock';

/** Provides the Clock port. Apps that run on the simulator's clock override CLOCK. */
@Global()
@Module({
  providers: [{ provide: CLOCK, useClass: SystemClock }],
  exports: [CLOCK],
})
export class ClockModule {}
