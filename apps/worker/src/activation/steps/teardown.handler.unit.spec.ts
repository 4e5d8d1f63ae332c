import { alice, restoreStarted, runningTest, server, t } from '@reprise/domain/activation/testing/fixtures';
import { play } from '@reprise/domain/activation/testing/given-when-then';
import { StepHarness } from '../testing/step-harness';
import { TeardownHandler } from './teardown.handler';

const closing = () =>
  new StepHarness(
    play(runningTest({ estate: [server('dc')] }), [
      restoreStarted('dc', t(0)),
      { type: 'AbortActivation', data: { reason: 'drill over', by: alice, at: t(1) } },
      { type: 'RequestClose', data: { by: alice, at: t(2) } },
    ]),
    t(2),
  ).knowServers();

async function restoreSomething(h: StepHarness) {
  await h.cloud.restoreDisk(
    { tenantId: h.state.tenantId, activationId: h.state.id, serverId: 'id-dc', diskName: 'c' },
    { idempotencyKey: 'r' },
  );
  await h.placeVm('id-dc');
}

describe('teardown step handler (in-memory recovery cloud)', () => {
  it('removes what the activation holds and closes it once the cloud lists nothing', async () => {
    const h = closing();
    await restoreSomething(h);
    await h.run(new TeardownHandler(h.steps), h.due('teardown'));
    expect(h.cloud.listed(h.state.id)).toEqual([]);
    expect(h.state).toMatchObject({ status: 'closed', teardown: { remaining: [] } });
  });

  it('records what the cloud still lists; the next attempt (new key) finishes it', async () => {
    const h = closing();
    await restoreSomething(h);
    h.cloud.teardownLeaves.add('server');
    const first = h.due('teardown');
    await h.run(new TeardownHandler(h.steps), first);
    expect(h.state.status).toBe('aborted');
    expect(h.state.teardown.remaining).toEqual([expect.stringMatching(/^server:/)]);
    h.cloud.teardownLeaves.clear();
    const second = h.due('teardown');
    expect(second.key).not.toBe(first.key);
    await h.run(new TeardownHandler(h.steps), second);
    expect(h.state.status).toBe('closed');
  });
});
