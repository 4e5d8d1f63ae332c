import { Injectable } from '@nestjs/common';
import type { ServerResult } from '@reprise/recovery-cloud-client';
import { CloudSteps } from './cloud-steps.service';
import { HandlesStep, type ServerStepRun, type StepHandler } from './step-handler';

/**
 * Places the server's VM on a recovery host (its template, its restored disks or LUN, its
 * anti-affinity group) and powers it on. A powered-on replica is already placed and running.
 * Resumed, it powers on the VM the cloud already lists instead of placing another one.
 */
@Injectable()
@HandlesStep('boot')
export class BootHandler implements StepHandler {
  constructor(private readonly cloud: CloudSteps) {}

  async run(run: ServerStepRun): Promise<void> {
    const { server, step } = run;
    const s = server.snapshot;
    const bootStarted = (host: string, at: string) =>
      server.bootStartedAt
        ? Promise.resolve()
        : run.record({
            type: 'RecordServerBootStarted',
            data: { serverId: s.serverId, attempt: step.attempt, host, at },
          });
    let vm =
      server.bootStartedAt || s.recoveryMethod !== 'backup-restore'
        ? await this.cloud.vmOf(run, s.serverId)
        : undefined;
    if (s.recoveryMethod === 'vm-replication' && vm) {
      // The replica came up when it was powered on: placement and boot are already done.
      const at = run.now();
      await bootStarted(vm.hostId, at);
      await run.record({
        type: 'RecordServerBooted',
        data: { serverId: s.serverId, attempt: step.attempt, at },
      });
      return;
    }
    if (!vm) {
      const lun =
        s.recoveryMethod === 'storage-replication'
          ? (await this.cloud.resources(run, s.serverId)).find((r) => r.kind === 'lun')
          : undefined;
      const created = await this.cloud.wait(
        await this.cloud.cloud.createServer(
          {
            tenantId: run.tenantId,
            activationId: run.activationId,
            serverId: s.serverId,
            vcpu: s.template.vcpu,
            ramGiB: s.template.ramGiB,
            lunId: lun?.id,
            antiAffinityGroup: s.antiAffinityGroup ?? undefined,
          },
          { idempotencyKey: `${step.key}:create` },
        ),
      );
      const result = created.result as ServerResult;
      vm = { id: result.vmId, hostId: result.hostId };
      await bootStarted(vm.hostId, created.createdAt);
      this.cloud.rememberVm(run, s.serverId, vm);
    } else {
      await bootStarted(vm.hostId, run.now());
    }
    // Placement can take a while: an abort recorded meanwhile means nothing new starts.
    if (!(await run.stillDue())) return;
    const powered = await this.cloud.wait(
      await this.cloud.cloud.powerOn(
        { tenantId: run.tenantId, vmId: vm.id },
        { idempotencyKey: `${step.key}:power-on` },
      ),
    );
    await run.record({
      type: 'RecordServerBooted',
      data: { serverId: s.serverId, attempt: step.attempt, at: powered.completedAt ?? run.now() },
    });
  }
}
