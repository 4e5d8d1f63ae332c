import type { RunbookStep } from '../plan/runbook';
import type { ActivationCommand } from './activation.commands';
import { resolveScope } from './scope';
import {
  alertRaised,
  alice,
  authorised,
  awaitingDisaster,
  bob,
  bringUp,
  confirmationAt,
  diamond,
  id,
  networkUp,
  requested,
  restoreAll,
  server,
  t,
} from './testing/fixtures';
import { given, play, stateOf } from './testing/given-when-then';
import { workflowSpecification } from './testing/workflow-specification';

/**
 * Runbook steps and the scope of an activation: the upstream closure of a partial scope goes through
 * steps as through servers, and servers joining later (escalation, widening) bring their steps.
 *
 * The plan: `web` depends on the sign-off `gate`, which follows `lone` and the webhook `ping`, which
 * follows `dc`. `app` depends on the sign-off `erp-ok`, which follows a script in `db1`. A manual
 * step of tests only follows `db2`, and `db2` depends on it.
 */
const base = { onFailure: 'block', timeoutMinutes: 30, scope: 'all' } as const;
const webhook = (name: string, after: string[]): RunbookStep => ({
  ...base,
  name,
  kind: 'webhook',
  after,
  url: `https://x.test/${name}`,
  method: 'POST',
  body: null,
  expectStatus: null,
});
const manual = (name: string, after: string[], scope: RunbookStep['scope'] = 'all'): RunbookStep => ({
  ...base,
  name,
  kind: 'manual',
  after,
  scope,
  instructions: `${name}?`,
  assignee: null,
});
const runbook: RunbookStep[] = [
  webhook('ping', ['dc']),
  manual('gate', ['lone', 'ping']),
  {
    ...base,
    name: 'db1-fix',
    kind: 'script',
    after: ['db1'],
    server: 'db1',
    interpreter: 'bash',
    script: 'fix',
  },
  manual('erp-ok', ['db1-fix']),
  manual('test-only', ['db2'], 'test'),
];
const estate = [
  ...diamond.map((s) =>
    s.hostname === 'app'
      ? server('app', { dependsOn: ['db1', 'db2', 'erp-ok'] })
      : s.hostname === 'db2'
        ? server('db2', { dependsOn: ['dc', 'test-only'] })
        : s,
  ),
  server('web', { dependsOn: ['gate'] }),
];
const always = { activationWindow: '24x7', timeZone: 'Europe/Paris' } as const;
const workflow = workflowSpecification();
const stepsOf = (events: Parameters<typeof stateOf>[0]) =>
  stateOf(events).steps.map((x) => [x.snapshot.name, x.snapshot.gates]);
const signOff = (name: string, at: string): ActivationCommand => ({
  type: 'SignOffRunbookStep',
  data: { name, note: 'ok', by: alice, at },
});
const confirm = (at: string): ActivationCommand => ({
  type: 'ConfirmActivation',
  data: { email: bob.email, codeValid: true, authorisedPersons: authorised, at },
});

