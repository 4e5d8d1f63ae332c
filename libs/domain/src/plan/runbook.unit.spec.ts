import {
  estateRegistryDecider,
  type EstateChangeDecided,
  type EstateRegistryCommand,
  type EstateRegistryEvent,
} from '../estate/estate-registry';
import type { ServerSpec } from '../estate/server';
import { serverSpec } from '../estate/testing/fixtures';
import { deciderSpecification } from '../shared/testing/specification';
import type { RunbookStepInput } from './runbook';

const NOW = '2026-11-29T09:00:00.000Z';
const id = (hostname: string) => `id-${hostname}`;
const enrol = (hostname: string, o: Partial<ServerSpec> = {}): EstateRegistryCommand => ({
  type: 'EnrolServer',
  serverId: id(hostname),
  tenantId: 't1',
  spec: serverSpec(hostname, o),
  now: NOW,
});
const setRunbook = (...steps: RunbookStepInput[]): EstateRegistryCommand => ({ type: 'SetRunbook', steps });
const { given } = deciderSpecification(estateRegistryDecider);

function history(...commands: EstateRegistryCommand[]): EstateRegistryEvent[] {
  const events: EstateRegistryEvent[] = [];
  for (const command of commands) {
    const state = events.reduce(estateRegistryDecider.evolve, estateRegistryDecider.initialState());
    events.push(...estateRegistryDecider.decide(command, state));
  }
  return events;
}
const stateOf = (events: EstateRegistryEvent[]) =>
  events.reduce(estateRegistryDecider.evolve, estateRegistryDecider.initialState());

const script: RunbookStepInput = {
  name: 'db-fixup',
  kind: 'script',
  after: ['db-1'],
  server: 'db-1',
  interpreter: 'bash',
  script: 'echo ok',
};
const port: RunbookStepInput = {
  name: 'db-port',
  kind: 'check',
  after: ['db-1'],
  server: 'db-1',
  probe: { tcp: 5432 },
};
const signOff: RunbookStepInput = {
  name: 'erp-sign-off',
  kind: 'manual',
  after: ['db-fixup', 'db-port'],
  instructions: 'Check the ERP',
};
const estate = () => [enrol('db-1'), enrol('web-1', { dependsOn: ['db-1'] })];

