import { BRUNO, CLAIRE, cloudResources, sim, setAuthorisedPersons } from '../activations/activation-helpers';
import { bearer, createTenant, enrol, startStack, waitForStatus, type Stack } from '../support/stack';
import {
  confirmFailback,
  disasterCompleted,
  EDGES,
  ESTATE,
  eventsOf,
  failbackStats,
  nextCode,
  orderOf,
  setOriginalSite,
} from './failback-helpers';

const GIB = 2 ** 30;

/**
 * Failback end to end (api + worker + simulated recovery cloud + Redis): a 10-server disaster runs
 * a simulated day at the recovery site, changing data; failback under four eyes brings every
 * changed byte home, cuts over in reverse dependency order, releases the recovery site only at the
 * end; a cut-over failing on one server leaves it and its dependents running at the recovery site.
 */
describe('failback (e2e)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ timeScale: 600 });
  }, 60_000);
  afterAll(async () => stack?.close());

  async function tenantWithEstate() {
    const t = await createTenant(stack.api, { notificationWebhookUrl: stack.webhook.url });
    const ids = await enrol(stack.api, t.manager, ESTATE);
    await setAuthorisedPersons(stack, t.manager, [CLAIRE, BRUNO]);
    const hostnameOf = (serverId: string) => Object.keys(ids).find((h) => ids[h] === serverId) ?? serverId;
    return { t, ids, hostnameOf };
  }

  /** A simulated day of business at the recovery site, while the original site comes back. */
  const aDayLater = () => sim(stack, '/sim/v1/clock/advance', 'POST', { minutes: 24 * 60 });

  it('a day at the recovery site, then failback: every changed byte home, reverse order, released at the end, zero loss', async () => {
    const { t, hostnameOf } = await tenantWithEstate();
    await setOriginalSite(stack, t.id, 'down');
    const id = await disasterCompleted(stack, t.manager);
    await aDayLater();
    const post = (path: string, body: object) =>
      stack.api.http.post(`/api/v1${path}`).set(bearer(t.manager)).send(body);

    // The original site is not up yet: refused, nothing recorded.
    for (const state of ['down', 'recovering'] as const) {
      await setOriginalSite(stack, t.id, state);
      const refused = await post(`/activations/${id}/failback`, { requestedBy: CLAIRE }).expect(409);
      expect(refused.body).toMatchObject({ code: 'original-site-not-up' });
      expect(refused.body.detail).toContain('original site');
    }
    const changedAtRecovery = (
      await sim<{ items: Array<{ changedBytes: number }> }>(
        stack,
        `/cloud/v1/tenants/${t.id}/activations/${id}/replication`,
      )
    ).items;
    expect(changedAtRecovery).toHaveLength(ESTATE.length);
    // A day of business: each server changed data at its own rate (more than 1 GiB a day each).
    expect(changedAtRecovery.every((x) => x.changedBytes > GIB)).toBe(true);

    await setOriginalSite(stack, t.id, 'up');
    // Four eyes: the requester cannot confirm their own failback.
    const asked = await post(`/activations/${id}/failback`, { requestedBy: CLAIRE }).expect(202);
    expect(asked.body.status).toBe('failback-awaiting-confirmation');
    const claireCodes = stack.webhook.received.filter(
      (b) => b.activationId === id && b.recipient === CLAIRE.email,
    );
    expect(claireCodes).toHaveLength(0);
    await post(`/activations/${id}/confirm`, { email: CLAIRE.email, code: 'AAAA-AAAA' }).expect(403);
    const code = await nextCode(stack, id, BRUNO.email, 1);
    expect(
      (await post(`/activations/${id}/confirm`, { email: BRUNO.email, code }).expect(200)).body.status,
    ).toBe('failing-back');
    const done = await waitForStatus(stack.api, t.manager, id, ['failed-back'], 90_000);

    // Every byte changed at the recovery site arrived, none twice; each server started once at the original site.
    const stats = await failbackStats(stack, id);
    expect(stats).toHaveLength(ESTATE.length);
    for (const x of stats) {
      expect({ host: x.hostname, pending: x.pendingBytes, resent: x.resentBytes }).toEqual({
        host: x.hostname,
        pending: 0,
        resent: 0,
      });
      expect(x.arrivedBytes).toBe(x.changedBytes);
      expect(x).toMatchObject({ originalState: 'running', originalStarts: 1, duplicateOriginalStarts: 0 });
      expect(x.finalDeltaRequests).toBe(1);
    }

    // Cut-over in reverse dependency order: downstream stopped first, upstream started first.
    const events = await eventsOf(stack, t.manager, id);
    const stops = orderOf(events, 'ServerStopStarted', hostnameOf);
    const starts = orderOf(events, 'ServerStartedAtOriginal', hostnameOf);
    for (const [down, up] of EDGES) {
      expect({ edge: `${down}→${up}`, stoppedFirst: stops[down] < stops[up] }).toEqual({
        edge: `${down}→${up}`,
        stoppedFirst: true,
      });
      expect({ edge: `${down}→${up}`, upstreamStartedFirst: starts[up] < starts[down] }).toEqual({
        edge: `${down}→${up}`,
        upstreamStartedFirst: true,
      });
    }
    // The recovery site was released only at the end: after every start and the users' reconnection.
    const types = events.map((e) => e.type);
    const released = types.indexOf('ActivationFailedBack');
    expect(released).toBeGreaterThan(Math.max(...Object.values(starts)));
    expect(released).toBeGreaterThan(types.indexOf('UsersReconnectedToOriginal'));
    const ops = (
      await sim<{ items: Array<{ kind: string; createdAt: string; completedAt: string | null }> }>(
        stack,
        `/cloud/v1/tenants/${t.id}/operations?activationId=${id}`,
      )
    ).items;
    const teardownAt = Math.min(
      ...ops.filter((o) => o.kind === 'teardown').map((o) => Date.parse(o.createdAt)),
    );
    const lastStart = Math.max(
      ...ops.filter((o) => o.kind === 'start-at-original').map((o) => Date.parse(o.completedAt!)),
    );
    expect(teardownAt).toBeGreaterThanOrEqual(lastStart);
    expect(await cloudResources(stack, t.id, id)).toHaveLength(0);

    // The failback report: data sent back per server, downtime, zero data loss; reprotection due.
    const report = (
      await stack.api.http.get(`/api/v1/activations/${id}/report`).set(bearer(t.manager)).expect(200)
    ).body;
    for (const x of report.servers) {
      expect(x.dataLossGiB).toBe(0);
      expect(x.dataReturnedGiB).toBeGreaterThan(0);
    }
    expect(report.failback).toMatchObject({ dataLossGiB: 0 });
    const changedGiB = stats.reduce((sum, x) => sum + x.changedBytes, 0) / GIB;
    console.log(
      `failback of ${ESTATE.length} servers after a simulated day: ${changedGiB.toFixed(1)} GiB changed at the recovery site, ` +
        `${report.failback.dataReturnedGiB} GiB sent back (initial copies + deltas), data loss ${report.failback.dataLossGiB} GiB, ` +
        `cut-over downtime ${report.failback.downtimeMinutes} simulated minutes in total`,
    );
    expect(report.failback.downtimeMinutes).toBeGreaterThan(0);
    expect(report.failback.servers.every((x: { downtimeMinutes: number }) => x.downtimeMinutes > 0)).toBe(
      true,
    );
    const html = await stack.api.http
      .get(`/api/v1/activations/${id}/report?format=html`)
      .set(bearer(t.manager))
      .expect(200);
    expect(html.text).toContain('Failback to the original site');
    expect(html.text).toContain('Failback: cut-over');
    expect(done.reprotection.servers).toHaveLength(ESTATE.length);

    // Reprotection: the readiness check warns and the compliance view shows it until a new full
    // restore point of each server exists (the backup space takes one a day).
    const check = async () =>
      (await post('/plan/check', {}).expect(200)).body.findings as Array<{
        code: string;
        servers?: string[];
      }>;
    const compliance = async () =>
      (await stack.api.http.get('/api/v1/compliance').set(bearer(t.manager)).expect(200)).body
        .servers as Array<{
        hostname: string;
        reprotection: { due: boolean; fullRestorePointAt: string | null } | null;
      }>;
    const warning = (await check()).find((f) => f.code === 'reprotection-due');
    expect(warning?.servers?.sort()).toEqual(ESTATE.map((s) => s.hostname).sort());
    expect((await compliance()).every((x) => x.reprotection?.due === true)).toBe(true);
    await aDayLater();
    expect((await check()).find((f) => f.code === 'reprotection-due')).toBeUndefined();
    const after = await compliance();
    expect(after.every((x) => x.reprotection?.due === false && x.reprotection.fullRestorePointAt)).toBe(true);
  }, 180_000);

  it('a cut-over failing on one server leaves it and its dependents running at the recovery site, and says what is left', async () => {
    const { t, ids } = await tenantWithEstate();
    const id = await disasterCompleted(stack, t.manager);
    await sim(stack, '/sim/v1/faults', 'POST', {
      hostname: 'db-1',
      fault: 'original-start-failure',
      times: 1,
    });
    await confirmFailback(stack, t.manager, id);
    const after = await waitForStatus(stack.api, t.manager, id, ['completed'], 90_000);
    const left = ['db-1', 'app-1', 'app-2', 'web-1', 'web-2'];
    expect(after.failback.outcome).toBe('incomplete');
    expect(after.failback.left.map((l: { hostname: string }) => l.hostname).sort()).toEqual([...left].sort());
    expect(after.failback.left.find((l: { hostname: string }) => l.hostname === 'db-1').reason).toMatch(
      /start-at-original/,
    );
    // They run at the recovery site (again); the others are back at the original site.
    const resources = await cloudResources(stack, t.id, id);
    const vmState = (host: string) =>
      resources.find((r) => r.kind === 'server' && r.serverId === ids[host])?.state;
    for (const host of left) expect({ host, state: vmState(host) }).toEqual({ host, state: 'running' });
    const stats = await failbackStats(stack, id);
    for (const host of ['dc-1', 'dc-2', 'db-2', 'file-1', 'file-2'])
      expect(stats.find((x) => x.hostname === host)?.originalState).toBe('running');
    expect(stats.find((x) => x.hostname === 'db-1')?.originalState).toBe('failed');
    expect(
      stats
        .filter((x) => left.includes(x.hostname) && x.hostname !== 'db-1')
        .every((x) => x.originalStarts === 0),
    ).toBe(true);
    // Nothing was released: the recovery site still carries the business of what is left.
    const types = (await eventsOf(stack, t.manager, id)).map((e) => e.type);
    expect(types).not.toContain('ActivationFailedBack');
    expect(types).toContain('FailbackIncomplete');

    // The storage path repaired: a new failback (four eyes again) takes only what is left.
    const again = await stack.api.http
      .post(`/api/v1/activations/${id}/failback`)
      .set(bearer(t.manager))
      .send({ requestedBy: CLAIRE })
      .expect(202);
    expect(again.body.status).toBe('failback-awaiting-confirmation');
    const code = await nextCode(stack, id, BRUNO.email, 2);
    await stack.api.http
      .post(`/api/v1/activations/${id}/confirm`)
      .set(bearer(t.manager))
      .send({ email: BRUNO.email, code })
      .expect(200);
    const done = await waitForStatus(stack.api, t.manager, id, ['failed-back'], 90_000);
    expect(done.failback.attempt).toBe(2);
    expect(done.failback.servers).toHaveLength(ESTATE.length);
    const final = await failbackStats(stack, id);
    for (const x of final)
      expect({ host: x.hostname, pending: x.pendingBytes }).toEqual({ host: x.hostname, pending: 0 });
    expect(final.every((x) => x.originalState === 'running' && x.duplicateOriginalStarts === 0)).toBe(true);
    expect(await cloudResources(stack, t.id, id)).toHaveLength(0);
  }, 240_000);

  it('a server that fails its health check at the original site is stopped there and runs again at the recovery site only', async () => {
    const { t, ids } = await tenantWithEstate();
    const id = await disasterCompleted(stack, t.manager);
    await sim(stack, '/sim/v1/faults', 'POST', {
      hostname: 'file-1',
      fault: 'original-health-failure',
      times: 1,
    });
    await confirmFailback(stack, t.manager, id);
    const after = await waitForStatus(stack.api, t.manager, id, ['completed'], 90_000);
    expect(after.failback.outcome).toBe('incomplete');
    expect(after.failback.left).toEqual([
      expect.objectContaining({
        hostname: 'file-1',
        reason: expect.stringMatching(
          /^start-at-original: .*health check failed.*; the copy started at the original site was stopped there$/,
        ),
      }),
    ]);
    // One live copy: stopped at the original site (started once), running again at the recovery site.
    const stats = await failbackStats(stack, id);
    expect(stats.find((x) => x.hostname === 'file-1')).toMatchObject({
      originalState: 'stopped',
      originalStarts: 1,
    });
    const vm = (await cloudResources(stack, t.id, id)).find(
      (r) => r.kind === 'server' && r.serverId === ids['file-1'],
    );
    expect(vm?.state).toBe('running');
    expect(stats.filter((x) => x.hostname !== 'file-1').every((x) => x.originalState === 'running')).toBe(
      true,
    );
  }, 120_000);

  it('abort during the reverse sync leaves the business running at the recovery site', async () => {
    const { t } = await tenantWithEstate();
    const id = await disasterCompleted(stack, t.manager);
    // Reverse replication slowed down: the sync takes long enough to abort it.
    await sim(stack, '/sim/v1/config', 'PUT', { failback: { reverseBandwidthMiBps: 5 } });
    try {
      await confirmFailback(stack, t.manager, id);
      const post = (path: string, body: object) =>
        stack.api.http.post(`/api/v1${path}`).set(bearer(t.manager)).send(body);
      const aborted = await post(`/activations/${id}/abort`, { reason: 'storm at the original site' }).expect(
        200,
      );
      expect(aborted.body.status).toBe('completed');
      const view = (await stack.api.http.get(`/api/v1/activations/${id}`).set(bearer(t.manager)).expect(200))
        .body;
      expect(view.failback.outcome).toBe('aborted');
      const resources = await cloudResources(stack, t.id, id);
      expect(resources.filter((r) => r.kind === 'server').every((r) => r.state === 'running')).toBe(true);
      expect(resources.filter((r) => r.kind === 'server')).toHaveLength(ESTATE.length);
    } finally {
      await sim(stack, '/sim/v1/config', 'PUT', { failback: { reverseBandwidthMiBps: 800 } });
    }
  }, 120_000);
});
