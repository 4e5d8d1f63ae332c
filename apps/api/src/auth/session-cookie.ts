import type { CookieOptions } from 'express';
import type { Environment } from '@reprise/common/config/environment';

/**
 * The session cookie: httpOnly (no script reads it), SameSite=Strict (no other site's page sends
 * it), Path=/ and, outside development, Secure with the `__Host-` prefix (https only, never set by a
 * subdomain). No Max-Age: it ends with the browser; the server ends it sooner (idle, maximum age).
 */
export function sessionCookie(env: Pick<Environment, 'NODE_ENV'>): { name: string; options: CookieOptions } {
  const secure = env.NODE_ENV !== 'development';
  return {
    name: secure ? '__Host-reprise_session' : 'reprise_session',
    options: { httpOnly: true, sameSite: 'strict', secure, path: '/' },
  };
}

/** Header that cookie-authenticated writes carry (the token GET /auth/me answers as csrfToken). */
export const CSRF_HEADER = 'x-csrf-token';
