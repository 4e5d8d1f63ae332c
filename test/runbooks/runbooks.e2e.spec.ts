import { sim, simStats, waitUntil } from '../activations/activation-helpers';
import { bearer, createTenant, enrol, startStack, waitForStatus, type Stack } from '../support/stack';
import { activationView, startReceiver, stepStatuses, waitForStep, type Receiver } from './support';

/**
 * Runbooks end to end, over HTTP with the real worker (BullMQ on the local Redis) and the simulated
 * recovery cloud: the web tier waits for the application owner's sign-off, which waits for a script
 * in the database server and a check of its port; a webhook once every server is available, received
 * by a local server that verifies its signature; a webhook after the cleanup; and an injected script
 * failure that blocks only what depends on it.
 */
describe('runbook steps (e2e)', () => {
  let stack: Stack;
  let receiver: Receiver;
  let t: Awaited<ReturnType<typeof createTenant>>;
  const manager = () => bearer(t.manager);

  const runbook = (url: string) => ({
    steps: [
      {
        name: 'db-fixup',
        kind: 'script',
        after: ['db-1'],
        server: 'db-1',
        interpreter: 'bash',
        script: 'systemctl restart erp-db\nerp-db check',
      },
      { name: 'db-port', kind: 'check', after: ['db-1'], server: 'db-1', probe: { tcp: 5432 } },
      {
        name: 'erp-sign-off',
        kind: 'manual',
        after: ['db-fixup', 'db-port'],
        instructions: 'Log in to the ERP and post a test order',
        assignee: 'erp-owner@acme.example',
        timeoutMinutes: 2000,
      },
      {
        name: 'all-up',
        kind: 'webhook',
        after: ['db-1', 'app-1', 'web-1', 'file-1'],
        url: `${url}/all-up`,
        body: { change: 'CHG-1234' },
      },
      { name: 'bye', kind: 'webhook', after: ['teardown'], url: `${url}/bye`, scope: 'test' },
    ],
  });

  beforeAll(async () => {
    stack = await startStack({ timeScale: 600 });
    receiver = await startReceiver();
    t = await createTenant(stack.api);
    await enrol(stack.api, t.manager, [
      { hostname: 'db-1', family: 'linux' },
      { hostname: 'app-1', dependsOn: ['db-1'] },
      { hostname: 'web-1', dependsOn: ['app-1'], family: 'linux' },
      { hostname: 'file-1' },
    ]);
  }, 60_000);
  afterAll(async () => {
    await receiver?.close();
    await stack?.close();
  });

  it('refuses a bad runbook by field, a cycle by name, and a step named like a server', async () => {
    const put = (body: object) => stack.api.http.put('/api/v1/plan/runbook').set(manager()).send(body);
    const bad = await put({
      steps: [{ name: 'x', kind: 'check', server: 'db-1', probe: { tcp: 0 } }],
    }).expect(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(bad.body.errors).toEqual(
      expect.arrayContaining([{ field: 'steps[0].probe.tcp', message: expect.any(String) }]),
    );
    const named = await put({ steps: [{ name: 'web-1', kind: 'manual', instructions: 'x' }] }).expect(422);
    expect(named.body.errors).toEqual([{ field: 'steps[0].name', message: 'a server is named web-1' }]);
    await put({ steps: [{ name: 'gate', kind: 'manual', after: ['web-1'], instructions: 'x' }] }).expect(200);
    const cycle = await stack.api.http
      .put(`/api/v1/servers/${await serverId('web-1')}/dependencies`)
      .set(manager())
      .send({ dependsOn: ['app-1', 'gate'] })
      .expect(422);
    expect(cycle.body.detail).toContain('web-1 → gate → web-1');
    const unknown = await put({
      steps: [{ name: 'gate', kind: 'manual', after: ['nowhere'], instructions: 'x' }],
    }).expect(422);
    expect(unknown.body.errors).toEqual([
      { field: 'steps[0].after', message: 'no server or step named nowhere' },
    ]);
    expect(
      (await stack.api.http.get('/api/v1/plan/runbook').set(manager()).expect(200)).body.steps,
    ).toHaveLength(1);
  });

  async function serverId(hostname: string): Promise<string> {
    const list = await stack.api.http.get('/api/v1/servers').set(manager()).expect(200);
    return list.body.items.find((s: { hostname: string }) => s.hostname === hostname).id;
  }

  async function start(): Promise<string> {
    const res = await stack.api.http
      .post('/api/v1/activations')
      .set(manager())
      .send({ type: 'test', scope: 'full', requestedBy: { name: 'Claire', email: 'claire@acme.example' } })
      .expect(202);
    return res.body.id;
  }

  it('runs the runbook: script and port check, sign-off before the web tier, signed webhooks, post-cleanup', async () => {
    const put = await stack.api.http
      .put('/api/v1/plan/runbook')
      .set(manager())
      .send(runbook(receiver.url))
      .expect(200);
    expect(put.body.version).toBeGreaterThan(0);
    expect(put.body.steps.map((s: { name: string }) => s.name)).toEqual([
      'db-fixup',
      'db-port',
      'erp-sign-off',
      'all-up',
      'bye',
    ]);
    await stack.api.http
      .put(`/api/v1/servers/${await serverId('web-1')}/dependencies`)
      .set(manager())
      .send({ dependsOn: ['app-1', 'erp-sign-off'] })
      .expect(200);
    receiver.secret = (
      await stack.api.http.post('/api/v1/plan/runbook/secret').set(manager()).expect(201)
    ).body.secret;
    expect(receiver.secret).toMatch(/^whsec_/);
    // the plan: steps in the predicted RTO; the readiness check warns of webhooks in clear (NODE_ENV=test)
    const plan = (await stack.api.http.get('/api/v1/plan').set(manager()).expect(200)).body;
    expect(plan.criticalPath).toEqual(expect.arrayContaining(['erp-sign-off', 'web-1']));
    const check = (await stack.api.http.post('/api/v1/plan/check').set(manager()).expect(200)).body;
    expect(
      check.findings.filter((f: { code: string }) => f.code === 'runbook-webhook-not-https'),
    ).toHaveLength(2);
    const before = await simStats(stack);

    const id = await start();
    const waiting = await waitForStep(stack, t.manager, id, 'erp-sign-off', ['waiting-sign-off']);
    expect(stepStatuses(waiting)).toMatchObject({
      'db-fixup': 'done',
      'db-port': 'done',
      'all-up': 'pending',
    });
    // the web tier waits for the sign-off, whatever its own upstream servers say
    const web = waiting.servers.find((s) => s.hostname === 'web-1')!;
    expect(['pending', 'restoring', 'restored']).toContain(web.phase);
    expect(waiting.steps.find((s) => s.name === 'db-fixup')!.detail).toMatch(
      /^exit 0 in \d+ s: bash on db-1/,
    );

    // only a waiting manual step is signed off; a wrong name is 404
    await stack.api.http
      .post(`/api/v1/activations/${id}/steps/db-port/sign-off`)
      .set(manager())
      .send({})
      .expect(409);
    await stack.api.http
      .post(`/api/v1/activations/${id}/steps/nope/sign-off`)
      .set(manager())
      .send({})
      .expect(404);
    await stack.api.http
      .post(`/api/v1/activations/${id}/steps/erp-sign-off/sign-off`)
      .set(manager())
      .send({ note: 'test order 4711 posted' })
      .expect(200);

    const done = await waitForStatus(
      stack.api,
      t.manager,
      id,
      ['completed', 'completed-with-failures'],
      40_000,
    );
    expect(done.status).toBe('completed');
    expect(stepStatuses(done)).toMatchObject({ 'erp-sign-off': 'done', 'all-up': 'done', bye: 'pending' });
    const allUp = receiver.deliveries.filter((d) => d.body.step === 'all-up');
    expect(allUp).toHaveLength(1);
    expect(allUp[0]).toMatchObject({ valid: true, body: { activationId: id, data: { change: 'CHG-1234' } } });
    const stats = await simStats(stack);
    expect(
      (stats as unknown as { guestRuns: number }).guestRuns -
        (before as unknown as { guestRuns: number }).guestRuns,
    ).toBe(1);

    await stack.api.http.post(`/api/v1/activations/${id}/close`).set(manager()).send({}).expect(200);
    const closed = await waitForStep(stack, t.manager, id, 'bye', ['done']);
    expect(closed.status).toBe('closed');
    expect(receiver.deliveries.filter((d) => d.body.step === 'bye' && d.valid)).toHaveLength(1);
  }, 90_000);

  it('an injected script failure blocks only what depends on it', async () => {
    await sim(stack, '/sim/v1/faults', 'POST', { hostname: 'db-1', fault: 'script-failure', times: 1 });
    const id = await start();
    const done = await waitForStatus(
      stack.api,
      t.manager,
      id,
      ['completed', 'completed-with-failures'],
      40_000,
    );
    expect(done.status).toBe('completed-with-failures');
    expect(stepStatuses(done)).toMatchObject({
      'db-fixup': 'failed',
      'db-port': 'done',
      'erp-sign-off': 'blocked',
      'all-up': 'blocked',
    });
    expect(done.steps.find((s: { name: string }) => s.name === 'db-fixup').detail).toContain('exit 1');
    const phases = Object.fromEntries(
      done.servers.map((s: { hostname: string; phase: string }) => [s.hostname, s.phase]),
    );
    expect(phases).toEqual({ 'db-1': 'ok', 'app-1': 'ok', 'web-1': 'blocked', 'file-1': 'ok' });
    const report = await stack.api.http.get(`/api/v1/activations/${id}/report`).set(manager()).expect(200);
    expect(report.body.summary).toMatchObject({ ok: 3, blocked: 1 });

    // retry the step: the sign-off waits again, and the web tier after it
    await stack.api.http
      .post(`/api/v1/activations/${id}/steps/db-fixup/retry`)
      .set(manager())
      .send({})
      .expect(200);
    await waitForStep(stack, t.manager, id, 'erp-sign-off', ['waiting-sign-off']);
    await stack.api.http
      .post(`/api/v1/activations/${id}/steps/erp-sign-off/fail`)
      .set(manager())
      .send({ reason: 'the ERP does not post orders' })
      .expect(200);
    const failed = await waitForStatus(stack.api, t.manager, id, ['completed-with-failures'], 40_000);
    expect(stepStatuses(failed)).toMatchObject({
      'db-fixup': 'done',
      'erp-sign-off': 'failed',
      'all-up': 'blocked',
    });
    await stack.api.http.post(`/api/v1/activations/${id}/close`).set(manager()).send({}).expect(200);
    await waitUntil(
      async () =>
        (await activationView(stack, t.manager, id)).steps.find((s) => s.name === 'bye')?.status === 'done',
      'bye',
    );
  }, 90_000);

  it('a manual step nobody signs off: its assignee is reminded, then it times out and is reported', async () => {
    const other = await createTenant(stack.api, { notificationWebhookUrl: stack.webhook.url });
    await enrol(stack.api, other.manager, [{ hostname: 'db-9', family: 'linux' }]);
    await stack.api.http
      .put('/api/v1/plan/runbook')
      .set(bearer(other.manager))
      .send({
        steps: [
          {
            name: 'owner-ok',
            kind: 'manual',
            after: ['db-9'],
            instructions: 'Check the ledger',
            assignee: 'owner@acme.example',
            timeoutMinutes: 20,
          },
        ],
      })
      .expect(200);
    const res = await stack.api.http
      .post('/api/v1/activations')
      .set(bearer(other.manager))
      .send({ type: 'test', scope: 'full', requestedBy: { name: 'Claire', email: 'claire@acme.example' } })
      .expect(202);
    const id = res.body.id as string;
    const reminder = await stack.webhook.waitFor(
      (b) => JSON.stringify(b).includes('runbook-sign-off-reminder') && JSON.stringify(b).includes(id),
      30_000,
    );
    expect(JSON.stringify(reminder)).toContain('owner@acme.example');
    const done = await waitForStatus(stack.api, other.manager, id, ['completed-with-failures'], 40_000);
    expect(done.steps).toEqual([
      expect.objectContaining({ name: 'owner-ok', status: 'failed', detail: 'timed out after 20 minutes' }),
    ]);
    const report = await stack.api.http
      .get(`/api/v1/activations/${id}/report`)
      .set(bearer(other.manager))
      .expect(200);
    expect(report.body.correctiveActions).toEqual(
      expect.arrayContaining([expect.objectContaining({ code: 'runbook-step-failed' })]),
    );
    // asOf: the state as it was while the step waited
    const { startedAt, endedAt } = done.steps[0] as { startedAt: string; endedAt: string };
    const waitingAt = new Date((Date.parse(startedAt) + Date.parse(endedAt)) / 2).toISOString();
    const past = await stack.api.http
      .get(`/api/v1/activations/${id}?asOf=${encodeURIComponent(waitingAt)}`)
      .set(bearer(other.manager))
      .expect(200);
    expect(past.body.steps[0].status).toBe('waiting-sign-off');
    await stack.api.http
      .post(`/api/v1/activations/${id}/close`)
      .set(bearer(other.manager))
      .send({})
      .expect(200);
  }, 90_000);
});
