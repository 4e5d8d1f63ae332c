import type { RunbookStep } from '../plan/runbook';
import type { ActivationCommand } from './activation.commands';
import { isFinished, isStillDue, stepFailure, timerCommand, whatIsDue } from './activation.workflow';
import { toActivationView } from './view';
import { buildReport } from '../report/build-report';
import { estimatesFromSizes, projectAvailability } from './rto';
import {
  alice,
  bringUp,
  diamond,
  id,
  networkUp,
  restoreAll,
  server,
  stepFailed,
  t,
} from './testing/fixtures';
import { given, play, stateOf } from './testing/given-when-then';
import { workflowSpecification } from './testing/workflow-specification';
import type { ActivationState } from './activation.state';

const viewOf = (s: ActivationState) => toActivationView(s)!;
import { alertRaised, confirmationAt, requested, restoreStarted } from './testing/fixtures';

/**
 * Runbook steps in the workflow: given the activation's events, what is due. The plan: a script and
 * a port check in db1 once it is available, the application owner's sign-off after both, which the
 * app server waits for; a webhook once app and lone are available (continue on failure); a webhook
 * after the teardown; a manual step of disasters only.
 */
const base = { onFailure: 'block', timeoutMinutes: 30, scope: 'all' } as const;
const runbook: RunbookStep[] = [
  {
    ...base,
    name: 'db1-fix',
    kind: 'script',
    after: ['db1'],
    server: 'db1',
    interpreter: 'bash',
    script: 'fix',
  },
  {
    ...base,
    name: 'db1-port',
    kind: 'check',
    after: ['db1'],
    server: 'db1',
    probe: { tcp: 5432 },
    timeoutMinutes: 10,
  },
  {
    ...base,
    name: 'erp-ok',
    kind: 'manual',
    after: ['db1-fix', 'db1-port'],
    instructions: 'ERP?',
    assignee: null,
    timeoutMinutes: 240,
  },
  {
    ...base,
    name: 'notify',
    kind: 'webhook',
    after: ['app', 'lone'],
    onFailure: 'continue',
    url: 'https://x.test/h',
    method: 'POST',
    body: null,
    expectStatus: null,
  },
  {
    ...base,
    name: 'bye',
    kind: 'webhook',
    after: ['teardown'],
    url: 'https://x.test/bye',
    method: 'POST',
    body: null,
    expectStatus: null,
  },
  {
    ...base,
    name: 'dr-only',
    kind: 'manual',
    after: ['dc'],
    scope: 'disaster',
    instructions: 'call',
    assignee: null,
  },
];
const estate = diamond.map((s) =>
  s.hostname === 'app' ? server('app', { dependsOn: ['db1', 'db2', 'erp-ok'] }) : s,
);
const test = () =>
  requested({
    type: 'test',
    estate,
    runbook,
    window: { activationWindow: '24x7', timeZone: 'Europe/Paris' },
  });

const fact = (
  type: 'Started' | 'Succeeded' | 'Failed',
  name: string,
  at: string,
  attempt = 1,
): ActivationCommand =>
  type === 'Started'
    ? { type: 'RecordRunbookStepStarted', data: { name, attempt, at } }
    : type === 'Succeeded'
      ? { type: 'RecordRunbookStepSucceeded', data: { name, attempt, detail: 'ok', at } }
      : { type: 'RecordRunbookStepFailed', data: { name, attempt, reason: 'exit 1', at } };
const run = (name: string, from: string, to: string, outcome: 'Succeeded' | 'Failed' = 'Succeeded') => [
  fact('Started', name, from),
  fact(outcome, name, to),
];
const signOff = (at: string): ActivationCommand => ({
  type: 'SignOffRunbookStep',
  data: { name: 'erp-ok', note: 'ERP answers', by: alice, at },
});

const workflow = workflowSpecification();
/** Everything restored, the network up, dc and db1 available (db2 and lone too). */
const db1Up = () =>
  play(test(), [
    ...['dc', 'db1', 'db2', 'app', 'lone'].flatMap((h) => restoreAll(h, t(0), t(10))),
    ...networkUp(t(1)),
    ...bringUp('dc', t(10), t(12), t(14)),
    ...bringUp('db1', t(14), t(16), t(18)),
    ...bringUp('db2', t(14), t(16), t(18)),
    ...bringUp('lone', t(10), t(12), t(14)),
  ]);

