import { randomUUID } from 'node:crypto';
import { server } from '../estate/support';
import { startApi, type ApiHarness } from '../support/api-harness';
import { createTenant, type TenantKeys } from '../support/tenants';
import { session, signedInUser, type SignedInUser } from '../support/users';

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
interface Route {
  method: Method;
  path: string;
}

const ROLES = ['dr-manager', 'scheduler', 'auditor'] as const;
const WRITES: Method[] = ['post', 'put', 'patch', 'delete'];

/**
 * A session authorises exactly what an API key of the same role may, on every route: the routes
 * come from the OpenAPI document, so a route added later is covered without touching this test.
 * Each route is called with invalid input and unknown ids, so that an allowed call stops at
 * validation or lookup (nothing is changed) and the answers of key and session can be compared.
 */
describe('sessions authorise like API keys of the same role, on every route (e2e)', () => {
  let api: ApiHarness;
  let tenant: TenantKeys;
  let routes: Route[];
  const users = {} as Record<(typeof ROLES)[number], SignedInUser>;
  const keyOf = (role: (typeof ROLES)[number]) =>
    ({ 'dr-manager': tenant.manager, scheduler: tenant.scheduler, auditor: tenant.auditor })[role];

  beforeAll(async () => {
    api = await startApi();
    tenant = await createTenant(api);
    for (const role of ROLES) users[role] = await signedInUser(api, tenant.id, role);
    const document = (await api.http.get('/docs/openapi.json').expect(200)).body as {
      paths: Record<string, Record<string, unknown>>;
    };
    routes = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.keys(operations)
        .filter((method): method is Method => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
        .map((method) => ({ method, path })),
    );
  });
  afterAll(async () => api.close());

  /** The route with every path parameter an unknown id (a fresh UUID). */
  const concrete = (route: Route) => route.path.replace(/\{[^}]+\}/g, () => randomUUID());
  const call = (route: Route, url: string, headers: Record<string, string>) => {
    const req = api.http[route.method](url).set(headers);
    return WRITES.includes(route.method) ? req.send({}) : req;
  };
  /** The routes a session uses like a key: the whole API but signing in itself. */
  const apiRoutes = () =>
    routes.filter((r) => r.path.startsWith('/api/v1/') && !r.path.startsWith('/api/v1/auth/'));

  it('reads the routes from the OpenAPI document', () => {
    expect(apiRoutes().length).toBeGreaterThan(40);
    expect(apiRoutes()).toEqual(
      expect.arrayContaining([
        { method: 'post', path: '/api/v1/activations/{id}/confirm' },
        { method: 'delete', path: '/api/v1/users/{id}' },
        { method: 'post', path: '/api/v1/tenants/{id}/users' },
      ]),
    );
  });

  it.each(ROLES)(
    'a %s session gets exactly the answer of an API key of that role on every route',
    async (role) => {
      const mismatches: string[] = [];
      let allowed = 0;
      let refused = 0;
      for (const route of apiRoutes()) {
        const url = concrete(route);
        const byKey = await call(route, url, { Authorization: `Bearer ${keyOf(role)}` });
        const bySession = await call(route, url, session(users[role]));
        const answer = (r: { status: number; body: { code?: string } }) =>
          `${r.status} ${r.body?.code ?? ''}`;
        if (answer(byKey) !== answer(bySession))
          mismatches.push(
            `${route.method.toUpperCase()} ${route.path}: key ${answer(byKey)}, session ${answer(bySession)}`,
          );
        expect([route.path, byKey.status]).not.toEqual([route.path, 401]);
        if (byKey.status === 403) refused++;
        else allowed++;
      }
      expect(mismatches).toEqual([]);
      // Every role may do some things and not others.
      expect(allowed).toBeGreaterThan(5);
      expect(refused).toBeGreaterThan(5);
    },
  );

  it('every write with the session cookie needs the CSRF token; nothing is written without it', async () => {
    const before = await api.eventCount();
    const unprotected: string[] = [];
    for (const route of apiRoutes().filter((r) => WRITES.includes(r.method))) {
      for (const role of ROLES) {
        const res = await call(route, concrete(route), { Cookie: users[role].cookie });
        if (res.status !== 403 || res.body.code !== 'csrf-token-missing')
          unprotected.push(
            `${route.method.toUpperCase()} ${route.path} as ${role}: ${res.status} ${res.body.code}`,
          );
      }
    }
    expect(unprotected).toEqual([]);
    expect(await api.eventCount()).toBe(before);
  });

  it('without a token or a session every route answers 401', async () => {
    const open: string[] = [];
    for (const route of apiRoutes()) {
      const res = await call(route, concrete(route), {});
      if (res.status !== 401) open.push(`${route.method.toUpperCase()} ${route.path}: ${res.status}`);
    }
    expect(open).toEqual([]);
  });

  it('one tenant’s user sees nothing of another tenant', async () => {
    const other = await createTenant(api);
    const created = await api.http
      .post('/api/v1/servers')
      .set({ Authorization: `Bearer ${other.manager}` })
      .send(server('secret-db'))
      .expect(201);
    const manager = users['dr-manager'];
    const list = await api.http.get('/api/v1/servers').set(session(manager)).expect(200);
    expect(JSON.stringify(list.body)).not.toContain('secret-db');
    for (const path of [
      `/api/v1/servers/${created.body.id}`,
      `/api/v1/servers/${created.body.id}/history`,
      `/api/v1/tenants/${other.id}`,
    ])
      await api.http.get(path).set(session(manager)).expect(404);
    await api.http
      .put(`/api/v1/servers/${created.body.id}/protection-class`)
      .set(session(manager))
      .send({ protectionClass: 'backup-only' })
      .expect(404);
    const audit = await api.http
      .get('/api/v1/audit/events?limit=1000')
      .set(session(users.auditor))
      .expect(200);
    expect(JSON.stringify(audit.body)).not.toContain(other.id);
    const me = await api.http.get(`/api/v1/tenants/${tenant.id}`).set(session(manager)).expect(200);
    expect(me.body.id).toBe(tenant.id);
  });
});
