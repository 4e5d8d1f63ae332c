import { Injectable } from '@nestjs/common';
import { CloudPermanentError, type AnalysisResult } from '@reprise/recovery-cloud-client';
import { CloudSteps } from './cloud-steps.service';
import { HandlesStep, type ServerStepRun, type StepHandler } from './step-handler';

/** Checks the health of a booted server (services, event logs) and records what the cloud found. */
@Injectable()
@HandlesStep('analyse')
export class AnalyseHandler implements StepHandler {
  constructor(private readonly cloud: CloudSteps) {}

  async run(run: ServerStepRun): Promise<void> {
    const { server, step } = run;
    const s = server.snapshot;
    const vm = await this.cloud.vmOf(run, s.serverId);
    if (!vm)
      throw new CloudPermanentError(
        'server-missing',
        `${s.hostname} is not listed by the recovery cloud any more`,
      );
    const op = await this.cloud.cloud.analyse(
      { tenantId: run.tenantId, vmId: vm.id },
      { idempotencyKey: `${step.key}:analyse` },
    );
    if (!server.analysisStartedAt)
      await run.record({
        type: 'RecordServerAnalysisStarted',
        data: { serverId: s.serverId, attempt: step.attempt, at: op.createdAt },
      });
    const done = await this.cloud.wait(op);
    const result = done.result as AnalysisResult;
    await run.record({
      type: 'RecordServerChecked',
      data: {
        serverId: s.serverId,
        attempt: step.attempt,
        health: result.health,
        detail: result.detail ?? null,
        at: done.completedAt ?? run.now(),
      },
    });
    this.cloud.forgetVm(run, s.serverId);
  }
}
