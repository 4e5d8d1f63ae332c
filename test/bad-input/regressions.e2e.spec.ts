import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import type { Response } from 'supertest';
import { startApi, type ApiHarness } from '../support/api-harness';
import { admin, bearer, type TenantKeys } from '../support/tenants';
import { serverBody } from '../support/stack';
import { BRUNO, CLAIRE, liveTenant } from './support';

/**
 * Named regressions of issue 9's bad-input findings, one `describe` per finding, each reproduced
 * on the real API over HTTP: the answer is a 4xx problem+json naming the field or the rule, and
 * the event store holds exactly what it held before. The generated cases are in fuzz.e2e.spec.ts.
 */
describe('bad input: the findings of issue 9 (e2e)', () => {
  let api: ApiHarness;
  let t: TenantKeys;
  let ids: Record<string, string>;
  let alert: string;
  let schedule: string;
  let keyId: string;

  beforeAll(async () => {
    api = await startApi();
    const live = await liveTenant(api);
    ({ tenant: t, servers: ids, alert, schedule, keyId } = live);
  }, 60_000);
  afterAll(async () => api?.close());

  const m = () => bearer(t.manager);

  /** Sends; expects `status` as problem+json naming every field in `fields`; nothing recorded. */
  async function refused(send: () => PromiseLike<Response>, status: number, fields: string[] = []) {
    const before = await api.eventCount();
    const res = await send();
    expect({ status: res.status, type: res.headers['content-type'] }).toEqual({
      status,
      type: expect.stringMatching(/^application\/problem\+json/),
    });
    const named = (res.body.errors ?? []).map((e: { field: string }) => e.field);
    for (const field of fields) expect(named).toContain(field);
    expect(await api.eventCount()).toBe(before);
    return res.body as { code: string; errors?: Array<{ field: string; message: string }> };
  }

  const json = (path: string, text: string, method: 'post' | 'put' = 'post') =>
    api.http[method](path).set(m()).set('content-type', 'application/json').send(text);
  const nested = (depth: number, arrays = false) =>
    arrays ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

  describe('1. deeply nested JSON → 400 too-deep naming where, before any validation', () => {
    it('objects or arrays 5,000 deep, as the body or inside a field, on every kind of route', async () => {
      const deepOs = JSON.stringify(serverBody({ hostname: 'deep-1' })).replace(
        /"os":\{[^}]*\}/,
        `"os":${nested(5000)}`,
      );
      const cases: Array<[() => PromiseLike<Response>, string]> = [
        [() => json('/api/v1/servers', nested(5000)), 'a.a.a'],
        [() => json('/api/v1/servers', nested(5000, true)), '[0][0]'],
        [() => json('/api/v1/servers', deepOs), 'os.a.a'],
        [() => json('/api/v1/servers', `{"hostname":"x","disks":${nested(5000, true)}}`), 'disks[0]'],
        [() => json('/api/v1/servers:import', `[${nested(5000)}]`), '[0].a.a'],
        [() => json('/api/v1/plan/authorised-persons', `[{"name":${nested(5000)}}]`, 'put'), '[0].name.a'],
        [
          () => json('/api/v1/activations', `{"type":"test","scope":"full","requestedBy":${nested(5000)}}`),
          'requestedBy.a',
        ],
        [() => json(`/api/v1/activations/${alert}/stand-down`, `{"by":${nested(40, true)}}`), 'by[0]'],
      ];
      for (const [send, prefix] of cases) {
        const body = await refused(send, 400);
        expect(body.code).toBe('too-deep');
        expect(body.errors?.[0].field.startsWith(prefix)).toBe(true);
      }
    });
  });

  describe('2. body-parser failures → problem+json through the one filter', () => {
    it('Content-Encoding: gzip on a body that is not gzip → 400 naming the body; real gzip works', async () => {
      const body = await refused(
        () =>
          json('/api/v1/servers', JSON.stringify(serverBody({ hostname: 'gz-0' }))).set(
            'content-encoding',
            'gzip',
          ),
        400,
        ['body'],
      );
      expect(body.code).toBe('unreadable-body');
      await refused(() => json('/api/v1/servers', '{}').set('content-encoding', 'br'), 400, ['body']);
      await refused(() => json('/api/v1/servers', '{}').set('content-encoding', 'compress'), 415, [
        'Content-Encoding',
      ]);
      await refused(
        () =>
          api.http
            .post('/api/v1/servers')
            .set(m())
            .set('content-type', 'application/json; charset=klingon')
            .send('{}'),
        415,
        ['Content-Type'],
      );
      // Supertest re-encodes buffers: the real gzip goes through fetch.
      const { port } = api.app.getHttpServer().address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/servers`, {
        method: 'POST',
        headers: { ...m(), 'content-type': 'application/json', 'content-encoding': 'gzip' },
        body: gzipSync(JSON.stringify(serverBody({ hostname: 'gz-1' }))),
      });
      expect(res.status).toBe(201);
    });
  });

  describe('3. one strict timestamp rule for every time query and field', () => {
    const forms = [
      '2027-W05-1',
      '2027-033',
      '20270105',
      '2027-01-05',
      '2027-01-05T09:00:00',
      '2027-02-30T09:00:00Z',
    ];
    it.each(forms)('asOf=%s → 400 naming asOf', async (form) => {
      await refused(
        () => api.http.get(`/api/v1/activations/${alert}?asOf=${encodeURIComponent(form)}`).set(m()),
        400,
        ['asOf'],
      );
    });
    it.each(forms)('scheduledFor %s → 400 naming scheduledFor', async (form) => {
      await refused(
        () =>
          api.http
            .post('/api/v1/test-schedules')
            .set(bearer(t.scheduler))
            .send({ kind: 'drp-test', scheduledFor: form }),
        400,
        ['scheduledFor'],
      );
    });
    it('a time with an offset is the same moment as its UTC form', async () => {
      const utc = new Date(Date.now() + 60_000).toISOString();
      const paris = new Date(Date.parse(utc) + 3_600_000).toISOString().replace('Z', '+01:00');
      const a = await api.http
        .get(`/api/v1/activations/${alert}?asOf=${encodeURIComponent(utc)}`)
        .set(m())
        .expect(200);
      const b = await api.http
        .get(`/api/v1/activations/${alert}?asOf=${encodeURIComponent(paris)}`)
        .set(m())
        .expect(200);
      expect(b.body.status).toBe(a.body.status);
    });
  });

  describe('4. an array where an object is expected is named, with every other invalid field', () => {
    it('POST /servers: applications [[]], disks [[]], template [], os [[]] and a bad kind', async () => {
      await refused(
        () =>
          api.http
            .post('/api/v1/servers')
            .set(m())
            .send({
              ...serverBody({ hostname: 'arr-1' }),
              applications: [[]],
              disks: [[]],
              template: [],
              os: [[]],
              kind: 'x',
            }),
        400,
        ['applications', 'disks', 'template', 'os', 'kind'],
      );
    });
    it('requestedBy [], by [[]], and rows of an import', async () => {
      await refused(
        () =>
          api.http
            .post('/api/v1/activations')
            .set(m())
            .send({ type: 'test', scope: 'full', requestedBy: [], reason: 5 }),
        400,
        ['requestedBy', 'reason'],
      );
      await refused(
        () =>
          api.http
            .post('/api/v1/activations')
            .set(m())
            .send({ type: 'test', scope: 'full', requestedBy: [CLAIRE] }),
        400,
        ['requestedBy'],
      );
      await refused(
        () =>
          api.http
            .post(`/api/v1/activations/${alert}/stand-down`)
            .set(m())
            .send({ by: [[]] }),
        400,
        ['by'],
      );
      await refused(
        () =>
          api.http
            .post('/api/v1/servers:import')
            .set(m())
            .send([{ ...serverBody({ hostname: 'arr-2' }), applications: [[]], rpoMinutes: 'x' }]),
        400,
        ['[0].applications', '[0].rpoMinutes'],
      );
    });
  });

  describe('5. object-prototype names as ids never reach a lookup', () => {
    it.each(['constructor', '__proto__', 'toString', 'hasOwnProperty', 'prototype'])(
      '%s as a server id, an activation id or an activation server id → 400 naming it',
      async (name) => {
        await refused(
          () => api.http.post(`/api/v1/activations/${alert}/servers/${name}/retry`).set(m()).send({}),
          400,
          ['serverId'],
        );
        await refused(
          () => api.http.post(`/api/v1/activations/${name}/abort`).set(m()).send({ reason: 'x' }),
          400,
          ['id'],
        );
        await refused(
          () => api.http.put(`/api/v1/servers/${name}/template`).set(m()).send({ vcpu: 1, ramGiB: 1 }),
          400,
          ['id'],
        );
        await refused(() => api.http.get(`/api/v1/servers/${name}`).set(m()), 400, ['id']);
      },
    );
  });

  describe('6. a body that is not JSON is never run as an empty one', () => {
    it('stand-down and close with an XML body → 415, the alert is untouched', async () => {
      for (const action of ['stand-down', 'close', 'abort'])
        await refused(
          () =>
            api.http
              .post(`/api/v1/activations/${alert}/${action}`)
              .set(m())
              .set('content-type', 'application/xml')
              .send('<reason>x</reason>'),
          415,
          ['Content-Type'],
        );
      await refused(
        () =>
          api.http
            .post(`/api/v1/activations/${alert}/stand-down`)
            .set(m())
            .set('content-type', 'text/plain')
            .send('go'),
        415,
      );
      const view = await api.http.get(`/api/v1/activations/${alert}`).set(m()).expect(200);
      expect(view.body.status).toBe('alert');
    });
    it('DELETE /test-schedules/:id with an XML body → 415, the test stays scheduled', async () => {
      await refused(
        () =>
          api.http
            .delete(`/api/v1/test-schedules/${schedule}`)
            .set(bearer(t.scheduler))
            .set('content-type', 'application/xml')
            .send('<x/>'),
        415,
        ['Content-Type'],
      );
      const view = await api.http.get(`/api/v1/test-schedules/${schedule}`).set(m()).expect(200);
      expect(view.body.status).toBe('scheduled');
    });
    it('a route without a body refuses a non-empty one; an empty JSON object is no body', async () => {
      const archive = `/api/v1/servers/${ids['app-1']}/archive`;
      await refused(() => api.http.post(archive).set(m()).send({ reason: 'x' }), 400, ['reason']);
      await refused(
        () => api.http.post(archive).set(m()).set('content-type', 'application/xml').send('<x/>'),
        415,
        ['Content-Type'],
      );
      await refused(() => api.http.post('/api/v1/plan/check').set(m()).send([1]), 400, ['body']);
      await refused(
        () => api.http.delete(`/api/v1/servers/${ids['app-1']}`).set(m()).send({ force: true }),
        400,
        ['force'],
      );
      await api.http
        .post('/api/v1/plan/check')
        .set(m())
        .send({})
        .expect((res) => expect(res.status).not.toBe(400));
    });
  });

  describe('7. unknown keys named __proto__, constructor or prototype are refused by name', () => {
    it.each(['__proto__', 'constructor', 'prototype', 'toString'])(
      '%s, at the top and nested',
      async (key) => {
        const raw = (value: object) => JSON.stringify(value).replace(/^\{/, `{"${key}":{"x":1},`);
        const server = serverBody({ hostname: `proto-${key.replace(/_/g, '')}`.toLowerCase() });
        await refused(() => json('/api/v1/servers', raw(server)), 400, [key]);
        await refused(
          () => json('/api/v1/servers', JSON.stringify(server).replace('"os":{', `"os":{"${key}":1,`)),
          400,
          [`os.${key}`],
        );
        await refused(() => json('/api/v1/servers:import', `[${raw(server)}]`), 400, [`[0].${key}`]);
        await refused(
          () => json('/api/v1/activations', raw({ type: 'test', scope: 'full', requestedBy: CLAIRE })),
          400,
          [key],
        );
        await refused(
          () =>
            json(
              '/api/v1/activations',
              `{"type":"test","scope":{"servers":["db-1"],"${key}":1},"requestedBy":${JSON.stringify(CLAIRE)}}`,
            ),
          400,
          [`scope.${key}`],
        );
        await refused(() => json('/api/v1/plan/authorised-persons', `[${raw(BRUNO)}]`, 'put'), 400, [
          `[0].${key}`,
        ]);
        await refused(() => api.http.get(`/api/v1/servers?${key}=1`).set(m()), 400, [key]);
      },
    );
  });

  describe('8. one rule for every path parameter: malformed → 400 naming it, unknown → 404', () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    it.each([
      ['get', '/api/v1/servers/:x', 'id'],
      ['put', '/api/v1/servers/:x/template', 'id'],
      ['get', '/api/v1/activations/:x', 'id'],
      ['post', '/api/v1/activations/:x/abort', 'id'],
      ['get', '/api/v1/activations/:x/report', 'id'],
      ['get', '/api/v1/test-schedules/:x', 'id'],
      ['delete', '/api/v1/test-schedules/:x', 'id'],
      ['get', '/api/v1/tenants/:x', 'id'],
      ['delete', '/api/v1/tenants/:tenant/api-keys/:x', 'keyId'],
    ])('%s %s', async (method, template, param) => {
      const token = template.includes('tenants') ? admin : m();
      const body = template.endsWith('abort')
        ? { reason: 'x' }
        : template.endsWith('template')
          ? { vcpu: 1, ramGiB: 1 }
          : {};
      const call = (x: string) =>
        (api.http as unknown as Record<string, (u: string) => import('supertest').Test>)
          [method](template.replace(':tenant', t.id).replace(':x', x))
          .set(token)
          .send(body);
      const malformed = await refused(() => call('not-an-id'), 400, [param]);
      expect(malformed.code).toBe('invalid-path-parameter');
      await refused(() => call(unknown), 404);
    });
    it('ids are UUIDs in any case; a disk name follows the disk field rule', async () => {
      await api.http.get(`/api/v1/servers/${ids['db-1'].toUpperCase()}`).set(m()).expect(200);
      await api.http.get(`/api/v1/tenants/${t.id}/api-keys`).set(admin).expect(200);
      await refused(() => api.http.delete(`/api/v1/tenants/${t.id}/api-keys/${keyId}x`).set(admin), 400, [
        'keyId',
      ]);
      await refused(
        () => api.http.delete(`/api/v1/servers/${ids['db-1']}/disks/${'d'.repeat(65)}`).set(m()),
        400,
        ['name'],
      );
      await refused(() => api.http.delete(`/api/v1/servers/${ids['db-1']}/disks/nope`).set(m()), 404);
      await refused(() => api.http.get('/api/v1/servers/%E0%A4%A').set(m()), 400, ['path']);
    });
  });

  describe('10. the whole request is judged before a business conflict', () => {
    it('a partial test naming an unknown server while an alert is live → 422 naming it, not 409', async () => {
      const body = await refused(
        () =>
          api.http
            .post('/api/v1/activations')
            .set(m())
            .send({ type: 'test', scope: { servers: ['db-1', 'ghost-9'] }, requestedBy: CLAIRE }),
        422,
      );
      expect(body).toMatchObject({ code: 'scope-refused', unknown: ['ghost-9'] });
      // A valid request that overlaps is still the conflict.
      const overlap = await refused(
        () =>
          api.http
            .post('/api/v1/activations')
            .set(m())
            .send({ type: 'test', scope: { servers: ['db-1'] }, requestedBy: CLAIRE }),
        409,
      );
      expect(overlap.code).toBe('activation-overlap');
    });
    it('a server enrolled under a taken hostname with an unknown dependency → 422 naming it, not 409', async () => {
      const body = await refused(
        () =>
          api.http
            .post('/api/v1/servers')
            .set(m())
            .send(serverBody({ hostname: 'db-1', dependsOn: ['ghost-9'] })),
        422,
        ['dependsOn'],
      );
      expect(body.code).toBe('unknown-dependency');
      await refused(
        () =>
          api.http
            .post('/api/v1/servers')
            .set(m())
            .send(serverBody({ hostname: 'db-1' })),
        409,
        ['hostname'],
      );
    });
  });
});
