import { Injectable } from '@nestjs/common';
import type { LunResult } from '@reprise/recovery-cloud-client';
import { CloudSteps } from '../cloud-steps.service';
import type { ServerStepRun } from '../step-handler';
import { recordReplicated, replicatedOperation, type RestoreMethod } from './restore-method';

/** Storage replication: present the replicated LUN to the recovery hosts; resumed, it waits for the one already presented. */
@Injectable()
export class PresentLun implements RestoreMethod {
  constructor(private readonly cloud: CloudSteps) {}

  async restore(run: ServerStepRun): Promise<void> {
    const done = await replicatedOperation(this.cloud, run, 'lun', () =>
      this.cloud.cloud.presentLun(
        { tenantId: run.tenantId, activationId: run.activationId, serverId: run.server.snapshot.serverId },
        { idempotencyKey: `${run.step.key}:lun` },
      ),
    );
    const { rpoMinutes } = done.result as LunResult;
    const takenAt = new Date(Date.parse(done.createdAt) - rpoMinutes * 60_000).toISOString();
    await recordReplicated(run, done, { id: `lun@${takenAt}`, takenAt }, 'RecordServerRestored');
  }
}
