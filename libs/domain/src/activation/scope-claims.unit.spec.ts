import fc from 'fast-check';
import { fold } from '../shared/decider';
import { completerSpecification, deciderSpecification } from '../shared/testing/specification';
import type { ActivationEvent } from './activation.events';
import {
  scopeClaimsCompleter,
  scopeClaimsDecider,
  type ClaimedServer,
  type ScopeClaimsCommand,
  type ScopeClaimsEvent,
} from './scope-claims';
import { requested, t, TENANT_ID } from './testing/fixtures';

const { given } = deciderSpecification(scopeClaimsDecider);
const completer = completerSpecification(scopeClaimsCompleter);
const CLAIMS = `tenant/${TENANT_ID}/activation-claims`;
const srv = (hostname: string): ClaimedServer => ({ serverId: `id-${hostname}`, hostname });
const events: ActivationEvent[] = requested();

const claim = (
  activationId: string,
  hostnames: string[],
  basedOnRevision: number | null = null,
  live?: ScopeClaimsCommand['live'],
): ScopeClaimsCommand => ({
  type: 'ClaimScope',
  activationId,
  servers: hostnames.map(srv),
  events,
  basedOnRevision,
  live,
});
const claimed = (activationId: string, hostnames: string[], basedOnRevision: number | null = null) =>
  scopeClaimsDecider.decide(
    claim(activationId, hostnames, basedOnRevision),
    scopeClaimsDecider.initialState(),
  )[0];
const released = (activationId: string, serverIds: string[] | null = null): ScopeClaimsEvent => ({
  type: 'ScopeClaimsReleased',
  data: { activationId, serverIds, reason: 'ActivationClosed', at: t(10) },
});

