import type { DocumentBuilder } from '@nestjs/swagger';
import { CSRF_HEADER } from './session-cookie';

/** Name of the cookie security scheme in the OpenAPI document. */
export const SESSION_COOKIE_AUTH = 'session';

/** Documents both ways to call the API: bearer tokens (automation) and the console's session cookie. */
export function documentAuth(builder: DocumentBuilder): DocumentBuilder {
  return builder
    .addBearerAuth({
      type: 'http',
      scheme: 'bearer',
      description: 'The platform admin token (REPRISE_ADMIN_TOKEN) or a tenant API key (rpk_…)',
    })
    .addCookieAuth(
      'reprise_session',
      {
        type: 'apiKey',
        in: 'cookie',
        description:
          `Session of a signed-in user (POST /auth/login then /auth/login/totp); named \`__Host-reprise_session\` outside development. ` +
          `It authorises what an API key of the user's role may. Every write made with it (POST, PUT, PATCH, DELETE) must carry the ` +
          `\`${CSRF_HEADER}\` header with the csrfToken of GET /auth/me, else 403.`,
      },
      SESSION_COOKIE_AUTH,
    );
}

type Operation = {
  security?: Array<Record<string, string[]>>;
  parameters?: Array<Record<string, unknown>>;
};

/**
 * Every operation that takes a bearer token takes the session cookie as well (one guard decides
 * both), and every write names the CSRF header that cookie-authenticated calls must send.
 */
export function documentSessionAuth<T extends { paths: Record<string, object> }>(document: T): T {
  for (const path of Object.values(document.paths)) {
    for (const [method, operation] of Object.entries(path as Record<string, Operation>)) {
      if (!operation.security?.some((s) => 'bearer' in s)) continue;
      if (!operation.security.some((s) => SESSION_COOKIE_AUTH in s))
        operation.security.push({ [SESSION_COOKIE_AUTH]: [] });
      if (
        ['post', 'put', 'patch', 'delete'].includes(method) &&
        !operation.parameters?.some((p) => p.name === CSRF_HEADER)
      )
        (operation.parameters ??= []).push({
          name: CSRF_HEADER,
          in: 'header',
          required: false,
          description:
            'Required (403 without it) when calling with the session cookie: the csrfToken of GET /auth/me',
          schema: { type: 'string' },
        });
    }
  }
  return document;
}
