import type { ApiHarness } from '../support/api-harness';
import { enrol } from '../support/stack';
import { admin, bearer, createTenant, type TenantKeys } from '../support/tenants';

export const CLAIRE = { name: 'Claire Martin', email: 'claire@acme.example' };
export const BRUNO = { name: 'Bruno Petit', email: 'bruno@acme.example' };

/** A tenant whose every write would be legitimate if its input were good (not a spec file). */
export interface LiveTenant {
  tenant: TenantKeys;
  /** Server ids by hostname: `db-1`, and `app-1` which depends on it. */
  servers: Record<string, string>;
  /** A live alert (standby): stand-down, escalate, abort… would all apply to it. */
  alert: string;
  /** A planned DRP test, 60 days ahead. */
  schedule: string;
  /** The id of the tenant's dr-manager API key. */
  keyId: string;
}

export async function liveTenant(api: ApiHarness): Promise<LiveTenant> {
  const tenant = await createTenant(api, { activationWindow: '24x7' });
  const servers = await enrol(api, tenant.manager, [
    { hostname: 'db-1' },
    { hostname: 'app-1', dependsOn: ['db-1'] },
  ]);
  const m = bearer(tenant.manager);
  await api.http.put('/api/v1/plan/authorised-persons').set(m).send([CLAIRE, BRUNO]).expect(200);
  const alert = await api.http
    .post('/api/v1/activations')
    .set(m)
    .send({ type: 'alert', scope: 'full', requestedBy: CLAIRE })
    .expect(202);
  const schedule = await api.http
    .post('/api/v1/test-schedules')
    .set(bearer(tenant.scheduler))
    .send({ kind: 'drp-test', scheduledFor: new Date(Date.now() + 60 * 86_400_000).toISOString() })
    .expect(201);
  const keys = await api.http.get(`/api/v1/tenants/${tenant.id}/api-keys`).set(admin).expect(200);
  const keyId = keys.body.items.find((k: { role: string }) => k.role === 'dr-manager').id;
  return { tenant, servers, alert: alert.body.id, schedule: schedule.body.id, keyId };
}
