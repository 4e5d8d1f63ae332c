import type { Request } from 'express';
import type { MetadataInput } from '@reprise/event-store/event-store.port';
import { sameEmail } from '@reprise/domain/shared/email';
import { InvalidInputException } from '@reprise/common/http/problem-details.filter';
import { validateInput } from '@reprise/common/http/validation';
import { validationError } from '@reprise/domain/shared/errors';
import type { Session, SessionUser } from './session.store';

export type ActorRole = 'admin' | 'dr-manager' | 'scheduler' | 'auditor';

/**
 * Who is calling: resolved by AuthGuard on every request, from the bearer token (admin token or
 * API key) or from the session cookie (a named user). Both authorise the same way: by `role`.
 */
export interface Actor {
  /** The token's or user's tenant; `platform` for the admin token. */
  tenantId: string;
  role: ActorRole;
  /** Recorded in event metadata: `user:<userId>`, `api-key:<keyId>` or `admin`. */
  actor: string;
  /** The API key id, null for the admin token and for users. */
  keyId: string | null;
  /** The signed-in user (session cookie), null for tokens. */
  user: SessionUser | null;
  /** The session the cookie opened (CSRF token, expiry); null for tokens. */
  session: Session | null;
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

export interface PersonInput {
  name: string;
  email: string;
}

/**
 * The person who does what a request asks (requester, confirmer, who aborts…): the one place that
 * answers it. A signed-in user is always themselves: the body may leave the person out, and naming
 * anyone else is refused (400). An API key has no person: the body names one; when it does not,
 * `absent` decides: `'required'` refuses (400 naming `field`), a person stands in (e.g. the alert's
 * requester), and by default the key stands for itself.
 */
export function personActing(
  actor: Actor,
  given: { name?: string; email: string } | undefined,
  field: string,
  absent?: 'required' | PersonInput,
): PersonInput {
  if (actor.user) {
    if (given && !sameEmail(given.email, actor.user.email))
      throw validationError('not-yourself', `signed-in users act as themselves: leave ${field} out`, [
        { field, message: `must be you (${actor.user.email}) or left out when signed in` },
      ]);
    return { name: actor.user.name, email: actor.user.email };
  }
  if (given) return { name: given.name ?? '', email: given.email };
  if (absent === 'required')
    throw validationError('invalid-input', `${field} is required with an API key`, [
      {
        field,
        message: 'is required when calling with an API key (signed-in users are taken from the session)',
      },
    ]);
  return absent ?? { name: actor.actor, email: `${actor.keyId ?? 'admin'}@api-keys.reprise` };
}

/** The Actor of a named user (signed in with a session, or signing in). */
export function userActor(user: SessionUser, session: Session | null): Actor {
  return {
    tenantId: user.tenantId,
    role: user.role,
    actor: `user:${user.id}`,
    keyId: null,
    user,
    session,
  };
}

/**
 * The body of a request that names a person (requester, confirmer): a signed-in user's may leave
 * the person out (`forUser`), an API key's must name one (`forApiKey`). Either way it is the one
 * validation of input (`validateInput`), every invalid field listed at once.
 */
export function validateActingBody<U extends object, K extends object>(
  actor: Actor,
  forUser: new () => U,
  forApiKey: new () => K,
  body: unknown,
): U | K {
  const result = actor.user ? validateInput(forUser, body ?? {}) : validateInput(forApiKey, body ?? {});
  if (result.errors.length) throw new InvalidInputException(result.errors);
  return result.value!;
}
