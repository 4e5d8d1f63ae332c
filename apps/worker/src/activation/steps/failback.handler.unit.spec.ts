import {
  alice,
  always,
  authorised,
  awaitingDisaster,
  bob,
  bringUp,
  networkUp,
  restoreAll,
  server,
  t,
} from '@reprise/domain/activation/testing/fixtures';
import { play } from '@reprise/domain/activation/testing/given-when-then';
import { StepHarness } from '../testing/step-harness';
import { FailbackHandler } from './failback.handler';

const failingBack = () =>
  new StepHarness(
    play(awaitingDisaster({ estate: [server('dc')], window: always }), [
      {
        type: 'ConfirmActivation',
        data: { email: bob.email, codeValid: true, authorisedPersons: authorised, at: t(1) },
      },
      ...restoreAll('dc', t(1), t(5)),
      ...bringUp('dc', t(5), t(6), t(7)),
      ...networkUp(t(2)),
      { type: 'RequestFailback', data: { by: alice, at: t(50) } },
    ]),
    t(50),
  ).knowServers();

describe('failback step handler (in-memory recovery cloud)', () => {
  it('releases the recovery space and records the failback once nothing is listed', async () => {
    const h = failingBack();
    await h.placeVm('id-dc');
    await h.run(new FailbackHandler(h.steps), h.due('failback'));
    expect(h.cloud.listed(h.state.id)).toEqual([]);
    expect(h.state.status).toBe('failed-back');
  });

  it('anything still listed: no failback recorded, the step is retried', async () => {
    const h = failingBack();
    await h.placeVm('id-dc');
    h.cloud.teardownLeaves.add('server');
    await expect(h.run(new FailbackHandler(h.steps), h.due('failback'))).rejects.toThrow(/still listed/);
    expect(h.state.status).toBe('completed');
  });
});
