import { Secret, TOTP } from 'otpauth';
import type { ApiHarness } from './api-harness';
import { admin, bearer } from './tenants';

/** Helpers for named users: invite, accept, sign in with TOTP, call with the session (not a spec). */

export const PASSWORD = 'amber river lantern 42';

export interface SignedInUser {
  id: string;
  email: string;
  name: string;
  role: string;
  tenantId: string;
  password: string;
  totpSecret: string;
  /** `Cookie` header value of the session. */
  cookie: string;
  csrfToken: string;
}

/** The current TOTP code of `secret`, or the one `steps` steps away (±1 is still accepted). */
export const totpCode = (secret: string, steps = 0, nowMs = Date.now()) =>
  new TOTP({ secret: Secret.fromBase32(secret), algorithm: 'SHA1', digits: 6, period: 30 }).generate({
    timestamp: nowMs + steps * 30_000,
  });

/** Headers of a session call: the cookie and, for writes, the CSRF token. */
export const session = (user: Pick<SignedInUser, 'cookie' | 'csrfToken'>) => ({
  Cookie: user.cookie,
  'x-csrf-token': user.csrfToken,
});

/** The `Cookie` header value that a response's Set-Cookie asks for. */
export function sessionCookieOf(setCookie: string[] | string | undefined): string {
  const cookies = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  const found = cookies.find((c) => /^(__Host-)?reprise_session=/.test(c));
  if (!found) throw new Error(`no session cookie in ${JSON.stringify(cookies)}`);
  return found.split(';')[0];
}

let counter = 0;
export const uniqueEmail = (hint = 'user') =>
  `${hint}-${process.pid}-${Date.now()}-${++counter}@users.example`;

/** Invites through the admin route (or a dr-manager key/session when `by` is given). */
export async function invite(
  api: ApiHarness,
  tenantId: string,
  role: string,
  options: { email?: string; name?: string; by?: Record<string, string> } = {},
) {
  const email = options.email ?? uniqueEmail(role);
  const name = options.name ?? `Person ${++counter}`;
  const path = options.by ? '/api/v1/users' : `/api/v1/tenants/${tenantId}/users`;
  const res = await api.http
    .post(path)
    .set(options.by ?? admin)
    .send({ email, name, role });
  if (res.status !== 201) throw new Error(`invite ${email}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as {
    id: string;
    email: string;
    name: string;
    role: string;
    tenantId: string;
    status: string;
    invitationToken: string;
    invitationExpiresAt: string;
  };
}

export async function accept(api: ApiHarness, token: string, password = PASSWORD) {
  const res = await api.http.post('/api/v1/auth/invitations/accept').send({ token, password });
  if (res.status !== 200) throw new Error(`accept: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as { totpSecret: string; otpauthUri: string; email: string };
}

/** The password step of sign-in, from `address` (X-Forwarded-For, for an app with TRUST_PROXY). */
export const passwordStep = (api: ApiHarness, email: string, password: string, address?: string) =>
  api.http
    .post('/api/v1/auth/login')
    .set(address ? { 'X-Forwarded-For': address } : {})
    .send({ email, password });

/** Both sign-in steps; `steps` picks the TOTP code (0: current; 1: next, for a second sign-in soon after). */
export async function signIn(
  api: ApiHarness,
  email: string,
  password: string,
  totpSecret: string,
  steps = 0,
) {
  const login = await passwordStep(api, email, password);
  if (login.status !== 200) throw new Error(`login ${email}: ${login.status} ${JSON.stringify(login.body)}`);
  const totp = await api.http
    .post('/api/v1/auth/login/totp')
    .send({ challenge: login.body.challenge, code: totpCode(totpSecret, steps) });
  if (totp.status !== 200) throw new Error(`totp ${email}: ${totp.status} ${JSON.stringify(totp.body)}`);
  return {
    cookie: sessionCookieOf(totp.headers['set-cookie']),
    csrfToken: totp.body.csrfToken as string,
    body: totp.body,
  };
}

/** A user of `tenantId` with `role`, invited, enrolled and signed in. */
export async function signedInUser(
  api: ApiHarness,
  tenantId: string,
  role: string,
  options: { email?: string; name?: string; by?: Record<string, string> } = {},
): Promise<SignedInUser> {
  const invited = await invite(api, tenantId, role, options);
  const enrolment = await accept(api, invited.invitationToken);
  const signed = await signIn(api, invited.email, PASSWORD, enrolment.totpSecret);
  return {
    id: invited.id,
    email: invited.email,
    name: invited.name,
    role,
    tenantId,
    password: PASSWORD,
    totpSecret: enrolment.totpSecret,
    cookie: signed.cookie,
    csrfToken: signed.csrfToken,
  };
}

export { admin, bearer };
