import { fold } from '../shared/decider';
import { DomainError } from '../shared/errors';
import { serverDecider, ServerSpec, ServerState } from '../estate/server';
import { planDecider } from './authorised-persons';
import { computePlan } from './plan-view';
import { estateReadinessFindings } from './readiness';
import { runbookReadinessFindings, type RunbookStep } from './runbook';

const mk = (
  hostname: string,
  o: Partial<ServerSpec> & { id?: string; dependsOnIds?: string[]; status?: ServerState['status'] } = {},
): ServerState => {
  const s = fold(serverDecider, [
    {
      type: 'ServerEnrolled',
      data: {
        serverId: o.id ?? hostname,
        tenantId: 't',
        hostname,
        kind: 'virtual',
        platform: 'vmware',
        os: { family: 'linux', name: 'Ubuntu', version: '22.04' },
        backupMode: 'agent',
        applications: [],
        template: { vcpu: 2, ramGiB: 4 },
        disks: [{ name: 'd', sizeGiB: 50 }],
        protectionClass: 'drp',
        rtoMinutes: null,
        rpoMinutes: null,
        recoveryMethod: 'backup-restore',
        ...o,
        dependsOn: (o.dependsOn ?? []).map((h) => ({ hostname: h, serverId: h })),
        at: 'x',
      },
    },
  ]) as ServerState;
  return { ...s, status: o.status ?? 'active' };
};

