import { startApi, type ApiHarness } from '../support/api-harness';
import { bearer, createTenant, server, type TenantFixture } from './support';

const V1 = '/api/v1';

const csv = (rows: string[]) =>
  [
    'hostname,kind,platform,osFamily,osName,osVersion,backupMode,vcpu,ramGiB,disks,protectionClass,dependsOn',
    ...rows,
  ].join('\n');

/**
 * `POST /servers:import?validateOnly=true`, the console's preview: every check the import runs, the
 * same answer when something is wrong, the servers it would enrol when all is right, and never a
 * write; then the same body imported for real enrols exactly what the preview showed.
 */
describe('bulk import preview (e2e)', () => {
  let api: ApiHarness;
  let t: TenantFixture;

  beforeAll(async () => {
    api = await startApi();
    t = await createTenant(api);
    await api.http.post(`${V1}/servers`).set(bearer(t.manager)).send(server('pv-db')).expect(201);
  });
  afterAll(() => api?.close());

  const preview = (body: string) =>
    api.http
      .post(`${V1}/servers:import?validateOnly=true`)
      .set(bearer(t.manager))
      .set('content-type', 'text/csv')
      .send(body);

  it('lists what a valid inventory would enrol, writes nothing, and the import then enrols just that', async () => {
    const body = csv([
      'pv-app,virtual,vmware,linux,Ubuntu,24.04,agent,4,16,system:60;data:200,drp,pv-db',
      'pv-web,virtual,vmware,linux,Ubuntu,24.04,agent,2,4,system:40,drp,pv-app',
    ]);
    const before = await api.eventCount();
    const res = await preview(body).expect(200);
    expect(res.body).toMatchObject({ validateOnly: true, imported: 0 });
    expect(res.body.items).toEqual([
      expect.objectContaining({ row: 0, hostname: 'pv-app', dependsOn: ['pv-db'], protectionClass: 'drp' }),
      expect.objectContaining({ row: 1, hostname: 'pv-web', dependsOn: ['pv-app'] }),
    ]);
    expect(res.body.items[0].disks).toEqual([
      { name: 'system', sizeGiB: 60 },
      { name: 'data', sizeGiB: 200 },
    ]);
    expect(await api.eventCount()).toBe(before);
    const list = await api.http.get(`${V1}/servers`).set(bearer(t.manager)).expect(200);
    expect(list.body.items.map((s: { hostname: string }) => s.hostname)).toEqual(['pv-db']);

    const imported = await api.http
      .post(`${V1}/servers:import`)
      .set(bearer(t.manager))
      .set('content-type', 'text/csv')
      .send(body)
      .expect(201);
    expect(imported.body.items.map((s: { hostname: string }) => s.hostname)).toEqual(['pv-app', 'pv-web']);
  });

  it('answers a wrong inventory exactly as the import would (rows and fields), and writes nothing', async () => {
    const body = csv([
      'pv-new,virtual,vmware,linux,Ubuntu,24.04,agent,2,4,system:40,drp,',
      'pv-db,virtual,vmware,linux,Ubuntu,24.04,agent,2,4,system:40,drp,',
      'pv-bad,virtual,vmware,linux,Ubuntu,24.04,agent,two,4,system:40,drp,',
    ]);
    const before = await api.eventCount();
    const checked = await preview(body);
    const real = await api.http
      .post(`${V1}/servers:import`)
      .set(bearer(t.manager))
      .set('content-type', 'text/csv')
      .send(body);
    expect(checked.status).toBeGreaterThanOrEqual(400);
    expect(checked.status).toBe(real.status);
    expect(checked.body.rows).toEqual(real.body.rows);
    // Every wrong row is named by line and field: the duplicate of an enrolled server, the bad vCPU.
    expect(checked.body.rows).toEqual([
      expect.objectContaining({
        row: 1,
        hostname: 'pv-db',
        errors: [expect.objectContaining({ field: '[1].hostname', code: 'duplicate-hostname' })],
      }),
      expect.objectContaining({
        row: 2,
        hostname: 'pv-bad',
        errors: expect.arrayContaining([expect.objectContaining({ field: '[2].template.vcpu' })]),
      }),
    ]);
    expect(await api.eventCount()).toBe(before);
  });

  it('refuses an unknown validateOnly value by name', async () => {
    const res = await api.http
      .post(`${V1}/servers:import?validateOnly=yes`)
      .set(bearer(t.manager))
      .send([server('pv-x')])
      .expect(400);
    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'validateOnly' })]);
  });
});
