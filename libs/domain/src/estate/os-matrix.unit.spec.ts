import { agentSupport, OS_MATRIX, type OsFamily } from './os-matrix';

const TODAY = '2026-11-29T09:00:00.000Z';
const os = (family: OsFamily, name: string, version: string) => ({ family, name, version });

/** The day after an ISO date. */
const dayAfter = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString();

describe('OS matrix (agent mode), on the calendar', () => {
  it.each([
    ['windows', 'Windows Server', '2025'],
    ['windows', 'Windows Server 2022', 'Datacenter'],
    ['windows', 'Windows Server', '2019'],
    ['windows', 'Windows', '11'],
    ['linux', 'Red Hat Enterprise Linux', '10.0'],
    ['linux', 'RHEL', '9.3'],
    ['linux', 'Rocky Linux', '10'],
    ['linux', 'AlmaLinux', '10.1'],
    ['linux', 'Oracle Linux', '10'],
    ['linux', 'CentOS Stream', '10'],
    ['linux', 'Debian', '13'],
    ['linux', 'Debian', '12.8'],
    ['linux', 'Ubuntu', '26.04'],
    ['linux', 'Ubuntu', '24.04.1'],
    ['linux', 'SLES', '15 SP6'],
    ['linux', 'SUSE Linux Enterprise Server', '16.0'],
  ] as const)('accepts current release %s %s %s', (family, name, version) => {
    expect(agentSupport(os(family, name, version), TODAY)).toEqual({ supported: true });
  });

  it.each([
    ['windows', 'Windows Server', '2012 R2', '2023-10-10'],
    ['windows', 'Windows Server', '2008', '2020-01-14'],
    ['windows', 'Windows', '10', '2025-10-14'],
    ['linux', 'Ubuntu', '20.04', '2025-05-31'],
    ['linux', 'Debian', '11', '2026-08-31'],
    ['linux', 'CentOS', '7', '2024-06-30'],
    ['linux', 'RHEL', '7.9', '2024-06-30'],
  ] as const)('refuses %s %s %s, naming its end of support %s', (family, name, version, end) => {
    const support = agentSupport(os(family, name, version), TODAY);
    expect(support.supported).toBe(false);
    expect(support.reason).toContain(`end of vendor support on ${end}`);
    expect(support.reason).toMatch(/agentless/);
  });

  it('refuses releases the matrix does not know, listing the current ones', () => {
    const interim = agentSupport(os('linux', 'Ubuntu', '25.10'), TODAY);
    expect(interim.supported).toBe(false);
    expect(interim.reason).toMatch(/not a Ubuntu LTS release/);
    expect(interim.reason).toContain('22.04, 24.04, 26.04');
    expect(agentSupport(os('linux', 'Gentoo', 'rolling'), TODAY).supported).toBe(false);
    expect(agentSupport(os('linux', 'CentOS', '5'), TODAY).supported).toBe(false);
    expect(agentSupport(os('windows', 'Windows Server', '2000'), TODAY).supported).toBe(false);
    expect(agentSupport(os('windows', 'Ubuntu', '24.04'), TODAY).reason).toMatch(/not a Windows release/);
  });

  it('follows the calendar: every dated release is accepted on its last day and refused the day after', () => {
    let checked = 0;
    for (const product of OS_MATRIX)
      for (const [release, end] of Object.entries(product.releases)) {
        if (end === null) continue;
        const name = product.family === 'windows' ? `${product.label} ${release}` : product.label;
        const version = product.family === 'windows' ? '' : release;
        const server = os(product.family, name.replace(' LTS', ''), version);
        expect([release, agentSupport(server, `${end}T23:59:59.000Z`)]).toEqual([
          release,
          { supported: true },
        ]);
        const after = agentSupport(server, dayAfter(end));
        expect([release, after.supported]).toEqual([release, false]);
        expect(after.reason).toContain(end);
        checked++;
      }
    expect(checked).toBeGreaterThan(40);
  });
});
