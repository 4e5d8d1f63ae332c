import { toActivationView } from './view';
import { isStillDue, timerCommand, whatIsDue } from './activation.workflow';
import {
  CHAIN,
  chainBack,
  copied,
  cutOver,
  disasterCompleted,
  failbackStepFailed,
  failingBack,
  reconnected,
  reconnectFailed,
  requestFailback,
  resumed,
  resumeFailed,
  startedAtOriginal,
  stopStarted,
  stoppedAtRecovery,
} from './testing/failback-fixtures';
import { ACTIVATION_ID, id, t } from './testing/fixtures';
import { play, stateOf } from './testing/given-when-then';
import { workflowSpecification } from './testing/workflow-specification';

const workflow = workflowSpecification();

describe('activation workflow: failback', () => {
  it('awaiting its four eyes: nothing runs, the confirmation expires (timer), a person is awaited', () => {
    const asked = play(disasterCompleted(), [requestFailback(t(100))]);
    workflow
      .given(asked)
      .when(t(101))
      .then({ steps: [], timers: [], nextTimerAt: t(115) });
    const due = workflow
      .given(asked)
      .when(t(115))
      .then({ steps: [], timers: [`expire-confirmation@${t(115)}`] });
    const expired = play(asked, [timerCommand(due.timers[0], t(115))]);
    expect(stateOf(expired).status).toBe('completed');
    workflow.given(expired).when(t(116)).thenNothingDue();
  });

  it('confirmed: every server synchronises back while the business runs at the recovery site', () => {
    const due = workflow
      .given(failingBack())
      .when(t(102))
      .then({ steps: CHAIN.map((h) => `reverse-sync:${h}`), timers: [] });
    expect(due.steps[0]).toMatchObject({ key: `${ACTIVATION_ID}.${id('dc')}.reverse-sync.1`, attempt: 1 });
    // A synced server waits for the others before any stop.
    workflow
      .given(play(failingBack(), [copied('app', t(110))]))
      .when(t(110))
      .then({ steps: ['reverse-sync:dc', 'reverse-sync:db', 'reverse-sync:lone'] });
  });

  it('cut-over: stops downstream first, final delta after each stop, starts upstream first', () => {
    const synced = play(
      failingBack(),
      CHAIN.map((h) => copied(h, t(110))),
    );
    workflow
      .given(synced)
      .when(t(111))
      .then({ steps: ['cut-over-stop:app', 'cut-over-stop:lone'] });
    const appStopped = play(synced, [stopStarted('app', t(111)), stoppedAtRecovery('app', t(112))]);
    workflow
      .given(appStopped)
      .when(t(112))
      .then({ steps: ['cut-over-stop:db', 'final-delta:app', 'cut-over-stop:lone'] });
    const allCut = play(synced, [
      ...cutOver('app', t(120)),
      ...cutOver('lone', t(120)),
      ...cutOver('db', t(121)),
      ...cutOver('dc', t(122)),
    ]);
    workflow
      .given(allCut)
      .when(t(123))
      .then({ steps: ['start-at-original:dc', 'start-at-original:lone'] });
    workflow
      .given(play(allCut, [startedAtOriginal('dc', t(130))]))
      .when(t(130))
      .then({ steps: ['start-at-original:db', 'start-at-original:lone'] });
  });

  it('every server back: users reconnect, then the recovery site is released, then it is finished', () => {
    const back = play(failingBack(), chainBack().slice(0, -1));
    workflow
      .given(back)
      .when(t(141))
      .then({ steps: ['reconnect-users'] });
    const reconnectedAll = play(failingBack(), chainBack());
    const due = workflow
      .given(reconnectedAll)
      .when(t(146))
      .then({ steps: ['failback'] });
    expect(due.steps[0].key).toBe(`${ACTIVATION_ID}.failback.1`);
    const done = play(reconnectedAll, [{ type: 'RecordFailback', data: { at: t(150) } }]);
    workflow.given(done).when(t(151)).then({ steps: [], timers: [], finished: true });
  });

  it('a failure mid cut-over: the failed server and the held ones run again at the recovery site; never released', () => {
    const failed = play(failingBack(), [
      ...chainBack().slice(0, 13),
      startedAtOriginal('lone', t(130)),
      failbackStepFailed('db', 'final-delta', t(131)),
    ]);
    expect(whatIsDue(stateOf(failed), t(131)).steps.map((s) => s.kind)).not.toContain('failback');
    // dc, upstream of db, goes on: only db and what depends on it stay at the recovery site.
    workflow
      .given(failed)
      .when(t(131))
      .then({ steps: ['cut-over-stop:dc', 'resume-at-recovery:db', 'resume-at-recovery:app'] });
    const settled = play(failed, [
      resumed('db', t(132)),
      resumed('app', t(132)),
      ...cutOver('dc', t(132)),
      startedAtOriginal('dc', t(133)),
    ]);
    workflow
      .given(settled)
      .when(t(133))
      .then({ steps: ['reconnect-users'] });
    const incomplete = play(settled, [reconnected(t(134))]);
    expect(stateOf(incomplete).status).toBe('completed');
    workflow.given(incomplete).when(t(135)).then({ steps: [], finished: false });
  });

  it('a resume or a reconnection that failed for good is not due again; the activation view says what is left', () => {
    const failed = play(failingBack(), [
      ...chainBack().slice(0, 13),
      startedAtOriginal('lone', t(130)),
      failbackStepFailed('db', 'final-delta', t(131)),
      resumed('app', t(132)),
      ...cutOver('dc', t(132)),
      startedAtOriginal('dc', t(133)),
    ]);
    workflow
      .given(failed)
      .when(t(133))
      .then({ steps: ['resume-at-recovery:db'] });
    const dbNowhere = play(failed, [resumeFailed('db', t(134))]);
    workflow
      .given(dbNowhere)
      .when(t(134))
      .then({ steps: ['reconnect-users'] });
    const stuck = play(dbNowhere, [reconnectFailed(t(135))]);
    workflow.given(stuck).when(t(136)).then({ steps: [], timers: [], finished: false });
    const view = toActivationView(stateOf(stuck))!;
    expect(view.failback).toMatchObject({
      reconnectFailure: { reason: 'gave up after 10 attempts: VPN gateway unreachable' },
    });
    expect(view.failback!.servers.find((x) => x.hostname === 'db')).toMatchObject({
      resumeFailure: { reason: 'gave up after 10 attempts: no host has room' },
    });
  });

  it('a step is still due only for its attempt, and not once the failback was aborted', () => {
    const state = stateOf(failingBack());
    const step = whatIsDue(state, t(102)).steps[0];
    expect(isStillDue(state, step)).toBe(true);
    expect(isStillDue(state, { ...step, attempt: 2 })).toBe(false);
    const aborted = stateOf(
      play(failingBack(), [
        { type: 'AbortActivation', data: { reason: 'storm', by: state.requestedBy, at: t(103) } },
      ]),
    );
    expect(isStillDue(aborted, step)).toBe(false);
  });
});
