import { Injectable, Logger } from '@nestjs/common';
import { CloudSteps } from './cloud-steps.service';
import { HandlesStep, type StepHandler, type StepRun } from './step-handler';

/**
 * Removes what the activation holds in the recovery space, then records what the cloud's own
 * listing still shows (verified, not assumed): nothing left closes a test; anything left makes a new
 * teardown attempt due.
 */
@Injectable()
@HandlesStep('teardown')
export class TeardownHandler implements StepHandler {
  private readonly logger = new Logger(TeardownHandler.name);

  constructor(private readonly cloud: CloudSteps) {}

  async run(run: StepRun): Promise<void> {
    const remaining = (await this.cloud.release(run, 'teardown')).map((r) => `${r.kind}:${r.id}`);
    await run.record({ type: 'RecordTeardown', data: { remaining, at: run.now() } });
    if (remaining.length)
      this.logger.warn(
        `teardown of ${run.activationId} left ${remaining.length} resources: ${remaining.join(', ')}`,
      );
  }
}
