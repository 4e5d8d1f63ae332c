import { Injectable } from '@nestjs/common';
import { CloudSteps } from '../cloud-steps.service';
import { HandlesStep, type StepHandler, type StepRun } from '../step-handler';
import { reverseRequest } from './failback-run';

/**
 * Starts a server at the original site, with the same health check as at the recovery site (the
 * cloud refuses while changes have not all arrived). One key per step: never started twice.
 */
@Injectable()
@HandlesStep('start-at-original')
export class StartAtOriginalHandler implements StepHandler {
  constructor(private readonly cloud: CloudSteps) {}

  async run(run: StepRun): Promise<void> {
    const op = await this.cloud.wait(
      await this.cloud.cloud.startAtOriginal(reverseRequest(run), {
        idempotencyKey: `${run.step.key}:start`,
      }),
    );
    const r = op.result!;
    await run.record({
      type: 'RecordServerStartedAtOriginal',
      data: {
        serverId: run.step.serverId!,
        attempt: run.step.attempt,
        health: r.health,
        detail: r.detail || null,
        at: run.now(),
      },
    });
  }
}
