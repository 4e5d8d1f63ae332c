import { bearer, createTenant, enrol, startStack, waitForStatus, type Stack } from '../support/stack';
import {
  BRUNO,
  CLAIRE,
  DANIEL,
  codeFor,
  phases,
  setAuthorisedPersons,
  sim,
  simStats,
  waitUntil,
} from './activation-helpers';

/**
 * A disaster declared outside the business-hours window (issue 12), end to end with the real
 * worker: while `scheduled` its disks are pre-staged (restored, nothing started), and where the
 * tenant's contract allows it an authorised person starts it at once with an emergency override,
 * recorded with its reason, confirmed by another authorised person with their own code.
 */
describe('business-hours disaster: pre-staged, then an emergency override (e2e: api + worker + recovery cloud)', () => {
  let stack: Stack;
  // Saturday 7 June 2025, 20:00 in Paris: outside business hours; the window opens on Monday 08:00.
  const SATURDAY_EVENING = '2025-06-07T18:00:00.000Z';
  const MONDAY = '2025-06-09T06:00:00.000Z';

  beforeAll(async () => {
    stack = await startStack({ timeScale: 60, startAt: SATURDAY_EVENING });
  }, 60_000);
  afterAll(async () => stack?.close());

  async function tenantWithDisaster(contract: { emergencyOverride?: boolean }) {
    const t = await createTenant(stack.api, {
      activationWindow: 'business-hours',
      timeZone: 'Europe/Paris',
      notificationWebhookUrl: stack.webhook.url,
      ...contract,
    });
    await enrol(stack.api, t.manager, [{ hostname: 'dc-1' }, { hostname: 'app-1', dependsOn: ['dc-1'] }]);
    await setAuthorisedPersons(stack, t.manager, [CLAIRE, BRUNO, DANIEL]);
    const post = (path: string, body: object) =>
      stack.api.http.post(`/api/v1/activations${path}`).set(bearer(t.manager)).send(body);
    const created = await post('', {
      type: 'disaster',
      scope: 'full',
      requestedBy: CLAIRE,
      reason: 'ransomware',
    }).expect(202);
    const id = created.body.id as string;
    const confirmed = await post(`/${id}/confirm`, {
      email: BRUNO.email,
      code: await codeFor(stack, id, BRUNO.email),
    }).expect(200);
    expect(confirmed.body).toMatchObject({ status: 'scheduled', startsAt: MONDAY });
    return { t, id, post };
  }

  const eventsOf = async (token: string, id: string) =>
    (await stack.api.http.get(`/api/v1/activations/${id}/events`).set(bearer(token)).expect(200))
      .body as Array<{
      type: string;
      data: Record<string, unknown>;
    }>;

  it('the contract does not allow it: 403, and the disaster still waits for its window', async () => {
    const { t, id, post } = await tenantWithDisaster({});
    const refused = await post(`/${id}/override`, { reason: 'cannot wait', requestedBy: DANIEL }).expect(403);
    expect(refused.body).toMatchObject({ code: 'override-not-allowed' });
    const view = await stack.api.http.get(`/api/v1/activations/${id}`).set(bearer(t.manager)).expect(200);
    expect(view.body).toMatchObject({ status: 'scheduled', override: null });
    await post(`/${id}/abort`, { reason: 'test over' }).expect(200);
  });

  it('pre-staged while scheduled; an authorised person overrides with a reason, another confirms: it starts at once and boots what was restored', async () => {
    const { t, id, post } = await tenantWithDisaster({ emergencyOverride: true });
    await sim(stack, '/sim/v1/clock', 'PUT', { scale: 600 });
    // every disk restored while it waits, nothing started
    await waitUntil(
      async () => (await eventsOf(t.manager, id)).filter((e) => e.type === 'ServerRestored').length === 2,
      'pre-staged restores',
      30_000,
    );
    const staged = await stack.api.http.get(`/api/v1/activations/${id}`).set(bearer(t.manager)).expect(200);
    expect(staged.body.status).toBe('scheduled');
    expect(phases(staged.body)).toEqual({ 'dc-1': 'restored', 'app-1': 'restored' });
    expect(staged.body.servers.every((s: { prestaged: boolean }) => s.prestaged)).toBe(true);
    expect((await eventsOf(t.manager, id)).some((e) => e.type === 'ServerBootStarted')).toBe(false);
    await sim(stack, '/sim/v1/clock', 'PUT', { scale: 60 });

    // an override says why (400 without a reason); an API key names the authorised person asking
    await post(`/${id}/override`, { requestedBy: DANIEL }).expect(400);
    const asked = await post(`/${id}/override`, {
      reason: 'production is down, the business cannot wait for Monday',
      requestedBy: DANIEL,
    }).expect(202);
    expect(asked.body).toMatchObject({ status: 'scheduled', overrideStatus: 'awaiting-confirmation' });
    const hook = await stack.webhook.waitFor(
      (b) => b.activationId === id && b.override === true && b.recipient === CLAIRE.email,
    );
    expect(hook).toMatchObject({ kind: 'confirmation-code', reason: expect.stringContaining('cannot wait') });
    await post(`/${id}/override`, { reason: 'again', requestedBy: DANIEL }).expect(409);
    await post(`/${id}/confirm`, { email: DANIEL.email, code: hook.code }).expect(403);
    const confirmed = await post(`/${id}/confirm`, { email: CLAIRE.email, code: hook.code }).expect(200);
    expect(confirmed.body).toMatchObject({ status: 'running', overrideStatus: 'confirmed' });

    await sim(stack, '/sim/v1/clock', 'PUT', { scale: 600 });
    const done = await waitForStatus(
      stack.api,
      t.manager,
      id,
      ['completed', 'completed-with-failures'],
      40_000,
    );
    expect(phases(done)).toEqual({ 'dc-1': 'ok', 'app-1': 'ok' });
    expect(Date.parse(done.launchedAt)).toBeLessThan(Date.parse(MONDAY));
    expect(done.override).toMatchObject({
      status: 'confirmed',
      reason: 'production is down, the business cannot wait for Monday',
      by: { email: DANIEL.email },
      confirmedBy: { email: CLAIRE.email },
    });
    const types = (await eventsOf(t.manager, id)).map((e) => e.type);
    expect(types.indexOf('EmergencyOverrideRequested')).toBeLessThan(
      types.indexOf('EmergencyOverrideConfirmed'),
    );
    expect(types[types.indexOf('EmergencyOverrideConfirmed') + 1]).toBe('ActivationStarted');
    // the pre-staged restores were used, not done again
    const stats = await simStats(stack);
    expect(stats.duplicateRestoreRequests).toBe(0);
    expect(stats.duplicateRestoresSameDisk).toBe(0);
  }, 120_000);
});
