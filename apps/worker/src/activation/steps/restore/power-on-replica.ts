import { Injectable } from '@nestjs/common';
import type { ReplicaResult } from '@reprise/recovery-cloud-client';
import { CloudSteps } from '../cloud-steps.service';
import type { ServerStepRun } from '../step-handler';
import { recordReplicated, replicatedOperation, type RestoreMethod } from './restore-method';

/** VM replication: power on the replica (it is then placed and running); resumed, it waits for the one already powered on. */
@Injectable()
export class PowerOnReplica implements RestoreMethod {
  constructor(private readonly cloud: CloudSteps) {}

  async restore(run: ServerStepRun): Promise<void> {
    const s = run.server.snapshot;
    const done = await replicatedOperation(this.cloud, run, 'server', () =>
      this.cloud.cloud.powerOnReplica(
        {
          tenantId: run.tenantId,
          activationId: run.activationId,
          serverId: s.serverId,
          antiAffinityGroup: s.antiAffinityGroup ?? undefined,
        },
        { idempotencyKey: `${run.step.key}:replica` },
      ),
    );
    const { replicaTakenAt } = done.result as ReplicaResult;
    await recordReplicated(
      run,
      done,
      { id: `replica@${replicaTakenAt}`, takenAt: replicaTakenAt },
      'RecordReplicaActivated',
    );
  }
}
