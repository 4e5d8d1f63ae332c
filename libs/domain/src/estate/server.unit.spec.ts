import { DomainError } from '../shared/errors';
import { estateViewOf } from './estate';
import {
  decideEstateChange,
  EstateServerCommand,
  EstateView,
  serverDecider,
  ServerCommand,
  ServerEvent,
  ServerSpec,
  ServerState,
} from './server';
import { serverSpec } from './testing/fixtures';
import { fold } from '../shared/decider';

const NOW = '2026-01-05T09:00:00.000Z';
const spec = serverSpec;
const empty: EstateView = { byHostname: new Map() };
const estate = (
  ...servers: Array<{
    id: string;
    hostname: string;
    protectionClass?: ServerSpec['protectionClass'];
    dependsOn?: string[];
  }>
) =>
  estateViewOf(
    servers.map((s) => ({ protectionClass: 'drp' as const, dependsOn: [], status: 'active' as const, ...s })),
  );

const enrol = (s: ServerSpec, view: EstateView = empty): EstateServerCommand => ({
  type: 'EnrolServer',
  serverId: `id-${s.hostname}`,
  tenantId: 't1',
  spec: s,
  estate: view,
  now: NOW,
});
const given = (events: ServerEvent[]) => fold(serverDecider, events);
const enrolled = (s: ServerSpec = spec('web-1'), view: EstateView = empty) =>
  decideEstateChange(enrol(s, view), null);

function thrown(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error('expected a DomainError');
}

