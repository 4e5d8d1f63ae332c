import { Injectable } from '@nestjs/common';
import { CloudSteps } from '../cloud-steps.service';
import { HandlesStep, type StepHandler, type StepRun } from '../step-handler';

/** Users reconnect to the original site (routes and VPN switched back) once the servers are back. */
@Injectable()
@HandlesStep('reconnect-users')
export class ReconnectUsersHandler implements StepHandler {
  constructor(private readonly cloud: CloudSteps) {}

  async run(run: StepRun): Promise<void> {
    await this.cloud.wait(
      await this.cloud.cloud.reconnectUsers(
        { tenantId: run.tenantId, activationId: run.activationId },
        { idempotencyKey: `${run.step.key}:reconnect` },
      ),
    );
    await run.record({ type: 'RecordUsersReconnected', data: { attempt: run.step.attempt, at: run.now() } });
  }
}
