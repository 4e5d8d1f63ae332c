import type { ActivationEvent } from '@reprise/domain/activation';
import { streams } from '@reprise/domain/shared/streams';
import type { ApiHarness } from '../support/api-harness';

export { admin, bearer, createTenant, type TenantKeys } from '../support/tenants';

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
