import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startApi, type ApiHarness } from '../../../test/support/api-harness';
import { defaultConsoleDir } from '../../api/src/console/console-static';

/**
 * The api serves the built console (`npm test` builds it first): the page at `/` and on every
 * console route, hashed assets cached for a year, the page never cached, a strict CSP; the API,
 * its documentation and the health probe are untouched.
 */
describe('the console served by the api (e2e)', () => {
  let api: ApiHarness;
  const assets = readdirSync(join(defaultConsoleDir(), 'assets'));
  const script = assets.find((f) => f.endsWith('.js'))!;

  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api?.close());

  it('answers the page at / and on console routes, never cached, with a strict CSP', async () => {
    for (const path of ['/', '/estate', '/activations/8b0f6a4e-2f7a-4c39-9d55-1f3c7e0a9b11', '/audit?x=1']) {
      const res = await api.http.get(path).set('accept', 'text/html').expect(200);
      expect(res.headers['content-type']).toMatch(/text\/html/);
      expect(res.text).toContain('<div id="root"></div>');
      expect(res.headers['cache-control']).toBe('no-cache');
      const csp = res.headers['content-security-policy'];
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
      expect(res.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('has no inline script in the page: everything is a same-origin file', async () => {
    const res = await api.http.get('/').expect(200);
    expect(res.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(res.text).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('serves hashed assets with a one-year immutable cache, and a missing one as 404 (not the page)', async () => {
    const res = await api.http.get(`/assets/${script}`).expect(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const missing = await api.http.get('/assets/index-DOESNOTEXIST.js').set('accept', '*/*');
    expect(missing.status).toBe(404);
    expect(missing.text).not.toContain('<div id="root">');
  });

  it('leaves the API, /docs and /health to the api', async () => {
    const unknown = await api.http.get('/api/v1/no-such-route').set('accept', 'text/html');
    expect(unknown.status).toBe(404);
    expect(unknown.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(unknown.headers['content-security-policy']).toBeUndefined();
    for (const path of ['/docs/openapi.json', '/docs-json']) {
      const docs = await api.http.get(path).set('accept', 'text/html,*/*').expect(200);
      expect(docs.body.openapi).toBeDefined();
    }
    const yaml = await api.http.get('/docs-yaml').set('accept', 'text/html,*/*').expect(200);
    expect(yaml.text).toMatch(/^openapi: /m);
    const health = await api.http.get('/health');
    expect(health.headers['content-type']).toMatch(/json/);
  });

  it('does not answer writes with the page', async () => {
    const res = await api.http.post('/estate').send({});
    expect(res.status).toBe(404);
    expect(res.text).not.toContain('<div id="root">');
  });
});
