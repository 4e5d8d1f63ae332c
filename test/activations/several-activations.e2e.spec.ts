import { streams } from '@reprise/domain/shared/streams';
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
} from './activation-helpers';

/**
 * Several activations of one tenant at once (issue 12), end to end with the real worker: a DRP test
 * runs while a partial disaster runs on other servers, a third request overlapping the disaster is
 * refused by name, and the disaster is then widened (a new four-eyes confirmation) and runs the
 * added servers with the same engine.
 */
describe('several activations at once, and widening a live failover (e2e: api + worker + recovery cloud)', () => {
  let stack: Stack;
  let t: Awaited<ReturnType<typeof createTenant>>;
  let ids: Record<string, string>;

  beforeAll(async () => {
    stack = await startStack({ timeScale: 60 });
    t = await createTenant(stack.api, { notificationWebhookUrl: stack.webhook.url });
    // dc-1 ← db-1 ← app-1 ← web-1; file-1 alone
    ids = await enrol(stack.api, t.manager, [
      { hostname: 'dc-1' },
      { hostname: 'db-1', dependsOn: ['dc-1'] },
      { hostname: 'app-1', dependsOn: ['db-1'] },
      { hostname: 'web-1', dependsOn: ['app-1'], family: 'linux' },
      { hostname: 'file-1' },
      { hostname: 'bk-1', protectionClass: 'backup-with-tests', family: 'linux' },
      { hostname: 'arch-1', protectionClass: 'backup-only' },
    ]);
    await setAuthorisedPersons(stack, t.manager, [CLAIRE, BRUNO]);
  }, 60_000);
  afterAll(async () => stack?.close());

  const post = (path: string, body: object) =>
    stack.api.http.post(`/api/v1/activations${path}`).set(bearer(t.manager)).send(body);

  it('a test runs beside a partial disaster; an overlapping request is refused naming the servers; the disaster is widened under four eyes', async () => {
    const disaster = await post('', {
      type: 'disaster',
      scope: { servers: ['app-1'] },
      requestedBy: CLAIRE,
      reason: 'site A flooded',
    }).expect(202);
    const id = disaster.body.id as string;
    await post(`/${id}/confirm`, { email: BRUNO.email, code: await codeFor(stack, id, BRUNO.email) }).expect(
      200,
    );

    // disjoint: a DRP test of file-1 starts at once, beside the disaster
    const test = await post('', { type: 'test', scope: { servers: ['file-1'] }, requestedBy: CLAIRE }).expect(
      202,
    );
    expect(test.body.status).toBe('running');
    // overlapping: web-1 pulls in app-1, db-1 and dc-1, all held by the disaster
    // (the worker records the running activations' facts meanwhile: count what a request would write)
    const claims = () => stack.api.store.readStream(streams.activationClaims(t.id)).then((e) => e.length);
    const activations = () =>
      stack.api.http
        .get('/api/v1/activations')
        .set(bearer(t.manager))
        .then((r) => r.body.total as number);
    const before = [await claims(), await activations()];
    const refused = await post('', {
      type: 'test',
      scope: { servers: ['web-1'] },
      requestedBy: CLAIRE,
    }).expect(409);
    expect(refused.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(refused.body).toMatchObject({
      code: 'activation-overlap',
      servers: ['app-1', 'db-1', 'dc-1'],
      activations: [{ activationId: id, servers: ['app-1', 'db-1', 'dc-1'] }],
    });
    expect(refused.body.detail).toContain('app-1');
    expect([await claims(), await activations()]).toEqual(before);

    await sim(stack, '/sim/v1/clock', 'PUT', { scale: 600 });
    const [failover, drpTest] = await Promise.all([
      waitForStatus(stack.api, t.manager, id, ['completed', 'completed-with-failures'], 40_000),
      waitForStatus(stack.api, t.manager, test.body.id, ['completed', 'completed-with-failures'], 40_000),
    ]);
    expect(phases(failover)).toEqual({ 'dc-1': 'ok', 'db-1': 'ok', 'app-1': 'ok' });
    expect(phases(drpTest)).toEqual({ 'file-1': 'ok' });
    // each restored its own servers only
    const mine = async (activationId: string) =>
      new Set(
        (await cloudResources(stack, t.id, activationId))
          .filter((r) => r.kind === 'server')
          .map((r) => r.serverId),
      );
    expect(await mine(test.body.id)).toEqual(new Set([ids['file-1']]));
    expect(await mine(id)).toEqual(new Set([ids['dc-1'], ids['db-1'], ids['app-1']]));
    await sim(stack, '/sim/v1/clock', 'PUT', { scale: 60 });

    // widening the completed disaster to web-1: claimed at once, awaiting a new confirmation
    const codesBefore = stack.webhook.received.filter((b) => b.activationId === id).length;
    const widened = await post(`/${id}/scope`, {
      servers: ['web-1'],
      requestedBy: CLAIRE,
      reason: 'the web front too',
    }).expect(202);
    expect(widened.body).toMatchObject({
      status: 'awaiting-confirmation',
      activationStatus: 'completed',
      widening: 1,
      servers: ['web-1'],
      requested: ['web-1'],
      added: [],
    });
    const hook = await stack.webhook.waitFor(
      (b) => b.activationId === id && b.widening === 1 && b.recipient === BRUNO.email,
    );
    expect(hook).toMatchObject({ kind: 'confirmation-code', servers: ['web-1'] });
    expect(stack.webhook.received.filter((b) => b.activationId === id)).toHaveLength(codesBefore + 1);
    // the pending server is held: a test of web-1 overlaps now
    const held = await post('', { type: 'test', scope: { servers: ['web-1'] }, requestedBy: CLAIRE }).expect(
      409,
    );
    expect(held.body.servers).toContain('web-1');
    // the requester cannot confirm it; another authorised person does
    await post(`/${id}/confirm`, { email: CLAIRE.email, code: hook.code }).expect(403);
    const confirmed = await post(`/${id}/confirm`, { email: BRUNO.email, code: hook.code }).expect(200);
    expect(confirmed.body).toMatchObject({ status: 'running', widening: 1, wideningStatus: 'confirmed' });

    await sim(stack, '/sim/v1/clock', 'PUT', { scale: 600 });
    const after = await waitForStatus(
      stack.api,
      t.manager,
      id,
      ['completed', 'completed-with-failures'],
      40_000,
    );
    expect(phases(after)).toEqual({ 'dc-1': 'ok', 'db-1': 'ok', 'app-1': 'ok', 'web-1': 'ok' });
    expect(after.widenings).toEqual([
      expect.objectContaining({
        widening: 1,
        status: 'confirmed',
        servers: ['web-1'],
        confirmedBy: expect.objectContaining({ email: BRUNO.email }),
      }),
    ]);
    const web = after.servers.find((s: { hostname: string }) => s.hostname === 'web-1');
    const app = after.servers.find((s: { hostname: string }) => s.hostname === 'app-1');
    expect(Date.parse(web.bootStartedAt)).toBeGreaterThanOrEqual(Date.parse(app.availableAt));
    expect(await mine(id)).toEqual(new Set([ids['dc-1'], ids['db-1'], ids['app-1'], ids['web-1']]));
    const stats = await simStats(stack);
    expect(stats.duplicateRestoreRequests).toBe(0);
    expect(stats.duplicatePowerOnRequests).toBe(0);

    // the test ends (closed once its teardown is verified): its server is free again
    const closed = await post(`/${test.body.id}/close`, {}).expect(200);
    expect(closed.body.status).toBe('closed');
  }, 150_000);

  it('a restore test on demand (scheduler): backup-with-tests and drp servers restored and checked on their own, isolated, reported, torn down', async () => {
    const as = (token: string) => (body: object) =>
      stack.api.http.post('/api/v1/activations').set(bearer(token)).send(body);
    const restoreTest = (servers: string[], token = t.scheduler) =>
      as(token)({ type: 'restore-test', scope: { servers }, requestedBy: CLAIRE });
    // dc-1 is in the live disaster: refused by name; a backup-only server is not restore-tested
    const overlap = await restoreTest(['bk-1', 'dc-1']).expect(409);
    expect(overlap.body).toMatchObject({ code: 'activation-overlap', servers: ['dc-1'] });
    const outside = await restoreTest(['arch-1']).expect(422);
    expect(outside.body).toMatchObject({ code: 'scope-refused', notEligible: ['arch-1'] });
    await as(t.auditor)({ type: 'restore-test', scope: { servers: ['bk-1'] }, requestedBy: CLAIRE }).expect(
      403,
    );

    const started = await restoreTest(['bk-1', 'file-1']).expect(202);
    expect(started.body).toMatchObject({ status: 'running', kind: 'restore-test' });
    expect(started.body.scope).toMatchObject({ requested: ['bk-1', 'file-1'], added: [] });
    const id = started.body.id as string;
    await sim(stack, '/sim/v1/clock', 'PUT', { scale: 600 });
    const done = await waitForStatus(stack.api, t.manager, id, ['closed'], 40_000);
    expect(phases(done)).toEqual({ 'file-1': 'ok', 'bk-1': 'ok' });
    expect(done.network.phase).toBe('not-required');
    expect(done.teardown).toMatchObject({ remaining: [], verifiedAt: expect.any(String) });
    const events = await stack.api.http
      .get(`/api/v1/activations/${id}/events`)
      .set(bearer(t.manager))
      .expect(200);
    const types = events.body.map((e: { type: string }) => e.type);
    expect(types).not.toContain('NetworkSetupStarted');
    expect(types.slice(types.indexOf('ActivationCompleted'))).toEqual([
      'ActivationCompleted',
      'CloseRequested',
      'TeardownVerified',
      'ActivationClosed',
    ]);
    const report = await stack.api.http
      .get(`/api/v1/activations/${id}/report`)
      .set(bearer(t.manager))
      .expect(200);
    expect(report.body).toMatchObject({ kind: 'restore-test', summary: { servers: 2, ok: 2, failed: 0 } });
    const listed = await stack.api.http
      .get('/api/v1/activations?type=restore-test')
      .set(bearer(t.auditor))
      .expect(200);
    expect(listed.body.items.map((a: { id: string }) => a.id)).toEqual([id]);
    // its servers are free again at once
    const again = await restoreTest(['bk-1']).expect(202);
    await waitForStatus(stack.api, t.manager, again.body.id, ['closed'], 40_000);
  }, 120_000);
});
