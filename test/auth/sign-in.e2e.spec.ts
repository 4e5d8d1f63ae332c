import { createHash } from 'node:crypto';
import { startApi, type ApiHarness } from '../support/api-harness';
import { createTenant } from '../support/tenants';
import {
  accept,
  admin,
  bearer,
  invite,
  PASSWORD,
  passwordStep,
  session,
  sessionCookieOf,
  signIn,
  signedInUser,
  totpCode,
  uniqueEmail,
} from '../support/users';

/**
 * Named users over HTTP with the real app (SQLite, Redis): invitation, password + TOTP sign-in,
 * session cookie, CSRF, sign-out, disabling, and what the events keep (never a secret in clear).
 */
describe('sign-in of named users (e2e)', () => {
  let api: ApiHarness;
  let tenant: Awaited<ReturnType<typeof createTenant>>;
  beforeAll(async () => {
    // Each test that fails sign-ins on purpose does it from its own address (X-Forwarded-For).
    api = await startApi({ TRUST_PROXY: 'loopback' });
    tenant = await createTenant(api);
  });
  afterAll(async () => api.close());

  const from = (address: string) => ({ 'X-Forwarded-For': address });

  it('invitation → password and TOTP enrolment → password → code → session cookie → me → sign-out', async () => {
    const invited = await invite(api, tenant.id, 'dr-manager', { name: 'Claire Martin' });
    expect(invited).toMatchObject({ role: 'dr-manager', tenantId: tenant.id, status: 'invited' });
    expect(invited.invitationToken).toMatch(/^rpi_[0-9a-f]{64}\.[A-Za-z0-9_-]{43}$/);

    const enrolment = await accept(api, invited.invitationToken);
    expect(enrolment.totpSecret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(enrolment.otpauthUri);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(Object.fromEntries(uri.searchParams)).toEqual({
      secret: enrolment.totpSecret,
      issuer: 'Reprise',
      algorithm: 'SHA1',
      digits: '6',
      period: '30',
    });

    const login = await api.http
      .post('/api/v1/auth/login')
      .send({ email: invited.email.toUpperCase(), password: PASSWORD })
      .expect(200);
    expect(Object.keys(login.body)).toEqual(['challenge']);
    const totp = await api.http
      .post('/api/v1/auth/login/totp')
      .send({ challenge: login.body.challenge, code: totpCode(enrolment.totpSecret) })
      .expect(200);
    expect(totp.body.user).toEqual({
      id: invited.id,
      tenantId: tenant.id,
      email: invited.email,
      name: 'Claire Martin',
      role: 'dr-manager',
    });
    const setCookie = ([] as string[]).concat(totp.headers['set-cookie']);
    const attributes = setCookie[0].split(';').map((a) => a.trim().toLowerCase());
    expect(attributes[0]).toMatch(/^__host-reprise_session=/);
    expect(attributes).toEqual(expect.arrayContaining(['httponly', 'secure', 'samesite=strict', 'path=/']));
    expect(attributes.some((a) => a.startsWith('max-age') || a.startsWith('domain'))).toBe(false);
    const cookie = sessionCookieOf(setCookie);

    const me = await api.http.get('/api/v1/auth/me').set('Cookie', cookie).expect(200);
    expect(me.body).toMatchObject({ user: totp.body.user, csrfToken: totp.body.csrfToken });
    expect(Date.parse(me.body.idleExpiresAt)).toBeGreaterThan(Date.now());
    expect(Date.parse(me.body.expiresAt)).toBeGreaterThan(Date.now() + 11 * 3_600_000);

    // The session reads and writes like a dr-manager key; the write records the user as actor.
    await api.http.get('/api/v1/servers').set('Cookie', cookie).expect(200);
    const persons = [{ name: 'Bruno Petit', email: 'bruno@acme.example' }];
    await api.http
      .put('/api/v1/plan/authorised-persons')
      .set(session({ cookie, csrfToken: me.body.csrfToken }))
      .send(persons)
      .expect(200);
    const [changed] = (await api.store.readAll()).filter((e) => e.type === 'AuthorisedPersonsChanged');
    expect(changed.metadata).toMatchObject({
      actor: `user:${invited.id}`,
      role: 'dr-manager',
      tenantId: tenant.id,
    });
    const listed = await api.http.get('/api/v1/users').set(bearer(tenant.manager)).expect(200);
    expect(listed.body.items).toEqual([
      expect.objectContaining({ id: invited.id, status: 'active', lastSignInAt: expect.any(String) }),
    ]);

    const logout = await api.http
      .post('/api/v1/auth/logout')
      .set(session({ cookie, csrfToken: me.body.csrfToken }));
    expect(logout.status).toBe(204);
    expect(([] as string[]).concat(logout.headers['set-cookie'])[0]).toMatch(/__Host-reprise_session=;/);
    const after = await api.http.get('/api/v1/auth/me').set('Cookie', cookie).expect(401);
    expect(after.headers['content-type']).toMatch(/application\/problem\+json/);
    await api.http.get('/api/v1/servers').set('Cookie', cookie).expect(401);
  });

  it('keeps no secret in clear in the events: invitation token, password, TOTP secret', async () => {
    const invited = await invite(api, tenant.id, 'auditor');
    const enrolment = await accept(api, invited.invitationToken);
    const all = JSON.stringify(await api.store.readAll());
    expect(all).not.toContain(invited.invitationToken);
    expect(all).not.toContain(invited.invitationToken.split('.')[1]);
    expect(all).not.toContain(PASSWORD);
    expect(all).not.toContain(enrolment.totpSecret);
    const events = (await api.store.readAll()).filter((e) => e.stream.startsWith('platform/user/'));
    const accepted = events.find((e) => e.type === 'UserInvitationAccepted')!.data as Record<string, string>;
    expect(accepted.passwordHash).toMatch(/^\$argon2id\$v=19\$m=47104,p=1,t=1\$/);
    expect(accepted.totpSecret).toMatch(/^aes-256-gcm:[0-9a-f]{8}:/);
    // User streams are platform streams: a tenant's audit export never carries the hashes.
    const audit = await api.http
      .get('/api/v1/audit/events?limit=1000')
      .set(bearer(tenant.auditor))
      .expect(200);
    expect(JSON.stringify(audit.body)).not.toContain('passwordHash');
  });

  it('refuses every wrong password and an unknown e-mail with the same answer, in similar time', async () => {
    const user = await signedInUser(api, tenant.id, 'scheduler');
    const attempt = async (email: string, password: string) => {
      const started = process.hrtime.bigint();
      const res = await passwordStep(api, email, password, '10.1.0.1');
      return { res, ms: Number(process.hrtime.bigint() - started) / 1e6 };
    };
    const known: number[] = [];
    const unknown: number[] = [];
    for (const password of [`${PASSWORD}!`, PASSWORD.toUpperCase(), 'x'.repeat(12), ' ', PASSWORD.slice(1)]) {
      const a = await attempt(user.email, password);
      const b = await attempt(uniqueEmail('nobody'), password);
      expect(a.res.status).toBe(401);
      expect(b.res.status).toBe(401);
      const strip = (body: Record<string, unknown>) => ({ ...body, instance: undefined });
      expect(strip(a.res.body)).toEqual(strip(b.res.body));
      expect(a.res.body).toMatchObject({ code: 'invalid-credentials', detail: 'wrong e-mail or password' });
      known.push(a.ms);
      unknown.push(b.ms);
    }
    const median = (xs: number[]) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    // Both pay one argon2id verification: an unknown e-mail is not answered faster.
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.4);
    // An invited user who has not accepted yet is refused the same way.
    const pending = await invite(api, tenant.id, 'auditor');
    const res = await passwordStep(api, pending.email, PASSWORD, '10.1.0.1').expect(401);
    expect(res.body.code).toBe('invalid-credentials');
  });

  it('refuses a wrong code and a replayed code; the challenge is single-use', async () => {
    const user = await signedInUser(api, tenant.id, 'scheduler');
    const challenge = async () =>
      (await passwordStep(api, user.email, PASSWORD, '10.2.0.1').expect(200)).body.challenge as string;
    // The code used to sign in a moment ago, again: replay.
    const usedCode = totpCode(user.totpSecret);
    const replay = await api.http
      .post('/api/v1/auth/login/totp')
      .set(from('10.2.0.1'))
      .send({ challenge: await challenge(), code: usedCode })
      .expect(401);
    expect(replay.body.code).toBe('code-used');
    // A code two steps away, or any other number: wrong.
    const c = await challenge();
    const wrong = String((Number(totpCode(user.totpSecret)) + 1) % 1_000_000).padStart(6, '0');
    for (const code of [totpCode(user.totpSecret, 3), totpCode(user.totpSecret, -3), wrong]) {
      const res = await api.http
        .post('/api/v1/auth/login/totp')
        .set(from('10.2.0.1'))
        .send({ challenge: c, code });
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('wrong-code');
    }
    const malformed = await api.http
      .post('/api/v1/auth/login/totp')
      .send({ challenge: c, code: '12345a' })
      .expect(400);
    expect(malformed.body.errors).toEqual([expect.objectContaining({ field: 'code' })]);
    // The next code opens a session; the challenge cannot be used twice.
    const next = totpCode(user.totpSecret, 1);
    const ok = await api.http
      .post('/api/v1/auth/login/totp')
      .set(from('10.2.0.1'))
      .send({ challenge: c, code: next })
      .expect(200);
    expect(ok.body.user.id).toBe(user.id);
    const again = await api.http
      .post('/api/v1/auth/login/totp')
      .set(from('10.2.0.1'))
      .send({ challenge: c, code: next })
      .expect(401);
    expect(again.body.code).toBe('invalid-challenge');
    const forged = await api.http
      .post('/api/v1/auth/login/totp')
      .send({ challenge: 'x'.repeat(43), code: next })
      .expect(401);
    expect(forged.body.code).toBe('invalid-challenge');
  });

  it('refuses a reused, unknown or tampered invitation, and a weak password, changing nothing', async () => {
    const invited = await invite(api, tenant.id, 'auditor', { name: 'Daniel Roy' });
    const before = await api.eventCount();
    const weak = async (password: unknown) =>
      api.http
        .post('/api/v1/auth/invitations/accept')
        .set(from('10.3.0.1'))
        .send({ token: invited.invitationToken, password });
    for (const [password, message] of [
      ['short', 'must be at least 12 characters'],
      ['password1234', 'is a common password'],
      ['daniel roy 1234', 'must not contain your name or e-mail'],
      [invited.email, 'must not contain your e-mail address'],
    ]) {
      const res = await weak(password);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'weak-password', errors: [{ field: 'password', message }] });
      expect(res.body.detail).toContain('12 to 128 characters');
    }
    const long = await weak('z'.repeat(129));
    expect(long.status).toBe(400);
    expect(long.body.errors).toEqual([
      { field: 'password', message: 'password must be at most 128 characters' },
    ]);
    const notString = await weak(123456789012345);
    expect(notString.status).toBe(400);
    expect(new Set(notString.body.errors.map((e: { field: string }) => e.field))).toEqual(
      new Set(['password']),
    );
    expect(await api.eventCount()).toBe(before);

    const [, secret] = invited.invitationToken.split('.');
    for (const token of [
      'rpi_nothing',
      `rpi_${'0'.repeat(64)}.${secret}`,
      `${invited.invitationToken.slice(0, -2)}AA`,
      invited.invitationToken.replace('rpi_', 'rpk_'),
    ]) {
      const res = await api.http
        .post('/api/v1/auth/invitations/accept')
        .set(from('10.3.0.1'))
        .send({ token, password: PASSWORD })
        .expect(400);
      expect(res.body).toMatchObject({ code: 'invalid-invitation', errors: [{ field: 'token' }] });
    }
    expect(await api.eventCount()).toBe(before);

    await accept(api, invited.invitationToken);
    const reused = await api.http
      .post('/api/v1/auth/invitations/accept')
      .send({ token: invited.invitationToken, password: PASSWORD })
      .expect(409);
    expect(reused.body.code).toBe('invitation-used');
  });

  it('answers generated bad input on the sign-in routes with a problem (never 5xx), changing nothing', async () => {
    let seed = 20260105;
    const random = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
    const pick = <T>(values: T[]) => values[Math.floor(random() * values.length)];
    const junk = (): unknown =>
      pick<() => unknown>([
        () => null,
        () => Math.floor(random() * 1e9),
        () => -1.5,
        () => true,
        () => [],
        () => [PASSWORD],
        () => ({}),
        () => ({ nested: { deeper: [1, 2] } }),
        () => '',
        () => ' ',
        () => 'x'.repeat(Math.floor(random() * 3000)),
        () => '\u0000\u202e\ud83d\ude00',
        () => 'rpi_' + 'f'.repeat(64) + '.' + 'A'.repeat(43),
        () => String(Math.floor(random() * 1e6)).padStart(6, '0'),
        () => uniqueEmail('fuzz'),
      ])();
    const routes: Array<[string, string[]]> = [
      ['/api/v1/auth/invitations/accept', ['token', 'password']],
      ['/api/v1/auth/login', ['email', 'password']],
      ['/api/v1/auth/login/totp', ['challenge', 'code']],
    ];
    const before = await api.eventCount();
    for (let i = 0; i < 90; i++) {
      const [path, fields] = routes[i % routes.length];
      const body =
        random() < 0.15
          ? junk()
          : Object.fromEntries([
              ...fields.filter(() => random() < 0.85).map((f) => [f, junk()]),
              ...(random() < 0.2 ? [['extra', junk()]] : []),
            ]);
      const res = await api.http
        .post(path)
        .set({ ...from(`10.99.${i}.1`), 'content-type': 'application/json' })
        .send(JSON.stringify(body));
      expect([path, body, res.status < 500]).toEqual([path, body, true]);
      expect([400, 401, 409, 422]).toContain(res.status);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    }
    expect(await api.eventCount()).toBe(before);
  });

  it('a new invitation while pending replaces the old token', async () => {
    const email = uniqueEmail('again');
    const first = await invite(api, tenant.id, 'auditor', { email });
    const second = await invite(api, tenant.id, 'auditor', { email });
    expect(second.id).toBe(first.id);
    await api.http
      .post('/api/v1/auth/invitations/accept')
      .send({ token: first.invitationToken, password: PASSWORD })
      .expect(400);
    await accept(api, second.invitationToken);
    const taken = await api.http
      .post(`/api/v1/tenants/${tenant.id}/users`)
      .set(admin)
      .send({ email: email.toUpperCase(), name: 'X', role: 'auditor' })
      .expect(409);
    expect(taken.body).toMatchObject({ code: 'email-taken', errors: [{ field: 'email' }] });
  });

  it('CSRF: a session write without the token, or with another session token, is refused and changes nothing', async () => {
    const a = await signedInUser(api, tenant.id, 'dr-manager');
    const b = await signedInUser(api, tenant.id, 'dr-manager');
    const before = await api.eventCount();
    const body = [{ name: 'Eve', email: 'eve@acme.example' }];
    const missing = await api.http
      .put('/api/v1/plan/authorised-persons')
      .set('Cookie', a.cookie)
      .send(body)
      .expect(403);
    expect(missing.body.code).toBe('csrf-token-missing');
    const other = await api.http
      .put('/api/v1/plan/authorised-persons')
      .set({ Cookie: a.cookie, 'x-csrf-token': b.csrfToken })
      .send(body)
      .expect(403);
    expect(other.body.code).toBe('csrf-token-invalid');
    const logout = await api.http.post('/api/v1/auth/logout').set('Cookie', a.cookie).expect(403);
    expect(logout.body.code).toBe('csrf-token-missing');
    expect(await api.eventCount()).toBe(before);
    await api.http.get('/api/v1/auth/me').set('Cookie', a.cookie).expect(200);
    // A bearer token needs no CSRF token (browsers never send it by themselves).
    await api.http.put('/api/v1/plan/authorised-persons').set(bearer(tenant.manager)).send(body).expect(200);
  });

  it('a disabled user loses their sessions at once and cannot sign in; the address can be invited again', async () => {
    const manager = await signedInUser(api, tenant.id, 'dr-manager');
    const victim = await signedInUser(api, tenant.id, 'scheduler');
    await api.http.get('/api/v1/test-schedules').set('Cookie', victim.cookie).expect(200);

    const self = await api.http.delete(`/api/v1/users/${manager.id}`).set(session(manager)).expect(422);
    expect(self.body.code).toBe('cannot-disable-yourself');
    const disabled = await api.http.delete(`/api/v1/users/${victim.id}`).set(session(manager)).expect(200);
    expect(disabled.body).toMatchObject({
      id: victim.id,
      status: 'disabled',
      disabledAt: expect.any(String),
    });
    const [event] = (await api.store.readAll()).filter((e) => e.type === 'UserDisabled');
    expect(event.metadata.actor).toBe(`user:${manager.id}`);

    await api.http.get('/api/v1/test-schedules').set('Cookie', victim.cookie).expect(401);
    const login = await passwordStep(api, victim.email, PASSWORD, '10.4.0.1').expect(401);
    expect(login.body.code).toBe('invalid-credentials');
    await api.http.delete(`/api/v1/users/${victim.id}`).set(session(manager)).expect(200);

    const again = await invite(api, tenant.id, 'auditor', { email: victim.email });
    expect(again.id).not.toBe(victim.id);
    const enrolment = await accept(api, again.invitationToken);
    const signed = await signIn(api, victim.email, PASSWORD, enrolment.totpSecret);
    expect(signed.body.user).toMatchObject({ id: again.id, role: 'auditor' });
  });

  it('a crash between disabling a user and ending their sessions leaves no usable session', async () => {
    const victim = await signedInUser(api, tenant.id, 'auditor');
    await api.http.get('/api/v1/audit/verify').set('Cookie', victim.cookie).expect(200);
    // What DELETE /users/:id appends, without the Redis clean-up that follows it.
    const stream = `platform/user/${createHash('sha256').update(victim.email).digest('hex')}`;
    await api.store.append(
      stream,
      [
        {
          type: 'UserDisabled',
          data: { userId: victim.id, tenantId: tenant.id, by: 'admin', at: new Date().toISOString() },
        },
      ],
      {
        expectedRevision: 'any',
        metadata: {
          actor: 'admin',
          role: 'admin',
          tenantId: tenant.id,
          correlationId: 'crash-test',
          causationId: null,
        },
      },
    );
    const deadline = Date.now() + 10_000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) {
      status = (await api.http.get('/api/v1/audit/verify').set('Cookie', victim.cookie)).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe(401);
  });

  it('a dr-manager invites, lists and disables users of its own tenant only', async () => {
    const other = await createTenant(api);
    const outsider = await invite(api, other.id, 'dr-manager');
    const manager = await signedInUser(api, tenant.id, 'dr-manager');

    const invited = await invite(api, tenant.id, 'auditor', { by: session(manager) });
    expect(invited.tenantId).toBe(tenant.id);
    const viaKey = await invite(api, tenant.id, 'scheduler', { by: bearer(tenant.manager) });
    expect(viaKey.tenantId).toBe(tenant.id);

    const list = await api.http.get('/api/v1/users').set('Cookie', manager.cookie).expect(200);
    const ids = list.body.items.map((u: { id: string }) => u.id);
    expect(ids).toEqual(expect.arrayContaining([invited.id, viaKey.id, manager.id]));
    expect(ids).not.toContain(outsider.id);
    expect(JSON.stringify(list.body)).not.toMatch(/invitationToken|passwordHash|totpSecret|invitationHash/);

    await api.http.delete(`/api/v1/users/${outsider.id}`).set(session(manager)).expect(404);
    await api.http.delete(`/api/v1/users/${outsider.id}`).set(bearer(tenant.manager)).expect(404);
    const theirs = await api.http.get(`/api/v1/tenants/${other.id}/users`).set(admin).expect(200);
    expect(theirs.body.items).toEqual([expect.objectContaining({ id: outsider.id, status: 'invited' })]);

    for (const token of [tenant.scheduler, tenant.auditor]) {
      await api.http.get('/api/v1/users').set(bearer(token)).expect(403);
      await api.http
        .post('/api/v1/users')
        .set(bearer(token))
        .send({ email: uniqueEmail(), name: 'N', role: 'auditor' })
        .expect(403);
    }
    const bad = await api.http
      .post('/api/v1/users')
      .set(session(manager))
      .send({ email: 'not-an-email', name: '', role: 'admin', extra: 1 })
      .expect(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual([
      'email',
      'extra',
      'name',
      'role',
    ]);
    const unknownTenant = `${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}`;
    await api.http.get(`/api/v1/tenants/${unknownTenant}/users`).set(admin).expect(404);
    await api.http
      .post(`/api/v1/tenants/${unknownTenant}/users`)
      .set(admin)
      .send({ email: uniqueEmail(), name: 'N', role: 'auditor' })
      .expect(404);
  });
});
