import { confirmationRefusal } from './activation.decider';
import type { ActivationEvent } from './activation.events';
import {
  CHAIN,
  chainBack,
  confirmBy,
  copied,
  cutOver,
  delta,
  disasterCompleted,
  failbackStepFailed,
  failingBack,
  finalDelta,
  reconnected,
  reconnectFailed,
  requestFailback,
  resumed,
  resumeFailed,
  startedAtOriginal,
  stopStarted,
  stoppedAtRecovery,
  chain,
} from './testing/failback-fixtures';
import {
  alice,
  always,
  awaitingDisaster,
  bob,
  bringUp,
  carol,
  id,
  networkUp,
  restoreAll,
  runningTest,
  server,
  stepFailed,
  t,
} from './testing/fixtures';
import { given, play, stateOf } from './testing/given-when-then';

const GIB = 2 ** 30;
const statusOf = (events: ActivationEvent[]) => stateOf(events).status;
const phases = (events: ActivationEvent[]) =>
  Object.fromEntries(stateOf(events).failback!.servers.map((x) => [x.hostname, x.phase]));

describe('failback decider: asked for, confirmed by four eyes', () => {
  it('a completed disaster: failback requested with a code to each other authorised person', () => {
    const events = given(disasterCompleted())
      .when(requestFailback(t(100)))
      .thenTypes('FailbackRequested', 'ConfirmationRequested');
    expect(events[0].data).toMatchObject({ attempt: 1, servers: CHAIN.map(id), excluded: [], by: alice });
    // Alice asked: she receives no code.
    expect(events[1].data).toMatchObject({ recipients: [bob.email, carol.email] });
    const state = stateOf([...disasterCompleted(), ...events]);
    expect(state.status).toBe('failback-awaiting-confirmation');
    // Asked again while it waits: nothing new.
    given([...disasterCompleted(), ...events])
      .when(requestFailback(t(101)))
      .thenNothing();
  });

  it('the original site not up: 409 saying "original site"', () => {
    for (const site of ['down', 'recovering'] as const) {
      const error = given(disasterCompleted())
        .when(requestFailback(t(100), { originalSite: site }))
        .thenThrows('conflict', 'original-site-not-up', { originalSite: site });
      expect(error.message).toContain('original site');
    }
  });

  it('refuses a test, a running disaster, and a failback only the requester could confirm', () => {
    given(runningTest())
      .when(requestFailback(t(1)))
      .thenThrows('rule', 'failback-is-for-disasters');
    const running = play(awaitingDisaster({ estate: chain, window: always }), [confirmBy(t(1))]);
    given(running)
      .when(requestFailback(t(2)))
      .thenThrows('conflict', 'wrong-status');
    given(disasterCompleted())
      .when(
        requestFailback(t(100), {
          confirmation: { codes: [{ email: alice.email, codeHash: 'x'.repeat(32) }], expiresAt: t(115) },
        }),
      )
      .thenThrows('rule', 'no-other-authorised-person');
  });

  it('every server must run at the recovery site or be left out explicitly', () => {
    const withFailure = play(awaitingDisaster({ estate: chain, window: always }), [
      confirmBy(t(1)),
      ...networkUp(t(2)),
      ...restoreAll('dc', t(2), t(10)),
      ...bringUp('dc', t(10), t(12), t(14)),
      ...restoreAll('lone', t(2), t(10)),
      ...bringUp('lone', t(10), t(12), t(14)),
      ...restoreAll('db', t(2), t(10)),
      stepFailed('db', 'boot', t(15)),
    ]);
    expect(statusOf(withFailure)).toBe('completed-with-failures');
    given(withFailure)
      .when(requestFailback(t(100)))
      .thenThrows('rule', 'servers-not-running', { servers: ['db', 'app'] });
    given(withFailure)
      .when(requestFailback(t(100), { exclude: ['db', 'app', 'lone'] }))
      .thenThrows('rule', 'cannot-exclude-running', { servers: ['lone'] });
    given(withFailure)
      .when(requestFailback(t(100), { exclude: ['db', 'nope'] }))
      .thenThrows('validation', 'unknown-server');
    const ok = given(withFailure)
      .when(requestFailback(t(100), { exclude: ['DB', 'app'] }))
      .thenTypes('FailbackRequested', 'ConfirmationRequested');
    expect(ok[0].data).toMatchObject({ servers: [id('dc'), id('lone')], excluded: [id('db'), id('app')] });
  });

  it('the requester cannot confirm; a wrong code counts; five wrong codes reject the failback, not the disaster', () => {
    const asked = play(disasterCompleted(), [requestFailback(t(100))]);
    given(asked)
      .when(confirmBy(t(101), alice.email))
      .thenThrows('forbidden', 'four-eyes');
    let events = asked;
    for (let i = 0; i < 4; i++) events = play(events, [confirmBy(t(101 + i), bob.email, false)]);
    expect(statusOf(events)).toBe('failback-awaiting-confirmation');
    const last = given(events)
      .when(confirmBy(t(106), bob.email, false))
      .thenTypes('ConfirmationAttemptFailed', 'FailbackRejected');
    const after = [...events, ...last];
    // The business stays at the recovery site: the disaster is as it was, a new failback may be asked.
    expect(stateOf(after)).toMatchObject({ status: 'completed', failback: { outcome: 'rejected' } });
    expect(confirmationRefusal(last, 'completed')).toMatchObject({
      code: 'wrong-code',
      message: 'wrong code: no attempt left, the failback is rejected',
      details: { attemptsLeft: 0, status: 'completed' },
    });
    given(after)
      .when(requestFailback(t(110)))
      .thenTypes('FailbackRequested', 'ConfirmationRequested');
  });

  it('a late confirmation or the timer rejects the failback (confirmation-expired)', () => {
    const asked = play(disasterCompleted(), [requestFailback(t(100))]);
    const late = given(asked)
      .when(confirmBy(t(116)))
      .thenTypes('FailbackRejected');
    expect(confirmationRefusal(late)).toMatchObject({ kind: 'conflict', code: 'confirmation-expired' });
    given(asked)
      .when({ type: 'ExpireConfirmation', data: { at: t(115) } })
      .then([{ type: 'FailbackRejected', data: { reason: 'confirmation-expired', at: t(115) } }]);
  });

  it('confirmed by another authorised person: failing-back', () => {
    const asked = play(disasterCompleted(), [requestFailback(t(100))]);
    const events = given(asked)
      .when(confirmBy(t(101), carol.email))
      .then([{ type: 'FailbackConfirmed', data: { by: carol, at: t(101) } }]);
    const state = stateOf([...asked, ...events]);
    expect(state.status).toBe('failing-back');
    // The disaster's own confirmer is kept.
    expect(state.confirmedBy?.email).toBe(bob.email);
  });
});

