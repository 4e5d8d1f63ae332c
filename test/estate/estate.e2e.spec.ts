import type { ProjectionRunner } from '@reprise/event-store/projections/projection-runner';
import { READ_MODELS } from '../../apps/api/src/read-models/read-models.module';
import { startApi, type ApiHarness } from '../support/api-harness';
import { admin, bearer, createTenant, server, TenantFixture } from './support';

const V1 = '/api/v1';

describe('estate and plan (e2e)', () => {
  let api: ApiHarness;
  let t: TenantFixture;
  let other: TenantFixture;

  beforeAll(async () => {
    api = await startApi();
    t = await createTenant(api);
    other = await createTenant(api);
  });
  afterAll(async () => api.close());

  describe('tenants and keys', () => {
    it('creates a tenant with defaults and shows it to the admin', async () => {
      const res = await api.http
        .post(`${V1}/tenants`)
        .set(admin)
        .send({ name: 'Acme', customerNumber: 'ACME-1', domain: 'acme.example' })
        .expect(201);
      expect(res.body).toMatchObject({
        name: 'Acme',
        timeZone: 'Europe/Paris',
        activationWindow: 'business-hours',
        notificationWebhookUrl: null,
        version: 0,
      });
      await api.http.get(`${V1}/tenants/${res.body.id}`).set(admin).expect(200);
      const dup = await api.http
        .post(`${V1}/tenants`)
        .set(admin)
        .send({ name: 'Acme 2', customerNumber: 'ACME-1', domain: 'acme2.example' })
        .expect(409);
      expect(dup.headers['content-type']).toMatch(/problem\+json/);
    });
    it('rejects invalid tenants listing every field', async () => {
      const res = await api.http
        .post(`${V1}/tenants`)
        .set(admin)
        .send({ name: 3, domain: 'x.example', activationWindow: 'always', extra: 1 })
        .expect(400);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(
        expect.arrayContaining(['name', 'customerNumber', 'activationWindow', 'extra']),
      );
    });
    it('issues keys shown once, stored hashed, revocable', async () => {
      const key = await api.http
        .post(`${V1}/tenants/${t.id}/api-keys`)
        .set(admin)
        .send({ name: 'temp', role: 'auditor' })
        .expect(201);
      expect(key.body.token).toMatch(/^rpk_/);
      const events = await api.store.readStream(`platform/api-key/${key.body.id}`);
      expect(JSON.stringify(events)).not.toContain(key.body.token);
      await api.http.get(`${V1}/servers`).set(bearer(key.body.token)).expect(200);
      const list = await api.http.get(`${V1}/tenants/${t.id}/api-keys`).set(admin).expect(200);
      expect(JSON.stringify(list.body)).not.toContain(key.body.token);
      await api.http.delete(`${V1}/tenants/${t.id}/api-keys/${key.body.id}`).set(admin).expect(200);
      await api.http.get(`${V1}/servers`).set(bearer(key.body.token)).expect(401);
      await api.http.delete(`${V1}/tenants/${other.id}/api-keys/${key.body.id}`).set(admin).expect(404);
    });
    it('401 without or with a bad token; 403 for tenant keys on platform routes', async () => {
      await api.http.get(`${V1}/servers`).expect(401);
      const bad = await api.http.get(`${V1}/servers`).set(bearer('nope')).expect(401);
      expect(bad.headers['content-type']).toMatch(/problem\+json/);
      await api.http
        .post(`${V1}/tenants`)
        .set(bearer(t.manager))
        .send({ name: 'x', customerNumber: 'y', domain: 'z.example' })
        .expect(403);
      await api.http.get(`${V1}/tenants/${t.id}`).set(bearer(t.auditor)).expect(200);
      await api.http.get(`${V1}/tenants/${other.id}`).set(bearer(t.auditor)).expect(404);
      await api.http.get(`${V1}/servers`).set(admin).expect(403);
      await api.http.get('/health').expect(200);
    });
  });

  describe('server lifecycle', () => {
    it('enrols, evolves, decommissions; history shows each evolution in order with its actor', async () => {
      const m = bearer(t.manager);
      const db = await api.http.post(`${V1}/servers`).set(m).send(server('life-db')).expect(201);
      const web = await api.http
        .post(`${V1}/servers`)
        .set(m)
        .send(server('Life-Web', { dependsOn: ['LIFE-DB'] }))
        .expect(201);
      expect(web.body).toMatchObject({
        hostname: 'life-web',
        dependsOn: ['life-db'],
        status: 'active',
        version: 0,
      });
      const id = web.body.id;
      const steps: Array<[string, string, unknown]> = [
        ['put', `protection-class`, { protectionClass: 'backup-with-tests' }],
        ['put', `protection-class`, { protectionClass: 'drp' }],
        ['put', `dependencies`, { dependsOn: [] }],
        ['put', `template`, { vcpu: 8, ramGiB: 32 }],
        ['post', `disks`, { name: 'data', sizeGiB: 200 }],
        ['put', `disks/data`, { sizeGiB: 400 }],
        ['delete', `disks/data`, undefined],
        ['put', `os`, { family: 'linux', name: 'Ubuntu', version: '26.04' }],
        ['put', `recovery-objectives`, { rtoMinutes: 120, rpoMinutes: 60, recoveryMethod: 'vm-replication' }],
      ];
      let version = 0;
      for (const [method, path, body] of steps) {
        const req = (api.http as unknown as Record<string, (u: string) => import('supertest').Test>)
          [method](`${V1}/servers/${id}/${path}`)
          .set(m);
        const res = await (body === undefined ? req : req.send(body as object));
        expect([res.status, path]).toEqual([200, path]);
        expect(res.body.version).toBe(version + 1);
        version = res.body.version;
      }
      const dec = await api.http.delete(`${V1}/servers/${id}`).set(m).expect(200);
      expect(dec.body.status).toBe('decommissioned');
      const history = await api.http.get(`${V1}/servers/${id}/history`).set(bearer(t.auditor)).expect(200);
      expect(history.body.map((h: { type: string }) => h.type)).toEqual([
        'ServerEnrolled',
        'ProtectionClassChanged',
        'ProtectionClassChanged',
        'DependenciesChanged',
        'TemplateChanged',
        'DiskAdded',
        'DiskResized',
        'DiskRemoved',
        'OsChanged',
        'RecoveryObjectivesChanged',
        'ServerDecommissioned',
      ]);
      expect(history.body.map((h: { seq: number }) => h.seq)).toEqual([...Array(11).keys()]);
      expect(history.body[0]).toMatchObject({
        actor: expect.stringMatching(/^api-key:/),
        role: 'dr-manager',
        at: expect.any(String),
      });
      // hostname reusable after decommission, and the old server is still readable
      await api.http.post(`${V1}/servers`).set(m).send(server('life-web')).expect(201);
      await api.http.get(`${V1}/servers/${id}`).set(m).expect(200);
      const decommissioned = await api.http.get(`${V1}/servers?status=decommissioned`).set(m).expect(200);
      expect(decommissioned.body.items.map((s: { id: string }) => s.id)).toContain(id);
      // further writes on a decommissioned server: 409
      await api.http.put(`${V1}/servers/${id}/template`).set(m).send({ vcpu: 1, ramGiB: 1 }).expect(409);
      expect(db.body.id).toBeDefined();
    });

    it('enforces hostname uniqueness, the drp rule, cycles naming the cycle, dependents on decommission', async () => {
      const m = bearer(t.manager);
      const db = await api.http.post(`${V1}/servers`).set(m).send(server('cy-db')).expect(201);
      await api.http.post(`${V1}/servers`).set(m).send(server('cy-db')).expect(409);
      const app = await api.http
        .post(`${V1}/servers`)
        .set(m)
        .send(server('cy-app', { dependsOn: ['cy-db'] }))
        .expect(201);
      await api.http
        .post(`${V1}/servers`)
        .set(m)
        .send(server('cy-web', { dependsOn: ['cy-app'] }))
        .expect(201);
      const cycle = await api.http
        .put(`${V1}/servers/${db.body.id}/dependencies`)
        .set(m)
        .send({ dependsOn: ['cy-web'] })
        .expect(422);
      expect(cycle.body.cycle).toEqual(['cy-db', 'cy-web', 'cy-app', 'cy-db']);
      await api.http
        .post(`${V1}/servers`)
        .set(m)
        .send(server('cy-bk', { protectionClass: 'backup-only' }))
        .expect(201);
      const drp = await api.http
        .put(`${V1}/servers/${app.body.id}/dependencies`)
        .set(m)
        .send({ dependsOn: ['cy-db', 'cy-bk'] })
        .expect(422);
      expect(drp.body.code).toBe('drp-depends-on-non-drp');
      const leave = await api.http
        .put(`${V1}/servers/${db.body.id}/protection-class`)
        .set(m)
        .send({ protectionClass: 'backup-only' })
        .expect(422);
      expect(leave.body.dependents).toEqual(['cy-app']);
      const dec = await api.http.delete(`${V1}/servers/${db.body.id}`).set(m).expect(409);
      expect(dec.body.dependents).toEqual(['cy-app']);
      await api.http
        .post(`${V1}/servers`)
        .set(m)
        .send(server('cy-x', { dependsOn: ['ghost'] }))
        .expect(422);
      const old = await api.http
        .post(`${V1}/servers`)
        .set(m)
        .send(server('cy-old', { os: { family: 'windows', name: 'Windows Server', version: '2008' } }))
        .expect(422);
      expect(old.body.detail).toMatch(/agentless/);
      await api.http
        .post(`${V1}/servers`)
        .set(m)
        .send(
          server('cy-old', {
            os: { family: 'windows', name: 'Windows Server', version: '2008' },
            backupMode: 'agentless',
          }),
        )
        .expect(201);
      await api.http
        .post(`${V1}/servers`)
        .set(m)
        .send(server('cy-cloud', { platform: 'public-cloud', backupMode: 'agentless' }))
        .expect(422);
    });

    it('If-Match makes writes conditional; two concurrent conflicting writes: one wins, one 409', async () => {
      const m = bearer(t.manager);
      const s = await api.http.post(`${V1}/servers`).set(m).send(server('cc-1')).expect(201);
      await api.http
        .put(`${V1}/servers/${s.body.id}/template`)
        .set(m)
        .set('If-Match', '7')
        .send({ vcpu: 4, ramGiB: 8 })
        .expect(409);
      const before = await api.eventCount();
      const [a, b] = await Promise.all([
        api.http
          .put(`${V1}/servers/${s.body.id}/template`)
          .set(m)
          .set('If-Match', '0')
          .send({ vcpu: 4, ramGiB: 8 }),
        api.http
          .put(`${V1}/servers/${s.body.id}/template`)
          .set(m)
          .set('If-Match', '0')
          .send({ vcpu: 16, ramGiB: 64 }),
      ]);
      expect([a.status, b.status].sort()).toEqual([200, 409]);
      expect(await api.eventCount()).toBe(before + 1);
      const [x, y] = await Promise.all([
        api.http
          .post(`${V1}/servers/${s.body.id}/disks`)
          .set(m)
          .set('If-Match', '1')
          .send({ name: 'd1', sizeGiB: 1 }),
        api.http
          .post(`${V1}/servers/${s.body.id}/disks`)
          .set(m)
          .set('If-Match', '1')
          .send({ name: 'd2', sizeGiB: 1 }),
      ]);
      expect([x.status, y.status].sort()).toEqual([200, 409]);
      const final = await api.http.get(`${V1}/servers/${s.body.id}`).set(m).expect(200);
      expect(final.body.version).toBe(2);
      // two concurrent enrolments of one hostname: one 201, one 409
      const [e1, e2] = await Promise.all([
        api.http.post(`${V1}/servers`).set(m).send(server('cc-2')),
        api.http.post(`${V1}/servers`).set(m).send(server('cc-2')),
      ]);
      expect([e1.status, e2.status].sort()).toEqual([201, 409]);
    });
  });

  describe('bad input never changes anything', () => {
    const bad: Array<[string, string, string, unknown, string[]]> = [
      [
        'missing fields',
        'post',
        '/servers',
        { hostname: 'x' },
        ['kind', 'platform', 'os', 'backupMode', 'template', 'disks', 'protectionClass'],
      ],
      [
        'wrong types',
        'post',
        '/servers',
        server('wt', { template: { vcpu: '2', ramGiB: 'big' }, disks: 'sda' }),
        ['template.vcpu', 'template.ramGiB', 'disks'],
      ],
      [
        'unknown enums',
        'post',
        '/servers',
        server('ue', {
          kind: 'cloud',
          platform: 'xen',
          protectionClass: 'gold',
          backupMode: 'magic',
          os: { family: 'bsd', name: 'x', version: '1' },
        }),
        ['kind', 'platform', 'protectionClass', 'backupMode', 'os.family'],
      ],
      [
        'unknown fields',
        'post',
        '/servers',
        server('uf', { colour: 'red', template: { vcpu: 1, ramGiB: 1, gpu: 1 } }),
        ['colour', 'template.gpu'],
      ],
      [
        'out of bounds',
        'post',
        '/servers',
        server('ob', { template: { vcpu: 0, ramGiB: 5000 }, disks: [{ name: 'a', sizeGiB: 70000 }] }),
        ['template.vcpu', 'template.ramGiB', 'disks[0].sizeGiB'],
      ],
      ['bad hostname', 'post', '/servers', server('bad_host!'), ['hostname']],
      ['no disks', 'post', '/servers', server('nd', { disks: [] }), ['disks']],
      [
        'class enum',
        'put',
        '/servers/:id/protection-class',
        { protectionClass: 'gold' },
        ['protectionClass'],
      ],
      ['deps type', 'put', '/servers/:id/dependencies', { dependsOn: 'x' }, ['dependsOn']],
      ['template', 'put', '/servers/:id/template', { vcpu: 1.5 }, ['vcpu', 'ramGiB']],
      ['disk', 'post', '/servers/:id/disks', { name: '', sizeGiB: -1 }, ['name', 'sizeGiB']],
      ['resize', 'put', '/servers/:id/disks/system', { sizeGiB: 'x' }, ['sizeGiB']],
      ['os', 'put', '/servers/:id/os', { family: 'amiga' }, ['family', 'name', 'version']],
      [
        'persons',
        'put',
        '/plan/authorised-persons',
        [{ name: 'A', email: 'not-mail', extra: 1 }],
        ['[0].email', '[0].extra'],
      ],
      ['persons not array', 'put', '/plan/authorised-persons', { name: 'A' }, ['body']],
      [
        'import rows',
        'post',
        '/servers:import',
        [server('ok-row'), { hostname: 3 }],
        ['[1].hostname', '[1].kind'],
      ],
      ['api key role', 'post', '/tenants/:tenant/api-keys', { name: 'x', role: 'root' }, ['role']],
    ];
    let serverId: string;
    beforeAll(async () => {
      serverId = (
        await api.http
          .post(`${V1}/servers`)
          .set(bearer(t.manager))
          .send(server('bad-input-target'))
          .expect(201)
      ).body.id;
    });
    it.each(bad)('%s → 400 naming the fields', async (_label, method, path, body, fields) => {
      const token = path.startsWith('/tenants') ? admin : bearer(t.manager);
      const url = `${V1}${path.replace(':id', serverId).replace(':tenant', t.id)}`;
      const before = await api.eventCount();
      const res = await (api.http as unknown as Record<string, (u: string) => import('supertest').Test>)
        [method](url)
        .set(token)
        .send(body as object);
      expect(res.status).toBe(400);
      expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(expect.arrayContaining(fields));
      expect(await api.eventCount()).toBe(before);
    });
    it.each([
      ['post', '/servers'],
      ['put', '/servers/:id/template'],
      ['put', '/plan/authorised-persons'],
      ['post', '/servers:import'],
      ['post', '/tenants'],
    ])('%s %s: malformed JSON → 400, oversized → 413', async (method, path) => {
      const token = path.startsWith('/tenants') ? admin : bearer(t.manager);
      const url = `${V1}${path.replace(':id', serverId)}`;
      const before = await api.eventCount();
      const call = () =>
        (api.http as unknown as Record<string, (u: string) => import('supertest').Test>)
          [method](url)
          .set(token)
          .set('Content-Type', 'application/json');
      const malformed = await call().send('{"hostname": ');
      expect(malformed.status).toBe(400);
      expect(malformed.headers['content-type']).toMatch(/problem\+json/);
      expect(malformed.body).toMatchObject({
        status: 400,
        code: 'malformed-json',
        errors: [{ field: 'body', message: 'malformed JSON' }],
      });
      const big = await call().send(JSON.stringify({ hostname: 'x'.repeat(1_100_000) }));
      expect(big.status).toBe(413);
      expect(big.headers['content-type']).toMatch(/problem\+json/);
      expect(await api.eventCount()).toBe(before);
    });
    it('bad If-Match → 400; malformed ids → 400 naming the id; unknown ids → 404', async () => {
      await api.http
        .put(`${V1}/servers/${serverId}/template`)
        .set(bearer(t.manager))
        .set('If-Match', 'abc')
        .send({ vcpu: 2, ramGiB: 2 })
        .expect(400);
      const malformed = await api.http.get(`${V1}/servers/not-a-uuid`).set(bearer(t.manager)).expect(400);
      expect(malformed.body.errors).toEqual([{ field: 'id', message: expect.stringContaining('UUID') }]);
      await api.http
        .get(`${V1}/servers/00000000-0000-4000-8000-000000000000`)
        .set(bearer(t.manager))
        .expect(404);
      await api.http.delete(`${V1}/servers/${serverId}/disks/nope`).set(bearer(t.manager)).expect(404);
      await api.http.get(`${V1}/servers?status=gone`).set(bearer(t.manager)).expect(400);
    });
  });

  describe('roles and isolation', () => {
    let mine: string;
    beforeAll(async () => {
      mine = (await api.http.post(`${V1}/servers`).set(bearer(t.manager)).send(server('iso-1')).expect(201))
        .body.id;
    });
    const writes = (id: string): Array<[string, string, unknown]> => [
      ['post', `/servers`, server('iso-new')],
      ['post', `/servers:import`, [server('iso-imp')]],
      ['put', `/servers/${id}/protection-class`, { protectionClass: 'backup-only' }],
      ['put', `/servers/${id}/dependencies`, { dependsOn: [] }],
      ['put', `/servers/${id}/template`, { vcpu: 3, ramGiB: 3 }],
      ['post', `/servers/${id}/disks`, { name: 'iso', sizeGiB: 1 }],
      ['put', `/servers/${id}/disks/system`, { sizeGiB: 77 }],
      ['delete', `/servers/${id}/disks/system`, undefined],
      ['put', `/servers/${id}/os`, { family: 'linux', name: 'Debian', version: '12' }],
      ['put', `/servers/${id}/recovery-objectives`, { rtoMinutes: 5 }],
      ['post', `/servers/${id}/archive`, undefined],
      ['delete', `/servers/${id}`, undefined],
      ['put', `/plan/authorised-persons`, [{ name: 'X', email: 'x@x.io' }]],
    ];
    const call = (method: string, path: string, token: string, body: unknown) => {
      const req = (api.http as unknown as Record<string, (u: string) => import('supertest').Test>)
        [method](`${V1}${path}`)
        .set(bearer(token));
      return body === undefined ? req : req.send(body as object);
    };
    it('auditor and scheduler cannot write the estate or the plan (403), nothing changes', async () => {
      const before = await api.eventCount();
      for (const [method, path, body] of writes(mine)) {
        for (const token of [t.auditor, t.scheduler]) {
          const res = await call(method, path, token, body);
          expect([res.status, method, path]).toEqual([403, method, path]);
        }
      }
      expect(await api.eventCount()).toBe(before);
    });
    it("another tenant's ids answer 404 for every route; lists do not leak", async () => {
      const before = await api.eventCount();
      for (const [method, path, body] of writes(mine).filter(([, p]) => p.includes(mine))) {
        const res = await call(method, path, other.manager, body);
        expect([res.status, method, path]).toEqual([404, method, path]);
      }
      for (const path of [`/servers/${mine}`, `/servers/${mine}/history`])
        expect((await call('get', path, other.auditor, undefined)).status).toBe(404);
      expect(await api.eventCount()).toBe(before);
      const list = await call('get', '/servers', other.auditor, undefined);
      expect(list.body.items.map((s: { hostname: string }) => s.hostname)).not.toContain('iso-1');
      // other tenant may use the same hostname; dependencies never cross tenants
      await call('post', '/servers', other.manager, server('iso-1')).expect(201);
      const cross = await call('post', '/servers', other.manager, server('iso-2', { dependsOn: ['cy-db'] }));
      expect(cross.status).toBe(422);
      const plan = await call('get', '/plan', other.auditor, undefined);
      expect(plan.body.servers.map((s: { hostname: string }) => s.hostname)).toEqual(['iso-1']);
    });
  });

  describe('bulk import', () => {
    it('imports a JSON array with dependencies between rows, all or none', async () => {
      const m = bearer(t.manager);
      const rows = [
        server('imp-web', { dependsOn: ['imp-app'] }),
        server('imp-app', { dependsOn: ['imp-db'] }),
        server('imp-db'),
      ];
      const ok = await api.http.post(`${V1}/servers:import`).set(m).send(rows).expect(201);
      expect(ok.body.imported).toBe(3);
      const before = await api.eventCount();
      const bad = await api.http
        .post(`${V1}/servers:import`)
        .set(m)
        .send([
          server('imp-2a'),
          server('imp-db'),
          server('imp-2c', { platform: 'physical', kind: 'physical', backupMode: 'agentless' }),
          server('imp-2a'),
        ])
        .expect(422); // a broken rule is judged before the conflict with existing servers
      expect(bad.body.rows.map((r: { row: number }) => r.row)).toEqual([1, 2, 3]);
      const duplicates = await api.http
        .post(`${V1}/servers:import`)
        .set(m)
        .send([server('imp-2a'), server('imp-db'), server('imp-2a')])
        .expect(409);
      expect(duplicates.body.rows.map((r: { row: number }) => r.row)).toEqual([1, 2]);
      expect(await api.eventCount()).toBe(before);
      const cyc = await api.http
        .post(`${V1}/servers:import`)
        .set(m)
        .send([server('c-a', { dependsOn: ['c-b'] }), server('c-b', { dependsOn: ['c-a'] })])
        .expect(422);
      expect(cyc.body.cycle).toEqual(['c-a', 'c-b', 'c-a']);
      expect(await api.eventCount()).toBe(before);
    });
    it('imports CSV', async () => {
      const csv = [
        'hostname,kind,platform,osFamily,osName,osVersion,backupMode,vcpu,ramGiB,disks,protectionClass,dependsOn,applications',
        'csv-db,virtual,vmware,windows,Windows Server,2022,agent,4,16,c:80;d:500,drp,,sql-server:2019',
        'csv-app,virtual,hyper-v,linux,"Red Hat Enterprise Linux",9.2,agent,2,8,root:40,drp,csv-db,',
      ].join('\n');
      const res = await api.http
        .post(`${V1}/servers:import`)
        .set(bearer(t.manager))
        .set('Content-Type', 'text/csv')
        .send(csv)
        .expect(201);
      expect(res.body.imported).toBe(2);
      const db = await api.http.get(`${V1}/servers?protectionClass=drp`).set(bearer(t.manager)).expect(200);
      expect(db.body.items.find((s: { hostname: string }) => s.hostname === 'csv-db')).toMatchObject({
        disks: [
          { name: 'c', sizeGiB: 80 },
          { name: 'd', sizeGiB: 500 },
        ],
        applications: [{ kind: 'sql-server', version: '2019' }],
      });
      const bad = await api.http
        .post(`${V1}/servers:import`)
        .set(bearer(t.manager))
        .set('Content-Type', 'text/csv')
        .send('hostname,kind\nx,virtual')
        .expect(400);
      expect(bad.body.errors.map((e: { field: string }) => e.field)).toContain('header.platform');
    });
  });

  describe('plan', () => {
    it('authorised persons, plan and readiness check', async () => {
      const m = bearer(other.manager);
      const before = await api.http.post(`${V1}/plan/check`).set(m).expect(200);
      expect(before.body.ready).toBe(false);
      expect(before.body.findings.map((f: { code: string }) => f.code)).toContain('no-authorised-person');
      const set = await api.http
        .put(`${V1}/plan/authorised-persons`)
        .set(m)
        .send([{ name: 'Alice', email: 'alice@other.example', phone: '+33 1 23 45 67 89' }])
        .expect(200);
      expect(set.body).toMatchObject({
        version: 0,
        authorisedPersons: [{ name: 'Alice', email: 'alice@other.example' }],
      });
      await api.http.put(`${V1}/plan/authorised-persons`).set(m).set('If-Match', '5').send([]).expect(409);
      const db = await api.http
        .post(`${V1}/servers`)
        .set(m)
        .send(server('p-db', { disks: [{ name: 'd', sizeGiB: 500 }] }))
        .expect(201);
      await api.http
        .post(`${V1}/servers`)
        .set(m)
        .send(server('p-app', { dependsOn: ['p-db'] }))
        .expect(201);
      const plan = await api.http.get(`${V1}/plan`).set(bearer(other.scheduler)).expect(200);
      expect(plan.body.bootWaves).toEqual([['iso-1', 'p-db'], ['p-app']]);
      expect(plan.body.criticalPath).toEqual(['p-db', 'p-app']);
      // 500 GiB through the recovery space's shared 60 GiB/min, then boot and analysis, then p-app.
      expect(plan.body.predictedRtoMinutes).toBeGreaterThan(500 / 60 + 6);
      const ready = await api.http.post(`${V1}/plan/check`).set(bearer(other.auditor)).expect(200);
      // No recovery cloud runs in this file: its two checks say so, and nothing else is found.
      expect(ready.body.ready).toBe(true);
      expect(ready.body.findings.filter((f: { code: string }) => f.code !== 'check-unavailable')).toEqual([]);
      expect(db.body.id).toBeDefined();
    });
  });

  describe('projections', () => {
    it('rebuilding each projection from scratch gives the same read model', async () => {
      const runner = api.app.get<ProjectionRunner>(READ_MODELS);
      const dump = () => ({
        servers: runner.db
          .prepare(
            'SELECT id, tenant_id, hostname, protection_class, status, version, depends_on, state FROM servers ORDER BY id',
          )
          .all(),
        plans: runner.db.prepare('SELECT * FROM plans ORDER BY tenant_id').all(),
        tenants: runner.db.prepare('SELECT * FROM tenants ORDER BY id').all(),
        keys: runner.db.prepare('SELECT * FROM api_keys ORDER BY key_id').all(),
      });
      const live = dump();
      expect(live.servers.length).toBeGreaterThan(10);
      for (const name of ['servers', 'plans', 'tenants', 'api-keys']) await runner.rebuild(name);
      expect(dump()).toEqual(live);
    });
  });

  it('documents the routes in OpenAPI', async () => {
    const doc = await api.http.get('/docs/openapi.json').expect(200);
    for (const path of [
      '/api/v1/servers',
      '/api/v1/servers:import',
      '/api/v1/servers/{id}/dependencies',
      '/api/v1/plan',
      '/api/v1/plan/check',
      '/api/v1/tenants/{id}/api-keys',
    ])
      expect(Object.keys(doc.body.paths)).toContain(path);
  });
});
