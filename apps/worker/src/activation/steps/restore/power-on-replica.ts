import { Injectable } from '@nestjs/common';
import type { ReplicaResult } from '@reprise/recovery-cloud-client';
import { CloudSteps } from '../cloud-steps.service';
import type { ServerStepRun } from '../step-handler';
import { recordReplicated, type RestoreMethod } from './restore-method';

/** VM replication: power on the replica (it is then placed and running); resumed, it waits for the one already powered on. */
@Injectable()
export class PowerOnReplica implements RestoreMethod {
  constructor(private readonly cloud: CloudSteps) {}

  async restore(run: ServerStepRun): Promise<void> {
    const s = run.server.snapshot;
    const vm = (await this.cloud.resources(run, s.serverId)).find((r) => r.kind === 'server');
    // The cloud must know the server (its replica) before anything is asked of it.
    if (!run.server.restoreStartedAt) await this.cloud.restorePoints(run, run.server);
    const op = vm
      ? await this.cloud.cloud.getOperation<ReplicaResult>(vm.operationId)
      : await this.cloud.cloud.powerOnReplica(
          {
            tenantId: run.tenantId,
            activationId: run.activationId,
            serverId: s.serverId,
            antiAffinityGroup: s.antiAffinityGroup ?? undefined,
          },
          { idempotencyKey: `${run.step.key}:replica` },
        );
    const done = await this.cloud.wait(op);
    const { replicaTakenAt } = done.result as ReplicaResult;
    await recordReplicated(
      run,
      done,
      { id: `replica@${replicaTakenAt}`, takenAt: replicaTakenAt },
      'RecordReplicaActivated',
    );
  }
}