describe('activation scope claims (the overlap rule, decided in the store)', () => {
  it('claims the servers of a new activation, with the events its stream will record', () => {
    given()
      .when(claim('a1', ['dc', 'db1']))
      .then([
        {
          type: 'ScopeClaimed',
          data: { activationId: 'a1', servers: [srv('dc'), srv('db1')], events, basedOnRevision: null },
        },
      ]);
  });

  it('lets activations with disjoint scopes live at once', () => {
    given([claimed('a1', ['dc', 'db1'])])
      .when(claim('a2', ['bk', 'lone']))
      .thenTypes('ScopeClaimed');
  });

  it('refuses an overlap with 409 naming the servers in conflict and the activation holding them', () => {
    given([claimed('a1', ['dc', 'db1']), claimed('a2', ['lone'])])
      .when(claim('a3', ['app', 'db1', 'dc', 'lone']))
      .thenThrows('conflict', 'activation-overlap', {
        servers: ['db1', 'dc', 'lone'],
        activations: [
          { activationId: 'a1', servers: ['db1', 'dc'] },
          { activationId: 'a2', servers: ['lone'] },
        ],
        activationId: 'a1',
      });
  });

  it('frees the servers of an activation that ended, not before', () => {
    given([claimed('a1', ['dc']), released('a1')])
      .when(claim('a2', ['dc']))
      .thenTypes('ScopeClaimed');
    given([claimed('a1', ['dc', 'db1']), released('a1', ['id-db1'])])
      .when(claim('a2', ['db1']))
      .thenTypes('ScopeClaimed');
    given([claimed('a1', ['dc', 'db1']), released('a1', ['id-db1'])])
      .when(claim('a2', ['dc']))
      .thenThrows('conflict', 'activation-overlap', { servers: ['dc'] });
  });

  it('one activation per id: a second claim for it (live or ended) is refused', () => {
    given([claimed('a1', ['dc'])])
      .when(claim('a1', ['lone']))
      .thenThrows('conflict', 'activation-exists');
    given([claimed('a1', ['dc']), released('a1')])
      .when(claim('a1', ['dc']))
      .thenThrows('conflict', 'activation-exists');
  });

  it('extends a live activation over its own servers and free ones, never over another one', () => {
    // a1's first claim recorded two events: its stream is at revision 1
    given([claimed('a1', ['dc'])])
      .when(claim('a1', ['dc', 'app'], 1))
      .thenTypes('ScopeClaimed');
    given([claimed('a1', ['dc']), claimed('a2', ['app'])])
      .when(claim('a1', ['dc', 'app'], 1))
      .thenThrows('conflict', 'activation-overlap', { servers: ['app'], activationId: 'a2' });
  });

  it('refuses to extend an activation that ended or is unknown', () => {
    given([claimed('a1', ['dc']), released('a1')])
      .when(claim('a1', ['dc', 'app'], 5))
      .thenThrows('conflict', 'activation-ended');
    given()
      .when(claim('ghost', ['dc'], 0))
      .thenThrows('conflict', 'activation-ended');
  });

  it('refuses an extension decided on a state that misses the previous extension (two at once)', () => {
    const first = scopeClaimsDecider.decide(
      claim('a1', ['dc', 'app'], 1),
      fold(scopeClaimsDecider, [claimed('a1', ['dc'])]),
    );
    given([claimed('a1', ['dc']), ...first])
      .when(claim('a1', ['dc', 'lone'], 1))
      .thenThrows('conflict', 'activation-changed');
    given([claimed('a1', ['dc']), ...first])
      .when(claim('a1', ['dc', 'app', 'lone'], 3))
      .thenTypes('ScopeClaimed');
  });

  it('a claim carries at least one activation event', () => {
    given()
      .when({ ...claim('a1', ['dc']), events: [] })
      .thenThrows('validation', 'invalid-claim');
  });

  it('opens the registry of a tenant whose live activations predate it, once', () => {
    const live = [{ activationId: 'old', servers: [srv('dc')] }];
    given()
      .when(claim('a1', ['dc'], null, live))
      .thenThrows('conflict', 'activation-overlap', { activationId: 'old', servers: ['dc'] });
    const out = given()
      .when(claim('a1', ['lone'], null, live))
      .thenTypes('ScopeClaimsOpened', 'ScopeClaimed');
    // once opened, the read model's list is not taken again
    given(out)
      .when(claim('a2', ['bk'], null, [{ activationId: 'other', servers: [srv('bk')] }]))
      .thenTypes('ScopeClaimed');
    given(out)
      .when(claim('a2', ['dc']))
      .thenThrows('conflict', 'activation-overlap');
  });

  it('never lets two live activations hold one server, whatever the order of claims and releases', () => {
    const hostnames = ['a', 'b', 'c', 'd', 'e'];
    const step = fc.oneof(
      fc.record({
        kind: fc.constant('claim' as const),
        id: fc.integer({ min: 1, max: 6 }),
        servers: fc.subarray(hostnames, { minLength: 1 }),
      }),
      fc.record({ kind: fc.constant('release' as const), id: fc.integer({ min: 1, max: 6 }) }),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 30 }), (steps) => {
        let state = scopeClaimsDecider.initialState();
        const live = new Map<string, string[]>();
        for (const [i, s] of steps.entries()) {
          const id = `a${s.id}`;
          if (s.kind === 'release') {
            state = scopeClaimsDecider.evolve(state, released(id));
            live.delete(id);
            continue;
          }
          const free = [...live].every(
            ([other, held]) => other === id || !held.some((h) => s.servers.includes(h)),
          );
          try {
            const out = scopeClaimsDecider.decide(
              claim(id, s.servers, live.has(id) ? 1000 + i * 10 : null),
              state,
            );
            for (const e of out) state = scopeClaimsDecider.evolve(state, e);
            expect(free).toBe(true);
            live.set(id, s.servers);
          } catch (error) {
            expect((error as { code: string }).code).toMatch(/activation-(overlap|exists)/);
            if ((error as { code: string }).code === 'activation-overlap') expect(free).toBe(false);
          }
          const holders = new Map<string, string>();
          for (const [a, held] of live)
            for (const h of held) {
              expect(holders.get(h)).toBeUndefined();
              holders.set(h, a);
            }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('activation scope claims completer (rolls a claim forward, releases what ended)', () => {
  it('records the claimed events on the activation stream', () => {
    const decision = claimed('a1', ['dc']);
    completer
      .when({ ...decision, stream: CLAIMS })
      .then([{ stream: `tenant/${TENANT_ID}/activation/a1`, events }]);
  });

  it.each([
    'ActivationAborted',
    'ActivationRejected',
    'AlertStoodDown',
    'ActivationClosed',
    'ActivationFailedBack',
  ])('%s releases every server of the activation', (type) => {
    completer.when({ type, data: { at: t(10) }, stream: `tenant/${TENANT_ID}/activation/a1` }).then([
      {
        stream: CLAIMS,
        events: [
          {
            type: 'ScopeClaimsReleased',
            data: { activationId: 'a1', serverIds: null, reason: type, at: t(10) },
          },
        ],
        // a tenant whose activations predate the claims has nothing to release (no write)
        ifStreamExists: true,
      },
    ]);
  });

  it('ignores everything else', () => {
    completer
      .when({ type: 'ActivationStarted', data: { at: t(1) }, stream: `tenant/${TENANT_ID}/activation/a1` })
      .then([]);
    completer
      .when({ type: 'ActivationClosed', data: { at: t(1) }, stream: `tenant/${TENANT_ID}/estate` })
      .then([]);
    completer.when({ ...released('a1'), stream: CLAIMS }).then([]);
  });
});
