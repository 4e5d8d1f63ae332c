import { createHash, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { fieldPath } from '@reprise/common/http/field-path';
import { startApi, type ApiHarness } from '../support/api-harness';
import { admin, bearer, createTenant, type TenantKeys } from '../support/tenants';
import {
  badBodies,
  badIdArb,
  badTimeArb,
  garbageAuthArb,
  ifMatchArb,
  queryArb,
  routesOf,
  type BodyCase,
  type OpenApiDocument,
  type Route,
} from './openapi-fuzz';
import { liveTenant } from './support';

/**
 * The promise of the API contract, tested with generated input on every route the app documents
 * (so a route added later is fuzzed too): bad bodies, content types and encodings, path ids,
 * Authorization, If-Match and query strings never answer 5xx, always answer problem+json, a 400
 * names a field at fault, and the event store is exactly as it was.
 *
 * Bounded: FUZZ_RUNS requests per write route (default 40) and FUZZ_READ_RUNS per read route
 * (default 12); FUZZ_SEED replays a run (fast-check prints the seed of a failure).
 */
const WRITE_RUNS = Number(process.env.FUZZ_RUNS ?? 40);
const READ_RUNS = Number(process.env.FUZZ_READ_RUNS ?? 12);
const SEED = process.env.FUZZ_SEED === undefined ? undefined : Number(process.env.FUZZ_SEED);

interface Sent {
  route: string;
  url: string;
  label: string;
  status: number;
  contentType: string;
  body: { errors?: Array<{ field: string }> } | null;
  faults: string[];
}

interface Noise {
  ids: Array<{ param: string; value: string; bad: boolean }>;
  auth: string;
  ifMatch: string | undefined;
  query: { text: string; keys: string[] } | undefined;
  times: Array<{ name: string; value: string } | undefined>;
}

/** `f` names the fault, or a field inside it (`os` → `os.a.a…`, `disks` → `disks[0]`). */
const names = (field: string, fault: string) =>
  field === fault || field.startsWith(`${fault}.`) || field.startsWith(`${fault}[`);

describe('bad input, generated: every route, never 5xx, nothing changes (property-based, e2e)', () => {
  let api: ApiHarness;
  let a: TenantKeys;
  let b: TenantKeys;
  let doc: OpenApiDocument;
  let base: string;
  const fixtures: Record<string, string> = {};
  const statuses = new Map<number, number>();
  let sent = 0;
  let serverErrors = 0;

  /** Everything in the store, digested: same digest, same content. */
  async function digest(): Promise<{ count: number; head: number; sha256: string }> {
    const events = await api.store.readAll();
    const hash = createHash('sha256');
    for (const e of events) hash.update(JSON.stringify([e.position, e.stream, e.revision, e.type, e.data]));
    return { count: events.length, head: await api.store.headPosition(), sha256: hash.digest('hex') };
  }

  beforeAll(async () => {
    api = await startApi();
    const live = await liveTenant(api);
    a = live.tenant;
    b = await createTenant(api, { activationWindow: '24x7' });
    Object.assign(fixtures, {
      servers: live.servers['app-1'],
      serverId: live.servers['db-1'],
      name: 'system',
      tenants: a.id,
      activations: live.alert,
      'test-schedules': live.schedule,
      keyId: live.keyId,
    });
    doc = (await api.http.get('/docs-json').expect(200)).body;
    base = `http://127.0.0.1:${(api.app.getHttpServer().address() as AddressInfo).port}`;
  }, 60_000);
  afterAll(async () => api?.close());

  /** A real id for a path parameter: by its name, else by the collection it follows. */
  function realValue(route: Route, param: string): string {
    if (param !== 'id' && fixtures[param]) return fixtures[param];
    const collection = route.template.replace('/api/v1/', '').split('/')[0];
    return fixtures[collection] ?? randomUUID();
  }

  const tokenFor = (route: Route) =>
    route.template.startsWith('/api/v1/tenants') ? admin.Authorization : bearer(a.manager).Authorization;

  /** The noise around a body: path ids, Authorization, If-Match, query string. */
  function noise(route: Route): fc.Arbitrary<Noise> {
    const params = (route.template.match(/\{(\w+)\}/g) ?? []).map((p) => p.slice(1, -1));
    const dateTimes = (route.operation.parameters ?? []).filter(
      (p) => p.in === 'query' && p.schema?.format === 'date-time',
    );
    return fc.record({
      ids: fc.tuple(
        ...params.map((param) =>
          fc.oneof(
            { weight: 6, arbitrary: fc.constant({ param, value: realValue(route, param), bad: false }) },
            { weight: 1, arbitrary: fc.uuid().map((value) => ({ param, value, bad: false })) },
            { weight: 3, arbitrary: badIdArb.map((value) => ({ param, value, bad: true })) },
          ),
        ),
      ),
      auth: fc.oneof(
        { weight: 8, arbitrary: fc.constant(tokenFor(route)) },
        { weight: 1, arbitrary: fc.constant(bearer(b.manager).Authorization) },
        { weight: 1, arbitrary: fc.constant(bearer(a.auditor).Authorization) },
        { weight: 1, arbitrary: garbageAuthArb },
      ),
      ifMatch: ifMatchArb,
      query: queryArb,
      times: fc.tuple(
        ...dateTimes.map((p) =>
          fc.option(
            badTimeArb.map((v) => ({ name: p.name, value: v })),
            { nil: undefined },
          ),
        ),
      ),
    });
  }

  async function send(route: Route, n: Noise, body: BodyCase | null): Promise<Sent> {
    let path = route.template;
    for (const id of n.ids) path = path.replace(`{${id.param}}`, id.value);
    const query = [
      n.query?.text.slice(1),
      ...n.times.filter((t) => t).map((t) => `${t!.name}=${encodeURIComponent(t!.value)}`),
    ]
      .filter(Boolean)
      .join('&');
    const url = `${base}${path}${query ? `?${query}` : ''}`;
    const headers: Record<string, string> = {};
    if (n.auth) headers.authorization = n.auth;
    if (n.ifMatch !== undefined) headers['if-match'] = n.ifMatch;
    if (body?.contentType) headers['content-type'] = body.contentType;
    if (body?.contentEncoding) headers['content-encoding'] = body.contentEncoding;
    const res = await fetch(url, { method: route.method.toUpperCase(), headers, body: body?.payload });
    const text = await res.text();
    sent += 1;
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    if (res.status >= 500) serverErrors += 1;
    let parsed: Sent['body'] = null;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
    return {
      route: `${route.method.toUpperCase()} ${route.template}`,
      url: url.length > 300 ? `${url.slice(0, 300)}…` : url,
      label: body?.label ?? 'no body',
      status: res.status,
      contentType: res.headers.get('content-type') ?? '',
      body: parsed,
      faults: [
        ...(body?.faults ?? []),
        // A malformed %-escape cannot be decoded into any parameter: the path is named.
        ...n.ids.filter((id) => id.bad).flatMap((id) => [id.param, 'path']),
        ...(n.ifMatch !== undefined ? ['If-Match'] : []),
        ...(n.query?.keys ?? []).map((key) => fieldPath('', key)),
        ...n.times.filter((t) => t).map((t) => t!.name),
        // A required query parameter the noise did not give (e.g. `seq`, `email`) is missing: named.
        ...(route.operation.parameters ?? [])
          .filter((p) => p.in === 'query' && p.required && !new URLSearchParams(query).has(p.name))
          .map((p) => p.name),
      ],
    };
  }

  /** The promise, for one answer. `refused`: the request was bad, so it must not succeed. */
  function expectPromiseKept(r: Sent, refused: boolean): void {
    const where = `${r.route} ${r.label} → ${r.status} ${JSON.stringify(r.body)?.slice(0, 400)} (${r.url})`;
    if (r.status >= 500) throw new Error(`5xx: ${where}`);
    if (refused && r.status < 400) throw new Error(`a bad request was accepted: ${where}`);
    if (r.status >= 400 && !/^application\/problem\+json/.test(r.contentType))
      throw new Error(`not problem+json (${r.contentType}): ${where}`);
    if (r.status === 400) {
      const fields = (r.body?.errors ?? []).map((e) => e.field);
      if (!fields.some((f) => r.faults.some((fault) => names(f, fault))))
        throw new Error(`400 names none of the faults ${JSON.stringify(r.faults)}: ${where}`);
    }
  }

  async function fuzz(
    route: Route,
    arbitrary: fc.Arbitrary<[Noise, BodyCase | null]>,
    runs: number,
    refused: boolean,
  ) {
    await fc.assert(
      fc.asyncProperty(arbitrary, async ([n, body]) => {
        const before = await api.store.headPosition();
        const answer = await send(route, n, body);
        expectPromiseKept(answer, refused);
        const after = await api.store.headPosition();
        if (after !== before)
          throw new Error(`the store changed (${before} → ${after}): ${answer.route} ${answer.label}`);
      }),
      { numRuns: runs, seed: SEED, endOnFailure: false, verbose: 1 },
    );
  }

  it('every write route: generated bad bodies, content types, encodings, ids and headers', async () => {
    const before = await digest();
    const started = Date.now();
    const writes = routesOf(doc).filter((r) => r.method !== 'get');
    expect(writes.length).toBeGreaterThanOrEqual(25);
    for (const route of writes)
      await fuzz(route, fc.tuple(noise(route), badBodies(doc, route)), WRITE_RUNS, true);
    const after = await digest();
    console.log(
      `bad-input fuzz (writes): ${sent} requests to ${writes.length} write routes in ${((Date.now() - started) / 1000).toFixed(1)} s; ` +
        `5xx: ${serverErrors}; statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}; ` +
        `events before/after: ${before.count}/${after.count} (sha256 ${after.sha256 === before.sha256 ? 'identical' : 'DIFFERENT'})`,
    );
    expect(serverErrors).toBe(0);
    expect(after).toEqual(before);
  }, 120_000);

  it('every read route: generated ids, query strings (bad times included) and headers', async () => {
    const before = await digest();
    const sentBefore = sent;
    const reads = routesOf(doc).filter((r) => r.method === 'get' && !r.template.endsWith('/stream'));
    for (const route of reads) await fuzz(route, fc.tuple(noise(route), fc.constant(null)), READ_RUNS, false);
    const after = await digest();
    console.log(
      `bad-input fuzz (reads): ${sent - sentBefore} requests to ${reads.length} read routes; 5xx: ${serverErrors}; ` +
        `events before/after: ${before.count}/${after.count}`,
    );
    expect(serverErrors).toBe(0);
    expect(after).toEqual(before);
  }, 120_000);
});