describe('activation workflow: runbook steps', () => {
  it('snapshots the steps of its type, with the servers that wait for them', () => {
    const s = stateOf(test());
    expect(s.steps.map((x) => x.snapshot.name)).toEqual(['db1-fix', 'db1-port', 'erp-ok', 'notify', 'bye']);
    expect(s.steps.find((x) => x.snapshot.name === 'erp-ok')!.snapshot.gates).toEqual([id('app')]);
    expect(s.servers[s.index[id('app')]].snapshot.dependsOn).toEqual(['db1', 'db2']);
    expect(stateOf(alertRaised({ estate, runbook })).steps.map((x) => x.snapshot.name)).toContain('dr-only');
  });

  it('runs a step once all it follows is done; a server waits for the steps it depends on', () => {
    expect(whatIsDue(stateOf(test()), t(0)).steps.filter((x) => x.step !== undefined)).toEqual([]);
    const due = workflow
      .given(db1Up())
      .when(t(18))
      .then({ steps: ['script:db1-fix', 'check:db1-port'] });
    expect(due.steps[0]).toEqual({
      kind: 'script',
      key: 'act-1.step.db1-fix.1',
      serverId: id('db1'),
      attempt: 1,
      step: 'db1-fix',
    });
    // app's own upstream servers are available, but it waits for the sign-off
    const checked = play(db1Up(), [...run('db1-fix', t(18), t(19)), ...run('db1-port', t(18), t(18))]);
    workflow
      .given(checked)
      .when(t(19))
      .then({ steps: ['manual:erp-ok'] });
    const waiting = play(checked, [fact('Started', 'erp-ok', t(19))]);
    expect(viewOf(stateOf(waiting)).steps.find((x) => x.name === 'erp-ok')!.status).toBe('waiting-sign-off');
    // the manual step stays due (its handler only records the wait) and its timers are armed
    workflow
      .given(waiting)
      .when(t(20))
      .then({ steps: ['manual:erp-ok'], timers: [], nextTimerAt: t(19 + 120) });
    const signed = play(waiting, [signOff(t(25))]);
    workflow
      .given(signed)
      .when(t(25))
      .then({ steps: ['boot:app'] });
  });

  it('times a step out, and reminds the assignee of a manual step at half its timeout', () => {
    const waiting = play(db1Up(), [
      ...run('db1-fix', t(18), t(19)),
      ...run('db1-port', t(18), t(18)),
      fact('Started', 'erp-ok', t(19)),
    ]);
    const due = whatIsDue(stateOf(waiting), t(19 + 240));
    const timeout = due.timers.find((x) => x.kind === 'step-timeout')!;
    const reminder = due.timers.find((x) => x.kind === 'step-reminder')!;
    expect([timeout.at, reminder.at]).toEqual([t(259), t(139)]);
    const after = play(waiting, [timerCommand(reminder, t(259)), timerCommand(timeout, t(259))]);
    const s = stateOf(after);
    expect(viewOf(s).steps.find((x) => x.name === 'erp-ok')).toMatchObject({
      status: 'failed',
      detail: 'timed out after 240 minutes',
    });
    // a running script step times out too
    const script = play(db1Up(), [fact('Started', 'db1-fix', t(18))]);
    workflow
      .given(script)
      .when(t(48))
      .then({ timers: [`step-timeout:db1-fix@${t(48)}`] });
  });

  it('a failed block step blocks what follows it, servers included, like a failed server', () => {
    const failed = play(db1Up(), [
      ...run('db1-port', t(18), t(18)),
      ...run('db1-fix', t(18), t(19), 'Failed'),
    ]);
    const s = stateOf(failed);
    const view = viewOf(s);
    expect(view.steps.map((x) => [x.name, x.status])).toEqual([
      ['db1-fix', 'failed'],
      ['db1-port', 'done'],
      ['erp-ok', 'blocked'],
      ['notify', 'blocked'],
      ['bye', 'pending'],
    ]);
    expect(view.servers.find((x) => x.hostname === 'app')).toMatchObject({
      phase: 'blocked',
      blockedBy: 'db1-fix',
    });
    // every server and step is terminal: the activation completed, with failures
    expect(s.status).toBe('completed-with-failures');
    workflow.given(failed).when(t(20)).thenNothingDue();
  });

  it('a failed server blocks the steps that follow it', () => {
    const failed = play(test(), [restoreStarted('lone', t(1)), stepFailed('lone', 'restore', t(2))]);
    expect(viewOf(stateOf(failed)).steps.find((x) => x.name === 'notify')).toMatchObject({
      status: 'blocked',
      blockedBy: 'lone',
    });
  });

  it('a failed server blocks the servers that wait for steps following it; its retry lets them wait again', () => {
    const gated = estate.map((x) => (x.hostname === 'lone' ? server('lone', { dependsOn: ['erp-ok'] }) : x));
    const failed = play(requested({ type: 'test', estate: gated, runbook }), [
      restoreStarted('db1', t(1)),
      stepFailed('db1', 'restore', t(2)),
    ]);
    const view = viewOf(stateOf(failed));
    expect(view.servers.find((x) => x.hostname === 'lone')).toMatchObject({
      phase: 'blocked',
      blockedBy: 'db1',
    });
    expect(view.steps.find((x) => x.name === 'erp-ok')).toMatchObject({
      status: 'blocked',
      blockedBy: 'db1',
    });
    const retried = play(failed, [
      { type: 'RetryServer', data: { serverId: id('db1'), by: alice, at: t(3) } },
    ]);
    const after = viewOf(stateOf(retried));
    expect(after.servers.find((x) => x.hostname === 'lone')!.phase).toBe('pending');
    expect(after.steps.find((x) => x.name === 'erp-ok')!.status).toBe('pending');
  });

  it('a failed continue step lets what follows it go, and counts as a failure of the activation', () => {
    const allUp = play(db1Up(), [
      ...run('db1-fix', t(18), t(19)),
      ...run('db1-port', t(18), t(18)),
      fact('Started', 'erp-ok', t(19)),
      signOff(t(20)),
      ...bringUp('app', t(20), t(22), t(24)),
    ]);
    workflow
      .given(allUp)
      .when(t(24))
      .then({ steps: ['webhook:notify'] });
    expect(stateOf(allUp).status).toBe('running');
    const done = play(allUp, run('notify', t(24), t(25), 'Failed'));
    expect(stateOf(done).status).toBe('completed-with-failures');
  });

  it('retries a failed step: a new attempt is due, and what it blocked waits again', () => {
    const failed = play(db1Up(), [
      ...run('db1-port', t(18), t(18)),
      ...run('db1-fix', t(18), t(19), 'Failed'),
    ]);
    const retried = play(failed, [
      { type: 'RetryRunbookStep', data: { name: 'db1-fix', by: alice, at: t(30) } },
    ]);
    const s = stateOf(retried);
    expect(s.status).toBe('running');
    expect(viewOf(s).servers.find((x) => x.hostname === 'app')!.phase).toBe('restored');
    expect(viewOf(s).steps.find((x) => x.name === 'erp-ok')!.status).toBe('pending');
    const due = workflow
      .given(retried)
      .when(t(30))
      .then({ steps: ['script:db1-fix'] });
    expect(due.steps[0].key).toBe('act-1.step.db1-fix.2');
    // a late fact of the first attempt is ignored; the old copy of the step is no longer due
    given(retried)
      .when(fact('Succeeded', 'db1-fix', t(31), 1))
      .then([]);
    expect(isStillDue(s, { kind: 'script', serverId: id('db1'), attempt: 1, step: 'db1-fix' })).toBe(false);
    expect(isStillDue(s, { kind: 'script', serverId: id('db1'), attempt: 2, step: 'db1-fix' })).toBe(true);
  });

  it('abort cancels the steps not done; post-cleanup steps run once the aborted test is closed', () => {
    const aborted = play(db1Up(), [
      fact('Started', 'db1-fix', t(18)),
      { type: 'AbortActivation', data: { reason: 'stop', by: alice, at: t(19) } },
    ]);
    expect(viewOf(stateOf(aborted)).steps.map((x) => x.status)).toEqual([
      'cancelled',
      'cancelled',
      'cancelled',
      'cancelled',
      'pending',
    ]);
    workflow.given(aborted).when(t(20)).thenNothingDue();
    // a late fact of the cancelled script is ignored
    given(aborted)
      .when(fact('Succeeded', 'db1-fix', t(21)))
      .then([]);
    const closed = play(aborted, [
      { type: 'RequestClose', data: { by: alice, at: t(30) } },
      { type: 'RecordTeardown', data: { remaining: [], at: t(31) } },
    ]);
    workflow
      .given(closed)
      .when(t(31))
      .then({ steps: ['webhook:bye'], finished: false });
  });

  it('an alert escalated to a narrower failover drops the steps of the servers left out', () => {
    const alert = alertRaised({ estate, runbook });
    const escalated = play(alert, [
      {
        type: 'EscalateAlert',
        data: {
          scope: { servers: ['lone'] },
          estate,
          by: alice,
          reason: null,
          confirmation: confirmationAt(t(1)),
          at: t(1),
        },
      } as ActivationCommand,
    ]);
    expect(stateOf(escalated).steps.map((x) => x.snapshot.name)).toEqual(['bye']);
  });

  it('an activation that ends without running skips its steps, and is finished', () => {
    const stoodDown = play(alertRaised({ estate, runbook }), [
      { type: 'StandDownAlert', data: { by: alice, reason: 'false alarm', at: t(5) } },
    ]);
    expect(viewOf(stateOf(stoodDown)).steps.every((x) => x.status === 'skipped')).toBe(true);
    workflow.given(stoodDown).when(t(6)).then({ steps: [], finished: true });
  });

  it('runs post-cleanup steps once the teardown is verified, while the activation is closed', () => {
    const failed = play(db1Up(), [
      ...run('db1-port', t(18), t(18)),
      ...run('db1-fix', t(18), t(19), 'Failed'),
    ]);
    const closed = play(failed, [
      { type: 'RequestClose', data: { by: alice, at: t(40) } },
      { type: 'RecordTeardown', data: { remaining: [], at: t(45) } },
    ]);
    expect(stateOf(closed).status).toBe('closed');
    workflow
      .given(closed)
      .when(t(45))
      .then({ steps: ['webhook:bye'], finished: false });
    const done = play(closed, run('bye', t(45), t(46)));
    workflow.given(done).when(t(46)).then({ steps: [], finished: true });
    expect(isFinished(stateOf(done))).toBe(true);
  });

  it('reports steps on the timeline and a failed step as a corrective action', () => {
    const failed = stateOf(
      play(db1Up(), [...run('db1-port', t(18), t(18)), ...run('db1-fix', t(18), t(19), 'Failed')]),
    );
    const report = buildReport(failed, { customerNumber: 'C1', domain: 'acme.test' });
    expect(report.steps.find((x) => x.name === 'db1-fix')).toMatchObject({
      status: 'failed',
      timeline: [{ phase: 'runbook-step', startMinutes: 18, endMinutes: 19, outcome: 'failed' }],
    });
    expect(report.correctiveActions.filter((a) => a.code === 'runbook-step-failed')).toEqual([
      {
        code: 'runbook-step-failed',
        action:
          'runbook step db1-fix (script) failed (exit 1); it blocked erp-ok, notify, app: fix it and retry the step, or review the runbook.',
      },
    ]);
  });

  it('projects a server that waits for steps after them (live RTO projection)', () => {
    const s = stateOf(db1Up());
    // now t(18): script 5 min and check 1 min from now → 23, sign-off 30 → 53, then app boots 5 + analysis 2
    expect(projectAvailability(s, t(18), estimatesFromSizes()).get(id('app'))).toBe(60);
    const failed = stateOf(play(db1Up(), run('db1-fix', t(18), t(19), 'Failed')));
    expect(projectAvailability(failed, t(19), estimatesFromSizes()).has(id('app'))).toBe(false);
  });

  it('maps a step that gave up to its failure', () => {
    expect(
      stepFailure(
        { kind: 'webhook', serverId: null, attempt: 2, step: 'notify' },
        { reason: 'gave up', at: t(1) },
      ),
    ).toEqual({
      type: 'RecordRunbookStepFailed',
      data: { name: 'notify', attempt: 2, reason: 'gave up', at: t(1) },
    });
    expect(whatIsDue(stateOf(test()), t(0)).steps.every((s) => !s.key.includes(':'))).toBe(true);
  });
});
