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
 * A partial disaster failover end to end: the scope pulls in the upstream servers it needs, the
 * four-eyes code goes out through the tenant's webhook, and only the servers of the scope are
 * restored in the recovery cloud.
 */
describe('partial failover (e2e: api + worker + recovery cloud + Redis)', () => {
  let stack: Stack;
  let t: Awaited<ReturnType<typeof createTenant>>;
  let ids: Record<string, string>;

  beforeAll(async () => {
    // Slow clock while the code is confirmed (15 simulated minutes of validity = 15 s wall), then
    // accelerated for the run itself.
    stack = await startStack({ timeScale: 60 });
    t = await createTenant(stack.api, { notificationWebhookUrl: stack.webhook.url });
    // dc-1 ← db-1 ← app-1 ← web-1; file-1 alone; arch-1 is backed up but outside the DRP.
    ids = await enrol(stack.api, t.manager, [
      { hostname: 'dc-1' },
      { hostname: 'db-1', dependsOn: ['dc-1'], diskGiB: 100 },
      { hostname: 'app-1', dependsOn: ['db-1'] },
      { hostname: 'web-1', dependsOn: ['app-1'], family: 'linux' },
      { hostname: 'file-1', diskGiB: 120 },
      { hostname: 'arch-1', protectionClass: 'backup-only' },
    ]);
    await setAuthorisedPersons(stack, t.manager, [CLAIRE, BRUNO]);
  }, 60_000);
  afterAll(async () => stack?.close());

  const disaster = (scope: unknown) =>
    stack.api.http
      .post('/api/v1/activations')
      .set(bearer(t.manager))
      .send({ type: 'disaster', scope, requestedBy: CLAIRE, reason: 'site A flooded' });

  it('refuses an unknown server or a server outside the DRP by name (422), recording nothing', async () => {
    const before = await stack.api.eventCount();
    const unknown = await disaster({ servers: ['app-1', 'ghost-9'] }).expect(422);
    expect(unknown.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(unknown.body.servers).toEqual(['ghost-9']);
    expect(unknown.body.detail).toContain('ghost-9');

    const outside = await disaster({ servers: ['arch-1'] }).expect(422);
    expect(outside.body.servers).toEqual(['arch-1']);
    expect(outside.body.detail).toContain('arch-1');
    expect(await stack.api.eventCount()).toBe(before);
    expect(stack.webhook.received).toHaveLength(0);
  });

  it('pulls in the upstream servers, is confirmed by a second authorised person, restores only its scope', async () => {
    const created = await disaster({ servers: ['app-1'] }).expect(202);
    expect(created.body.status).toBe('awaiting-confirmation');
    // The scope says what it added and why.
    expect(created.body.scope.requested).toEqual(['app-1']);
    const added = Object.fromEntries(
      created.body.scope.added.map((a: { hostname: string; requiredBy: string[] }) => [
        a.hostname,
        a.requiredBy,
      ]),
    );
    expect(Object.keys(added).sort()).toEqual(['db-1', 'dc-1']);
    expect(added['db-1']).toEqual(['app-1']);
    expect(added['dc-1'].length).toBeGreaterThan(0);

    const id = created.body.id as string;
    const code = await codeFor(stack, id, BRUNO.email);
    const hooks = stack.webhook.received.filter((b) => b.activationId === id);
    expect(hooks.map((h) => h.kind)).toEqual(['confirmation-code']);
    // The requester never receives a code.
    expect(hooks.map((h) => h.recipient)).toEqual([BRUNO.email]);

    const confirmed = await stack.api.http
      .post(`/api/v1/activations/${id}/confirm`)
      .set(bearer(t.manager))
      .send({ email: BRUNO.email, code })
      .expect(200);
    expect(confirmed.body.status).toBe('running');
    await sim(stack, '/sim/v1/clock', 'PUT', { scale: 600 });

    const done = await waitForStatus(
      stack.api,
      t.manager,
      id,
      ['completed', 'completed-with-failures'],
      25_000,
    );
    expect(done.status).toBe('completed');
    expect(done.confirmedBy).toMatchObject({ email: BRUNO.email });
    expect(phases(done)).toEqual({ 'dc-1': 'ok', 'db-1': 'ok', 'app-1': 'ok' });
    for (const [host, upstream] of [
      ['db-1', 'dc-1'],
      ['app-1', 'db-1'],
    ]) {
      const server = done.servers.find((s: { hostname: string }) => s.hostname === host);
      const up = done.servers.find((s: { hostname: string }) => s.hostname === upstream);
      expect(Date.parse(server.bootStartedAt)).toBeGreaterThanOrEqual(Date.parse(up.availableAt));
    }

    // The recovery cloud restored and started exactly the three servers of the scope.
    const resources = await cloudResources(stack, t.id, id);
    const restoredServers = new Set(resources.filter((r) => r.kind === 'disk').map((r) => r.serverId));
    const startedServers = new Set(resources.filter((r) => r.kind === 'server').map((r) => r.serverId));
    const expected = new Set([ids['dc-1'], ids['db-1'], ids['app-1']]);
    expect(restoredServers).toEqual(expected);
    expect(startedServers).toEqual(expected);
    for (const host of ['web-1', 'file-1', 'arch-1'])
      expect(resources.some((r) => r.serverId === ids[host])).toBe(false);

    const stats = await simStats(stack);
    expect(stats.restoreRequests).toBe(3); // one disk each, nothing else restored
    expect(stats.duplicateRestoreRequests).toBe(0);
    expect(stats.duplicateRestoresSameDisk).toBe(0);
  }, 60_000);
});