describe('runbook steps in the plan (estate registry)', () => {
  it('records the runbook with its defaults and counts versions', () => {
    const events = history(...estate(), setRunbook(script, port, signOff));
    const state = stateOf(events);
    expect(state.runbook.version).toBe(1);
    expect(state.runbook.steps.map((s) => [s.name, s.onFailure, s.timeoutMinutes, s.scope])).toEqual([
      ['db-fixup', 'block', 30, 'all'],
      ['db-port', 'block', 10, 'all'],
      ['erp-sign-off', 'block', 240, 'all'],
    ]);
    // the same runbook again changes nothing
    given(events)
      .when(setRunbook(script, port, signOff))
      .then([]);
  });

  it('lets a server depend on a step, and refuses the cycle this closes, named', () => {
    const past = history(...estate(), setRunbook(script, port, signOff));
    const [decision] = given(past)
      .when({ type: 'ChangeDependencies', serverId: id('web-1'), dependsOn: ['db-1', 'erp-sign-off'] })
      .then([expect.anything()]);
    expect((decision as EstateChangeDecided).data.changes[0].events[0].data).toMatchObject({
      dependsOn: [
        { serverId: 'id-db-1', hostname: 'db-1' },
        { serverId: 'runbook-step:erp-sign-off', hostname: 'erp-sign-off' },
      ],
    });
    given(past)
      .when({ type: 'ChangeDependencies', serverId: id('db-1'), dependsOn: ['db-fixup'] })
      .thenThrows('rule', 'dependency-cycle', { cycle: ['db-1', 'db-fixup', 'db-1'] });
    // a step after a server that depends on it
    const withDep = history(...estate(), setRunbook(script, port, signOff), {
      type: 'ChangeDependencies',
      serverId: id('web-1'),
      dependsOn: ['erp-sign-off'],
    });
    given(withDep)
      .when(setRunbook(script, port, { ...signOff, after: ['web-1'] }))
      .thenThrows('rule', 'dependency-cycle', { cycle: ['erp-sign-off', 'web-1', 'erp-sign-off'] });
    // nor can a step a server depends on be removed
    given(withDep).when(setRunbook(script, port)).thenThrows('rule', 'step-has-dependents');
  });

  it('keeps step names and hostnames apart, both ways', () => {
    given(history(...estate()))
      .when(setRunbook({ ...port, name: 'web-1' }))
      .thenThrows('rule', 'invalid-runbook', {
        errors: [{ field: 'steps[0].name', message: 'a server is named web-1' }],
      });
    given(history(...estate(), setRunbook(port)))
      .when(enrol('db-port'))
      .thenThrows('conflict', 'duplicate-hostname');
  });

  it('refuses unknown names, unknown servers and duplicates, each named', () => {
    given(history(...estate()))
      .when(setRunbook({ ...port, after: ['nope'], server: 'ghost' }, { ...script, name: 'db-port' }))
      .thenThrows('validation', 'invalid-runbook', {
        errors: [{ field: 'steps[1].name', message: 'duplicate of steps[0].name' }],
      });
    given(history(...estate()))
      .when(setRunbook({ ...port, after: ['nope'], server: 'ghost' }))
      .thenThrows('rule', 'invalid-runbook', {
        errors: [
          { field: 'steps[0].after', message: 'no server or step named nope, ghost' },
          { field: 'steps[0].server', message: 'no active server of this tenant named ghost' },
        ],
      });
  });

  it('checks each kind for its own fields', () => {
    given(history(...estate()))
      .when(
        setRunbook(
          { name: 'hook', kind: 'webhook', url: 'ftp://x', server: 'db-1' },
          { name: 'probe', kind: 'check', server: 'db-1', probe: { tcp: 80, http: '/' } },
          { name: 'ask', kind: 'manual' } as RunbookStepInput,
          { ...script, name: 'run', timeoutMinutes: 0 },
        ),
      )
      .thenThrows('validation', 'invalid-runbook', {
        errors: [
          { field: 'steps[0].server', message: 'is not a field of a webhook step' },
          { field: 'steps[0].url', message: 'must be an http(s) URL' },
          { field: 'steps[1].probe', message: 'must be {tcp: port} or {http: path, expectStatus}' },
          { field: 'steps[2].instructions', message: 'required for a manual step' },
          { field: 'steps[3].timeoutMinutes', message: 'must be a whole number of minutes from 1 to 10080' },
        ],
      });
  });

  it('a script or a check follows its server; a server cannot wait for a step that runs in it', () => {
    const state = stateOf(history(...estate(), setRunbook({ ...script, after: [] })));
    expect(state.runbook.steps[0].after).toEqual(['db-1']);
    given(history(...estate(), setRunbook({ ...port, name: 'web-port', server: 'web-1', after: [] })))
      .when({ type: 'ChangeDependencies', serverId: id('web-1'), dependsOn: ['db-1', 'web-port'] })
      .thenThrows('rule', 'dependency-cycle', { cycle: ['web-1', 'web-port', 'web-1'] });
    given(history(...estate()))
      .when(setRunbook({ ...script, after: ['teardown'] }))
      .thenThrows('validation', 'invalid-runbook', {
        errors: [
          {
            field: 'steps[0].after',
            message: 'a script step runs in its server: it cannot follow "teardown"',
          },
        ],
      });
  });

  it('accepts post-cleanup steps after "teardown" alone', () => {
    const hook: RunbookStepInput = {
      name: 'notify',
      kind: 'webhook',
      url: 'https://x.example/h',
      after: ['teardown'],
    };
    expect(stateOf(history(...estate(), setRunbook(hook))).runbook.steps[0].after).toEqual(['teardown']);
    given(history(...estate()))
      .when(setRunbook({ ...hook, after: ['teardown', 'db-1'] }))
      .thenThrows('rule', 'invalid-runbook');
  });
});
