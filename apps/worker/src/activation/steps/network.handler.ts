import { Injectable } from '@nestjs/common';
import { CloudSteps } from './cloud-steps.service';
import { HandlesStep, type StepHandler, type StepRun } from './step-handler';

/** Network and user reconnection: the recovery network, its NCA, and the VPN to the customer's main site. */
@Injectable()
@HandlesStep('network')
export class NetworkHandler implements StepHandler {
  constructor(private readonly cloud: CloudSteps) {}

  async run(run: StepRun): Promise<void> {
    if (run.state.network.phase === 'pending')
      await run.record({ type: 'RecordNetworkSetupStarted', data: { at: run.now() } });
    const base = { tenantId: run.tenantId, activationId: run.activationId };
    const key = (part: string) => ({ idempotencyKey: `${run.step.key}:${part}` });
    const net = await this.cloud.wait(
      await this.cloud.cloud.createNetwork({ ...base, name: 'recovery' }, key('network')),
    );
    const networkId = (net.result as { networkId: string }).networkId;
    await this.cloud.wait(await this.cloud.cloud.createNca({ ...base, networkId }, key('nca')));
    const vpn = await this.cloud.wait(
      await this.cloud.cloud.createVpn({ ...base, networkId, site: 'main-site' }, key('vpn')),
    );
    await run.record({ type: 'RecordNetworkReady', data: { at: vpn.completedAt ?? run.now() } });
  }
}
