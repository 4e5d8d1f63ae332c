import type { ActivationEvent } from '@reprise/domain/activation';
import { streams } from '@reprise/domain/shared/streams';
import { ADMIN_TOKEN, type ApiHarness } from '../support/api-harness';

export const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

export interface TenantKeys {
  id: string;
  manager: string;
  scheduler: string;
  auditor: string;
}

let counter = 0;

/** A tenant and one API key per role, through the real admin routes. */
export async function createTenant(
  api: ApiHarness,
  body: { customerNumber?: string; domain?: string; timeZone?: string } = {},
): Promise<TenantKeys> {
  counter += 1;
  const res = await api.http
    .post('/api/v1/tenants')
    .set(admin)
    .send({
      name: `Report tenant ${counter}`,
      customerNumber: `R-${process.pid}-${counter}`,
      domain: `r${counter}.example`,
      ...body,
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

/**
 * Records an activation's events as the worker would: one append per event, recorded at the
 * event's business time, caused by the worker, correlated by the activation id.
 */
export async function recordActivation(
  api: ApiHarness,
  tenantId: string,
  activationId: string,
  events: ActivationEvent[],
): Promise<void> {
  const stream = streams.activation(tenantId, activationId);
  for (const event of events) {
    await api.store.append(stream, [{ type: event.type, data: event.data }], {
      expectedRevision: 'any',
      metadata: {
        actor: 'system:worker',
        role: 'system',
        tenantId,
        correlationId: activationId,
        causationId: null,
        requestId: null,
        recordedAt: event.data.at,
      },
    });
  }
}
