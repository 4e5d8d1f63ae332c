import { streams } from '../shared/streams';
import { completerSpecification, deciderSpecification } from '../shared/testing/specification';
import {
  estateCompleter,
  estateRegistryDecider,
  type EstateChangeDecided,
  type EstateRegistryCommand,
  type EstateRegistryEvent,
} from './estate-registry';
import type { ServerSpec } from './server';
import { serverSpec } from './testing/fixtures';

const NOW = '2026-11-29T09:00:00.000Z';
const spec = serverSpec;
const id = (hostname: string) => `id-${hostname}`;
const enrol = (hostname: string, o: Partial<ServerSpec> = {}): EstateRegistryCommand => ({
  type: 'EnrolServer',
  serverId: id(hostname),
  tenantId: 't1',
  spec: spec(hostname, o),
  now: NOW,
});
const importRows = (...specs: Array<ServerSpec | null>): EstateRegistryCommand => ({
  type: 'ImportServers',
  tenantId: 't1',
  rows: specs.map((s) => (s ? { serverId: id(s.hostname), spec: s } : null)),
  rejected: [],
  now: NOW,
});
const { given } = deciderSpecification(estateRegistryDecider);

/** The registry's history after `commands`, each decided on the state the previous ones left. */
function history(...commands: EstateRegistryCommand[]): EstateRegistryEvent[] {
  const events: EstateRegistryEvent[] = [];
  for (const command of commands) {
    const state = events.reduce(estateRegistryDecider.evolve, estateRegistryDecider.initialState());
    events.push(...estateRegistryDecider.decide(command, state));
  }
  return events;
}

const changesOf = (events: EstateRegistryEvent[]) =>
  (events as EstateChangeDecided[]).flatMap((e) =>
    e.data.changes.map((c) => [c.serverId, c.events.map((x) => x.type)]),
  );

