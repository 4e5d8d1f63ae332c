import { startApi, type ApiHarness } from '../support/api-harness';

/** Every route of the public contract (../shared/api.md) is in the OpenAPI document at /docs. */
const CONTRACT: Array<[string, string]> = [
  ['post', '/api/v1/tenants'],
  ['get', '/api/v1/tenants/{id}'],
  ['post', '/api/v1/tenants/{id}/api-keys'],
  ['post', '/api/v1/servers'],
  ['get', '/api/v1/servers'],
  ['get', '/api/v1/servers/{id}'],
  ['put', '/api/v1/servers/{id}/protection-class'],
  ['put', '/api/v1/servers/{id}/dependencies'],
  ['put', '/api/v1/servers/{id}/template'],
  ['post', '/api/v1/servers/{id}/disks'],
  ['delete', '/api/v1/servers/{id}/disks/{name}'],
  ['put', '/api/v1/servers/{id}/os'],
  ['delete', '/api/v1/servers/{id}'],
  ['get', '/api/v1/servers/{id}/history'],
  ['put', '/api/v1/plan/authorised-persons'],
  ['get', '/api/v1/plan'],
  ['post', '/api/v1/plan/check'],
  ['post', '/api/v1/activations'],
  ['post', '/api/v1/activations/{id}/confirm'],
  ['post', '/api/v1/activations/{id}/escalate'],
  ['post', '/api/v1/activations/{id}/stand-down'],
  ['get', '/api/v1/activations'],
  ['get', '/api/v1/activations/{id}'],
  ['get', '/api/v1/activations/{id}/events'],
  ['get', '/api/v1/activations/{id}/stream'],
  ['post', '/api/v1/activations/{id}/abort'],
  ['post', '/api/v1/activations/{id}/servers/{serverId}/retry'],
  ['post', '/api/v1/activations/{id}/close'],
  ['post', '/api/v1/activations/{id}/failback'],
  ['get', '/api/v1/activations/{id}/report'],
  ['post', '/api/v1/test-schedules'],
  ['get', '/api/v1/test-schedules'],
  ['delete', '/api/v1/test-schedules/{id}'],
  ['get', '/api/v1/compliance'],
  ['get', '/api/v1/audit/events'],
  ['get', '/api/v1/audit/verify'],
  ['post', '/api/v1/tenants/{id}/users'],
  ['post', '/api/v1/users'],
  ['get', '/api/v1/users'],
  ['delete', '/api/v1/users/{id}'],
  ['post', '/api/v1/auth/invitations/accept'],
  ['post', '/api/v1/auth/login'],
  ['post', '/api/v1/auth/login/totp'],
  ['get', '/api/v1/auth/me'],
  ['post', '/api/v1/auth/logout'],
];

describe('OpenAPI document (e2e)', () => {
  let api: ApiHarness;
  let paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
  beforeAll(async () => {
    api = await startApi();
    paths = (await api.http.get('/docs/openapi.json').expect(200)).body.paths;
  });
  afterAll(async () => api.close());

  it.each(CONTRACT)('documents %s %s', (method, path) => {
    const operation = paths[path]?.[method];
    expect(operation).toBeDefined();
  });

  it('documents the session cookie and the CSRF header of its writes next to bearer tokens', async () => {
    const document = (await api.http.get('/docs/openapi.json').expect(200)).body;
    expect(document.components.securitySchemes.session).toMatchObject({ type: 'apiKey', in: 'cookie' });
    expect(document.components.securitySchemes.session.description).toContain('x-csrf-token');
    const write = paths['/api/v1/servers'].post as unknown as {
      security: Array<Record<string, unknown>>;
      parameters: Array<{ name: string; in: string }>;
    };
    expect(write.security).toEqual(expect.arrayContaining([{ bearer: [] }, { session: [] }]));
    expect(write.parameters).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'x-csrf-token', in: 'header' })]),
    );
    const requester = (
      document.components.schemas.CreateActivationDto.properties.requestedBy as { description: string }
    ).description;
    expect(requester).toMatch(/Required with an API key; a signed-in user .* is the requester/);
  });

  it('is served as JSON at /docs-json (and /docs/openapi.json) and as YAML at /docs-yaml', async () => {
    const json = await api.http.get('/docs-json').expect(200);
    expect(json.headers['content-type']).toMatch(/application\/json/);
    expect(json.body.paths).toEqual(paths);
    const yaml = await api.http.get('/docs-yaml').expect(200);
    expect(yaml.headers['content-type']).toMatch(/yaml/);
    expect(yaml.text).toMatch(/^openapi: /m);
    expect(yaml.text).toContain('/api/v1/activations/{id}/confirm:');
  });

  it('every path parameter of every route shows the one path rule (a UUID, or a bounded name)', () => {
    const parameters = Object.entries(paths).flatMap(([path, operations]) =>
      Object.entries(operations).flatMap(([method, operation]) =>
        (
          (
            operation as {
              parameters?: Array<{ in: string; name: string; schema?: Record<string, unknown> }>;
            }
          ).parameters ?? []
        )
          .filter((p) => p.in === 'path')
          .map((p) => ({ route: `${method} ${path}`, name: p.name, schema: p.schema ?? {} })),
      ),
    );
    expect(parameters.length).toBeGreaterThan(20);
    const undeclared = parameters.filter(
      (p) => p.schema.format !== 'uuid' && p.schema.maxLength === undefined,
    );
    expect(undeclared).toEqual([]);
  });

  it('documents the error answers of writes (problem+json statuses)', () => {
    const writes = CONTRACT.filter(([m]) => m !== 'get').map(([m, p]) => ({
      m,
      p,
      codes: Object.keys(paths[p]?.[m]?.responses ?? {}),
    }));
    const undocumented = writes.filter((w) => !w.codes.some((c) => c.startsWith('4')));
    expect(undocumented).toEqual([]);
  });
});