describe('plan', () => {
  it('puts runbook steps in the predicted RTO with their kind estimates (post-cleanup steps outside)', () => {
    const base = { onFailure: 'block', timeoutMinutes: 30, scope: 'all' } as const;
    const runbook: RunbookStep[] = [
      { ...base, name: 'fix', kind: 'script', after: ['db'], server: 'db', interpreter: 'bash', script: 'x' },
      { ...base, name: 'ok', kind: 'manual', after: ['fix'], instructions: 'x', assignee: null },
      {
        ...base,
        name: 'bye',
        kind: 'webhook',
        after: ['teardown'],
        url: 'https://x',
        method: 'POST',
        body: null,
        expectStatus: null,
      },
    ];
    const plan = computePlan(
      [
        mk('db', { disks: [{ name: 'd', sizeGiB: 500 }] }),
        mk('app', { dependsOn: ['db'] }),
        mk('web', { dependsOn: ['app', 'ok'] }),
      ],
      undefined,
      runbook,
    );
    // db 16 (as below); the script 5 → 21, the sign-off 30 → 51; web waits for it: 51 + 6 = 57
    expect(plan.steps.map((s) => [s.name, s.estimateMinutes, s.predictedDoneAfterMinutes])).toEqual([
      ['fix', 5, 21],
      ['ok', 30, 51],
      ['bye', 1, null],
    ]);
    expect(plan.predictedRtoMinutes).toBe(57);
    expect(plan.criticalPath).toEqual(['db', 'fix', 'ok', 'web']);
    expect(plan.bootWaves).toEqual([['db'], ['app'], ['web']]);
    expect(runbookReadinessFindings(runbook, new Set(['app', 'web']), false).map((f) => f.code)).toEqual([
      'runbook-unknown-server',
    ]);
    const http = [{ ...runbook[2], url: 'http://x' } as RunbookStep];
    expect(runbookReadinessFindings(http, new Set(), false)).toMatchObject([
      { severity: 'warning', code: 'runbook-webhook-not-https' },
    ]);
    expect(runbookReadinessFindings(http, new Set(), true)).toEqual([]);
  });

  it('computes waves, critical path and predicted RTO', () => {
    const plan = computePlan([
      mk('db', { disks: [{ name: 'd', sizeGiB: 500 }] }),
      mk('app', { dependsOn: ['db'] }),
      mk('web', { dependsOn: ['app'] }),
      mk('bk', { protectionClass: 'backup-only' }),
    ]);
    expect(plan.bootWaves).toEqual([['db'], ['app'], ['web']]);
    expect(plan.criticalPath).toEqual(['db', 'app', 'web']);
    // The three restores share 60 GiB/min: app and web (50 GiB) are done at 2.5 min, db (500 GiB) at
    // 10 min; db available at 10 + 3 boot + 3 analysis = 16; app 22; web 28.
    expect(plan.predictedRtoMinutes).toBe(28);
    expect(plan.servers.map((s) => s.hostname)).toEqual(['app', 'db', 'web']);
  });
  it('restores large servers with long downstream chains first when restores must queue', () => {
    // 20 servers of 600 GiB restore before a chain root of the same size would, if order were by name;
    // the root's chain (root → mid → top) makes it go first.
    const leaves = Array.from({ length: 20 }, (_, i) =>
      mk(`a-leaf-${i}`, { disks: [{ name: 'd', sizeGiB: 600 }] }),
    );
    const plan = computePlan([
      ...leaves,
      mk('z-root', { disks: [{ name: 'd', sizeGiB: 600 }] }),
      mk('z-mid', { dependsOn: ['z-root'] }),
      mk('z-top', { dependsOn: ['z-mid'] }),
    ]);
    const at = (h: string) => plan.servers.find((s) => s.hostname === h)!.predictedAvailableAfterMinutes!;
    expect(at('z-root')).toBeLessThan(at('a-leaf-19'));
  });
  it('replication is much faster than restore', () => {
    const restore = computePlan([mk('a', { disks: [{ name: 'd', sizeGiB: 10000 }] })]).predictedRtoMinutes;
    const replica = computePlan([
      mk('a', { disks: [{ name: 'd', sizeGiB: 10000 }], recoveryMethod: 'vm-replication' }),
    ]).predictedRtoMinutes;
    expect(replica).toBeLessThan(restore / 10);
  });
  it('finds cycles, missing dependencies, drp → non-drp, unsupported OS, no authorised person', () => {
    const servers = [
      mk('a', { dependsOn: ['b'] }),
      mk('b', { dependsOn: ['a'] }),
      mk('c', { dependsOn: ['gone'] }),
      mk('gone', { status: 'decommissioned' }),
      mk('d', { dependsOn: ['e'] }),
      mk('e', { protectionClass: 'backup-only' }),
      mk('old', { os: { family: 'linux', name: 'CentOS', version: '6' } }),
    ];
    const findings = estateReadinessFindings({
      servers,
      authorisedPersons: [],
      plan: computePlan(servers),
      now: '2026-11-29T12:00:00.000Z',
    });
    const codes = findings.map((f) => f.code);
    expect(codes).toEqual(
      expect.arrayContaining([
        'no-authorised-person',
        'dependency-cycle',
        'missing-dependency',
        'drp-depends-on-non-drp',
        'unsupported-os-or-mode',
      ]),
    );
    expect(findings.find((f) => f.code === 'dependency-cycle')?.servers).toEqual(['a', 'b', 'a']);
    expect(findings.find((f) => f.code === 'missing-dependency')?.message).toMatch(/gone \(decommissioned\)/);
  });
  it('is ready with a clean estate and an authorised person', () => {
    const servers = [mk('a')];
    expect(
      estateReadinessFindings({
        servers,
        authorisedPersons: [{ name: 'A', email: 'a@x.io', phone: null }],
        plan: computePlan(servers),
        now: '2026-11-29T12:00:00.000Z',
      }),
    ).toEqual([]);
  });
});

describe('authorised persons decider', () => {
  it('sets persons, lower-cases e-mails, reports added/removed', () => {
    const [e] = planDecider.decide(
      { type: 'SetAuthorisedPersons', persons: [{ name: 'Alice', email: 'Alice@Acme.io', phone: null }] },
      planDecider.initialState(),
    );
    expect(e.data).toEqual({
      persons: [{ name: 'Alice', email: 'alice@acme.io', phone: null }],
      added: ['alice@acme.io'],
      removed: [],
    });
  });
  it('rejects bad e-mails, phones and duplicates', () => {
    try {
      planDecider.decide(
        {
          type: 'SetAuthorisedPersons',
          persons: [
            { name: 'A', email: 'nope', phone: 'abc' },
            { name: 'B', email: 'b@x.io', phone: null },
            { name: 'C', email: 'B@x.io', phone: null },
          ],
        },
        planDecider.initialState(),
      );
      throw new Error('expected');
    } catch (e) {
      expect((e as DomainError).details.errors?.map((x) => x.field)).toEqual([
        '[0].email',
        '[0].phone',
        '[2].email',
      ]);
    }
  });
});
