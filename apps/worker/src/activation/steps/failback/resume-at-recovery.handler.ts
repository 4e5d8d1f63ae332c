import { Injectable } from '@nestjs/common';
import { CloudSteps } from '../cloud-steps.service';
import { HandlesStep, type StepHandler, type StepRun } from '../step-handler';

/**
 * A server that could not go back (or whose upstream could not) runs again at the recovery site:
 * powered on again if it had been stopped there. Retried until it runs: the business depends on it.
 */
@Injectable()
@HandlesStep('resume-at-recovery')
export class ResumeAtRecoveryHandler implements StepHandler {
  constructor(private readonly cloud: CloudSteps) {}

  async run(run: StepRun): Promise<void> {
    const serverId = run.step.serverId!;
    const vm = (await this.cloud.resources(run, serverId)).find((r) => r.kind === 'server');
    if (!vm) throw new Error(`${serverId} is not listed at the recovery site: it cannot run there again`);
    if (vm.state === 'stopping' || vm.state === 'starting')
      throw new Error(`${serverId} is ${vm.state} at the recovery site; retrying`);
    if (vm.state !== 'running')
      await this.cloud.wait(
        await this.cloud.cloud.powerOn(
          { tenantId: run.tenantId, vmId: vm.id },
          { idempotencyKey: `${run.step.key}:power-on` },
        ),
      );
    await run.record({
      type: 'RecordServerResumedAtRecovery',
      data: { serverId, attempt: run.step.attempt, at: run.now() },
    });
  }
}