describe('failback decider: reverse sync and abort', () => {
  it('progress per server: the copy starts (syncing), then arrives, then deltas in order; duplicates ignored', () => {
    const start = {
      type: 'RecordReverseSyncStarted',
      data: { serverId: id('dc'), attempt: 1, copyBytes: 200 * GIB, at: t(105) },
    } as const;
    const started = play(failingBack(), [start]);
    expect(stateOf(started).failback!.servers[0]).toMatchObject({
      phase: 'syncing',
      copyBytes: 200 * GIB,
      copiedAt: null,
    });
    given(started).when(start).thenNothing();
    given(started)
      .when(delta('dc', 1, t(106)))
      .thenThrows('conflict', 'delta-out-of-order');
    const fb = started;
    const after = play(fb, [copied('dc', t(110), false), delta('dc', 1, t(111), false)]);
    expect(stateOf(after).failback!.servers[0]).toMatchObject({
      phase: 'syncing',
      initialCopyBytes: 200 * GIB,
      deltas: 1,
      deltaBytes: 2 * GIB,
      pendingBytes: GIB,
    });
    given(after)
      .when(delta('dc', 1, t(112)))
      .thenNothing();
    given(after)
      .when(copied('dc', t(112)))
      .thenNothing();
    given(after)
      .when(delta('dc', 3, t(112)))
      .thenThrows('conflict', 'delta-out-of-order');
    given(after)
      .when(delta('dc', 2, t(112)))
      .thenTypes('ReverseSyncProgressed', 'ServerReverseSynced');
  });

  it('abort during the reverse sync: the business stays at the recovery site', () => {
    const syncing = play(failingBack(), [copied('dc', t(110))]);
    const abort = { type: 'AbortActivation', data: { reason: 'storm', by: alice, at: t(111) } } as const;
    given(syncing).when(abort).thenTypes('FailbackAborted');
    const after = play(syncing, [abort]);
    expect(stateOf(after)).toMatchObject({ status: 'completed', failback: { outcome: 'aborted' } });
    // Late facts of the aborted failback are ignored.
    given(after)
      .when(copied('db', t(112)))
      .thenNothing();
  });

  it('abort once the cut-over began is refused: a server is stopped at the recovery site', () => {
    const cutting = play(failingBack(), [...CHAIN.map((h) => copied(h, t(110))), stopStarted('app', t(111))]);
    given(cutting)
      .when({ type: 'AbortActivation', data: { reason: 'storm', by: alice, at: t(112) } })
      .thenThrows('conflict', 'cut-over-in-progress', { servers: ['app'] });
  });
});

