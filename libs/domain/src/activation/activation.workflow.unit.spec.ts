import type { ActivationEvent } from './activation.events';
import type { ActivationCommand } from './activation.commands';
import { activationDecider } from './activation.decider';
import {
  DEFAULT_WORKFLOW_SETTINGS,
  isFinished,
  isStillDue,
  stepFailure,
  timerCommand,
  whatIsDue,
  type WorkflowSettings,
} from './activation.workflow';
import {
  ACTIVATION_ID,
  alertRaised,
  alice,
  always,
  analysisStarted,
  authorised,
  awaitingDisaster,
  bob,
  booted,
  bootStarted,
  bringUp,
  confirmation,
  diamond,
  id,
  networkUp,
  restoreAll,
  restoreStarted,
  runningTest,
  server,
  stepFailed,
  t,
} from './testing/fixtures';
import { play, stateOf } from './testing/given-when-then';
import { workflowSpecification } from './testing/workflow-specification';

const workflow = workflowSpecification();
const confirm = (at: string): ActivationCommand => ({
  type: 'ConfirmActivation',
  data: { email: bob.email, codeValid: true, authorisedPersons: authorised, at },
});
const DRP_RESTORES = ['restore:dc', 'restore:db2', 'restore:db1', 'restore:app', 'restore:lone'];

