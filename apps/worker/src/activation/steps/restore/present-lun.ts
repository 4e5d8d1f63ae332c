import { Injectable } from '@nestjs/common';
import type { LunResult } from '@reprise/recovery-cloud-client';
import { CloudSteps } from '../cloud-steps.service';
import type { ServerStepRun } from '../step-handler';
import { recordReplicated, type RestoreMethod } from './restore-method';

/** Storage replication: present the replicated LUN to the recovery hosts; resumed, it waits for the one already presented. */
@Injectable()
export class PresentLun implements RestoreMethod {
  constructor(private readonly cloud: CloudSteps) {}

  async restore(run: ServerStepRun): Promise<void> {
    const s = run.server.snapshot;
    const lun = (await this.cloud.resources(run, s.serverId)).find((r) => r.kind === 'lun');
    // The cloud must know the server (its LUN) before anything is asked of it.
    if (!run.server.restoreStartedAt) await this.cloud.restorePoints(run, run.server);
    const op = lun
      ? await this.cloud.cloud.getOperation<LunResult>(lun.operationId)
      : await this.cloud.cloud.presentLun(
          { tenantId: run.tenantId, activationId: run.activationId, serverId: s.serverId },
          { idempotencyKey: `${run.step.key}:lun` },
        );
    const done = await this.cloud.wait(op);
    const { rpoMinutes } = done.result as LunResult;
    const takenAt = new Date(Date.parse(done.createdAt) - rpoMinutes * 60_000).toISOString();
    await recordReplicated(run, done, { id: `lun@${takenAt}`, takenAt }, 'RecordServerRestored');
  }
}
