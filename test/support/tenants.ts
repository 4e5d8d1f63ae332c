import { ADMIN_TOKEN, type ApiHarness } from './api-harness';

export const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

export interface TenantKeys {
  id: string;
  manager: string;
  scheduler: string;
  auditor: string;
}

let counter = 0;

/** A tenant and one API key per role, created through the real admin routes. */
export async function createTenant(
  api: ApiHarness,
  overrides: Record<string, unknown> = {},
): Promise<TenantKeys> {
  counter += 1;
  const res = await api.http
    .post('/api/v1/tenants')
    .set(admin)
    .send({
      name: `Tenant ${counter}`,
      customerNumber: `C-${process.pid}-${Date.now()}-${counter}`,
      domain: `t${counter}.example`,
      ...overrides,
    })
    .expect(201);
  const key = async (role: string) =>
    (
      await api.http
        .post(`/api/v1/tenants/${res.body.id}/api-keys`)
        .set(admin)
        .send({ name: `${role} key`, role })
        .expect(201)
    ).body.token as string;
  return {
    id: res.body.id,
    manager: await key('dr-manager'),
    scheduler: await key('scheduler'),
    auditor: await key('auditor'),
  };
}
