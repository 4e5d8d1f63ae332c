import fc from 'fast-check';
import { alertRaised, id, requestCommand, runningTest, t, alice } from './testing/fixtures';
import { given, play, stateOf } from './testing/given-when-then';

/** Issue 9: what the decider answers to requests a client got wrong. */
describe('activation decider: bad input', () => {
  it('judges the scope: an unknown server is named (422)', () => {
    given()
      .when(requestCommand({ scope: { servers: ['dc', 'ghost-9'] } }))
      .thenThrows('rule', 'scope-refused', { unknown: ['ghost-9'] });
  });

  it('a server id named after Object.prototype finds no server', () => {
    const names = [...Object.getOwnPropertyNames(Object.prototype), 'prototype'];
    const state = stateOf(alertRaised());
    for (const name of names) expect(state.index[name]).toBeUndefined();
    fc.assert(
      fc.property(
        fc.oneof(
          fc.constantFrom(...names),
          fc.string().filter((s) => !s.startsWith('id-')),
        ),
        (serverId) => {
          given(alertRaised())
            .when({ type: 'RetryServer', data: { serverId, by: alice, at: t(1) } })
            .thenThrows('not-found', 'server-not-found');
        },
      ),
      { numRuns: 200 },
    );
    expect(state.index[id('dc')]).toBe(0);
  });

  it('still finds every real server by its id', () => {
    const state = stateOf(play(runningTest(), []));
    for (const [i, s] of state.servers.entries()) expect(state.index[s.snapshot.serverId]).toBe(i);
  });
});
