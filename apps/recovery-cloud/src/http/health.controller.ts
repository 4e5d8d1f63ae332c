import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { RecoveryCloudState } from '../recovery-cloud.state';

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly state: RecoveryCloudState,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      () => ({
        'recovery-cloud': {
          status: 'up',
          simulatedNow: this.state.clock.snapshot().now,
          outage: !!this.state.currentOutage(),
        },
      }),
    ]);
  }
}
