import { randomUUID } from 'node:crypto';
import { fiveServerExample } from '@reprise/domain/report/testing/report-scenarios';
import { streams } from '@reprise/domain/shared/streams';
import { leafHashOf } from '@reprise/audit-log/leaf';
import type { RecordedEvent } from '@reprise/event-store/event-store.port';
import { AuditService, type AuditEventItem } from '../../apps/api/src/audit/audit.service';
import { startApi, type ApiHarness } from '../support/api-harness';
import { asText } from './support';
import { admin, bearer, createTenant, recordActivation, type TenantKeys } from '../reports/support';

type Item = AuditEventItem;

const ownedBy = (tenantId: string) => (stream: string) =>
  stream.startsWith(`tenant/${tenantId}/`) || stream === `platform/tenant/${tenantId}`;

describe('audit trail (e2e)', () => {
  let api: ApiHarness;
  let a: TenantKeys;
  let b: TenantKeys;
  let c: TenantKeys;
  const actA = randomUUID();
  const actB = randomUUID();
  const actC = randomUUID();

  /** Everything the store holds for a tenant, straight from the store. */
  const historyOf = async (tenantId: string): Promise<RecordedEvent[]> =>
    (await api.store.readAll()).filter((e) => ownedBy(tenantId)(e.stream));

  beforeAll(async () => {
    api = await startApi();
    a = await createTenant(api);
    b = await createTenant(api);
    c = await createTenant(api);
    // Interleave the tenants' histories in the global order.
    const ea = fiveServerExample(actA, a.id);
    const eb = fiveServerExample(actB, b.id);
    await recordActivation(api, a.id, actA, ea.slice(0, 10));
    await recordActivation(api, b.id, actB, eb);
    await recordActivation(api, a.id, actA, ea.slice(10));
    await recordActivation(api, c.id, actC, fiveServerExample(actC, c.id));
    // A write made through the API, with its request id.
    await api.http
      .put('/api/v1/plan/authorised-persons')
      .set(bearer(a.manager))
      .set('x-request-id', 'req-audit-1')
      .send([{ name: 'Bob Durand', email: 'bob@acme.test' }])
      .expect(200);
  });
  afterAll(async () => api?.close());

  it("lists the tenant's whole history in global order, with who and why", async () => {
    const res = await api.http.get('/api/v1/audit/events?limit=1000').set(bearer(a.auditor)).expect(200);
    const items: Item[] = res.body.items;
    const expected = await historyOf(a.id);
    expect(items.map((x) => x.seq)).toEqual(expected.map((e) => e.position));
    expect(res.body.nextAfter).toBeNull();
    expect(items.length).toBeGreaterThan(40);
    for (let i = 1; i < items.length; i++) expect(items[i].seq).toBeGreaterThan(items[i - 1].seq);
    expect(items.every((x) => ownedBy(a.id)(x.stream))).toBe(true);
    expect(items[0]).toMatchObject({
      stream: streams.tenant(a.id),
      type: 'TenantCreated',
      role: 'admin',
      actor: 'admin',
    });
    const first = items.find((x) => x.stream === streams.activation(a.id, actA))!;
    expect(first).toMatchObject({
      type: 'ActivationRequested',
      actor: 'system:worker',
      role: 'system',
      correlationId: actA,
      causationId: null,
    });
    const stored = expected.find((e) => e.position === first.seq)!;
    expect(first).toMatchObject({
      at: stored.metadata.recordedAt,
      hash: stored.hash,
      hashRule: 'reprise-leaf/1',
      data: stored.data,
    });
    const viaApi = items.find((x) => x.requestId === 'req-audit-1');
    expect(viaApi).toMatchObject({
      stream: streams.plan(a.id),
      role: 'dr-manager',
      actor: expect.stringMatching(/^api-key:/),
      correlationId: 'req-audit-1',
    });
  });

  it('pages with after/limit and nextAfter', async () => {
    const all: Item[] = (
      await api.http.get('/api/v1/audit/events?limit=1000').set(bearer(a.auditor)).expect(200)
    ).body.items;
    const paged: Item[] = [];
    let after: number | null = 0;
    let pages = 0;
    while (after !== null) {
      const res: { body: { items: Item[]; nextAfter: number | null } } = await api.http
        .get(`/api/v1/audit/events?after=${after}&limit=7`)
        .set(bearer(a.auditor))
        .expect(200);
      expect(res.body.items.length).toBeLessThanOrEqual(7);
      paged.push(...res.body.items);
      after = res.body.nextAfter;
      pages += 1;
      expect(pages).toBeLessThan(100);
    }
    expect(pages).toBe(Math.ceil(all.length / 7));
    expect(paged).toEqual(all);
    // Default page size 100; `after` in the middle of someone else's events still works.
    const def = await api.http.get('/api/v1/audit/events').set(bearer(a.auditor)).expect(200);
    expect(def.body.items).toEqual(all.slice(0, 100));
    const tail = await api.http
      .get(`/api/v1/audit/events?after=${all[all.length - 2].seq}`)
      .set(bearer(a.auditor))
      .expect(200);
    expect(tail.body).toEqual({ items: [all[all.length - 1]], nextAfter: null });
  });

  it('refuses bad paging parameters with 400 naming each field', async () => {
    const both = await api.http
      .get('/api/v1/audit/events?after=abc&limit=0')
      .set(bearer(a.auditor))
      .expect(400);
    expect(both.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(both.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['after', 'limit']);
    const big = await api.http.get('/api/v1/audit/events?limit=1001').set(bearer(a.auditor)).expect(400);
    expect(big.body.errors).toEqual([{ field: 'limit', message: expect.any(String) }]);
    const neg = await api.http.get('/api/v1/audit/events?after=-1').set(bearer(a.auditor)).expect(400);
    expect(neg.body.errors).toEqual([{ field: 'after', message: expect.any(String) }]);
    await api.http.get('/api/v1/audit/events?limit=2.5').set(bearer(a.auditor)).expect(400);
  });

  it("isolates tenants: B's auditor sees none of A's events", async () => {
    const items: Item[] = (
      await api.http.get('/api/v1/audit/events?limit=1000').set(bearer(b.auditor)).expect(200)
    ).body.items;
    expect(items.length).toBe((await historyOf(b.id)).length);
    expect(items.some((x) => x.stream.includes(a.id))).toBe(false);
    expect(items.every((x) => ownedBy(b.id)(x.stream))).toBe(true);
    const exported = (
      await api.http.get('/api/v1/audit/export').set(bearer(b.manager)).buffer(true).parse(asText).expect(200)
    ).body as string;
    expect(exported).not.toContain(a.id);
  });

  it('exports the whole history as NDJSON, each line re-checkable offline', async () => {
    const res = await api.http
      .get('/api/v1/audit/export')
      .set(bearer(a.auditor))
      .buffer(true)
      .parse(asText)
      .expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/x-ndjson/);
    expect(res.headers['content-disposition']).toContain('attachment');
    const body = res.body as string;
    expect(body.endsWith('\n')).toBe(true);
    const all = body
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(all[0]).toMatchObject({ kind: 'header', format: 'reprise-audit-export/2', tenantId: a.id });
    expect(all[all.length - 1]).toMatchObject({ kind: 'end' });
    const lines = all.filter((l) => l.kind === 'event');
    const expected = await historyOf(a.id);
    expect(lines.map((l) => l.seq)).toEqual(expected.map((e) => e.position));
    lines.forEach((line, i) => {
      // Each line carries what is hashed: the event as stored, its leaf index and leaf hash.
      const entry = { ...line, position: line.seq };
      expect(leafHashOf(entry)).toBe(line.hash);
      expect(line.leafHash).toBe(line.hash);
      expect(line.leafIndex).toBe(i);
      expect(line.at).toBe(line.metadata.recordedAt);
    });
    // Personal data is exported as stored (encrypted), and in clear beside it.
    const requested = lines.find((l) => l.type === 'ActivationRequested');
    expect(requested.data.requestedBy.email).toMatch(/^pii:v1:/);
    expect(requested.readable.requestedBy.email).toBe('alice@acme.test');
    // The export reads page by page: a small page size gives the same history.
    const paged: number[] = [];
    for await (const e of api.app.get(AuditService).exportEvents(a.id, 7)) paged.push(e.position);
    expect(paged).toEqual(expected.map((e) => e.position));
  });

  it("recomputes the tenant's whole log", async () => {
    const res = await api.http.get('/api/v1/audit/verify').set(bearer(a.manager)).expect(200);
    expect(res.body).toMatchObject({
      valid: true,
      checkedEvents: (await historyOf(a.id)).length,
      problems: [],
    });
  });

  it('lets auditors and dr-managers read, refuses schedulers and the admin token', async () => {
    for (const path of [
      '/api/v1/audit/events',
      '/api/v1/audit/verify',
      '/api/v1/audit/export',
      '/api/v1/audit/tree-heads',
      '/api/v1/audit/public-key',
    ]) {
      await api.http.get(path).set(bearer(a.auditor)).expect(200);
      await api.http.get(path).set(bearer(a.manager)).expect(200);
      const denied = await api.http.get(path).set(bearer(a.scheduler)).expect(403);
      expect(denied.headers['content-type']).toMatch(/application\/problem\+json/);
      await api.http.get(path).set(admin).expect(403);
      await api.http.get(path).expect(401);
    }
  });

  it('lets an auditor read everything and write nothing', async () => {
    const before = await api.eventCount();
    await api.http.get(`/api/v1/activations/${actA}/report`).set(bearer(a.auditor)).expect(200);
    await api.http.get(`/api/v1/activations/${actA}/report?format=html`).set(bearer(a.auditor)).expect(200);
    await api.http.get('/api/v1/servers').set(bearer(a.auditor)).expect(200);
    await api.http.get('/api/v1/plan').set(bearer(a.auditor)).expect(200);
    await api.http
      .post('/api/v1/servers')
      .set(bearer(a.auditor))
      .send({
        hostname: 'audit-write',
        kind: 'virtual',
        platform: 'vmware',
        os: { family: 'linux', name: 'Ubuntu', version: '24.04' },
        backupMode: 'agent',
        template: { vcpu: 2, ramGiB: 4 },
        disks: [{ name: 'system', sizeGiB: 50 }],
        protectionClass: 'drp',
      })
      .expect(403);
    await api.http
      .put('/api/v1/plan/authorised-persons')
      .set(bearer(a.auditor))
      .send([{ name: 'Eve', email: 'eve@acme.test' }])
      .expect(403);
    await api.http
      .post('/api/v1/activations')
      .set(bearer(a.auditor))
      .send({ type: 'test', scope: 'full', requestedBy: { name: 'Eve', email: 'eve@acme.test' } })
      .expect((r) => {
        // 403 once the activation routes are mounted; 404 while they are not.
        if (![403, 404].includes(r.status)) throw new Error(`expected 403, got ${r.status}`);
      });
    await api.http
      .post(`/api/v1/activations/${actA}/close`)
      .set(bearer(a.auditor))
      .send({})
      .expect((r) => {
        if (![403, 404].includes(r.status)) throw new Error(`expected 403, got ${r.status}`);
      });
    await api.http.post('/api/v1/audit/events').set(bearer(a.auditor)).send({}).expect(404);
    await api.http.delete('/api/v1/audit/events').set(bearer(a.auditor)).expect(404);
    expect(await api.eventCount()).toBe(before);
  });

  it('detects a changed event and a removed event, naming its position', async () => {
    const history = await historyOf(a.id);
    const target = history.find((e) => e.type === 'ServerChecked')!;
    const changed = {
      ...(target.data as Record<string, unknown>),
      health: 'ok',
      detail: 'nothing to see here',
    };
    await api.testStore.tamper.setData(target.position, changed);
    // Tenant C: an event removed from the middle of its activation stream.
    const cEvents = (await historyOf(c.id)).filter((e) => e.stream === streams.activation(c.id, actC));
    await api.testStore.tamper.remove(cEvents[5].position);
    const res = await api.http.get('/api/v1/audit/verify').set(bearer(a.auditor)).expect(200);
    expect(res.body).toMatchObject({
      valid: false,
      firstInvalidSeq: target.position,
      stream: target.stream,
      located: 'exact',
      reason: expect.stringContaining('changed'),
    });
    const removed = await api.http.get('/api/v1/audit/verify').set(bearer(c.auditor)).expect(200);
    expect(removed.body).toMatchObject({
      valid: false,
      firstInvalidSeq: cEvents[6].position,
      reason: expect.stringContaining('missing'),
    });
    // The other tenant's history is untouched.
    const other = await api.http.get('/api/v1/audit/verify').set(bearer(b.auditor)).expect(200);
    expect(other.body).toMatchObject({ valid: true, checkedEvents: (await historyOf(b.id)).length });
  });
});
