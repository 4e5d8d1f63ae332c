import { Injectable } from '@nestjs/common';
import { CloudPermanentError } from '@reprise/recovery-cloud-client';
import { CloudSteps } from '../cloud-steps.service';
import { HandlesStep, type StepHandler, type StepRun } from '../step-handler';
import { failbackServerOf } from './failback-run';

/**
 * The cut-over of one server begins: the start of its stop is recorded first (an abort decided
 * before it wins, and nothing is stopped), then the server is shut down cleanly at the recovery site.
 */
@Injectable()
@HandlesStep('cut-over-stop')
export class CutOverStopHandler implements StepHandler {
  constructor(private readonly cloud: CloudSteps) {}

  async run(run: StepRun): Promise<void> {
    const serverId = run.step.serverId!;
    if (!failbackServerOf(run).stopStartedAt) {
      await run.record({
        type: 'RecordServerStopStarted',
        data: { serverId, attempt: run.step.attempt, at: run.now() },
      });
      if (!(await run.stillDue())) return;
    }
    const vm = await this.cloud.vmOf(run, serverId);
    if (!vm)
      throw new CloudPermanentError(
        'server-not-at-recovery-site',
        `${serverId} is not listed at the recovery site`,
      );
    await this.cloud.wait(
      await this.cloud.cloud.stopServer(
        { tenantId: run.tenantId, vmId: vm.id },
        { idempotencyKey: `${run.step.key}:stop` },
      ),
    );
    await run.record({
      type: 'RecordServerStoppedAtRecovery',
      data: { serverId, attempt: run.step.attempt, at: run.now() },
    });
  }
}
