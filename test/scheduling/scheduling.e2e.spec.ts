import { bearer, createTenant, enrol, startStack, waitForStatus, type Stack } from '../support/stack';

/**
 * Test scheduling end to end (api + worker + recovery cloud + Redis, one simulated clock): the
 * 30-day rule, roles and isolation, cancel, a planned test that starts by itself when the clock
 * passes its time, completes, closes by itself and announces its report, and compliance turning
 * overdue (plus the plan-check warning and the due/overdue notices) as the clock moves on.
 */
describe('test scheduling (e2e)', () => {
  let stack: Stack;
  let a: Awaited<ReturnType<typeof createTenant>>;
  let b: Awaited<ReturnType<typeof createTenant>>;

  const DAY = 1440;
  const simNow = async (): Promise<number> =>
    Date.parse(((await (await fetch(`${stack.cloud.url}/sim/v1/clock`)).json()) as { now: string }).now);
  const advance = async (minutes: number) => {
    const res = await fetch(`${stack.cloud.url}/sim/v1/clock/advance`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ minutes }),
    });
    expect(res.status).toBeLessThan(300);
  };
  const inDays = async (days: number) => new Date((await simNow()) + days * DAY * 60_000).toISOString();
  const until = async <T>(
    what: string,
    probe: () => Promise<T | undefined | null | false>,
    timeoutMs = 30_000,
  ) => {
    const start = Date.now();
    for (;;) {
      const value = await probe();
      if (value) return value;
      if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const getSchedule = async (token: string, id: string) =>
    (await stack.api.http.get(`/api/v1/test-schedules/${id}`).set(bearer(token)).expect(200)).body;

  beforeAll(async () => {
    stack = await startStack();
    a = await createTenant(stack.api, { notificationWebhookUrl: stack.webhook.url });
    b = await createTenant(stack.api, { notificationWebhookUrl: stack.webhook.url });
    await enrol(stack.api, a.manager, [{ hostname: 'dc-1' }, { hostname: 'app-1', dependsOn: ['dc-1'] }]);
    await enrol(stack.api, b.manager, [{ hostname: 'b-web-1' }]);
  }, 60_000);
  afterAll(async () => stack?.close());

  it('refuses a test less than 30 days ahead (422 naming the rule) and bad input (400 naming fields); nothing recorded', async () => {
    const before = await stack.api.eventCount();
    const soon = await stack.api.http
      .post('/api/v1/test-schedules')
      .set(bearer(a.scheduler))
      .send({ kind: 'drp-test', scheduledFor: await inDays(29) })
      .expect(422);
    expect(soon.headers['content-type']).toContain('application/problem+json');
    expect(soon.body).toMatchObject({ status: 422, code: 'too-soon', minimumNoticeDays: 30 });
    expect(soon.body.detail).toContain('at least 30 days ahead');

    const bad = await stack.api.http
      .post('/api/v1/test-schedules')
      .set(bearer(a.scheduler))
      .send({ kind: 'fire-drill', scheduledFor: 'next tuesday', scope: { servers: [] }, extra: 1 })
      .expect(400);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(
      ['extra', 'kind', 'scheduledFor', 'scope'].sort(),
    );

    const unknown = await stack.api.http
      .post('/api/v1/test-schedules')
      .set(bearer(a.scheduler))
      .send({ kind: 'drp-test', scheduledFor: await inDays(40), scope: { servers: ['ghost-9'] } })
      .expect(422);
    expect(unknown.body).toMatchObject({ code: 'scope-refused', servers: ['ghost-9'] });
    expect(await stack.api.eventCount()).toBe(before);
  });

  it('auditors read and write nothing; tenants never see each other', async () => {
    const created = await stack.api.http
      .post('/api/v1/test-schedules')
      .set(bearer(b.manager))
      .send({ kind: 'drp-test', scheduledFor: await inDays(200) })
      .expect(201);
    expect(created.body).toMatchObject({ kind: 'drp-test', scope: 'full', status: 'scheduled', version: 0 });

    const before = await stack.api.eventCount();
    await stack.api.http
      .post('/api/v1/test-schedules')
      .set(bearer(b.auditor))
      .send({ kind: 'drp-test', scheduledFor: await inDays(200) })
      .expect(403);
    await stack.api.http
      .delete(`/api/v1/test-schedules/${created.body.id}`)
      .set(bearer(b.auditor))
      .expect(403);
    expect(await stack.api.eventCount()).toBe(before);

    const listed = await stack.api.http.get('/api/v1/test-schedules').set(bearer(b.auditor)).expect(200);
    expect(listed.body.items.map((s: { id: string }) => s.id)).toContain(created.body.id);
    await stack.api.http.get('/api/v1/compliance').set(bearer(b.auditor)).expect(200);

    // Tenant A sees none of B's schedules and cannot touch them.
    const listA = await stack.api.http.get('/api/v1/test-schedules').set(bearer(a.manager)).expect(200);
    expect(listA.body.items.map((s: { id: string }) => s.id)).not.toContain(created.body.id);
    await stack.api.http.get(`/api/v1/test-schedules/${created.body.id}`).set(bearer(a.manager)).expect(404);
    await stack.api.http
      .delete(`/api/v1/test-schedules/${created.body.id}`)
      .set(bearer(a.scheduler))
      .expect(404);
    const complianceA = await stack.api.http.get('/api/v1/compliance').set(bearer(a.auditor)).expect(200);
    expect(complianceA.body.servers.map((s: { hostname: string }) => s.hostname).sort()).toEqual([
      'app-1',
      'dc-1',
    ]);
    expect(await stack.api.eventCount()).toBe(before);

    // B's own cleanup: the scheduler cancels it.
    await stack.api.http
      .delete(`/api/v1/test-schedules/${created.body.id}`)
      .set(bearer(b.scheduler))
      .expect(200);
  });

  it('a planned test starts by itself when its time comes, closes by itself and announces its report; a cancelled one never starts', async () => {
    const at = await inDays(31);
    const planned = await stack.api.http
      .post('/api/v1/test-schedules')
      .set(bearer(a.scheduler))
      .send({ kind: 'drp-test', scheduledFor: at, scope: 'full' })
      .expect(201);
    expect(planned.body).toMatchObject({
      kind: 'drp-test',
      scheduledFor: at,
      scope: 'full',
      status: 'scheduled',
      version: 0,
    });
    const cancelled = await stack.api.http
      .post('/api/v1/test-schedules')
      .set(bearer(a.manager))
      .send({ kind: 'drp-test', scheduledFor: await inDays(31), scope: { servers: ['app-1'] } })
      .expect(201);
    const cancel = await stack.api.http
      .delete(`/api/v1/test-schedules/${cancelled.body.id}`)
      .set(bearer(a.scheduler))
      .expect(200);
    expect(cancel.body).toMatchObject({ status: 'cancelled', version: 1 });
    // Cancelling again changes nothing; cancelling with a stale If-Match is a 409.
    const again = await stack.api.http
      .delete(`/api/v1/test-schedules/${cancelled.body.id}`)
      .set(bearer(a.scheduler))
      .expect(200);
    expect(again.body).toMatchObject({ status: 'cancelled', version: 1 });
    await stack.api.http
      .delete(`/api/v1/test-schedules/${planned.body.id}`)
      .set(bearer(a.scheduler))
      .set('If-Match', '7')
      .expect(409);

    // Nothing starts before its time.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await getSchedule(a.scheduler, planned.body.id)).status).toBe('scheduled');

    await advance(31 * DAY + 5);
    const started = await until('the scheduled test to start', async () => {
      const s = await getSchedule(a.scheduler, planned.body.id);
      return s.status !== 'scheduled' ? s : null;
    });
    expect(started).toMatchObject({ status: 'started' });
    const activationId = started.activationId as string;

    const activation = (
      await stack.api.http.get(`/api/v1/activations/${activationId}`).set(bearer(a.manager)).expect(200)
    ).body;
    expect(activation).toMatchObject({
      type: 'test',
      requestedBy: { name: 'Reprise scheduler', email: 'scheduler@reprise.local' },
    });
    expect(activation.servers.map((s: { hostname: string }) => s.hostname).sort()).toEqual(['app-1', 'dc-1']);

    // It completes, then closes by itself (teardown verified), and the report is announced.
    const closed = await waitForStatus(stack.api, a.manager, activationId, ['closed'], 60_000);
    expect(closed.closedAt).toBeTruthy();
    const notice = await stack.webhook.waitFor(
      (body) => body.kind === 'report-ready' && body.activationId === activationId,
      20_000,
    );
    expect(notice).toMatchObject({ tenantId: a.id, activationType: 'test', testKind: 'drp-test' });
    const report = await stack.api.http
      .get(`/api/v1/activations/${activationId}/report`)
      .set(bearer(a.auditor));
    expect(report.status).toBe(200);

    // The delivery is recorded, without any secret.
    const delivered = await until('the delivery to be recorded', async () =>
      (await stack.api.store.readAll({ streamPrefixes: [`tenant/${a.id}/notification/`] })).find(
        (e) => e.type === 'NotificationDelivered' && e.stream.endsWith(`report-ready.${activationId}`),
      ),
    );
    expect(delivered.data).toMatchObject({ delivered: true, channel: 'webhook', kind: 'report-ready' });
    expect(JSON.stringify(delivered.data)).not.toContain(stack.webhook.url);

    // The schedule is finished; the cancelled one never started; one activation only.
    await until(
      'the schedule to finish',
      async () => (await getSchedule(a.scheduler, planned.body.id)).status === 'finished',
    );
    expect((await getSchedule(a.scheduler, cancelled.body.id)).status).toBe('cancelled');
    const activations = await stack.api.http.get('/api/v1/activations').set(bearer(a.manager)).expect(200);
    expect(activations.body.items.filter((x: { type: string }) => x.type === 'test')).toHaveLength(1);

    // Compliance now counts the test.
    const compliance = (await stack.api.http.get('/api/v1/compliance').set(bearer(a.scheduler)).expect(200))
      .body;
    for (const server of compliance.servers) {
      expect(server).toMatchObject({
        protectionClass: 'drp',
        overdue: false,
        lastActivationId: activationId,
      });
      expect(server.lastTestedAt).toBeTruthy();
    }
  }, 120_000);

  it('compliance flips to overdue when the clock passes the due date; plan check warns; due and overdue are notified', async () => {
    const c = await createTenant(stack.api, { notificationWebhookUrl: stack.webhook.url });
    await enrol(stack.api, c.manager, [
      { hostname: 'c-web-1' },
      { hostname: 'c-bk-1', protectionClass: 'backup-with-tests' },
      { hostname: 'c-old-1', protectionClass: 'backup-only' },
    ]);
    const first = (await stack.api.http.get('/api/v1/compliance').set(bearer(c.auditor)).expect(200)).body;
    const byHost = (body: { servers: Array<Record<string, unknown>> }) =>
      Object.fromEntries(body.servers.map((s) => [s.hostname as string, s]));
    const web = byHost(first)['c-web-1'] as {
      nextDueAt: string;
      overdue: boolean;
      lastTestedAt: string | null;
    };
    expect(web).toMatchObject({ protectionClass: 'drp', lastTestedAt: null, overdue: false });
    expect(byHost(first)['c-old-1']).toMatchObject({
      protectionClass: 'backup-only',
      nextDueAt: null,
      overdue: false,
    });
    const bk = byHost(first)['c-bk-1'] as { nextDueAt: string };
    // 6 months for drp, 12 for backup-with-tests (never tested: from enrolment).
    const months = (from: string, to: string) =>
      (new Date(to).getUTCFullYear() - new Date(from).getUTCFullYear()) * 12 +
      new Date(to).getUTCMonth() -
      new Date(from).getUTCMonth();
    expect(months(web.nextDueAt, bk.nextDueAt)).toBe(6);
    const check0 = (await stack.api.http.post('/api/v1/plan/check').set(bearer(c.manager)).expect(200)).body;
    expect(check0.findings.filter((f: { code: string }) => f.code === 'test-overdue')).toEqual([]);

    // 10 days before the due date: a "test due" notice.
    await advance(Math.ceil((Date.parse(web.nextDueAt) - (await simNow())) / 60_000) - 10 * DAY);
    const due = await stack.webhook.waitFor(
      (body) => body.kind === 'test-due' && body.tenantId === c.id && body.hostname === 'c-web-1',
      20_000,
    );
    expect(due).toMatchObject({ protectionClass: 'drp', nextDueAt: web.nextDueAt, testKind: 'drp-test' });

    // Past the due date: overdue in compliance, a warning in the plan check, an "overdue" notice.
    await advance(11 * DAY);
    const overdue = await until('compliance to say overdue', async () => {
      const body = (await stack.api.http.get('/api/v1/compliance').set(bearer(c.scheduler)).expect(200)).body;
      return byHost(body)['c-web-1'].overdue === true ? body : null;
    });
    expect(byHost(overdue)['c-bk-1']).toMatchObject({ overdue: false });
    expect(byHost(overdue)['c-old-1']).toMatchObject({ overdue: false });

    const check = (await stack.api.http.post('/api/v1/plan/check').set(bearer(c.auditor)).expect(200)).body;
    const warnings = check.findings.filter((f: { code: string }) => f.code === 'test-overdue');
    expect(warnings).toEqual([expect.objectContaining({ severity: 'warning', servers: ['c-web-1'] })]);

    await stack.webhook.waitFor(
      (body) => body.kind === 'test-overdue' && body.tenantId === c.id && body.hostname === 'c-web-1',
      20_000,
    );
    // The default cadence has planned the next DRP test of the perimeter, 30 days ahead.
    const schedules = await until('the default cadence to plan a DRP test', async () => {
      const body = (await stack.api.http.get('/api/v1/test-schedules').set(bearer(c.auditor)).expect(200))
        .body;
      return body.items.find(
        (s: { origin: string; kind: string }) => s.origin === 'default-cadence' && s.kind === 'drp-test',
      );
    });
    expect(Date.parse(schedules.scheduledFor) - Date.parse(schedules.createdAt)).toBeGreaterThanOrEqual(
      30 * DAY * 60_000,
    );
    expect(schedules).toMatchObject({ status: 'scheduled', scope: 'full', dueAt: web.nextDueAt });
  }, 90_000);
});
