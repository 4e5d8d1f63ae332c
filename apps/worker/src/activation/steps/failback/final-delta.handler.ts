import { Injectable } from '@nestjs/common';
import { CloudSteps } from '../cloud-steps.service';
import { HandlesStep, type StepHandler, type StepRun } from '../step-handler';
import { reverseRequest } from './failback-run';

/**
 * The last delta of a server stopped at the recovery site: what it changed since the last range
 * sent. One key per step: a resumed step replays the same operation (no byte sent twice).
 */
@Injectable()
@HandlesStep('final-delta')
export class FinalDeltaHandler implements StepHandler {
  constructor(private readonly cloud: CloudSteps) {}

  async run(run: StepRun): Promise<void> {
    const op = await this.cloud.wait(
      await this.cloud.cloud.reverseDelta(
        { ...reverseRequest(run), final: true },
        { idempotencyKey: `${run.step.key}:final` },
      ),
    );
    const r = op.result!;
    await run.record({
      type: 'RecordFinalDelta',
      data: {
        serverId: run.step.serverId!,
        attempt: run.step.attempt,
        sentBytes: r.sentBytes,
        changedBytes: r.changedBytes,
        pendingBytes: r.pendingBytes,
        at: run.now(),
      },
    });
  }
}
