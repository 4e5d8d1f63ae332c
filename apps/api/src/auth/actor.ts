import type { Request } from 'express';
import type { MetadataInput } from '@reprise/event-store/event-store.port';

export type ActorRole = 'admin' | 'dr-manager' | 'scheduler' | 'auditor';

/** Who is calling: resolved from the bearer token by AuthGuard on every request. */
export interface Actor {
  /** The token's tenant; `platform` for the admin token. */
  tenantId: string;
  role: ActorRole;
  /** Recorded in event metadata: `api-key:<keyId>` or `admin`. */
  actor: string;
  /** The API key id, null for the admin token. */
  keyId: string | null;
}

export const PLATFORM_TENANT = 'platform';

export type RequestWithActor = Request & { actor?: Actor; id?: unknown };

export function requestIdOf(request: RequestWithActor): string | null {
  const id = request.id ?? request.headers?.['x-request-id'];
  return typeof id === 'string' || typeof id === 'number' ? String(id) : null;
}

/** Event metadata for a write made by `actor` during `request` (correlation id = request id). */
export function metadataFor(
  actor: Actor,
  request: RequestWithActor,
  causationId: string | null = null,
): MetadataInput {
  const requestId = requestIdOf(request);
  return {
    actor: actor.actor,
    role: actor.role,
    tenantId: actor.tenantId,
    correlationId: requestId ?? `${actor.actor}:${Date.now()}`,
    causationId: causationId ?? requestId,
    requestId,
  };
}
