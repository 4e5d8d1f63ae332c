import { runningTest, server } from '@reprise/domain/activation/testing/fixtures';
import { StepHarness } from '../testing/step-harness';
import { NetworkHandler } from './network.handler';

describe('network step handler (in-memory recovery cloud)', () => {
  it('sets up the recovery network, its NCA and the VPN to the main site', async () => {
    const h = new StepHarness(runningTest({ estate: [server('dc')] }));
    const step = h.due('network');
    await h.run(new NetworkHandler(h.steps), step);
    expect(h.facts()).toEqual(['RecordNetworkSetupStarted', 'RecordNetworkReady']);
    expect(h.state.network.phase).toBe('ready');
    expect(h.cloud.listed(h.state.id).map((r) => r.kind)).toEqual(['network', 'nca', 'vpn']);
  });

  it('run again under the same keys: the same resources and the same refusal, nothing created twice', async () => {
    const h = new StepHarness(runningTest({ estate: [server('dc')] }));
    const step = h.due('network');
    h.cloud.failNext('create-vpn', { code: 'vpn-refused', message: 'peer unreachable' });
    await expect(h.run(new NetworkHandler(h.steps), step)).rejects.toMatchObject({ code: 'vpn-refused' });
    expect(h.state.network.phase).toBe('setting-up');
    await expect(h.run(new NetworkHandler(h.steps), h.due('network'))).rejects.toMatchObject({
      code: 'vpn-refused',
    });
    expect(h.cloud.listed(h.state.id).map((r) => r.kind)).toEqual(['network', 'nca']);
    expect(h.facts()).toEqual(['RecordNetworkSetupStarted']);
  });
});
