import { Injectable } from '@nestjs/common';
import { CloudSteps } from '../cloud-steps.service';
import { HandlesStep, type StepHandler, type StepRun } from '../step-handler';
import { reverseRequest } from './failback-run';

/**
 * Starts a server at the original site, with the same health check as at the recovery site (the
 * cloud refuses while changes have not all arrived). One key per step: never started twice.
 * A copy that started but failed its health check is stopped there before the failure is recorded:
 * the server runs again at the recovery site, and two live copies would write apart. A resumed step
 * replays the same start and the same stop (their keys), so nothing is started or stopped twice.
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
    const detail = r.health === 'failed' ? await this.stopFailedCopy(run, r.detail) : r.detail || null;
    await run.record({
      type: 'RecordServerStartedAtOriginal',
      data: {
        serverId: run.step.serverId!,
        attempt: run.step.attempt,
        health: r.health,
        detail,
        at: run.now(),
      },
    });
  }

  /** Stops the copy that failed its health check at the original site; the detail says so. */
  private async stopFailedCopy(run: StepRun, detail: string): Promise<string> {
    await this.cloud.wait(
      await this.cloud.cloud.stopAtOriginal(reverseRequest(run), {
        idempotencyKey: `${run.step.key}:stop-failed-copy`,
      }),
    );
    return `${detail || 'health check failed'}; the copy started at the original site was stopped there`;
  }
}
