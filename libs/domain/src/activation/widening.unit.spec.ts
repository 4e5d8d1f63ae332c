import type { ActivationCommand } from './activation.commands';
import type { ActivationEvent } from './activation.events';
import { buildReport } from '../report/build-report';
import type { ReportTenant } from '../report/report.types';
import { whatIsDue, awaitsPerson } from './activation.workflow';
import { toActivationView } from './view';
import { claimedServersOf, scopeClaimsCompleter } from './scope-claims';
import {
  alertRaised,
  alice,
  authorised,
  awaitingDisaster,
  bob,
  bringUp,
  carol,
  confirmationAt,
  diamond,
  id,
  mallory,
  networkUp,
  restoreAll,
  runningTest,
  t,
} from './testing/fixtures';
import { given, play, stateOf } from './testing/given-when-then';

/** Widening a live failover (issue 12 item 4): new servers under a new four-eyes confirmation. */
const confirm = (email: string, codeValid: boolean, at = t(5)): ActivationCommand => ({
  type: 'ConfirmActivation',
  data: { email, codeValid, authorisedPersons: authorised, at },
});
const widen = (scope: 'full' | { servers: string[] }, at = t(60), by = alice): ActivationCommand => ({
  type: 'WidenScope',
  data: { scope, estate: diamond, confirmation: confirmationAt(at), by, reason: 'the app is needed too', at },
});
/** A partial disaster of `dc` (alone), confirmed by Bob and running, its network up. */
const runningDc = (): ActivationEvent[] =>
  play(awaitingDisaster({ scope: { servers: ['dc'] } }), [
    confirm(bob.email, true, t(1)),
    ...networkUp(t(2)),
  ]);
/** The same, with dc restored and up: completed. */
const completedDc = () =>
  play(runningDc(), [...restoreAll('dc', t(3), t(10)), ...bringUp('dc', t(11), t(12), t(13))]);

