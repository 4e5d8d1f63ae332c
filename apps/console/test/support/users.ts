import { Secret, TOTP } from 'otpauth';
import type { Page } from 'playwright-core';
import { BRUNO } from '../../../../test/activations/activation-helpers';
import { admin } from '../../../../test/support/tenants';
import type { ApiHarness } from '../../../../test/support/api-harness';
import { bearer } from '../../../../test/support/stack';

export interface ConsoleUser {
  id: string;
  email: string;
  name: string;
  role: 'dr-manager' | 'scheduler' | 'auditor';
  password: string;
  totpSecret: string;
}

/** A long passphrase any password policy accepts. */
export const PASSWORD = 'correct horse battery staple 42';

/** Invites a user through the platform admin route, then accepts the invitation (password + TOTP). */
export async function createUser(
  api: ApiHarness,
  tenantId: string,
  person: { email: string; name: string; role: ConsoleUser['role'] },
): Promise<ConsoleUser> {
  const invited = await api.http.post(`/api/v1/tenants/${tenantId}/users`).set(admin).send(person);
  if (invited.status !== 201)
    throw new Error(`invite ${person.email}: ${invited.status} ${JSON.stringify(invited.body)}`);
  const accepted = await api.http
    .post('/api/v1/auth/invitations/accept')
    .send({ token: invited.body.invitationToken, password: PASSWORD });
  if (accepted.status !== 200)
    throw new Error(`accept ${person.email}: ${accepted.status} ${JSON.stringify(accepted.body)}`);
  return { ...person, id: invited.body.id, password: PASSWORD, totpSecret: accepted.body.totpSecret };
}

const lastStep = new Map<string, number>();

/**
 * The user's current TOTP code (RFC 6238, 30 s, 6 digits, SHA-1). The API refuses a code used
 * twice, so when this user already used the current period's code this waits for the next one.
 */
export async function freshTotp(user: Pick<ConsoleUser, 'totpSecret'>): Promise<string> {
  const totp = new TOTP({
    secret: Secret.fromBase32(user.totpSecret),
    digits: 6,
    period: 30,
    algorithm: 'SHA1',
  });
  for (;;) {
    const step = Math.floor(Date.now() / 30_000);
    // Too close to the end of a period: the code may expire in flight.
    const late = Date.now() % 30_000 > 27_000;
    if (!late && lastStep.get(user.totpSecret) !== step) {
      lastStep.set(user.totpSecret, step);
      return totp.generate();
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Signs `user` in through the sign-in page: e-mail and password, then the current TOTP code. */
export async function signIn(page: Page, user: ConsoleUser): Promise<void> {
  await page.goto('/');
  await page.getByLabel('E-mail').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByLabel('Authentication code').fill(await freshTotp(user));
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('navigation', { name: 'Main' }).waitFor();
}

/**
 * Two dr-managers of the tenant, Claire and Hugo, signed up as users, and the plan's authorised
 * persons (them and Bruno, who has no account): one asks, another confirms with their own code.
 */
export async function claireAndHugo(
  api: ApiHarness,
  tenant: { id: string; manager: string },
): Promise<{ claire: ConsoleUser; hugo: ConsoleUser }> {
  const claire = await createUser(api, tenant.id, {
    email: 'claire.martin@acme.example',
    name: 'Claire Martin',
    role: 'dr-manager',
  });
  const hugo = await createUser(api, tenant.id, {
    email: 'hugo.bernard@acme.example',
    name: 'Hugo Bernard',
    role: 'dr-manager',
  });
  await api.http
    .put('/api/v1/plan/authorised-persons')
    .set(bearer(tenant.manager))
    .send([{ name: claire.name, email: claire.email }, { name: hugo.name, email: hugo.email }, BRUNO])
    .expect(200);
  return { claire, hugo };
}