describe('estate registry decider', () => {
  it('decides an enrolment: the decision carries the events the server stream will record', () => {
    const events = given([])
      .when(enrol('db-1', { dependsOn: [] }))
      .then([
        {
          type: 'EstateChangeDecided',
          data: {
            changes: [
              {
                serverId: 'id-db-1',
                events: [
                  {
                    type: 'ServerEnrolled',
                    data: expect.objectContaining({
                      serverId: 'id-db-1',
                      hostname: 'db-1',
                      dependsOn: [],
                      at: NOW,
                    }),
                  },
                ],
              },
            ],
          },
        } as never,
      ]);
    expect(events).toHaveLength(1);
  });

  it('resolves dependencies on servers it knows, even before their streams are completed', () => {
    const past = history(enrol('db-1'));
    const [decision] = given(past)
      .when(enrol('app-1', { dependsOn: ['db-1'] }))
      .then([expect.anything()]);
    expect((decision as EstateChangeDecided).data.changes[0].events[0].data).toMatchObject({
      dependsOn: [{ serverId: 'id-db-1', hostname: 'db-1' }],
    });
  });

  it('holds a hostname from its decision until the server is decommissioned', () => {
    given(history(enrol('db-1')))
      .when({ ...enrol('db-1'), serverId: 'other' } as EstateRegistryCommand)
      .thenThrows('conflict', 'duplicate-hostname', {
        errors: [{ field: 'hostname', message: 'already used in this tenant' }],
      });
    const archived = history(enrol('db-1'), { type: 'ArchiveServer', serverId: id('db-1'), now: NOW });
    given(archived)
      .when({ ...enrol('db-1'), serverId: 'other' } as EstateRegistryCommand)
      .thenThrows('conflict', 'duplicate-hostname');
    const gone = history(enrol('db-1'), { type: 'DecommissionServer', serverId: id('db-1'), now: NOW });
    expect(
      changesOf(
        given(gone)
          .when({ ...enrol('db-1'), serverId: 'new' } as EstateRegistryCommand)
          .then([expect.anything()]),
      ),
    ).toEqual([['new', ['ServerEnrolled']]]);
  });

  it('refuses to archive or decommission a server that a runbook step runs in or follows, naming the step', () => {
    const past = [
      ...history(enrol('db-1'), enrol('app-1')),
      {
        type: 'RunbookChanged',
        data: {
          steps: [
            {
              name: 'db-port',
              kind: 'check',
              server: 'db-1',
              probe: { tcp: 1433 },
              after: ['db-1'],
              onFailure: 'block',
              timeoutMinutes: 5,
              scope: 'all',
            },
          ],
        },
      },
    ] as EstateRegistryEvent[];
    given(past)
      .when({ type: 'DecommissionServer', serverId: id('db-1'), now: NOW })
      .thenThrows('conflict', 'server-has-dependents', { dependents: ['db-port'] });
    given(past)
      .when({ type: 'ArchiveServer', serverId: id('db-1'), now: NOW })
      .thenThrows('conflict', 'server-has-dependents', { dependents: ['db-port'] });
    given(past)
      .when({ type: 'DecommissionServer', serverId: id('app-1'), now: NOW })
      .then([expect.anything()]);
  });

  it('validates the request before the business conflict (400 before 409)', () => {
    given(history(enrol('db-1')))
      .when({
        ...enrol('db-1', { template: { vcpu: 0, ramGiB: 4 } }),
        serverId: 'other',
      } as EstateRegistryCommand)
      .thenThrows('validation', 'invalid-server');
  });

  it('keeps the estate-wide rules: cycles named in order, dependents, drp → non-drp, unknown servers', () => {
    const past = history(
      enrol('db-1'),
      enrol('app-1', { dependsOn: ['db-1'] }),
      enrol('web-1', { dependsOn: ['app-1'] }),
    );
    given(past)
      .when({ type: 'ChangeDependencies', serverId: id('db-1'), dependsOn: ['web-1'] })
      .thenThrows('rule', 'dependency-cycle', { cycle: ['db-1', 'web-1', 'app-1', 'db-1'] });
    given(past)
      .when({ type: 'DecommissionServer', serverId: id('db-1'), now: NOW })
      .thenThrows('conflict', 'server-has-dependents', { dependents: ['app-1'] });
    given(past)
      .when({ type: 'ChangeProtectionClass', serverId: id('db-1'), protectionClass: 'backup-only' })
      .thenThrows('rule', 'drp-dependents', { dependents: ['app-1'] });
    given(past)
      .when(enrol('x-1', { dependsOn: ['ghost'] }))
      .thenThrows('rule', 'unknown-dependency');
    given(past)
      .when({ type: 'ArchiveServer', serverId: 'nope', now: NOW })
      .thenThrows('not-found', 'server-not-found');
    given(past)
      .when({ type: 'ChangeProtectionClass', serverId: id('web-1'), protectionClass: 'drp' })
      .thenNothing();
  });

  it('decides on its own knowledge: a decommission decided is final even before its completion', () => {
    const past = history(enrol('db-1'), { type: 'DecommissionServer', serverId: id('db-1'), now: NOW });
    given(past)
      .when({ type: 'ChangeDependencies', serverId: id('db-1'), dependsOn: [] })
      .thenThrows('conflict', 'server-decommissioned');
    given(past)
      .when(enrol('app-1', { dependsOn: ['db-1'] }))
      .thenThrows('rule', 'unknown-dependency');
  });

  describe('import: one decision for every row, or none', () => {
    it('decides every row at once, with dependencies between rows', () => {
      const events = given(history(enrol('dc-1')))
        .when(
          importRows(
            spec('web', { dependsOn: ['app'] }),
            spec('app', { dependsOn: ['db', 'dc-1'] }),
            spec('db'),
          ),
        )
        .then([expect.anything()]);
      expect(changesOf(events)).toEqual([
        ['id-web', ['ServerEnrolled']],
        ['id-app', ['ServerEnrolled']],
        ['id-db', ['ServerEnrolled']],
      ]);
    });
    it('409 naming each duplicate row (in the batch and in the tenant)', () => {
      const error = given(history(enrol('db')))
        .when(importRows(spec('a'), spec('db'), spec('a')))
        .thenThrows('conflict', 'duplicate-hostname');
      expect((error.details.rows as Array<{ row: number }>).map((r) => r.row)).toEqual([1, 2]);
    });
    it('422 naming a cycle across the batch; 400 when a row was refused for its shape', () => {
      given([])
        .when(importRows(spec('c-a', { dependsOn: ['c-b'] }), spec('c-b', { dependsOn: ['c-a'] })))
        .thenThrows('rule', 'dependency-cycle', { cycle: ['c-a', 'c-b', 'c-a'] });
      const shape = given(history(enrol('db'))).when({
        ...importRows(spec('ok'), null, spec('db')),
        rejected: [{ row: 1, hostname: null, errors: [{ field: '[1]', message: 'must be an object' }] }],
      } as EstateRegistryCommand);
      const error = shape.thenThrows('validation', 'invalid-import');
      expect((error.details.rows as Array<{ row: number }>).map((r) => r.row)).toEqual([1, 2]);
    });
  });

  it('opens the registry of a tenant enrolled before it existed, once', () => {
    const seed = [
      {
        id: 's1',
        hostname: 'legacy',
        status: 'active' as const,
        protectionClass: 'drp' as const,
        dependsOn: [],
      },
    ];
    const opened = given([])
      .when({ type: 'OpenEstateRegistry', servers: seed })
      .then([{ type: 'EstateRegistryOpened', data: { servers: seed } }]);
    given(opened).when({ type: 'OpenEstateRegistry', servers: seed }).thenNothing();
    given(opened).when(enrol('legacy')).thenThrows('conflict', 'duplicate-hostname');
    given([]).when({ type: 'OpenEstateRegistry', servers: [] }).thenNothing();
  });
});

describe('estate completer (process manager)', () => {
  const { when } = completerSpecification(estateCompleter);
  it('turns a decision into one completion per server stream, with the decided events', () => {
    const [decision] = history(
      importRows(spec('a'), spec('b', { dependsOn: ['a'] })),
    ) as EstateChangeDecided[];
    when({ ...decision, stream: streams.estate('t1') }).then(
      decision.data.changes.map((c) => ({ stream: streams.server('t1', c.serverId), events: c.events })),
    );
  });
  it('ignores every other event', () => {
    when({ type: 'EstateRegistryOpened', data: { servers: [] }, stream: streams.estate('t1') }).thenNothing();
    when({ type: 'ServerEnrolled', data: {}, stream: streams.server('t1', 's') }).thenNothing();
    when({ type: 'EstateChangeDecided', data: { changes: [] }, stream: 'platform/tenant/t1' }).thenNothing();
  });
});
