import { join } from 'node:path';
import { startApi, type ApiHarness } from '../support/api-harness';
import { createTenant } from '../support/tenants';
import {
  accept,
  invite,
  PASSWORD,
  passwordStep,
  session,
  signedInUser,
  totpCode,
  uniqueEmail,
} from '../support/users';

/**
 * Two api replicas on one event store and one Redis (as issue 14 runs them): sessions, invitations,
 * sign-in counters and TOTP replay protection hold across both. Small limits keep it quick.
 */
describe('sign-in across api replicas, and brute-force throttling (e2e)', () => {
  let a: ApiHarness;
  let b: ApiHarness;
  let tenant: Awaited<ReturnType<typeof createTenant>>;
  const ACCOUNT_LIMIT = 3;
  const ADDRESS_LIMIT = 6;

  beforeAll(async () => {
    const limits = {
      TRUST_PROXY: 'loopback',
      REPRISE_SIGNIN_MAX_FAILURES_PER_ACCOUNT: String(ACCOUNT_LIMIT),
      REPRISE_SIGNIN_MAX_FAILURES_PER_ADDRESS: String(ADDRESS_LIMIT),
      REPRISE_SIGNIN_WINDOW_MINUTES: '2',
    };
    a = await startApi(limits);
    b = await startApi({
      ...limits,
      ...a.testStore.env,
      SQLITE_PATH: join(a.dataDir, 'reprise.db'),
      READ_MODEL_PATH: join(a.dataDir, 'read-models-api-b.db'),
      QUEUE_PREFIX: a.queuePrefix,
    });
    tenant = await createTenant(a);
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  const from = (address: string) => ({ 'X-Forwarded-For': address });
  const login = passwordStep;

  it('an invitation made on one replica is accepted on the other at once; sessions are shared and end everywhere', async () => {
    const invited = await invite(a, tenant.id, 'dr-manager');
    const enrolment = await accept(b, invited.invitationToken);
    const challenge = await login(a, invited.email, PASSWORD, '10.9.0.1').expect(200);
    const signed = await b.http
      .post('/api/v1/auth/login/totp')
      .send({ challenge: challenge.body.challenge, code: totpCode(enrolment.totpSecret) })
      .expect(200);
    const cookie = (signed.headers['set-cookie'] as unknown as string[])[0].split(';')[0];
    const me = await a.http.get('/api/v1/auth/me').set('Cookie', cookie).expect(200);
    expect(me.body.user.id).toBe(invited.id);
    await a.http
      .post('/api/v1/auth/logout')
      .set(session({ cookie, csrfToken: me.body.csrfToken }))
      .expect(204);
    await b.http.get('/api/v1/auth/me').set('Cookie', cookie).expect(401);

    const manager = await signedInUser(a, tenant.id, 'dr-manager');
    const victim = await signedInUser(b, tenant.id, 'auditor');
    await a.http.get('/api/v1/audit/verify').set('Cookie', victim.cookie).expect(200);
    await b.http.delete(`/api/v1/users/${victim.id}`).set(session(manager)).expect(200);
    await a.http.get('/api/v1/audit/verify').set('Cookie', victim.cookie).expect(401);
  });

  it('one TOTP code opens one session, even sent to both replicas at the same moment', async () => {
    const user = await signedInUser(a, tenant.id, 'scheduler');
    const code = totpCode(user.totpSecret, 1);
    const [c1, c2] = await Promise.all([
      login(a, user.email, PASSWORD, '10.9.0.2').expect(200),
      login(b, user.email, PASSWORD, '10.9.0.2').expect(200),
    ]);
    const answers = await Promise.all([
      a.http.post('/api/v1/auth/login/totp').send({ challenge: c1.body.challenge, code }),
      b.http.post('/api/v1/auth/login/totp').send({ challenge: c2.body.challenge, code }),
    ]);
    expect(answers.map((r) => r.status).sort()).toEqual([200, 401]);
    expect(answers.find((r) => r.status === 401)!.body.code).toBe('code-used');
  });

  it('per account: after the limit of failures (on either replica, from any address) even the right password answers 429', async () => {
    const user = await signedInUser(a, tenant.id, 'auditor');
    for (let i = 0; i < ACCOUNT_LIMIT; i++)
      await login(i % 2 ? a : b, user.email, `wrong password ${i}!`, `10.10.0.${i + 1}`).expect(401);
    const blocked = await login(a, user.email, PASSWORD, '10.10.1.1').expect(429);
    expect(blocked.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(blocked.body).toMatchObject({ code: 'too-many-attempts', status: 429 });
    const retryAfter = Number(blocked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(120);
    expect(blocked.body.retryAfterSeconds).toBe(retryAfter);
    await login(b, user.email, PASSWORD, '10.10.1.2').expect(429);
    // An unknown e-mail is throttled the same way: a 429 does not tell that an account exists.
    const nobody = uniqueEmail('nobody');
    for (let i = 0; i < ACCOUNT_LIMIT; i++)
      await login(a, nobody, 'whatever it is', `10.10.2.${i + 1}`).expect(401);
    await login(a, nobody, 'whatever it is', '10.10.2.9').expect(429);
    // Other accounts are not affected.
    const other = await signedInUser(b, tenant.id, 'auditor');
    await login(a, other.email, PASSWORD, '10.10.1.1').expect(200);
  });

  it('wrong TOTP codes count as failures of the account too', async () => {
    const user = await signedInUser(a, tenant.id, 'scheduler');
    const wrong = String((Number(totpCode(user.totpSecret)) + 500_000) % 1_000_000).padStart(6, '0');
    for (let i = 0; i < ACCOUNT_LIMIT; i++) {
      const challenge = await login(a, user.email, PASSWORD, `10.11.0.${i + 1}`).expect(200);
      await b.http
        .post('/api/v1/auth/login/totp')
        .set(from(`10.11.0.${i + 1}`))
        .send({ challenge: challenge.body.challenge, code: wrong })
        .expect(401);
    }
    await login(a, user.email, PASSWORD, '10.11.1.1').expect(429);
  });

  it('per address: after the limit of failures from one address, every account answers 429 from there only', async () => {
    const user = await signedInUser(a, tenant.id, 'auditor');
    for (let i = 0; i < ADDRESS_LIMIT; i++)
      await login(i % 2 ? a : b, uniqueEmail('spray'), `spray ${i} password`, '10.12.0.66').expect(401);
    const blocked = await login(b, user.email, PASSWORD, '10.12.0.66').expect(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    // Invitation guessing from there is refused as well.
    await a.http
      .post('/api/v1/auth/invitations/accept')
      .set(from('10.12.0.66'))
      .send({ token: 'rpi_guess', password: PASSWORD })
      .expect(429);
    await login(a, user.email, PASSWORD, '10.12.0.67').expect(200);
  });

  it('a successful sign-in clears the account count', async () => {
    const user = await signedInUser(a, tenant.id, 'auditor');
    const fail = async (round: number) => {
      for (let i = 0; i < ACCOUNT_LIMIT - 1; i++)
        await login(a, user.email, 'not the password!', `10.13.${round}.${i + 1}`).expect(401);
    };
    await fail(0);
    const challenge = await login(a, user.email, PASSWORD, '10.13.9.9').expect(200);
    await b.http
      .post('/api/v1/auth/login/totp')
      .send({ challenge: challenge.body.challenge, code: totpCode(user.totpSecret, 1) })
      .expect(200);
    await fail(1);
    await login(b, user.email, PASSWORD, '10.13.9.9').expect(200);
  });
});
