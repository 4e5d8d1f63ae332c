import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BRUNO,
  codeFor,
  codesDelivered,
  setAuthorisedPersons,
  sim,
  waitUntil,
} from '../activations/activation-helpers';
import { bearer, createTenant, enrol, startStack, type Stack } from '../support/stack';
import { session, signedInUser, type SignedInUser } from '../support/users';

/**
 * Named users in activations: the requester and the confirmer come from the session, each
 * authorised person gets their own code, and the events name the real person and user.
 */
describe('users request and confirm activations as themselves (e2e: api + worker + cloud)', () => {
  let stack: Stack;
  let tenant: Awaited<ReturnType<typeof createTenant>>;
  let claire: SignedInUser;
  let bruno: SignedInUser;
  let daniel: SignedInUser;
  let sam: SignedInUser;

  beforeAll(async () => {
    stack = await startStack();
    tenant = await createTenant(stack.api, { notificationWebhookUrl: stack.webhook.url });
    await enrol(stack.api, tenant.manager, [
      { hostname: 'dc-1' },
      { hostname: 'app-1', dependsOn: ['dc-1'] },
    ]);
    claire = await signedInUser(stack.api, tenant.id, 'dr-manager', { name: 'Claire Martin' });
    bruno = await signedInUser(stack.api, tenant.id, 'dr-manager', { name: 'Bruno Petit' });
    daniel = await signedInUser(stack.api, tenant.id, 'dr-manager', { name: 'Daniel Roy' });
    sam = await signedInUser(stack.api, tenant.id, 'scheduler', { name: 'Sam Leroy' });
    // The authorised persons are users of the tenant (matched by e-mail), plus one outside person.
    await setAuthorisedPersons(stack, tenant.manager, [
      { name: 'Claire Martin', email: claire.email },
      { name: 'Bruno Petit', email: bruno.email },
      { name: 'Daniel Roy', email: daniel.email },
      BRUNO,
    ]);
  }, 60_000);
  afterAll(async () => {
    await sim(stack, '/sim/v1/clock', 'PUT', { scale: 100_000 }).catch(() => undefined);
    await stack?.close();
  }, 30_000);

  const post = (headers: Record<string, string>, path: string, body: object) =>
    stack.api.http.post(`/api/v1/activations${path}`).set(headers).send(body);
  const fields = (body: { errors: Array<{ field: string }> }) =>
    [...new Set(body.errors.map((e) => e.field))].sort();
  /**
   * The tenant's activations, as streams (what a refused request must not create; the worker keeps
   * recording other things, e.g. the default test cadence, so the store as a whole is not quiet).
   */
  const activationStreams = async () =>
    new Set(
      (await stack.api.store.readAll())
        .map((e) => e.stream)
        .filter((stream) => stream.startsWith(`tenant/${tenant.id}/activation/`)),
    ).size;
  const eventsOf = async (id: string) =>
    (await stack.api.store.readAll()).filter((e) => e.stream.endsWith(`/activation/${id}`));

  it('a disaster requested by one user is confirmed by another with their own code only', async () => {
    const before = await activationStreams();
    const impostor = await post(session(claire), '', {
      type: 'disaster',
      scope: 'full',
      requestedBy: { name: 'Bruno Petit', email: bruno.email },
    }).expect(400);
    expect(impostor.body).toMatchObject({ code: 'not-yourself', errors: [{ field: 'requestedBy' }] });
    expect(await activationStreams()).toBe(before);

    const created = await post(session(claire), '', {
      type: 'disaster',
      scope: 'full',
      reason: 'fire',
    }).expect(202);
    const id = created.body.id as string;
    const [requested, confirmation] = await eventsOf(id);
    expect(requested.data).toMatchObject({ requestedBy: { name: 'Claire Martin', email: claire.email } });
    expect(requested.metadata).toMatchObject({ actor: `user:${claire.id}`, role: 'dr-manager' });
    // Every authorised person but the requester gets their own code; only hashes are recorded.
    const recipients = (confirmation.data as { recipients: string[] }).recipients;
    expect([...recipients].sort()).toEqual([bruno.email, daniel.email, BRUNO.email].sort());
    const brunoCode = await codeFor(stack, id, bruno.email);
    const danielCode = await codeFor(stack, id, daniel.email);
    await codesDelivered(stack, id, 3);
    expect(brunoCode).not.toBe(danielCode);
    expect(stack.webhook.received.some((b) => b.activationId === id && b.recipient === claire.email)).toBe(
      false,
    );
    const stored = JSON.stringify(await stack.api.store.readAll());
    for (const code of [brunoCode, danielCode]) {
      expect(stored).not.toContain(code);
      expect(stored).not.toContain(code.replace('-', ''));
    }

    // The requester cannot confirm; nobody confirms in someone else's name or with their code.
    const self = await post(session(claire), `/${id}/confirm`, { code: brunoCode }).expect(403);
    expect(self.body.code).toBe('four-eyes');
    const inHisName = await post(session(bruno), `/${id}/confirm`, {
      email: daniel.email,
      code: danielCode,
    }).expect(400);
    expect(inHisName.body).toMatchObject({ code: 'not-yourself', errors: [{ field: 'email' }] });
    const hisCode = await post(session(bruno), `/${id}/confirm`, { code: danielCode }).expect(403);
    expect(hisCode.body).toMatchObject({ code: 'wrong-code', attemptsLeft: 4 });
    const failed = (await eventsOf(id)).find((e) => e.type === 'ConfirmationAttemptFailed')!;
    expect(failed.data).toMatchObject({ email: bruno.email });
    expect(failed.metadata.actor).toBe(`user:${bruno.id}`);
    // An API key confirming as Daniel with Bruno's code: refused too.
    await post(bearer(tenant.manager), `/${id}/confirm`, { email: daniel.email, code: brunoCode }).expect(
      403,
    );

    const ok = await post(session(bruno), `/${id}/confirm`, { code: brunoCode }).expect(200);
    expect(ok.body.status).toBe('running');
    const confirmed = (await eventsOf(id)).find((e) => e.type === 'ActivationConfirmed')!;
    expect(confirmed.data).toMatchObject({ by: { name: 'Bruno Petit', email: bruno.email } });
    expect(confirmed.metadata).toMatchObject({ actor: `user:${bruno.id}`, role: 'dr-manager' });
    const view = await stack.api.http
      .get(`/api/v1/activations/${id}`)
      .set('Cookie', daniel.cookie)
      .expect(200);
    expect(view.body).toMatchObject({
      requestedBy: { email: claire.email },
      confirmedBy: { email: bruno.email },
    });

    const aborted = await post(session(daniel), `/${id}/abort`, { reason: 'drill over' }).expect(200);
    expect(aborted.body.status).toBe('aborted');
    const abort = (await eventsOf(id)).find((e) => e.type === 'ActivationAborted')!;
    expect(abort.data).toMatchObject({ by: { name: 'Daniel Roy', email: daniel.email } });
    expect(abort.metadata.actor).toBe(`user:${daniel.id}`);
  });

  it('a live stream opened with a session ends when the session ends', async () => {
    const watcher = await signedInUser(stack.api, tenant.id, 'auditor');
    const created = await post(bearer(tenant.manager), '', {
      type: 'alert',
      scope: 'full',
      requestedBy: BRUNO,
    }).expect(202);
    const { port } = stack.api.app.getHttpServer().address() as AddressInfo;
    let received = '';
    let ended = false;
    const req = get(
      {
        host: '127.0.0.1',
        port,
        path: `/api/v1/activations/${created.body.id}/stream`,
        headers: { Cookie: watcher.cookie, accept: 'text/event-stream' },
      },
      (res) => {
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (received += chunk));
        res.on('end', () => (ended = true));
      },
    );
    req.on('error', () => undefined);
    try {
      await waitUntil(async () => received.includes('AlertRaised'), 'the stream to replay the alert');
      await new Promise((r) => setTimeout(r, 200));
      expect(ended).toBe(false);
      await stack.api.http.delete(`/api/v1/users/${watcher.id}`).set(session(claire)).expect(200);
      await waitUntil(async () => ended, 'the stream to end with the session', 15_000);
    } finally {
      req.destroy();
      await post(session(claire), `/${created.body.id}/stand-down`, {}).expect(200);
    }
  });

  it('a user may name themselves; a scheduler user runs tests, not disasters; a key must name the person', async () => {
    const before = await activationStreams();
    await post(session(sam), '', { type: 'disaster', scope: 'full' }).expect(403);
    const key = await post(bearer(tenant.manager), '', { type: 'test', scope: 7 }).expect(400);
    expect(fields(key.body)).toEqual(['requestedBy', 'scope']);
    const confirmKey = await post(
      bearer(tenant.manager),
      `/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}/confirm`,
      {},
    ).expect(400);
    expect(fields(confirmKey.body)).toEqual(['code', 'email']);
    const mine = await post(
      session(bruno),
      `/${'0'.repeat(8)}-0000-4000-8000-${'0'.repeat(12)}/confirm`,
      {},
    ).expect(400);
    expect(fields(mine.body)).toEqual(['code']);
    expect(await activationStreams()).toBe(before);

    const test = await post(session(sam), '', {
      type: 'test',
      scope: 'full',
      requestedBy: { name: 'Sam', email: sam.email.toUpperCase() },
    }).expect(202);
    const [requested] = await eventsOf(test.body.id);
    expect(requested.data).toMatchObject({ requestedBy: { name: 'Sam Leroy', email: sam.email } });
    expect(requested.metadata).toMatchObject({ actor: `user:${sam.id}`, role: 'scheduler' });
    const closed = await post(session(sam), `/${test.body.id}/abort`, { reason: 'enough' });
    expect(closed.status).toBe(403); // abort is a dr-manager's, as with a scheduler key
    await post(session(claire), `/${test.body.id}/abort`, { reason: 'enough' }).expect(200);
  });
});
