import { bearer, createTenant, enrol, startStack, waitForStatus, type Stack } from '../support/stack';
import {
  BRUNO,
  CLAIRE,
  DANIEL,
  codeFor,
  codesDelivered,
  setAuthorisedPersons,
  sim,
  wrongCodeFor,
} from './activation-helpers';

/**
 * Four-eyes confirmation of failovers, alerts, the activation window and the confirmation expiry,
 * end to end. The simulated clock runs at real speed (scale 1) and is moved by the tests, so the
 * 15-minute validity of a code and the business-hours window are exercised exactly.
 */
describe('confirmation of disasters and alerts (e2e: api + worker + recovery cloud + Redis)', () => {
  let stack: Stack;
  // Wednesday 4 June 2025, 12:00 in Paris: inside business hours.
  const START = '2025-06-04T10:00:00.000Z';

  beforeAll(async () => {
    stack = await startStack({ timeScale: 1, startAt: START });
  }, 60_000);
  afterAll(async () => {
    // Aborted activations may still have a restore in flight (a step is left to finish and be
    // recorded); at real speed the worker's graceful close would wait for it, so speed time up.
    await sim(stack, '/sim/v1/clock', 'PUT', { scale: 100_000 }).catch(() => undefined);
    await stack?.close();
  }, 30_000);

  /** A tenant of its own per test: one live activation per tenant is the rule. */
  async function tenant(overrides: Record<string, unknown> = {}) {
    const t = await createTenant(stack.api, { notificationWebhookUrl: stack.webhook.url, ...overrides });
    await enrol(stack.api, t.manager, [
      { hostname: 'dc-1' },
      { hostname: 'db-1', dependsOn: ['dc-1'] },
      { hostname: 'app-1', dependsOn: ['db-1'] },
    ]);
    await setAuthorisedPersons(stack, t.manager, [CLAIRE, BRUNO, DANIEL]);
    return t;
  }

  const post = (token: string, path: string, body: unknown) =>
    stack.api.http
      .post(`/api/v1/activations${path}`)
      .set(bearer(token))
      .send(body as object);

  async function disaster(token: string) {
    const res = await post(token, '', {
      type: 'disaster',
      scope: 'full',
      requestedBy: CLAIRE,
      reason: 'datacentre fire',
    }).expect(202);
    expect(res.body.status).toBe('awaiting-confirmation');
    return res.body.id as string;
  }

  const events = async (token: string, id: string) =>
    (await stack.api.http.get(`/api/v1/activations/${id}/events`).set(bearer(token)).expect(200))
      .body as Array<{ seq: number; type: string; data: Record<string, unknown> }>;

  /** The API and the worker re-read the simulator's clock every 500 ms. */
  const clockSettles = () => new Promise((r) => setTimeout(r, 1200));

  it('a wrong code is 403 with the attempts left, and the failed attempt is recorded', async () => {
    const t = await tenant();
    const id = await disaster(t.manager);
    const code = await codeFor(stack, id, BRUNO.email);
    const res = await post(t.manager, `/${id}/confirm`, {
      email: BRUNO.email,
      code: wrongCodeFor(code),
    }).expect(403);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({
      status: 403,
      code: 'wrong-code',
      attemptsLeft: 4,
      activationStatus: 'awaiting-confirmation',
    });
    const failed = (await events(t.manager, id)).filter((e) => e.type === 'ConfirmationAttemptFailed');
    expect(failed).toHaveLength(1);
    expect(failed[0].data).toMatchObject({ email: BRUNO.email, attemptsLeft: 4 });
    const view = await stack.api.http.get(`/api/v1/activations/${id}`).set(bearer(t.manager)).expect(200);
    expect(view.body.status).toBe('awaiting-confirmation');

    // Each person has their own code: Bruno's does not confirm as Daniel.
    const notHis = await post(t.manager, `/${id}/confirm`, { email: DANIEL.email, code }).expect(403);
    expect(notHis.body).toMatchObject({ code: 'wrong-code', attemptsLeft: 3 });
    expect(await codeFor(stack, id, DANIEL.email)).not.toBe(code);
    // The right code still works afterwards.
    const ok = await post(t.manager, `/${id}/confirm`, { email: BRUNO.email, code }).expect(200);
    expect(ok.body.status).toBe('running');
    await post(t.manager, `/${id}/abort`, { reason: 'test over' }).expect(200);
  });

  it('five wrong codes reject the activation; the right code is then refused', async () => {
    const t = await tenant();
    const id = await disaster(t.manager);
    const code = await codeFor(stack, id, BRUNO.email);
    const left: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await post(t.manager, `/${id}/confirm`, {
        email: i % 2 ? BRUNO.email : DANIEL.email,
        code: wrongCodeFor(code),
      }).expect(403);
      left.push(res.body.attemptsLeft);
    }
    expect(left).toEqual([4, 3, 2, 1, 0]);
    const view = await stack.api.http.get(`/api/v1/activations/${id}`).set(bearer(t.manager)).expect(200);
    expect(view.body.status).toBe('rejected');
    const types = (await events(t.manager, id)).map((e) => e.type);
    expect(types.filter((x) => x === 'ConfirmationAttemptFailed')).toHaveLength(5);
    expect(types[types.length - 1]).toBe('ActivationRejected');

    const late = await post(t.manager, `/${id}/confirm`, { email: BRUNO.email, code }).expect(409);
    expect(late.body).toMatchObject({ status: 409, code: 'wrong-status', activationStatus: 'rejected' });
    expect((await stack.api.http.get(`/api/v1/activations/${id}`).set(bearer(t.manager))).body.status).toBe(
      'rejected',
    );
  });

  it('the requester cannot confirm their own request; nor can someone who is not authorised (403)', async () => {
    const t = await tenant();
    const id = await disaster(t.manager);
    const code = await codeFor(stack, id, BRUNO.email);
    await codesDelivered(stack, id, 2);
    const before = await stack.api.eventCount();

    const self = await post(t.manager, `/${id}/confirm`, { email: CLAIRE.email, code }).expect(403);
    expect(self.body.code).toBe('four-eyes');
    const stranger = await post(t.manager, `/${id}/confirm`, { email: 'eve@elsewhere.example', code }).expect(
      403,
    );
    expect(stranger.body.code).toBe('not-authorised-person');
    // Neither counts as an attempt nor changes anything.
    expect(await stack.api.eventCount()).toBe(before);
    expect((await stack.api.http.get(`/api/v1/activations/${id}`).set(bearer(t.manager))).body.status).toBe(
      'awaiting-confirmation',
    );

    // A second live activation of the same tenant is refused while this one awaits confirmation.
    const overlap = await post(t.manager, '', {
      type: 'test',
      scope: 'full',
      requestedBy: BRUNO,
    }).expect(409);
    expect(overlap.body).toMatchObject({ code: 'activation-overlap', activationId: id });
    expect(await stack.api.eventCount()).toBe(before);

    const ok = await post(t.manager, `/${id}/confirm`, { email: BRUNO.email, code }).expect(200);
    expect(ok.body.status).toBe('running');
    // Still overlapping while it runs.
    await post(t.manager, '', { type: 'alert', scope: 'full', requestedBy: BRUNO }).expect(409);
    await post(t.manager, `/${id}/abort`, { reason: 'test over' }).expect(200);

    // The code is in no event: neither in the API's event list nor anywhere in the store's files.
    const all = JSON.stringify(await events(t.manager, id));
    const bare = code.replace(/[^0-9A-Z]/gi, '');
    expect(all).not.toContain(code);
    expect(all).not.toContain(bare);
    const raw = JSON.stringify(await stack.api.store.readAll());
    expect(raw).not.toContain(code);
    expect(raw).not.toContain(bare);
    expect(await stack.api.testStore.holds(id)).toBe(true);
    expect(await stack.api.testStore.holds(code)).toBe(false);
    expect(await stack.api.testStore.holds(bare)).toBe(false);
    // …while the webhook did receive it: one code each for the authorised persons but the requester.
    const hooks = stack.webhook.received.filter((b) => b.activationId === id);
    expect(hooks.map((h) => h.recipient).sort()).toEqual([BRUNO.email, DANIEL.email].sort());
    expect(hooks.find((h) => h.recipient === BRUNO.email)).toMatchObject({ kind: 'confirmation-code', code });
    expect(new Set(hooks.map((h) => h.code)).size).toBe(2);
  });

  it('alert → escalate → confirm → running', async () => {
    const t = await tenant();
    const alert = await post(t.manager, '', {
      type: 'alert',
      scope: 'full',
      requestedBy: CLAIRE,
      reason: 'flood warning',
    }).expect(202);
    expect(alert.body.status).toBe('alert');
    const id = alert.body.id as string;
    // No code for a standby.
    expect(stack.webhook.received.some((b) => b.activationId === id)).toBe(false);

    // The alert pre-stages restores meanwhile: the escalation races the worker's facts and must win.
    const escalated = await post(t.manager, `/${id}/escalate`, { scope: { servers: ['db-1'] } }).expect(200);
    expect(escalated.body.status).toBe('awaiting-confirmation');
    expect(escalated.body.scope.added.map((a: { hostname: string }) => a.hostname)).toEqual(['dc-1']);
    const code = await codeFor(stack, id, BRUNO.email);
    // The alert requester escalated: they cannot confirm.
    await post(t.manager, `/${id}/confirm`, { email: CLAIRE.email, code }).expect(403);
    const ok = await post(t.manager, `/${id}/confirm`, { email: BRUNO.email, code }).expect(200);
    expect(ok.body.status).toBe('running');
    const view = await waitForStatus(stack.api, t.manager, id, ['running']);
    expect(view.servers.map((s: { hostname: string }) => s.hostname).sort()).toEqual(['db-1', 'dc-1']);
    const types = (await events(t.manager, id)).map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'AlertRaised',
        'ConfirmationRequested',
        'ActivationConfirmed',
        'ActivationStarted',
      ]),
    );
    await post(t.manager, `/${id}/abort`, { reason: 'test over' }).expect(200);
  });

  it('alert → stand-down', async () => {
    const t = await tenant();
    const alert = await post(t.manager, '', { type: 'alert', scope: 'full', requestedBy: CLAIRE }).expect(
      202,
    );
    const id = alert.body.id as string;
    const down = await post(t.manager, `/${id}/stand-down`, { reason: 'river went down' }).expect(200);
    expect(down.body.status).toBe('stood-down');
    const view = await stack.api.http.get(`/api/v1/activations/${id}`).set(bearer(t.manager)).expect(200);
    expect(view.body.status).toBe('stood-down');
    // A stood-down alert is not live any more: a new activation may start.
    const next = await post(t.manager, '', { type: 'alert', scope: 'full', requestedBy: CLAIRE }).expect(202);
    await post(t.manager, `/${next.body.id}/stand-down`, {}).expect(200);
    // Standing down a disaster is not possible.
    const d = await disaster(t.manager);
    const refused = await post(t.manager, `/${d}/stand-down`, {}).expect(409);
    expect(refused.body).toMatchObject({ code: 'wrong-status', activationStatus: 'awaiting-confirmation' });
    await post(t.manager, `/${d}/abort`, { reason: 'test over' }).expect(200);
  });

  it('a business-hours tenant confirming outside the window is scheduled, then starts by itself', async () => {
    const t = await tenant({ activationWindow: 'business-hours', timeZone: 'Europe/Paris' });
    // Wednesday 4 June 2025, 19:30 in Paris: after hours.
    await sim(stack, '/sim/v1/clock', 'PUT', { at: '2025-06-04T17:30:00.000Z' });
    await clockSettles();
    const id = await disaster(t.manager);
    const code = await codeFor(stack, id, BRUNO.email);
    const confirmed = await post(t.manager, `/${id}/confirm`, { email: BRUNO.email, code }).expect(200);
    expect(confirmed.body.status).toBe('scheduled');
    // Thursday 08:00 in Paris (CEST, UTC+2).
    expect(confirmed.body.startsAt).toBe('2025-06-05T06:00:00.000Z');
    const scheduled = await stack.api.http
      .get(`/api/v1/activations/${id}`)
      .set(bearer(t.manager))
      .expect(200);
    expect(scheduled.body.status).toBe('scheduled');
    // Nothing happens before the window opens.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await stack.api.http.get(`/api/v1/activations/${id}`).set(bearer(t.manager))).body.status).toBe(
      'scheduled',
    );

    await sim(stack, '/sim/v1/clock', 'PUT', { at: '2025-06-05T06:00:05.000Z' });
    const running = await waitForStatus(stack.api, t.manager, id, ['running'], 10_000);
    expect(Date.parse(running.launchedAt)).toBeGreaterThanOrEqual(Date.parse('2025-06-05T06:00:00.000Z'));
    const started = (await events(t.manager, id)).find((e) => e.type === 'ActivationStarted')!;
    expect(Date.parse(started.data.at as string)).toBeGreaterThanOrEqual(
      Date.parse('2025-06-05T06:00:00.000Z'),
    );
    await post(t.manager, `/${id}/abort`, { reason: 'test over' }).expect(200);
  });

  it('an unconfirmed disaster is rejected after 15 simulated minutes', async () => {
    const t = await tenant();
    const id = await disaster(t.manager);
    const code = await codeFor(stack, id, BRUNO.email);
    // 14 minutes: still awaiting.
    await sim(stack, '/sim/v1/clock/advance', 'POST', { minutes: 14 });
    await clockSettles();
    expect((await stack.api.http.get(`/api/v1/activations/${id}`).set(bearer(t.manager))).body.status).toBe(
      'awaiting-confirmation',
    );
    // 16 minutes: the worker's timer rejects it by itself.
    await sim(stack, '/sim/v1/clock/advance', 'POST', { minutes: 2 });
    const rejected = await waitForStatus(stack.api, t.manager, id, ['rejected'], 10_000);
    expect(rejected.status).toBe('rejected');
    const last = (await events(t.manager, id)).pop()!;
    expect(last).toMatchObject({ type: 'ActivationRejected', data: { reason: 'confirmation-expired' } });
    // The code is useless now.
    const late = await post(t.manager, `/${id}/confirm`, { email: BRUNO.email, code }).expect(409);
    expect(late.body).toMatchObject({ status: 409, activationStatus: 'rejected' });
  });

  it('on an accelerated clock (600×), a person still has 15 real minutes to confirm: the deadline is a human one', async () => {
    await sim(stack, '/sim/v1/clock', 'PUT', { scale: 600 });
    await clockSettles();
    try {
      const t = await tenant();
      const id = await disaster(t.manager);
      const requested = (await events(t.manager, id)).find((e) => e.type === 'ConfirmationRequested')!;
      // 15 wall minutes on a clock that runs 600 times faster: 150 clock hours.
      const minutes =
        (Date.parse(requested.data.expiresAt as string) - Date.parse(requested.data.at as string)) / 60_000;
      expect(minutes).toBeGreaterThan(15 * 600 * 0.99);
      // Three real seconds later (30 clock minutes: twice the old, simulated, 15-minute window), a person confirms.
      const code = await codeFor(stack, id, BRUNO.email);
      await new Promise((r) => setTimeout(r, 3000));
      const confirmed = await post(t.manager, `/${id}/confirm`, { email: BRUNO.email, code }).expect(200);
      expect(confirmed.body.status).toBe('running');
      await post(t.manager, `/${id}/abort`, { reason: 'test over' }).expect(200);
    } finally {
      await sim(stack, '/sim/v1/clock', 'PUT', { scale: 1 });
      await clockSettles();
    }
  });
});
