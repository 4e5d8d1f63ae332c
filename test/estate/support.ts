export { admin, bearer, createTenant, type TenantKeys as TenantFixture } from '../support/tenants';

export function server(hostname: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    hostname,
    kind: 'virtual',
    platform: 'vmware',
    os: { family: 'linux', name: 'Ubuntu', version: '24.04' },
    backupMode: 'agent',
    template: { vcpu: 2, ramGiB: 4 },
    disks: [{ name: 'system', sizeGiB: 50 }],
    protectionClass: 'drp',
    ...overrides,
  };
}
