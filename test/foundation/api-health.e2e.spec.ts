import { startApi, type ApiHarness } from '../support/api-harness';

describe('API foundation (e2e)', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(async () => api.close());

  it('answers /health with the event store and Redis up', async () => {
    const res = await api.http.get('/health').expect(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.info.eventStore.status).toBe('up');
    expect(res.body.info.redis).toEqual({ status: 'up', answer: 'PONG' });
  });

  it('echoes a request id, and makes one when none is sent', async () => {
    const mine = await api.http.get('/health').set('x-request-id', 'req-abc-1');
    expect(mine.headers['x-request-id']).toBe('req-abc-1');
    const generated = await api.http.get('/health');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers unknown routes with problem+json 404', async () => {
    const res = await api.http.get('/api/v1/nothing-here').expect(404);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 404, title: 'Not Found' });
  });

  it('serves the OpenAPI document at /docs', async () => {
    const res = await api.http.get('/docs/openapi.json').expect(200);
    expect(res.body.info.title).toBe('Reprise API');
  });
});