describe('activation workflow: what is due', () => {
  describe('a running test', () => {
    it('at launch: every restore (longest downstream chain first) and the network', () => {
      const due = workflow
        .given(runningTest())
        .when(t(0))
        .then({ steps: [...DRP_RESTORES, 'network'], timers: [], finished: false });
      expect(due.steps[0]).toEqual({
        kind: 'restore',
        key: `${ACTIVATION_ID}.${id('dc')}.restore.1`,
        serverId: id('dc'),
        attempt: 1,
      });
      expect(due.steps.at(-1)).toEqual({
        kind: 'network',
        key: `${ACTIVATION_ID}.network.1`,
        serverId: null,
        attempt: 1,
      });
      for (const step of due.steps) expect(step.key).not.toContain(':');
    });

    it('gives the same answer, with the same keys, however often it is asked', () => {
      const events = play(runningTest(), [restoreStarted('dc', t(1))]);
      expect(whatIsDue(stateOf(events), t(2))).toEqual(whatIsDue(stateOf(events), t(2)));
    });

    it('boots a server as soon as ITS OWN upstream servers are available, then analyses it', () => {
      const restored = play(runningTest(), [
        ...['dc', 'db1', 'db2', 'app', 'lone'].flatMap((h) => restoreAll(h, t(0), t(10))),
        ...networkUp(t(1)),
      ]);
      workflow
        .given(restored)
        .when(t(10))
        .then({ steps: ['boot:dc', 'boot:lone'] });
      const dcUp = play(restored, bringUp('dc', t(10), t(15), t(17)));
      workflow
        .given(dcUp)
        .when(t(17))
        .then({ steps: ['boot:db1', 'boot:db2', 'boot:lone'] });
      // db1 is available, db2 not yet: app still waits for db2.
      const db1Up = play(dcUp, bringUp('db1', t(17), t(20), t(22)));
      workflow
        .given(db1Up)
        .when(t(22))
        .then({ steps: ['boot:db2', 'boot:lone'] });
      const db2Booted = play(db1Up, [bootStarted('db2', t(22)), booted('db2', t(27))]);
      workflow
        .given(db2Booted)
        .when(t(27))
        .then({ steps: ['analyse:db2', 'boot:lone'] });
      const db2Warning = play(db2Booted, [
        analysisStarted('db2', t(27)),
        {
          type: 'RecordServerChecked',
          data: { serverId: id('db2'), attempt: 1, health: 'warning', detail: 'slow', at: t(29) },
        },
      ]);
      workflow
        .given(db2Warning)
        .when(t(29))
        .then({ steps: ['boot:app', 'boot:lone'] });
    });

    it('resumes every step that started and did not record its outcome (a worker died, a queue was lost)', () => {
      const started = play(runningTest({ estate: [server('a'), server('b'), server('c'), server('d')] }), [
        restoreStarted('a', t(0)),
        ...restoreAll('b', t(0), t(5)),
        bootStarted('b', t(6)),
        ...restoreAll('c', t(0), t(5)),
        ...bringUp('c', t(5), t(8), t(10)).slice(0, 3), // booted, analysis started, not checked
        { type: 'RecordNetworkSetupStarted', data: { at: t(1) } },
      ]);
      const due = workflow
        .given(started)
        .when(t(12))
        .then({ steps: ['restore:a', 'restore:d', 'boot:b', 'analyse:c', 'network'] });
      // The same keys as when each step was first due: the handler finds the operation it started.
      expect(due.steps.map((s) => s.key)).toEqual([
        `${ACTIVATION_ID}.id-a.restore.1`,
        `${ACTIVATION_ID}.id-d.restore.1`,
        `${ACTIVATION_ID}.id-b.boot.1`,
        `${ACTIVATION_ID}.id-c.analyse.1`,
        `${ACTIVATION_ID}.network.1`,
      ]);
    });

    it('nothing is due once it completed', () => {
      const done = play(runningTest({ estate: [server('dc')] }), [
        ...restoreAll('dc', t(0), t(5)),
        ...bringUp('dc', t(5), t(6), t(7)),
        ...networkUp(t(1)),
      ]);
      expect(stateOf(done).status).toBe('completed');
      workflow.given(done).when(t(8)).then({ steps: [], timers: [], finished: false });
    });
  });

  describe('restore bound and order', () => {
    const bounded: WorkflowSettings = { ...DEFAULT_WORKFLOW_SETTINGS, maxParallelRestores: 2 };
    const spec = workflowSpecification(bounded);
    // A chain root → mid → top and leaves: the chain restores first, the largest leaves next.
    const estate = [
      server('leaf-small', { disks: [{ name: 'c', sizeGiB: 10 }] }),
      server('leaf-big', { disks: [{ name: 'c', sizeGiB: 500 }] }),
      server('top', { dependsOn: ['mid'] }),
      server('mid', { dependsOn: ['root'] }),
      server('root'),
    ];

    it('starts at most the bound, longest downstream chain first, then the largest', () => {
      spec
        .given(runningTest({ estate }))
        .when(t(0))
        .then({ steps: ['restore:root', 'restore:mid', 'network'] });
    });

    it('refills a freed slot with the next in order; restores under way keep their slot', () => {
      const events = play(runningTest({ estate }), [
        ...restoreAll('root', t(0), t(5)),
        restoreStarted('mid', t(0)),
      ]);
      spec
        .given(events)
        .when(t(5))
        .then({ steps: ['restore:mid', 'restore:leaf-big', 'boot:root', 'network'] });
    });

    it('a restore once admitted stays due, whatever the bound says now', () => {
      const events = play(runningTest({ estate }), [restoreStarted('leaf-big', t(0))]);
      const state = stateOf(events);
      expect(
        whatIsDue(state, t(0), bounded)
          .steps.filter((s) => s.kind === 'restore')
          .map((s) => s.serverId),
      ).toEqual([id('leaf-big'), id('root')]);
      // mid was not admitted (bound full) but a job enqueued for it earlier still has work to do.
      expect(isStillDue(state, { kind: 'restore', serverId: id('mid'), attempt: 1 })).toBe(true);
    });
  });

  describe('failures, retry and abort', () => {
    const failedDc = () =>
      play(runningTest(), [
        ...['dc', 'db1', 'db2', 'app', 'lone'].flatMap((h) => restoreAll(h, t(0), t(10))),
        ...networkUp(t(1)),
        stepFailed('dc', 'boot', t(12)),
      ]);

    it('a failed server blocks what depends on it; independent branches go on', () => {
      const state = stateOf(failedDc());
      expect(state.servers.map((x) => x.phase)).toEqual([
        'failed',
        'blocked',
        'blocked',
        'blocked',
        'restored',
      ]);
      workflow
        .given(failedDc())
        .when(t(12))
        .then({ steps: ['boot:lone'] });
    });

    it('a retry runs the failed step again under a new attempt, and what it blocked follows', () => {
      const retried = play(failedDc(), [
        { type: 'RetryServer', data: { serverId: id('dc'), by: alice, at: t(20) } },
      ]);
      const due = workflow
        .given(retried)
        .when(t(20))
        .then({ steps: ['boot:dc', 'boot:lone'] });
      expect(due.steps[0].key).toBe(`${ACTIVATION_ID}.${id('dc')}.boot.2`);
      const dcUp = play(retried, bringUp('dc', t(20), t(25), t(27), 'ok', 2));
      workflow
        .given(dcUp)
        .when(t(27))
        .then({ steps: ['boot:db1', 'boot:db2', 'boot:lone'] });
    });

    it('a restore failure restores again on retry', () => {
      const failed = play(runningTest({ estate: [server('dc')] }), [
        restoreStarted('dc', t(0)),
        stepFailed('dc', 'restore', t(3)),
        { type: 'RetryServer', data: { serverId: id('dc'), by: alice, at: t(5) } },
      ]);
      const due = workflow
        .given(failed)
        .when(t(5))
        .then({ steps: ['restore:dc', 'network'] });
      expect(due.steps[0].key).toBe(`${ACTIVATION_ID}.${id('dc')}.restore.2`);
    });

    it('abort: nothing new is due; close: the teardown, again under a new key until verified', () => {
      const aborted = play(runningTest(), [
        restoreStarted('dc', t(0)),
        { type: 'AbortActivation', data: { reason: 'drill over', by: alice, at: t(1) } },
      ]);
      workflow.given(aborted).when(t(2)).then({ steps: [], timers: [], finished: false });
      const closing = play(aborted, [{ type: 'RequestClose', data: { by: alice, at: t(2) } }]);
      const due = workflow
        .given(closing)
        .when(t(2))
        .then({ steps: ['teardown'] });
      expect(due.steps[0].key).toBe(`${ACTIVATION_ID}.teardown.1`);
      const incomplete = play(closing, [{ type: 'RecordTeardown', data: { remaining: ['vm-1'], at: t(3) } }]);
      expect(
        workflow
          .given(incomplete)
          .when(t(3))
          .then({ steps: ['teardown'] }).steps[0].key,
      ).toBe(`${ACTIVATION_ID}.teardown.2`);
      const closed = play(incomplete, [{ type: 'RecordTeardown', data: { remaining: [], at: t(4) } }]);
      workflow.given(closed).when(t(4)).then({ steps: [], timers: [], finished: true });
    });

    it('a step of an aborted activation, a superseded attempt or a step done is not still due', () => {
      const running = stateOf(play(runningTest(), [restoreStarted('dc', t(0))]));
      expect(isStillDue(running, { kind: 'restore', serverId: id('dc'), attempt: 1 })).toBe(true);
      expect(isStillDue(running, { kind: 'boot', serverId: id('dc'), attempt: 1 })).toBe(false);
      expect(isStillDue(running, { kind: 'network', serverId: null, attempt: 1 })).toBe(true);
      const aborted = stateOf(
        play(runningTest(), [
          restoreStarted('dc', t(0)),
          { type: 'AbortActivation', data: { reason: 'stop', by: alice, at: t(1) } },
        ]),
      );
      expect(isStillDue(aborted, { kind: 'restore', serverId: id('dc'), attempt: 1 })).toBe(false);
      expect(isStillDue(aborted, { kind: 'network', serverId: null, attempt: 1 })).toBe(false);
      const retried = stateOf(
        play(runningTest({ estate: [server('dc')] }), [
          restoreStarted('dc', t(0)),
          stepFailed('dc', 'restore', t(1)),
          { type: 'RetryServer', data: { serverId: id('dc'), by: alice, at: t(2) } },
        ]),
      );
      expect(isStillDue(retried, { kind: 'restore', serverId: id('dc'), attempt: 1 })).toBe(false);
      expect(isStillDue(retried, { kind: 'restore', serverId: id('dc'), attempt: 2 })).toBe(true);
      expect(isStillDue(retried, { kind: 'teardown', serverId: null, attempt: 1 })).toBe(false);
    });
  });

  describe('disaster: confirmation, window, failback', () => {
    it('awaiting confirmation: no step, the expiry timer at the deadline', () => {
      const awaiting = awaitingDisaster();
      const expiresAt = t(15);
      workflow.given(awaiting).when(t(14)).then({ steps: [], timers: [], nextTimerAt: expiresAt });
      const due = workflow
        .given(awaiting)
        .when(t(15))
        .then({ steps: [], timers: [`expire-confirmation@${expiresAt}`], nextTimerAt: null });
      // Fired, the decider rejects the activation; nothing is due any more.
      const rejected = play(awaiting, [timerCommand(due.timers[0], t(15))]);
      expect(stateOf(rejected)).toMatchObject({ status: 'rejected', endReason: 'confirmation-expired' });
      workflow.given(rejected).when(t(16)).then({ steps: [], timers: [], nextTimerAt: null, finished: true });
    });

    it('confirmed outside its window: scheduled, its disks pre-staged meanwhile (no boot), started by its timer when the window opens', () => {
      const friday = '2024-06-07T17:00:00.000Z';
      const monday = '2024-06-10T06:00:00.000Z';
      const scheduled = play(awaitingDisaster({ at: friday }), [confirm('2024-06-07T17:05:00.000Z')]);
      workflow
        .given(scheduled)
        .when('2024-06-10T05:59:00.000Z')
        .then({ steps: DRP_RESTORES, timers: [], nextTimerAt: monday });
      // restored while waiting: nothing boots before the window opens
      const staged = play(scheduled, [
        ...restoreAll('dc', '2024-06-07T17:06:00.000Z', '2024-06-07T17:30:00.000Z'),
      ]);
      expect(stateOf(staged).servers[0]).toMatchObject({ phase: 'restored', prestaged: true });
      expect(whatIsDue(stateOf(staged), '2024-06-08T00:00:00.000Z').steps.map((s) => s.kind)).not.toContain(
        'boot',
      );
      const due = workflow
        .given(scheduled)
        .when(monday)
        .then({ steps: DRP_RESTORES, timers: [`start-scheduled@${monday}`] });
      const started = play(scheduled, [timerCommand(due.timers[0], monday)]);
      expect(stateOf(started).status).toBe('running');
      workflow
        .given(started)
        .when(monday)
        .then({ steps: [...DRP_RESTORES, 'network'], timers: [] });
    });

    it('completed (failback recorded before it was a process): the release is due, then it is finished', () => {
      const completed = play(awaitingDisaster({ estate: [server('dc')], window: always }), [
        confirm(t(1)),
        ...restoreAll('dc', t(1), t(5)),
        ...bringUp('dc', t(5), t(6), t(7)),
        ...networkUp(t(2)),
      ]);
      workflow.given(completed).when(t(8)).thenNothingDue();
      const failingBack: ActivationEvent[] = [
        ...completed,
        { type: 'FailbackRequested', data: { by: alice, at: t(50) } },
      ];
      const due = workflow
        .given(failingBack)
        .when(t(50))
        .then({ steps: ['failback'] });
      expect(due.steps[0].key).toBe(`${ACTIVATION_ID}.failback.1`);
      const failedBack = play(failingBack, [{ type: 'RecordFailback', data: { at: t(51) } }]);
      workflow.given(failedBack).when(t(51)).then({ steps: [], timers: [], finished: true });
    });
  });

  describe('alert', () => {
    const estate = [...diamond.slice(0, 5), server('replica', { recoveryMethod: 'vm-replication' })];

    it('pre-stages the restores from backups, nothing else: no boot, no network, no replica started', () => {
      const alert = alertRaised({ estate });
      workflow.given(alert).when(t(0)).then({ steps: DRP_RESTORES, timers: [] });
      workflow
        .given(play(alert, restoreAll('dc', t(0), t(5))))
        .when(t(5))
        .then({ steps: DRP_RESTORES.slice(1) });
    });

    it('escalated and confirmed: the failover boots what was pre-staged and starts the rest', () => {
      const running = play(alertRaised({ estate }), [
        ...restoreAll('dc', t(0), t(5)),
        {
          type: 'EscalateAlert',
          data: { scope: 'full', estate, confirmation, by: alice, reason: 'flooded', at: t(10) },
        },
        confirm(t(11)),
      ]);
      expect(stateOf(running).status).toBe('running');
      workflow
        .given(running)
        .when(t(11))
        .then({
          steps: [
            'restore:db2',
            'restore:db1',
            'restore:app',
            'restore:lone',
            'restore:replica',
            'boot:dc',
            'network',
          ],
        });
    });

    it('stood down after pre-staging: the teardown until verified; without pre-staging: finished', () => {
      const stood = play(alertRaised(), [
        restoreStarted('dc', t(1)),
        { type: 'StandDownAlert', data: { by: alice, at: t(2) } },
      ]);
      workflow
        .given(stood)
        .when(t(2))
        .then({ steps: ['teardown'], finished: false });
      const verified = play(stood, [{ type: 'RecordTeardown', data: { remaining: [], at: t(3) } }]);
      workflow.given(verified).when(t(3)).then({ steps: [], finished: true });
      const nothingStaged = play(alertRaised(), [{ type: 'StandDownAlert', data: { by: alice, at: t(2) } }]);
      expect(isFinished(stateOf(nothingStaged))).toBe(true);
    });
  });

  describe('RTO breach timers', () => {
    // dc (target 30) ← app (target 45); restores 10 GiB/min by default: 200 GiB = 20 min; boot 5, analysis 2.
    const estate = [
      server('dc', { rtoMinutes: 30 }),
      server('app', { dependsOn: ['dc'], rtoMinutes: 45 }),
      server('free', { rtoMinutes: null }),
    ];

    it('arms one timer per server at the instant its projection passes its target', () => {
      // At launch: dc projected at 27 (due when "now" reaches 3.05 min), app at 34 (11.05).
      workflow
        .given(runningTest({ estate }))
        .when(t(0))
        .then({ timers: [], nextTimerAt: '2024-06-03T08:03:03.000Z' });
      const due = workflow
        .given(runningTest({ estate }))
        .when(t(4))
        .then({
          timers: ['rto-breach:dc@2024-06-03T08:03:03.000Z'],
          nextTimerAt: '2024-06-03T08:11:03.000Z',
        });
      expect(due.timers[0]).toMatchObject({ serverId: id('dc'), projectedMinutes: 31, targetMinutes: 30 });
    });

    it('a slow step already past the target is due at once; a recorded breach is not armed again', () => {
      const slow = play(runningTest({ estate }), [restoreStarted('dc', t(0)), restoreStarted('app', t(0))]);
      // Both restores started at 0: dc passes 30 when "now" reaches 23.05 (restore overdue from 20,
      // then boot 5 + analysis 2), app passes 45 at 31.05. At 40: dc 47 > 30, app 54 > 45.
      const due = workflow
        .given(slow)
        .when(t(40))
        .then({
          timers: ['rto-breach:dc@2024-06-03T08:23:03.000Z', 'rto-breach:app@2024-06-03T08:31:03.000Z'],
        });
      expect(due.timers.map((x) => x.kind === 'rto-breach' && x.projectedMinutes)).toEqual([47, 54]);
      const recorded = play(slow, [timerCommand(due.timers[0], t(40))]);
      expect(stateOf(recorded).servers[0].rtoBreachProjectedAt).toBe(t(40));
      workflow
        .given(recorded)
        .when(t(40))
        .then({ timers: ['rto-breach:app@2024-06-03T08:31:03.000Z'] });
    });

    it('no RTO timer before the launch, for an available server, or after the activation stopped', () => {
      workflow
        .given(awaitingDisaster({ estate }))
        .when(t(60))
        .then({ timers: ['expire-confirmation@' + t(15)] });
      const dcUp = play(runningTest({ estate }), [
        ...restoreAll('dc', t(0), t(1)),
        ...bringUp('dc', t(1), t(2), t(3)),
      ]);
      workflow.given(dcUp).when(t(3)).then({ timers: [], nextTimerAt: '2024-06-03T08:18:03.000Z' }); // app: 20 + 5 + 2 past 45
      const aborted = play(dcUp, [
        { type: 'AbortActivation', data: { reason: 'stop', by: alice, at: t(4) } },
      ]);
      workflow.given(aborted).when(t(600)).then({ timers: [], nextTimerAt: null });
    });
  });

  describe('failures as commands', () => {
    it('a server step fails its server (analysis by its domain name), with the capacity shortage if any', () => {
      expect(
        stepFailure(
          { kind: 'boot', serverId: id('dc'), attempt: 2 },
          { reason: 'insufficient-ram: no room', shortage: 'ram', at: t(1) },
        ),
      ).toEqual({
        type: 'RecordServerStepFailed',
        data: {
          serverId: id('dc'),
          attempt: 2,
          step: 'boot',
          reason: 'insufficient-ram: no room',
          shortage: 'ram',
          at: t(1),
        },
      });
      expect(
        stepFailure({ kind: 'analyse', serverId: id('dc'), attempt: 1 }, { reason: 'x', at: t(1) }),
      ).toEqual({
        type: 'RecordServerStepFailed',
        data: { serverId: id('dc'), attempt: 1, step: 'analysis', reason: 'x', at: t(1) },
      });
    });

    it('the network fails the reconnection; a teardown or failback is retried, never failed', () => {
      expect(
        stepFailure({ kind: 'network', serverId: null, attempt: 1 }, { reason: 'vpn', at: t(1) }),
      ).toEqual({
        type: 'RecordNetworkSetupFailed',
        data: { reason: 'vpn', at: t(1) },
      });
      expect(
        stepFailure({ kind: 'teardown', serverId: null, attempt: 1 }, { reason: 'x', at: t(1) }),
      ).toBeNull();
      expect(
        stepFailure({ kind: 'failback', serverId: null, attempt: 1 }, { reason: 'x', at: t(1) }),
      ).toBeNull();
    });

    it('every failure command is one the decider records', () => {
      const events = play(runningTest({ estate: [server('dc')] }), [...restoreAll('dc', t(0), t(5))]);
      const command = stepFailure(
        { kind: 'boot', serverId: id('dc'), attempt: 1 },
        { reason: 'anti-affinity: every host runs the group', shortage: 'anti-affinity', at: t(6) },
      )!;
      const recorded = activationDecider.decide(command, stateOf(events));
      expect(recorded[0]).toMatchObject({ type: 'ServerStepFailed', data: { shortage: 'anti-affinity' } });
      expect(stateOf([...events, ...recorded]).servers[0].failure).toMatchObject({
        step: 'boot',
        shortage: 'anti-affinity',
      });
    });
  });
});