describe('runbook steps in the scope of an activation', () => {
  it('pulls in the steps a server of a partial scope depends on, and what they follow, transitively', () => {
    const { scope, servers } = resolveScope(estate, { servers: ['web'] }, 'drp-test', runbook);
    expect(servers.map((s) => [s.hostname, s.dependsOn])).toEqual([
      ['dc', []],
      ['lone', []],
      ['web', []],
    ]);
    expect(scope.added).toEqual([
      { hostname: 'dc', requiredBy: ['ping'] },
      { hostname: 'lone', requiredBy: ['gate'] },
    ]);
    expect(scope.excluded).toEqual([]);
  });

  it('pulls only the steps the activation runs: a step of tests is no dependency of a failover', () => {
    const test = resolveScope(estate, { servers: ['db2'] }, 'drp-test', runbook);
    const failover = resolveScope(estate, { servers: ['db2'] }, 'failover', runbook);
    expect(test.servers.map((s) => [s.hostname, s.dependsOn])).toEqual([
      ['dc', []],
      ['db2', ['dc']],
    ]);
    expect(failover.servers.map((s) => s.hostname)).toEqual(['dc', 'db2']);
    // a step name is never reported as an unknown server
    expect(failover.scope.excluded).toEqual([]);
  });

  it('a server of a partial scope waits for the step it depends on, which follows a server outside it', () => {
    const events = requested({ type: 'test', scope: { servers: ['web'] }, estate, runbook, window: always });
    expect(stepsOf(events)).toEqual([
      ['ping', []],
      ['gate', [id('web')]],
    ]);
    const up = play(events, [
      ...['dc', 'lone', 'web'].flatMap((h) => restoreAll(h, t(0), t(10))),
      ...networkUp(t(1)),
      ...bringUp('dc', t(10), t(12), t(14)),
      ...bringUp('lone', t(10), t(12), t(14)),
    ]);
    workflow
      .given(up)
      .when(t(14))
      .then({ steps: ['webhook:ping'] });
    const pinged = play(up, [
      { type: 'RecordRunbookStepStarted', data: { name: 'ping', attempt: 1, at: t(14) } },
      { type: 'RecordRunbookStepSucceeded', data: { name: 'ping', attempt: 1, detail: '200', at: t(15) } },
    ]);
    // web's own dependencies (none) are met, but it waits for the sign-off
    workflow
      .given(pinged)
      .when(t(15))
      .then({ steps: ['manual:gate'] });
    workflow
      .given(
        play(pinged, [
          { type: 'RecordRunbookStepStarted', data: { name: 'gate', attempt: 1, at: t(15) } },
          signOff('gate', t(20)),
        ]),
      )
      .when(t(20))
      .then({ steps: ['boot:web'] });
  });

  it('an escalated alert gives the servers it pulls in their runbook steps, as a request does', () => {
    const alert = alertRaised({ scope: { servers: ['lone'] }, estate, runbook, window: always });
    expect(stepsOf(alert)).toEqual([]);
    const [escalated] = given(alert)
      .when({
        type: 'EscalateAlert',
        data: {
          scope: { servers: ['lone', 'web'] },
          estate,
          runbook,
          by: alice,
          reason: 'the flood is here',
          confirmation: confirmationAt(t(1)),
          at: t(1),
        },
      })
      .thenTypes('AlertEscalated', 'ConfirmationRequested');
    expect(escalated.type === 'AlertEscalated' && escalated.data.scope).toMatchObject({
      added: [{ hostname: 'dc', requiredBy: ['ping'] }],
      excluded: [],
    });
    const state = stateOf([...alert, escalated]);
    expect(state.servers.map((x) => x.snapshot.hostname)).toEqual(['dc', 'lone', 'web']);
    expect(stepsOf([...alert, escalated])).toEqual([
      ['ping', []],
      ['gate', [id('web')]],
    ]);
    // escalated to a narrower failover, a step kept no longer waits for a server left out
    const narrower = play(alertRaised({ scope: { servers: ['web'] }, estate, runbook, window: always }), [
      {
        type: 'EscalateAlert',
        data: {
          scope: { servers: ['dc', 'lone'] },
          estate,
          runbook,
          by: alice,
          confirmation: confirmationAt(t(1)),
          at: t(1),
        },
      },
    ]);
    expect(stepsOf(narrower)).toEqual([
      ['ping', []],
      ['gate', []],
    ]);
  });

  it('a widened failover gives the new servers their steps; a step it runs already gains those that wait for it', () => {
    const running = play(
      awaitingDisaster({ scope: { servers: ['dc', 'lone'] }, estate, runbook, window: always }),
      [confirm(t(1)), ...networkUp(t(2))],
    );
    expect(stepsOf(running)).toEqual([
      ['ping', []],
      ['gate', []],
    ]);
    const [widening] = given(running)
      .when({
        type: 'WidenScope',
        data: {
          scope: { servers: ['web', 'app'] },
          estate,
          runbook,
          confirmation: confirmationAt(t(60)),
          by: alice,
          reason: 'web and app too',
          at: t(60),
        },
      })
      .thenTypes('ScopeWideningRequested');
    expect(widening.type === 'ScopeWideningRequested' && widening.data).toMatchObject({
      steps: [
        { name: 'db1-fix', serverId: id('db1'), gates: [] },
        { name: 'erp-ok', gates: [id('app')] },
      ],
      stepGates: [{ name: 'gate', serverIds: [id('web')] }],
    });
    // the steps join with the servers, once the widening is confirmed
    expect(stepsOf([...running, widening])).toEqual([
      ['ping', []],
      ['gate', []],
    ]);
    const confirmed = play([...running, widening], [confirm(t(61))]);
    expect(stepsOf(confirmed)).toEqual([
      ['ping', []],
      ['gate', [id('web')]],
      ['db1-fix', []],
      ['erp-ok', [id('app')]],
    ]);
  });
});
