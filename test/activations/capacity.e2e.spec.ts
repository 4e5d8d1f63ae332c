import { bearer, createTenant, enrol, startStack, waitForStatus, type Stack } from '../support/stack';

describe('a placement refused for lack of capacity (e2e: api + worker + recovery cloud + Redis)', () => {
  let stack: Stack;

  beforeAll(async () => {
    // One recovery host of 8 GiB (6.8 GiB under the 85 % cap): one 4-GiB server fits, not two.
    stack = await startStack({
      cloudConfig: { clusters: [{ id: 'cl-1', hostCount: 1, hostVcpu: 16, hostRamGiB: 8 }] },
    });
  }, 60_000);
  afterAll(async () => stack?.close());

  it('is recorded as a capacity shortage with the cloud’s reason, and the report advises on capacity', async () => {
    const t = await createTenant(stack.api);
    await enrol(stack.api, t.manager, [{ hostname: 'erp-1' }, { hostname: 'erp-2' }]);
    const created = await stack.api.http
      .post('/api/v1/activations')
      .set(bearer(t.manager))
      .send({ type: 'test', scope: 'full', requestedBy: { name: 'Claire', email: 'claire@acme.example' } })
      .expect(202);
    const done = await waitForStatus(stack.api, t.manager, created.body.id, [
      'completed',
      'completed-with-failures',
    ]);
    expect(done.status).toBe('completed-with-failures');
    const failed = done.servers.filter((s: { phase: string }) => s.phase === 'failed');
    expect(failed).toHaveLength(1);
    expect(failed[0].failure).toMatchObject({ step: 'boot', shortage: 'ram' });
    expect(failed[0].failure.reason).toMatch(/^insufficient-ram: .*needs 4 GiB RAM/);

    const report = await stack.api.http
      .get(`/api/v1/activations/${created.body.id}/report`)
      .set(bearer(t.manager))
      .expect(200);
    const actions = report.body.correctiveActions.filter(
      (a: { hostname?: string }) => a.hostname === failed[0].hostname,
    );
    expect(actions.map((a: { code: string }) => a.code)).toEqual(['capacity-shortage']);
    expect(actions[0].action).toContain(failed[0].failure.reason);
    expect(actions[0].action).toMatch(/RAM/);
    expect(actions[0].action).not.toMatch(/driver/);
  }, 60_000);
});