describe('failback decider: cut-over in reverse dependency order', () => {
  const synced = () =>
    play(
      failingBack(),
      CHAIN.map((h) => copied(h, t(110))),
    );

  it('no stop before every server is synced; downstream first', () => {
    const partly = play(failingBack(), [copied('app', t(110)), copied('db', t(110))]);
    given(partly)
      .when(stopStarted('app', t(111)))
      .thenThrows('conflict', 'cut-over-not-open');
    given(synced())
      .when(stopStarted('db', t(111)))
      .thenThrows('conflict', 'downstream-still-running');
    const appStopping = play(synced(), [stopStarted('app', t(111))]);
    given(appStopping)
      .when(stopStarted('db', t(111)))
      .thenThrows('conflict', 'downstream-still-running');
    given(play(appStopping, [stoppedAtRecovery('app', t(112))]))
      .when(stopStarted('db', t(113)))
      .thenTypes('ServerStopStarted');
  });

  it('the final delta follows the stop and leaves nothing to send', () => {
    const stopping = play(synced(), [stopStarted('app', t(111))]);
    given(stopping)
      .when(finalDelta('app', t(112)))
      .thenThrows('conflict', 'not-stopped');
    const stopped = play(stopping, [stoppedAtRecovery('app', t(112))]);
    given(stopped)
      .when(finalDelta('app', t(113), 1, 42))
      .thenThrows('conflict', 'bytes-left');
    given(stopped)
      .when(finalDelta('app', t(113)))
      .thenTypes('FinalDeltaSent');
    given(play(stopped, [finalDelta('app', t(113))]))
      .when(finalDelta('app', t(114)))
      .thenNothing();
  });

  it('a server starts at the original site after its final delta, once its upstream servers are back', () => {
    const cut = play(synced(), [
      ...cutOver('app', t(120)),
      ...cutOver('lone', t(120)),
      ...cutOver('db', t(121)),
      ...cutOver('dc', t(122)),
    ]);
    given(cut)
      .when(startedAtOriginal('db', t(123)))
      .thenThrows('conflict', 'upstream-not-back');
    const dcBack = play(cut, [startedAtOriginal('dc', t(123))]);
    given(dcBack)
      .when(startedAtOriginal('dc', t(124)))
      .thenNothing();
    given(dcBack)
      .when(startedAtOriginal('db', t(124)))
      .thenTypes('ServerStartedAtOriginal');
    given(synced())
      .when(startedAtOriginal('dc', t(111)))
      .thenThrows('conflict', 'not-final-synced');
  });

  it('the recovery site is released only once every server is back and users reconnected; protection resumes', () => {
    const almost = play(failingBack(), chainBack().slice(0, -2));
    given(almost)
      .when({ type: 'RecordFailback', data: { at: t(150) } })
      .thenThrows('conflict', 'failback-not-done');
    given(almost)
      .when(reconnected(t(141)))
      .thenThrows('conflict', 'servers-not-back');
    const back = play(failingBack(), chainBack());
    expect(statusOf(back)).toBe('failing-back');
    const done = given(back)
      .when({ type: 'RecordFailback', data: { at: t(150) } })
      .then([
        { type: 'ActivationFailedBack', data: { at: t(150) } },
        {
          type: 'ReprotectionDue',
          data: { servers: CHAIN.map((h) => ({ serverId: id(h), hostname: h })), at: t(150) },
        },
      ]);
    const state = stateOf([...back, ...done]);
    expect(state).toMatchObject({ status: 'failed-back', reprotection: { dueSince: t(150) } });
    given([...back, ...done])
      .when({ type: 'RecordFailback', data: { at: t(151) } })
      .thenNothing();
  });
});

