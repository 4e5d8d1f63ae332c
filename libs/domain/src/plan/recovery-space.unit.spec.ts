import type { ServerState } from '../estate/server';
import { capacityFindings, freshnessFindings, type RecoverySpace } from './recovery-space';

const server = (hostname: string, over: Partial<ServerState> = {}): ServerState =>
  ({
    id: `id-${hostname}`,
    hostname,
    template: { vcpu: 2, ramGiB: 8 },
    disks: [{ name: 'system', sizeGiB: 100 }],
    protectionClass: 'drp',
    rpoMinutes: 60,
    recoveryMethod: 'backup-restore',
    antiAffinityGroup: null,
    ...over,
  }) as ServerState;

const space = (hosts = 2, ramLimit = 32, dsFree = 1000): RecoverySpace => ({
  rules: { ramCapPercent: 85, datastoreReservePercent: 10, vcpuOvercommit: 4 },
  hosts: Array.from({ length: hosts }, (_, i) => ({
    id: `h${i}`,
    vcpu: 16,
    ramGiB: 40,
    usedVcpu: 0,
    usedRamGiB: 0,
    ramLimitGiB: ramLimit,
  })),
  datastores: [{ id: 'ds-1', freeGiB: dsFree }],
});

describe('recovery-space capacity findings', () => {
  it('finds nothing when the perimeter fits', () => {
    expect(capacityFindings([server('a'), server('b')], space())).toEqual([]);
  });
  it('names the RAM shortfall against the cap', () => {
    const [finding] = capacityFindings(
      [
        server('a', { template: { vcpu: 2, ramGiB: 40 } }),
        server('b', { template: { vcpu: 2, ramGiB: 30 } }),
      ],
      space(2, 32),
    );
    expect(finding).toMatchObject({ severity: 'error', code: 'capacity-ram' });
    expect(finding.message).toMatch(/needs 70 GiB .*64 GiB .*short by 6 GiB/);
  });
  it('counts a swap file the size of the RAM on the datastores', () => {
    // 2 × (100 GiB disk + 8 GiB swap) = 216 > 210
    const findings = capacityFindings([server('a'), server('b')], space(2, 32, 210));
    expect(findings.map((f) => f.code)).toEqual(['capacity-datastore']);
    expect(findings[0].message).toMatch(/216 GiB/);
  });
  it('refuses an anti-affinity group larger than the host count', () => {
    const dc = (h: string) => server(h, { antiAffinityGroup: 'dc' });
    const findings = capacityFindings([dc('dc-1'), dc('dc-2'), dc('dc-3')], space(2));
    expect(findings).toContainEqual(
      expect.objectContaining({ code: 'capacity-anti-affinity', servers: ['dc-1', 'dc-2', 'dc-3'] }),
    );
  });
  it('flags a server larger than any host', () => {
    expect(
      capacityFindings([server('big', { template: { vcpu: 2, ramGiB: 33 } })], space(4, 32)),
    ).toContainEqual(expect.objectContaining({ code: 'capacity-host', servers: ['big'] }));
  });
});

describe('restore-point freshness findings', () => {
  it('warns for restore points older than the RPO target and for servers without any', () => {
    const findings = freshnessFindings(
      [
        server('fresh'),
        server('stale'),
        server('unknown'),
        server('cold', { protectionClass: 'backup-only' }),
      ],
      [
        { serverId: 'id-fresh', ageMinutes: 30 },
        { serverId: 'id-stale', ageMinutes: 90 },
      ],
    );
    expect(findings).toEqual([
      expect.objectContaining({ code: 'stale-restore-point', servers: ['stale'] }),
      expect.objectContaining({ code: 'no-restore-point', servers: ['unknown'] }),
    ]);
  });
});
