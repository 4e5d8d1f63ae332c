import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import {
  fullRestorePointSince,
  reprotectionFindings,
  reprotectionsDue,
  type ReprotectionStatus,
} from '@reprise/domain/plan/reprotection';
import { RECOVERY_CLOUD, type RecoveryCloud } from '@reprise/recovery-cloud-client';
import { ActivationViews } from '../activations/activation-views.service';
import { ReadinessCheckRegistry } from '../plan/readiness-check';

/**
 * Reprotection after a failback: which servers still owe their new full restore point (the
 * activations say since when, the backup space says whether one was taken). Contributes the
 * `reprotection-due` warning of `POST /plan/check`.
 */
@Injectable()
export class ReprotectionService implements OnModuleInit {
  private readonly logger = new Logger(ReprotectionService.name);

  constructor(
    private readonly activations: ActivationViews,
    private readonly registry: ReadinessCheckRegistry,
    @Inject(RECOVERY_CLOUD) private readonly cloud: Pick<RecoveryCloud, 'listRestorePoints'>,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      name: 'reprotection',
      check: async (context) => reprotectionFindings(await this.statuses(context.tenantId)),
    });
  }

  /** Per server failed back: since when its full restore point is due, and when one was taken (null: still due). */
  async statuses(tenantId: string): Promise<ReprotectionStatus[]> {
    return Promise.all(
      reprotectionsDue(this.activations.list(tenantId)).map(async (due) => {
        try {
          const points = await this.cloud.listRestorePoints(tenantId, due.serverId);
          return { ...due, fullRestorePointAt: fullRestorePointSince(due.dueSince, points) };
        } catch (error) {
          // Unknown is still due: the warning stays until the backup space shows the point.
          this.logger.warn(`restore points of ${due.hostname}: ${(error as Error).message}`);
          return { ...due, fullRestorePointAt: null };
        }
      }),
    );
  }
}