describe('server decider', () => {
  describe('enrol', () => {
    it('records ServerEnrolled with resolved dependencies', () => {
      const events = enrolled(spec('web-1', { dependsOn: ['db-1'] }), estate({ id: 'd', hostname: 'db-1' }));
      expect(events).toEqual([
        expect.objectContaining({
          type: 'ServerEnrolled',
          data: expect.objectContaining({
            serverId: 'id-web-1',
            dependsOn: [{ serverId: 'd', hostname: 'db-1' }],
            at: NOW,
          }),
        }),
      ]);
      const state = given(events) as ServerState;
      expect(state).toMatchObject({ status: 'active', dependsOn: ['db-1'], dependsOnIds: ['d'] });
    });
    it('refuses an existing server', () => {
      expect(thrown(() => decideEstateChange(enrol(spec('a')), given(enrolled(spec('a'))))).kind).toBe(
        'conflict',
      );
    });
    it.each([
      ['bad hostname', spec('Web_1!'), 'hostname'],
      ['too long label', spec(`${'a'.repeat(64)}.example`), 'hostname'],
      ['vcpu 0', spec('a', { template: { vcpu: 0, ramGiB: 4 } }), 'template.vcpu'],
      ['vcpu 257', spec('a', { template: { vcpu: 257, ramGiB: 4 } }), 'template.vcpu'],
      ['ram 4097', spec('a', { template: { vcpu: 2, ramGiB: 4097 } }), 'template.ramGiB'],
      ['no disk', spec('a', { disks: [] }), 'disks'],
      ['disk too big', spec('a', { disks: [{ name: 'd', sizeGiB: 65537 }] }), 'disks[0].sizeGiB'],
      [
        'duplicate disk',
        spec('a', {
          disks: [
            { name: 'd', sizeGiB: 1 },
            { name: 'd', sizeGiB: 2 },
          ],
        }),
        'disks[1].name',
      ],
    ])('400 for %s', (_label, s, field) => {
      const error = thrown(() => enrolled(s));
      expect(error.kind).toBe('validation');
      expect(error.details.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field })]));
    });
    it('409 on a duplicate hostname', () => {
      expect(thrown(() => enrolled(spec('db-1'), estate({ id: 'other', hostname: 'db-1' }))).code).toBe(
        'duplicate-hostname',
      );
    });
    it('judges the rules (an unknown dependency) before the duplicate hostname', () => {
      const e = thrown(() =>
        enrolled(spec('db-1', { dependsOn: ['ghost'] }), estate({ id: 'other', hostname: 'db-1' })),
      );
      expect([e.kind, e.code, e.details.unknown]).toEqual(['rule', 'unknown-dependency', ['ghost']]);
    });
    it('422 agentless off VMware/Hyper-V', () => {
      const e = thrown(() => enrolled(spec('a', { platform: 'public-cloud', backupMode: 'agentless' })));
      expect([e.kind, e.code]).toEqual(['rule', 'agentless-unsupported-platform']);
    });
    it('accepts agentless on Hyper-V for Windows Server 2008', () => {
      expect(
        enrolled(
          spec('a', {
            platform: 'hyper-v',
            backupMode: 'agentless',
            os: { family: 'windows', name: 'Windows Server', version: '2008 R2' },
          }),
        ),
      ).toHaveLength(1);
    });
    it.each([
      [{ family: 'windows' as const, name: 'Windows Server', version: '2003' }],
      [{ family: 'windows' as const, name: 'Windows Server', version: '2008' }],
      [{ family: 'linux' as const, name: 'CentOS', version: '6' }],
      [{ family: 'linux' as const, name: 'CentOS', version: '7' }],
    ])('422 for %o in agent mode, telling to use agentless', (os) => {
      const e = thrown(() => enrolled(spec('a', { os })));
      expect([e.kind, e.code]).toEqual(['rule', 'unsupported-os']);
      expect(e.message).toMatch(/agentless/);
    });
    it('422 for SQL Server on Linux and Exchange 2007', () => {
      expect(
        thrown(() => enrolled(spec('a', { applications: [{ kind: 'sql-server', version: '2019' }] }))).code,
      ).toBe('unsupported-application');
      const win = { family: 'windows' as const, name: 'Windows Server', version: '2019' };
      expect(
        thrown(() => enrolled(spec('a', { os: win, applications: [{ kind: 'exchange', version: '2007' }] })))
          .code,
      ).toBe('unsupported-application');
      expect(
        enrolled(
          spec('a', {
            os: win,
            applications: [
              { kind: 'sql-server', version: '2022' },
              { kind: 'exchange', version: '2019' },
            ],
          }),
        ),
      ).toHaveLength(1);
    });
    it('422 for a physical server on a hypervisor', () => {
      expect(thrown(() => enrolled(spec('a', { kind: 'physical', platform: 'vmware' }))).code).toBe(
        'kind-platform-mismatch',
      );
    });
    it('422 for unknown dependencies, self-dependency cycle, and drp → non-drp', () => {
      expect(thrown(() => enrolled(spec('a', { dependsOn: ['ghost'] }))).details.unknown).toEqual(['ghost']);
      expect(thrown(() => enrolled(spec('a', { dependsOn: ['a'] }))).details.cycle).toEqual(['a', 'a']);
      const e = thrown(() =>
        enrolled(
          spec('a', { dependsOn: ['b'] }),
          estate({ id: 'b', hostname: 'b', protectionClass: 'backup-only' }),
        ),
      );
      expect([e.kind, e.code]).toEqual(['rule', 'drp-depends-on-non-drp']);
    });
    it('lists every broken rule', () => {
      const e = thrown(() =>
        enrolled(spec('a', { platform: 'other-hypervisor', backupMode: 'agentless', dependsOn: ['ghost'] })),
      );
      expect(e.details.rules).toEqual(['agentless-unsupported-platform', 'unknown-dependency']);
    });
  });

  describe('evolutions', () => {
    const base = () => given(enrolled(spec('web-1')));
    it('changes template, disks, OS, objectives as their own events', () => {
      let s = base();
      const steps: ServerCommand[] = [
        { type: 'ChangeTemplate', template: { vcpu: 4, ramGiB: 8 } },
        { type: 'AddDisk', disk: { name: 'data', sizeGiB: 100 } },
        { type: 'ResizeDisk', name: 'data', sizeGiB: 200 },
        { type: 'RemoveDisk', name: 'data' },
        { type: 'ChangeOs', os: { family: 'linux', name: 'Debian', version: '12' }, now: NOW },
        { type: 'ChangeRecoveryObjectives', rtoMinutes: 60, recoveryMethod: 'vm-replication' },
      ];
      const types: string[] = [];
      for (const command of steps) {
        const events = serverDecider.decide(command, s);
        types.push(...events.map((e) => e.type));
        s = events.reduce(serverDecider.evolve, s);
      }
      expect(types).toEqual([
        'TemplateChanged',
        'DiskAdded',
        'DiskResized',
        'DiskRemoved',
        'OsChanged',
        'RecoveryObjectivesChanged',
      ]);
      expect(s).toMatchObject({
        template: { vcpu: 4, ramGiB: 8 },
        disks: [{ name: 'system', sizeGiB: 50 }],
        os: { name: 'Debian', version: '12' },
        rtoMinutes: 60,
        recoveryMethod: 'vm-replication',
      });
    });
    it('no-op changes emit nothing', () => {
      expect(
        serverDecider.decide({ type: 'ChangeTemplate', template: { vcpu: 2, ramGiB: 4 } }, base()),
      ).toEqual([]);
    });
    it('refuses removing the last disk (422), unknown disk (404), duplicate disk (409)', () => {
      expect(thrown(() => serverDecider.decide({ type: 'RemoveDisk', name: 'system' }, base())).code).toBe(
        'last-disk',
      );
      expect(thrown(() => serverDecider.decide({ type: 'RemoveDisk', name: 'nope' }, base())).kind).toBe(
        'not-found',
      );
      expect(
        thrown(() => serverDecider.decide({ type: 'AddDisk', disk: { name: 'system', sizeGiB: 1 } }, base()))
          .kind,
      ).toBe('conflict');
    });
    it('refuses an OS change out of the agent matrix unless switching to agentless', () => {
      const old = { family: 'windows' as const, name: 'Windows Server', version: '2008' };
      expect(thrown(() => serverDecider.decide({ type: 'ChangeOs', os: old, now: NOW }, base())).code).toBe(
        'unsupported-os',
      );
      expect(
        serverDecider.decide({ type: 'ChangeOs', os: old, backupMode: 'agentless', now: NOW }, base())[0]
          .type,
      ).toBe('OsChanged');
    });
    it('changes dependencies and names a cycle in order', () => {
      const view = estate(
        { id: 'a', hostname: 'app-1', dependsOn: ['db-1'] },
        { id: 'd', hostname: 'db-1', dependsOn: ['web-1'] },
        { id: 'id-web-1', hostname: 'web-1' },
      );
      const e = thrown(() =>
        decideEstateChange({ type: 'ChangeDependencies', dependsOn: ['app-1'], estate: view }, base()),
      );
      expect([e.kind, e.code]).toEqual(['rule', 'dependency-cycle']);
      expect(e.details.cycle).toEqual(['web-1', 'app-1', 'db-1', 'web-1']);
      const ok = estate({ id: 'd', hostname: 'db-1' });
      expect(
        decideEstateChange({ type: 'ChangeDependencies', dependsOn: ['db-1'], estate: ok }, base())[0],
      ).toMatchObject({ type: 'DependenciesChanged', data: { added: ['db-1'], removed: [] } });
    });
    it('protection class: refuses leaving drp while drp servers depend on it', () => {
      const view = estate({ id: 'x', hostname: 'app-1', dependsOn: ['web-1'] });
      const e = thrown(() =>
        decideEstateChange(
          { type: 'ChangeProtectionClass', protectionClass: 'backup-only', estate: view },
          base(),
        ),
      );
      expect(e.details.dependents).toEqual(['app-1']);
      expect(
        decideEstateChange(
          { type: 'ChangeProtectionClass', protectionClass: 'backup-only', estate: empty },
          base(),
        )[0].type,
      ).toBe('ProtectionClassChanged');
    });
    it('decommission refused with dependents listed, then accepted; nothing after', () => {
      const view = estate(
        { id: 'x', hostname: 'app-1', dependsOn: ['web-1'] },
        { id: 'y', hostname: 'api-1', dependsOn: ['web-1'] },
      );
      const e = thrown(() =>
        decideEstateChange({ type: 'DecommissionServer', estate: view, now: NOW }, base()),
      );
      expect([e.kind, e.details.dependents]).toEqual(['conflict', ['api-1', 'app-1']]);
      const events = decideEstateChange({ type: 'DecommissionServer', estate: empty, now: NOW }, base());
      const s = events.reduce(serverDecider.evolve, base());
      expect(s).toMatchObject({ status: 'decommissioned', decommissionedAt: NOW });
      expect(
        thrown(() => serverDecider.decide({ type: 'ChangeTemplate', template: { vcpu: 8, ramGiB: 8 } }, s))
          .code,
      ).toBe('server-decommissioned');
    });
    it('archived servers accept only decommission', () => {
      const s = decideEstateChange({ type: 'ArchiveServer', estate: empty, now: NOW }, base()).reduce(
        serverDecider.evolve,
        base(),
      );
      expect(s?.status).toBe('archived');
      expect(
        thrown(() => serverDecider.decide({ type: 'AddDisk', disk: { name: 'x', sizeGiB: 1 } }, s)).code,
      ).toBe('server-archived');
      expect(decideEstateChange({ type: 'DecommissionServer', estate: empty, now: NOW }, s)[0].type).toBe(
        'ServerDecommissioned',
      );
    });
  });
});
