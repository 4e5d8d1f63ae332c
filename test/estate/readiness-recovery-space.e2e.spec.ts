import { bearer, createTenant, enrol, startStack, type Stack } from '../support/stack';

describe('readiness check against the recovery space (e2e with the simulated cloud)', () => {
  let stack: Stack;
  let t: Awaited<ReturnType<typeof createTenant>>;
  const check = async () =>
    (await stack.api.http.post('/api/v1/plan/check').set(bearer(t.manager)).expect(200)).body;
  const sim = (method: string, path: string, body: unknown) =>
    fetch(`${stack.cloud.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    stack = await startStack();
    t = await createTenant(stack.api);
    await stack.api.http
      .put('/api/v1/plan/authorised-persons')
      .set(bearer(t.manager))
      .send([{ name: 'Claire', email: 'claire@acme.example' }])
      .expect(200);
    await enrol(stack.api, t.manager, [{ hostname: 'db-1' }, { hostname: 'app-1', dependsOn: ['db-1'] }]);
    // The worker registers the servers with the cloud's backup space.
    for (let i = 0; i < 100; i++) {
      const body = await check();
      if (!body.findings.some((f: { code: string }) => f.code === 'no-restore-point')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }, 60_000);
  afterAll(async () => stack?.close());

  it('is ready when the recovery space can hold the perimeter and the backups are fresh', async () => {
    expect(await check()).toEqual({ ready: true, findings: [] });
  });

  it('warns about a restore point older than the RPO target, naming the server', async () => {
    await sim('POST', '/sim/v1/backups/stale', { hostname: 'db-1', ageMinutes: 3000 });
    const body = await check();
    expect(body.findings).toContainEqual(
      expect.objectContaining({ severity: 'warning', code: 'stale-restore-point', servers: ['db-1'] }),
    );
  });

  it('refuses readiness when the recovery space cannot hold the perimeter (RAM under the cap)', async () => {
    await sim('PUT', '/sim/v1/config', {
      clusters: [{ id: 'cl-1', hostCount: 1, hostVcpu: 8, hostRamGiB: 8 }],
    });
    const body = await check();
    expect(body.ready).toBe(false);
    expect(body.findings).toContainEqual(
      expect.objectContaining({ severity: 'error', code: 'capacity-ram' }),
    );
  });
});
