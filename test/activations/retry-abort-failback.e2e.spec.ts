import { bearer, createTenant, enrol, startStack, waitForStatus, type Stack } from '../support/stack';
import {
  BRUNO,
  CLAIRE,
  cloudResources,
  codeFor,
  phases,
  setAuthorisedPersons,
  sim,
  simStats,
  waitUntil,
} from './activation-helpers';

/**
 * The DR manager's corrective commands through the real engine: retry a failed server (its blocked
 * dependents run again with it), abort a running test (nothing new starts), fail a disaster back.
 */
describe('retry, abort and failback (e2e: api + worker + recovery cloud + Redis)', () => {
  let stack: Stack;
  let t: Awaited<ReturnType<typeof createTenant>>;
  let ids: Record<string, string>;
  const view = async (id: string) =>
    (await stack.api.http.get(`/api/v1/activations/${id}`).set(bearer(t.manager)).expect(200)).body;
  const post = (path: string, body: object = {}) =>
    stack.api.http.post(`/api/v1${path}`).set(bearer(t.manager)).send(body);
  /** The code delivered to `email` after `previous` (a new confirmation of the same activation). */
  const codeAfter = (id: string, email: string, previous: string) =>
    waitUntil(async () => {
      const latest = await codeFor(stack, id, email);
      return latest !== previous && latest;
    }, 'a new confirmation code');

  beforeAll(async () => {
    stack = await startStack({ timeScale: 600 });
    t = await createTenant(stack.api, { notificationWebhookUrl: stack.webhook.url });
    ids = await enrol(stack.api, t.manager, [
      { hostname: 'db-1' },
      { hostname: 'app-1', dependsOn: ['db-1'] },
      { hostname: 'web-1', dependsOn: ['app-1'], family: 'linux' },
      { hostname: 'mail-1' },
    ]);
    await setAuthorisedPersons(stack, t.manager, [CLAIRE, BRUNO]);
  }, 60_000);
  afterAll(async () => stack?.close());

  it('retries a failed server: it boots again and the servers it blocked run with it', async () => {
    await sim(stack, '/sim/v1/faults', 'POST', { hostname: 'app-1', fault: 'boot-failure', times: 1 });
    const { body } = await post('/activations', { type: 'test', scope: 'full', requestedBy: CLAIRE }).expect(
      202,
    );
    const first = await waitForStatus(stack.api, t.manager, body.id, ['completed-with-failures']);
    expect(phases(first)).toEqual({ 'db-1': 'ok', 'app-1': 'failed', 'web-1': 'blocked', 'mail-1': 'ok' });
    const failed = first.servers.find((s: { hostname: string }) => s.hostname === 'app-1');
    expect(failed.detail ?? '').toMatch(/boot/);

    const retried = await post(`/activations/${body.id}/servers/${ids['app-1']}/retry`).expect(200);
    expect(retried.body.status).toBe('running');
    const second = await waitForStatus(stack.api, t.manager, body.id, [
      'completed',
      'completed-with-failures',
    ]);
    expect(second.status).toBe('completed');
    expect(phases(second)).toEqual({ 'db-1': 'ok', 'app-1': 'ok', 'web-1': 'ok', 'mail-1': 'ok' });
    // The retry booted app-1 again; nothing was restored twice.
    expect((await simStats(stack)).duplicateRestoresSameDisk).toBe(0);
    const events = (await stack.api.http.get(`/api/v1/activations/${body.id}/events`).set(bearer(t.manager)))
      .body as Array<{ type: string }>;
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['ServerStepFailed', 'ServerBlocked', 'ServerRetryRequested']),
    );
    await post(`/activations/${body.id}/close`).expect(200);
  }, 60_000);

  it('aborts a running test: servers not yet available are cancelled and nothing new starts', async () => {
    // A huge disk keeps db-1 restoring; everything downstream waits for it.
    await sim(stack, '/sim/v1/faults', 'POST', { hostname: 'db-1', fault: 'slow-restore', times: 1 });
    const { body } = await post('/activations', { type: 'test', scope: 'full', requestedBy: CLAIRE }).expect(
      202,
    );
    await waitUntil(
      async () =>
        (await view(body.id)).servers.find(
          (s: { hostname: string; phase: string }) => s.hostname === 'db-1' && s.phase === 'restoring',
        ),
      'db-1 restoring',
    );
    await post(`/activations/${body.id}/abort`, {}).expect(400); // a reason is required
    const aborted = await post(`/activations/${body.id}/abort`, {
      reason: 'drill stopped by the DR manager',
    }).expect(200);
    expect(aborted.body.status).toBe('aborted');
    const after = await view(body.id);
    expect(phases(after)['web-1']).toBe('cancelled');
    const bootsBefore = (await simStats(stack)).operationsByKind['power-on'] ?? 0;
    await new Promise((r) => setTimeout(r, 1500)); // 15 simulated minutes
    expect((await simStats(stack)).operationsByKind['power-on'] ?? 0).toBe(bootsBefore);
    // Closing an aborted test tears down what it had created, verified by the cloud's listing.
    expect((await post(`/activations/${body.id}/close`).expect(200)).body.status).toBe('closed');
    expect(await cloudResources(stack, t.id, body.id)).toHaveLength(0);
  }, 60_000);

  it('fails a disaster back to nominal under four eyes once its servers are up, leaving nothing in the recovery space', async () => {
    const { body } = await post('/activations', {
      type: 'disaster',
      scope: { servers: ['mail-1'] },
      requestedBy: CLAIRE,
    }).expect(202);
    expect(body.status).toBe('awaiting-confirmation');
    const code = await codeFor(stack, body.id, BRUNO.email);
    await post(`/activations/${body.id}/confirm`, { email: BRUNO.email, code }).expect(200);
    await waitForStatus(stack.api, t.manager, body.id, ['completed']);
    const close = await post(`/activations/${body.id}/close`).expect(409); // a wrong state: a disaster ends with failback
    expect(close.body).toMatchObject({ code: 'failback-required', activationStatus: 'completed' });
    // Failback is a process under four eyes (test/failback covers it in full).
    const asked = await post(`/activations/${body.id}/failback`, { requestedBy: CLAIRE }).expect(202);
    expect(asked.body.status).toBe('failback-awaiting-confirmation');
    const failbackCode = await codeAfter(body.id, BRUNO.email, code);
    await post(`/activations/${body.id}/confirm`, { email: BRUNO.email, code: failbackCode }).expect(200);
    await waitForStatus(stack.api, t.manager, body.id, ['failed-back']);
    expect(await cloudResources(stack, t.id, body.id)).toHaveLength(0);
  }, 60_000);
});