describe('widening a live failover', () => {
  it('adds the named servers with their upstream dependencies not yet in it, awaiting a new confirmation', () => {
    const [event] = given(runningDc())
      .when(widen({ servers: ['app'] }))
      .thenTypes('ScopeWideningRequested');
    expect(event.type === 'ScopeWideningRequested' && event.data).toMatchObject({
      widening: 1,
      mode: 'partial',
      requested: ['app'],
      added: [
        { hostname: 'db1', requiredBy: ['app'] },
        { hostname: 'db2', requiredBy: ['app'] },
      ],
      by: alice,
      confirmation: { recipients: [bob.email, carol.email], requestedBy: alice },
    });
    // dc is already there: not added again, but still a dependency of db1 and db2
    const servers = (event.type === 'ScopeWideningRequested' && event.data.servers) || [];
    expect(servers.map((s) => [s.hostname, s.dependsOn])).toEqual([
      ['db1', ['dc']],
      ['db2', ['dc']],
      ['app', ['db1', 'db2']],
    ]);
    const state = stateOf([...runningDc(), event]);
    // the failover keeps running meanwhile; the claim covers the servers awaiting confirmation
    expect(state.status).toBe('running');
    expect(state.servers.map((s) => s.snapshot.hostname)).toEqual(['dc']);
    expect(claimedServersOf(state).map((s) => s.hostname)).toEqual(['dc', 'db1', 'db2', 'app']);
    expect(awaitsPerson(state)).toBe(true);
  });

  it('widens to full: every drp server not yet in it', () => {
    const [event] = given(completedDc()).when(widen('full')).thenTypes('ScopeWideningRequested');
    expect(event.type === 'ScopeWideningRequested' && event.data).toMatchObject({
      mode: 'full',
      requested: ['db1', 'db2', 'app', 'lone'],
    });
  });

  it('once confirmed by another authorised person, the new servers join and run with the same workflow (a completed failover runs again)', () => {
    const asked = play(completedDc(), [widen({ servers: ['app'] })]);
    expect(stateOf(asked).status).toBe('completed');
    given(asked)
      .when(confirm(alice.email, true, t(62)))
      .thenThrows('forbidden', 'four-eyes');
    given(asked)
      .when(confirm(mallory.email, true, t(62)))
      .thenThrows('forbidden', 'not-authorised-person');
    const events = given(asked)
      .when(confirm(carol.email, true, t(62)))
      .then([{ type: 'ScopeWideningConfirmed', data: { widening: 1, by: carol, at: t(62) } }]);
    const state = stateOf([...asked, ...events]);
    expect(state).toMatchObject({ status: 'running', completedAt: null });
    expect(state.servers.map((s) => [s.snapshot.hostname, s.phase])).toEqual([
      ['dc', 'ok'],
      ['db1', 'pending'],
      ['db2', 'pending'],
      ['app', 'pending'],
    ]);
    expect(state.scope.requested).toEqual(['dc', 'app']);
    expect(state.scope.added.map((a) => a.hostname)).toEqual(['db1', 'db2']);
    const due = whatIsDue(state, t(62));
    expect(due.steps.map((s) => `${s.kind}:${s.serverId}`).sort()).toEqual(
      [`restore:${id('app')}`, `restore:${id('db1')}`, `restore:${id('db2')}`].sort(),
    );
    // and it completes again once they are up
    const done = play(
      [...asked, ...events],
      [
        ...restoreAll('db1', t(63), t(70)),
        ...restoreAll('db2', t(63), t(70)),
        ...restoreAll('app', t(63), t(70)),
        ...bringUp('db1', t(71), t(72), t(73)),
        ...bringUp('db2', t(71), t(72), t(73)),
        ...bringUp('app', t(74), t(75), t(76)),
      ],
    );
    expect(stateOf(done).status).toBe('completed');
  });

  it('a server a widening brought in is held to its RTO from then: not a breach for having been added late', () => {
    // widened five hours after the launch (the targets are 240 minutes)
    const asked = play(completedDc(), [widen({ servers: ['lone'] }, t(300))]);
    const joined = play(asked, [confirm(bob.email, true, t(301))]);
    const state = stateOf(joined);
    expect(state.servers[1]).toMatchObject({ joinedAt: t(301), phase: 'pending' });
    // no RTO breach due for it at once; its timer is armed from when it joined
    const due = whatIsDue(state, t(302));
    expect(due.timers.filter((x) => x.kind === 'rto-breach')).toEqual([]);
    expect(Date.parse(due.nextTimerAt!)).toBeGreaterThan(Date.parse(t(301)));
    const done = stateOf(
      play(joined, [...restoreAll('lone', t(302), t(310)), ...bringUp('lone', t(311), t(312), t(315))]),
    );
    const view = toActivationView(done)!;
    expect(view.servers[1]).toMatchObject({
      hostname: 'lone',
      availableAfterMinutes: 314,
      rtoMet: true,
      joinedAt: t(301),
    });
    expect(view.servers[0]).toMatchObject({ hostname: 'dc', rtoMet: true });
    const tenant: ReportTenant = { customerNumber: 'C-1', domain: 'acme.test' };
    const report = buildReport(done, tenant);
    expect(report.servers[1]).toMatchObject({ rtoMeasuredMinutes: 14, rtoMet: true });
    expect(report.correctiveActions.filter((a) => a.code === 'rto-breach')).toEqual([]);
  });

  it('a wrong code counts; the fifth rejects the widening only (the failover goes on) and releases its servers', () => {
    let events = play(runningDc(), [widen({ servers: ['lone'] })]);
    for (let i = 0; i < 4; i++) events = play(events, [confirm(bob.email, false, t(61 + i))]);
    const last = given(events)
      .when(confirm(bob.email, false, t(66)))
      .thenTypes('ConfirmationAttemptFailed', 'ScopeWideningRejected');
    const state = stateOf([...events, ...last]);
    expect(state.status).toBe('running');
    expect(state.widenings[0]).toMatchObject({
      status: 'rejected',
      rejected: { reason: 'too-many-wrong-codes' },
    });
    expect(state.servers.map((s) => s.snapshot.hostname)).toEqual(['dc']);
    expect(awaitsPerson(state)).toBe(false);
    expect(scopeClaimsCompleter({ ...last[1], stream: 'tenant/tenant-1/activation/act-1' })).toEqual([
      {
        stream: 'tenant/tenant-1/activation-claims',
        events: [
          {
            type: 'ScopeClaimsReleased',
            data: {
              activationId: 'act-1',
              serverIds: [id('lone')],
              reason: 'ScopeWideningRejected',
              at: t(66),
            },
          },
        ],
        ifStreamExists: true,
      },
    ]);
    // a new widening may then be asked
    given([...events, ...last])
      .when(widen({ servers: ['lone'] }, t(70)))
      .thenTypes('ScopeWideningRequested');
  });

  it('expires on its own timer (15 wall minutes), rejecting the widening only', () => {
    const asked = play(runningDc(), [widen({ servers: ['lone'] })]);
    const state = stateOf(asked);
    const expiresAt = state.confirmation!.expiresAt;
    const due = whatIsDue(state, expiresAt);
    expect(due.timers).toEqual([
      { kind: 'expire-confirmation', key: 'act-1.widening-1.expire-confirmation', at: expiresAt },
    ]);
    expect(whatIsDue(state, t(61)).nextTimerAt).toBe(expiresAt);
    given(asked)
      .when({ type: 'ExpireConfirmation', data: { at: t(61) } })
      .thenThrows('conflict', 'not-yet-due');
    given(asked)
      .when({ type: 'ExpireConfirmation', data: { at: expiresAt } })
      .then([
        {
          type: 'ScopeWideningRejected',
          data: { widening: 1, reason: 'confirmation-expired', serverIds: [id('lone')], at: expiresAt },
        },
      ]);
    given(asked)
      .when(confirm(bob.email, true, expiresAt))
      .thenTypes('ScopeWideningRejected');
  });

  it('refuses what cannot be widened', () => {
    given(runningTest())
      .when(widen({ servers: ['app'] }))
      .thenThrows('rule', 'widening-is-for-disasters');
    given(alertRaised())
      .when(widen({ servers: ['app'] }))
      .thenThrows('rule', 'widening-is-for-disasters');
    given(awaitingDisaster({ scope: { servers: ['dc'] } }))
      .when(widen({ servers: ['app'] }))
      .thenThrows('conflict', 'wrong-status');
    given(runningDc())
      .when(widen({ servers: ['dc'] }))
      .thenThrows('rule', 'nothing-to-add');
    given(runningDc())
      .when(widen({ servers: ['ghost'] }))
      .thenThrows('rule', 'scope-refused', { unknown: ['ghost'] });
    given(runningDc())
      .when(widen({ servers: ['bk'] }))
      .thenThrows('rule', 'scope-refused', { notEligible: ['bk'] });
    const asked = play(runningDc(), [widen({ servers: ['lone'] })]);
    given(asked)
      .when(widen({ servers: ['app'] }, t(61)))
      .thenThrows('conflict', 'widening-pending');
    const aborted = play(asked, [
      { type: 'AbortActivation', data: { reason: 'stop', by: alice, at: t(61) } },
    ]);
    given(aborted)
      .when(confirm(bob.email, true, t(62)))
      .thenThrows('conflict', 'wrong-status');
    given(aborted)
      .when(widen({ servers: ['app'] }, t(62)))
      .thenThrows('conflict', 'wrong-status');
  });

  it('a widening recorded after the failover ended (claimed on a stale state) changes nothing', () => {
    const widening = given(runningDc())
      .when(widen({ servers: ['lone'] }))
      .thenTypes('ScopeWideningRequested');
    const aborted = play(runningDc(), [
      { type: 'AbortActivation', data: { reason: 'stop', by: alice, at: t(61) } },
    ]);
    const state = stateOf([...aborted, ...widening]);
    expect(state.widenings).toEqual([]);
    expect(awaitsPerson(state)).toBe(false);
  });
});
