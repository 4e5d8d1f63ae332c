import { Inject, Module, OnModuleInit } from '@nestjs/common';
import { capacityFindings, freshnessFindings } from '@reprise/domain/plan/recovery-space';
import { RECOVERY_CLOUD, type RecoveryCloud } from '@reprise/recovery-cloud-client';
import { PlanModule } from '../plan/plan.module';
import { ReadinessCheckRegistry } from '../plan/readiness-check';
import { RecoveryCloudClientModule } from './recovery-cloud-client.module';

/**
 * The recovery cloud as the API sees it: read-only questions for the readiness check (capacity of the
 * recovery space, freshness of the restore points). Short timeouts: an unreachable cloud becomes a
 * `check-unavailable` warning, never a slow or failed check.
 */
@Module({
  imports: [PlanModule, RecoveryCloudClientModule],
})
export class RecoverySpaceModule implements OnModuleInit {
  constructor(
    private readonly registry: ReadinessCheckRegistry,
    @Inject(RECOVERY_CLOUD) private readonly cloud: RecoveryCloud,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      name: 'recovery-space capacity',
      check: async (ctx) =>
        capacityFindings(
          ctx.activeServers.filter((s) => s.protectionClass === 'drp'),
          await this.cloud.capacity(),
        ),
    });
    this.registry.register({
      name: 'restore-point freshness',
      check: async (ctx) =>
        freshnessFindings(ctx.activeServers, await this.cloud.backupFreshness(ctx.tenantId)),
    });
  }
}
