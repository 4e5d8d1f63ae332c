import { Injectable } from '@nestjs/common';
import { CloudSteps } from './cloud-steps.service';
import { HandlesStep, type StepHandler, type StepRun } from './step-handler';

/**
 * Back to nominal, the last step of a failback: every server runs at the original site with nothing
 * left to send and the users are reconnected there; the recovery space is released, verified by the
 * cloud's own listing (the decider refuses the fact before every server is back).
 */
@Injectable()
@HandlesStep('failback')
export class FailbackHandler implements StepHandler {
  constructor(private readonly cloud: CloudSteps) {}

  async run(run: StepRun): Promise<void> {
    const remaining = await this.cloud.release(run, 'release');
    if (remaining.length) throw new Error(`failback: ${remaining.length} resources still listed; retrying`);
    await run.record({ type: 'RecordFailback', data: { at: run.now() } });
  }
}
