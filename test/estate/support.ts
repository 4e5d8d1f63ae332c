import type { ApiHarness } from '../support/api-harness';
import { ADMIN_TOKEN } from '../support/api-harness';

export const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

export interface TenantFixture {
  id: string;
  manager: string;
  scheduler: string;
  auditor: string;
}

let counter = 0;
export async function createTenant(
  api: ApiHarness,
  overrides: Record<string, unknown> = {},
): Promise<TenantFixture> {
  counter += 1;
  const res = await api.http
    .post('/api/v1/tenants')
    .set(admin)
    .send({
      name: `Tenant ${counter}`,
      customerNumber: `C-${Date.now()}-${counter}`,
      domain: `t${counter}.example`,
      ...overrides,
    })
    .expect(201);
  const key = async (role: string) =>
    (
      await api.http
        .post(`/api/v1/tenants/${res.body.id}/api-keys`)
        .set(admin)
        .send({ name: role, role })
        .expect(201)
    ).body.token as string;
  return {
    id: res.body.id,
    manager: await key('dr-manager'),
    scheduler: await key('scheduler'),
    auditor: await key('auditor'),
  };
}

export function server(hostname: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    hostname,
    kind: 'virtual',
    platform: 'vmware',
    os: { family: 'linux', name: 'Ubuntu', version: '22.04' },
    backupMode: 'agent',
    template: { vcpu: 2, ramGiB: 4 },
    disks: [{ name: 'system', sizeGiB: 50 }],
    protectionClass: 'drp',
    ...overrides,
  };
}
