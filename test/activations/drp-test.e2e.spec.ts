import { bearer, createTenant, enrol, startStack, waitForStatus, type Stack } from '../support/stack';

describe('DRP test of the service description example (e2e: api + worker + recovery cloud + Redis)', () => {
  let stack: Stack;
  let t: Awaited<ReturnType<typeof createTenant>>;

  beforeAll(async () => {
    stack = await startStack();
    t = await createTenant(stack.api, { notificationWebhookUrl: stack.webhook.url });
    // 5 servers, 4 Windows and 1 Linux: dc-1 ← db-1 ← app-1 ← web-1, and file-1 alone.
    await enrol(stack.api, t.manager, [
      { hostname: 'dc-1' },
      { hostname: 'db-1', dependsOn: ['dc-1'], diskGiB: 200 },
      { hostname: 'app-1', dependsOn: ['db-1'] },
      { hostname: 'web-1', dependsOn: ['app-1'], family: 'linux' },
      { hostname: 'file-1', diskGiB: 120 },
    ]);
  }, 60_000);
  afterAll(async () => stack?.close());

  it('runs a full DRP test with one boot failure: 4 ok, 1 failed, its dependents blocked, order respected', async () => {
    await fetch(`${stack.cloud.url}/sim/v1/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hostname: 'app-1', fault: 'boot-failure', times: 1 }),
    });
    const created = await stack.api.http
      .post('/api/v1/activations')
      .set(bearer(t.manager))
      .send({ type: 'test', scope: 'full', requestedBy: { name: 'Claire', email: 'claire@acme.example' } })
      .expect(202);
    expect(created.body.status).toBe('running');

    const done = await waitForStatus(stack.api, t.manager, created.body.id, [
      'completed',
      'completed-with-failures',
    ]);
    expect(done.status).toBe('completed-with-failures');
    const phase = Object.fromEntries(
      done.servers.map((s: { hostname: string; phase: string }) => [s.hostname, s.phase]),
    );
    expect(phase).toEqual({
      'dc-1': 'ok',
      'db-1': 'ok',
      'app-1': 'failed',
      'web-1': 'blocked',
      'file-1': 'ok',
    });

    // Ordering: every boot started after each of its upstream servers was available.
    const byHost = Object.fromEntries(done.servers.map((s: { hostname: string }) => [s.hostname, s]));
    for (const [host, upstream] of [
      ['db-1', 'dc-1'],
      ['app-1', 'db-1'],
    ] as const) {
      expect(Date.parse(byHost[host].bootStartedAt)).toBeGreaterThanOrEqual(
        Date.parse(byHost[upstream].availableAt),
      );
    }
    expect(done.rto.firstServerAvailableAfterMinutes).toBeGreaterThan(0);
    expect(done.rto.lastServerAvailableAfterMinutes).toBeGreaterThanOrEqual(
      done.rto.firstServerAvailableAfterMinutes,
    );

    const stats = (await (await fetch(`${stack.cloud.url}/sim/v1/stats`)).json()) as {
      duplicateRestoresSameDisk?: number;
      restoreRequests: number;
    };
    expect(stats.duplicateRestoresSameDisk ?? 0).toBe(0);

    // Close the test: everything it created is torn down, verified against the cloud's listing.
    const closed = await stack.api.http
      .post(`/api/v1/activations/${created.body.id}/close`)
      .set(bearer(t.manager))
      .send({})
      .expect(200);
    expect(closed.body.status).toBe('closed');
    const left = (await (
      await fetch(`${stack.cloud.url}/cloud/v1/tenants/${t.id}/resources?activationId=${created.body.id}`)
    ).json()) as { items?: unknown[] } | unknown[];
    expect(Array.isArray(left) ? left : left.items).toHaveLength(0);
  }, 90_000);
});