describe('failback decider: a failure leaves the server and its dependents at the recovery site', () => {
  const cut = () =>
    play(failingBack(), [
      ...CHAIN.map((h) => copied(h, t(110))),
      ...cutOver('app', t(120)),
      ...cutOver('lone', t(120)),
      ...cutOver('db', t(121)),
      ...cutOver('dc', t(122)),
      startedAtOriginal('dc', t(130)),
      startedAtOriginal('lone', t(130)),
    ]);

  it('db fails to start at the original site: app is held; both run again at the recovery site; the failback says what is left', () => {
    const failed = given(cut())
      .when(failbackStepFailed('db', 'start-at-original', t(131)))
      .thenTypes('FailbackStepFailed', 'ServerHeldAtRecovery');
    expect(failed[1].data).toMatchObject({ serverId: id('app'), heldBy: 'db' });
    let events = [...cut(), ...failed];
    expect(phases(events)).toMatchObject({ dc: 'back', lone: 'back', db: 'failed', app: 'held' });
    events = play(events, [resumed('db', t(132)), resumed('app', t(133))]);
    expect(phases(events)).toMatchObject({ db: 'at-recovery', app: 'at-recovery' });
    const end = given(events)
      .when(reconnected(t(134)))
      .thenTypes('UsersReconnectedToOriginal', 'FailbackIncomplete');
    expect(end[1].data).toMatchObject({
      left: [
        { hostname: 'db', reason: 'start-at-original: storage path down' },
        { hostname: 'app', reason: 'upstream db did not go back' },
      ],
    });
    events = [...events, ...end];
    expect(stateOf(events)).toMatchObject({ status: 'completed', failback: { outcome: 'incomplete' } });

    // Asked again: only what is left goes back, under a new attempt; facts of the first are ignored.
    const again = given(events)
      .when(requestFailback(t(200)))
      .thenTypes('FailbackRequested', 'ConfirmationRequested');
    expect(again[0].data).toMatchObject({ attempt: 2, servers: [id('db'), id('app')] });
    const second = play([...events, ...again], [confirmBy(t(201))]);
    given(second)
      .when(copied('db', t(202), true, 1))
      .thenNothing();
    given(second)
      .when(copied('db', t(202), true, 2))
      .thenTypes('ReverseSyncProgressed', 'ServerReverseSynced');
  });

  it('a server that cannot run again at the recovery site for good is an event; the failback says it runs nowhere', () => {
    let events = play(cut(), [failbackStepFailed('db', 'start-at-original', t(131)), resumed('app', t(132))]);
    const failed = given(events)
      .when(resumeFailed('db', t(133)))
      .thenTypes('ServerResumeFailed');
    expect(failed[0].data).toMatchObject({
      serverId: id('db'),
      reason: expect.stringContaining('no host has room'),
    });
    events = [...events, ...failed];
    expect(stateOf(events).failback!.servers.find((x) => x.hostname === 'db')).toMatchObject({
      phase: 'failed',
      resumeFailure: { reason: 'gave up after 10 attempts: no host has room', at: t(133) },
    });
    // Recorded once; a server that needs no resume has nothing to fail.
    given(events)
      .when(resumeFailed('db', t(134)))
      .thenNothing();
    given(events)
      .when(resumeFailed('dc', t(134)))
      .thenNothing();
    const end = given(events)
      .when(reconnected(t(134)))
      .thenTypes('UsersReconnectedToOriginal', 'FailbackIncomplete');
    expect(end[1].data).toMatchObject({
      left: [
        {
          hostname: 'db',
          reason:
            'start-at-original: storage path down; it could not run again at the recovery site (gave up after 10 attempts: no host has room): it runs nowhere',
        },
        { hostname: 'app', reason: 'upstream db did not go back' },
      ],
    });
  });

  it('users that cannot be reconnected for good: an event with the reason; the recovery site is kept', () => {
    const back = play(failingBack(), chainBack().slice(0, -1));
    const failed = given(back)
      .when(reconnectFailed(t(146)))
      .thenTypes('UsersReconnectFailed');
    expect(failed[0].data).toMatchObject({ reason: 'gave up after 10 attempts: VPN gateway unreachable' });
    const events = [...back, ...failed];
    expect(stateOf(events)).toMatchObject({
      status: 'failing-back',
      failback: {
        reconnectFailure: { reason: 'gave up after 10 attempts: VPN gateway unreachable', at: t(146) },
      },
    });
    given(events)
      .when(reconnectFailed(t(147)))
      .thenNothing();
    given(events)
      .when({ type: 'RecordFailback', data: { at: t(150) } })
      .thenThrows('conflict', 'failback-not-done');
  });

  it('a reverse-sync failure holds the downstream servers, never stopped: they keep running at the recovery site', () => {
    const events = play(failingBack(), [
      copied('dc', t(110)),
      failbackStepFailed('db', 'reverse-sync', t(111)),
    ]);
    expect(phases(events)).toMatchObject({ dc: 'synced', db: 'failed', app: 'held', lone: 'pending' });
    // Neither needs to run again: they never stopped.
    given(events)
      .when(resumed('db', t(112)))
      .thenNothing();
  });

  it('every server failed: the failback is incomplete at once, no reconnection', () => {
    const single = disasterCompleted([server('dc')]);
    const events = given(failingBack(single))
      .when(failbackStepFailed('dc', 'reverse-sync', t(110)))
      .thenTypes('FailbackStepFailed', 'FailbackIncomplete');
    expect(events[1].data).toMatchObject({ left: [{ hostname: 'dc' }] });
  });

  it('facts out of range are refused by name', () => {
    given(failingBack())
      .when(copied('dc', t(110), true, 2))
      .thenThrows('conflict', 'unknown-attempt');
    given(failingBack())
      .when(copied('nope', t(110)))
      .thenThrows('not-found', 'server-not-found');
    given(failingBack())
      .when({
        ...copied('dc', t(110)),
        data: { ...(copied('dc', t(110)).data as object), sentBytes: -1 },
      } as never)
      .thenThrows('validation', 'invalid-bytes');
    given(disasterCompleted())
      .when(copied('dc', t(110)))
      .thenThrows('conflict', 'failback-not-running');
  });
});

describe('failback recorded before failback was a process (legacy events)', () => {
  it('a FailbackRequested without servers is a teardown of the recovery space, as it was', () => {
    const legacy = [
      ...disasterCompleted(),
      { type: 'FailbackRequested', data: { by: alice, at: t(100) } } as ActivationEvent,
    ];
    expect(statusOf(legacy)).toBe('completed');
    given(legacy)
      .when({ type: 'RecordFailback', data: { at: t(120) } })
      .then([{ type: 'ActivationFailedBack', data: { at: t(120) } }]);
    given(legacy)
      .when(requestFailback(t(121)))
      .thenNothing();
  });
});
