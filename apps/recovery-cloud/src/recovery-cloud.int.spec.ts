import request from 'supertest';
import { type RunningRecoveryCloud, startRecoveryCloud } from './recovery-cloud.app';

const TENANT = 'tenant-a';
let cloud: RunningRecoveryCloud;
let keySeq = 0;
const key = () => `it-key-${++keySeq}`;

beforeAll(async () => {
  // Scale 1: simulated time barely moves on its own; tests move it with /sim/v1/clock/advance.
  cloud = await startRecoveryCloud({ seed: 42, timeScale: 1, startAt: '2026-03-02T10:00:00.000Z' });
});
afterAll(async () => cloud.close());
beforeEach(async () => {
  await request(cloud.url).post('/sim/v1/reset').send({}).expect(200);
});

const http = () => request(cloud.url);
const advance = (minutes: number) => http().post('/sim/v1/clock/advance').send({ minutes }).expect(200);
const op = async (id: string) => (await http().get(`/cloud/v1/operations/${id}`).expect(200)).body;
const post = (path: string, body: object, idempotencyKey: string | null = key()) => {
  const r = http().post(`/cloud/v1/tenants/${TENANT}${path}`);
  return (idempotencyKey ? r.set('Idempotency-Key', idempotencyKey) : r).send(body);
};

async function register(serverId: string, extra: object = {}) {
  const res = await post('/protected-servers', {
    serverId,
    hostname: `${serverId}.corp`,
    osFamily: 'linux',
    disks: [{ name: 'system', sizeGiB: 50 }],
    template: { vcpu: 2, ramGiB: 8 },
    ...extra,
  }).expect(202);
  expect(res.body.status).toBe('succeeded');
}

/** Restores, creates and powers on one server; returns the VM id and the power-on operation. */
async function bringUp(serverId: string, activationId: string) {
  const restore = (await post('/restores', { activationId, serverId, diskName: 'system' }).expect(202)).body;
  await advance(60);
  expect((await op(restore.operationId)).status).toBe('succeeded');
  const create = (await post('/servers', { activationId, serverId }).expect(202)).body;
  await advance(5);
  const created = await op(create.operationId);
  expect(created.status).toBe('succeeded');
  const boot = (await post(`/servers/${created.result.vmId}/power-on`, {}).expect(202)).body;
  await advance(30);
  return { vmId: created.result.vmId as string, boot: await op(boot.operationId) };
}

describe('provider API: idempotency', () => {
  it('refuses a mutating call without Idempotency-Key', async () => {
    const res = await post('/networks', { activationId: 'a1' }, null).expect(400);
    expect(res.body.code).toBe('idempotency-key-required');
  });

  it('a retry with the same key returns the same operation and counts a duplicate', async () => {
    await register('srv1');
    const body = { activationId: 'a1', serverId: 'srv1', diskName: 'system' };
    const first = await post('/restores', body, 'restore-a1-srv1-system-1').expect(202);
    const again = await post('/restores', body, 'restore-a1-srv1-system-1').expect(202);
    expect(again.body.operationId).toBe(first.body.operationId);
    expect(again.headers['idempotent-replayed']).toBe('true');
    const conflict = await post(
      '/restores',
      { ...body, diskName: 'other' },
      'restore-a1-srv1-system-1',
    ).expect(422);
    expect(conflict.body.code).toBe('idempotency-key-reused');

    let stats = (await http().get('/sim/v1/stats').expect(200)).body;
    expect(stats.restoreRequests).toBe(2);
    expect(stats.duplicateRestoreRequests).toBe(1);
    expect(stats.operationsByKind['restore-disk']).toBe(1);

    // Same disk of the same activation under another key: also a duplicate, and a second disk left.
    await post('/restores', body, 'restore-a1-srv1-system-2').expect(202);
    stats = (await http().get('/sim/v1/stats').expect(200)).body;
    expect(stats.duplicateRestoreRequests).toBe(2);
    expect(stats.duplicateRestoresSameDisk).toBe(1);
    expect(stats.resourcesByActivation.a1.disks).toBe(2);
  });

  it('validates bodies and answers 404 for unknown servers', async () => {
    const bad = await post('/protected-servers', { serverId: 'x', osFamily: 'beos' }).expect(400);
    expect(bad.body.code).toBe('invalid-request');
    expect(bad.body.message).toContain('osFamily');
    const missing = await post('/restores', {
      activationId: 'a1',
      serverId: 'nope',
      diskName: 'system',
    }).expect(404);
    expect(missing.body.code).toBe('server-not-registered');
  });
});

describe('provider API: lifecycle and teardown', () => {
  it('lists restore points, brings a server up, analyses it, and teardown leaves nothing listed', async () => {
    await register('web1');
    await register('web2');
    const points = (
      await http().get(`/cloud/v1/tenants/${TENANT}/protected-servers/web1/restore-points`).expect(200)
    ).body;
    expect(points.total).toBeGreaterThan(24);
    expect(points.newest.ageMinutes).toBeLessThan(60);

    const net = (await post('/networks', { activationId: 'act-1' }).expect(202)).body;
    await advance(3);
    const network = await op(net.operationId);
    expect(network.status).toBe('succeeded');
    await post('/ncas', { activationId: 'act-1', networkId: network.result.networkId }).expect(202);
    await post('/vpns', { activationId: 'act-1', networkId: network.result.networkId, site: 'paris' }).expect(
      202,
    );

    const { vmId, boot } = await bringUp('web1', 'act-1');
    expect(boot.status).toBe('succeeded');
    expect(boot.result.state).toBe('running');
    const analysis = (await post(`/servers/${vmId}/analyse`, {}).expect(202)).body;
    await advance(10);
    expect((await op(analysis.operationId)).result.health).toBe('ok');
    // another activation of the same tenant, untouched by the teardown
    await post('/restores', { activationId: 'act-2', serverId: 'web2', diskName: 'system' }).expect(202);

    let stats = (await http().get('/sim/v1/stats').expect(200)).body;
    expect(stats.serversRunning).toBe(1);
    const before = (await http().get(`/cloud/v1/tenants/${TENANT}/resources?activationId=act-1`).expect(200))
      .body;
    expect(before.items.map((r: { kind: string }) => r.kind).sort()).toEqual([
      'disk',
      'nca',
      'network',
      'server',
      'vpn',
    ]);

    const teardown = (await post('/activations/act-1/teardown', {}).expect(202)).body;
    await advance(5);
    expect((await op(teardown.operationId)).status).toBe('succeeded');
    const after = (await http().get(`/cloud/v1/tenants/${TENANT}/resources?activationId=act-1`).expect(200))
      .body;
    expect(after).toEqual({ items: [], total: 0 });
    stats = (await http().get('/sim/v1/stats').expect(200)).body;
    expect(stats.serversRunning).toBe(0);
    expect(stats.resourcesByActivation['act-1']).toBeUndefined();
    expect(stats.resourcesByActivation['act-2'].disks).toBe(1);
    // other tenants see nothing
    expect((await http().get('/cloud/v1/tenants/tenant-b/resources').expect(200)).body.total).toBe(0);
  });

  it('teardown cancels steps still running in the activation', async () => {
    await register('db1', { disks: [{ name: 'system', sizeGiB: 5000 }] });
    const restore = (
      await post('/restores', { activationId: 'act-9', serverId: 'db1', diskName: 'system' }).expect(202)
    ).body;
    await post('/activations/act-9/teardown', {}).expect(202);
    const cancelled = await op(restore.operationId);
    expect(cancelled.status).toBe('failed');
    expect(cancelled.error.code).toBe('cancelled');
    await advance(5);
    expect(
      (await http().get(`/cloud/v1/tenants/${TENANT}/resources?activationId=act-9`).expect(200)).body.total,
    ).toBe(0);
  });

  it('vm-replication replicas power on in minutes; storage replication presents a LUN then boots', async () => {
    await register('rep1', { recoveryMethod: 'vm-replication' });
    await register('lun1', { recoveryMethod: 'storage-replication' });
    const replica = (await post('/replicas/power-on', { activationId: 'a1', serverId: 'rep1' }).expect(202))
      .body;
    const lun = (await post('/luns/present', { activationId: 'a1', serverId: 'lun1' }).expect(202)).body;
    await advance(15);
    const replicaOp = await op(replica.operationId);
    expect(replicaOp.status).toBe('succeeded');
    expect(replicaOp.result.rpoMinutes).toBeLessThanOrEqual(60);
    expect((await op(lun.operationId)).status).toBe('running');
    await advance(60);
    const presented = await op(lun.operationId);
    expect(presented.result.rpoMinutes).toBeLessThanOrEqual(15);
    const create = (
      await post('/servers', { activationId: 'a1', serverId: 'lun1', lunId: presented.result.lunId }).expect(
        202,
      )
    ).body;
    await advance(2);
    expect((await op(create.operationId)).status).toBe('succeeded');
  });
});

describe('faults', () => {
  it('restore-failure fails the restore N times, then restores work again', async () => {
    await register('f1');
    await http()
      .post('/sim/v1/faults')
      .send({ hostname: 'f1.corp', fault: 'restore-failure', times: 1 })
      .expect(201);
    const a = (
      await post('/restores', { activationId: 'a1', serverId: 'f1', diskName: 'system' }).expect(202)
    ).body;
    await advance(60);
    const failed = await op(a.operationId);
    expect(failed.status).toBe('failed');
    expect(failed.error.code).toBe('restore-failure');
    expect(failed.error.message).toContain('f1.corp');
    const b = (
      await post('/restores', { activationId: 'a1', serverId: 'f1', diskName: 'system' }).expect(202)
    ).body;
    await advance(60);
    expect((await op(b.operationId)).status).toBe('succeeded');
  });

  it('boot-failure fails the power-on with a reason', async () => {
    await register('f2');
    await http().post('/sim/v1/faults').send({ hostname: 'f2.corp', fault: 'boot-failure' }).expect(201);
    const { boot } = await bringUp('f2', 'a1');
    expect(boot.status).toBe('failed');
    expect(boot.error.code).toBe('boot-failure');
    expect(boot.error.message).toMatch(/did not boot/);
  });

  it('health-warning and health-failure give that health with a detail', async () => {
    await register('f3');
    await register('f4');
    await http().post('/sim/v1/faults').send({ hostname: 'f3.corp', fault: 'health-warning' }).expect(201);
    await http().post('/sim/v1/faults').send({ hostname: 'f4.corp', fault: 'health-failure' }).expect(201);
    const vm3 = (await bringUp('f3', 'a1')).vmId;
    const vm4 = (await bringUp('f4', 'a1')).vmId;
    const a3 = (await post(`/servers/${vm3}/analyse`, {}).expect(202)).body;
    const a4 = (await post(`/servers/${vm4}/analyse`, {}).expect(202)).body;
    await advance(10);
    const r3 = (await op(a3.operationId)).result;
    const r4 = (await op(a4.operationId)).result;
    expect(r3.health).toBe('warning');
    expect(r3.detail).toMatch(/injected fault: .+/);
    expect(r4.health).toBe('failed');
    expect(r4.detail).toMatch(/injected fault: .+/);
  });

  it('slow-restore makes the restore take longer than a normal one', async () => {
    await register('f5');
    await register('f6');
    await http().post('/sim/v1/faults').send({ hostname: 'f5.corp', fault: 'slow-restore' }).expect(201);
    const slow = (
      await post('/restores', { activationId: 'a1', serverId: 'f5', diskName: 'system' }).expect(202)
    ).body;
    await advance(120);
    const normal = (
      await post('/restores', { activationId: 'a2', serverId: 'f6', diskName: 'system' }).expect(202)
    ).body;
    await advance(120);
    const s = await op(slow.operationId);
    const n = await op(normal.operationId);
    const minutes = (o: { startedAt: string; completedAt: string }) =>
      (Date.parse(o.completedAt) - Date.parse(o.startedAt)) / 60000;
    expect(s.result.slowed).toBe(true);
    expect(minutes(s)).toBeGreaterThan(3.5 * minutes(n));
  });

  it('DELETE /sim/v1/faults clears faults; random rates come from the config', async () => {
    await register('f7');
    await http().post('/sim/v1/faults').send({ hostname: 'f7.corp', fault: 'boot-failure' }).expect(201);
    await http().delete('/sim/v1/faults').expect(204);
    expect((await http().get('/sim/v1/faults').expect(200)).body.items).toEqual([]);
    await http()
      .put('/sim/v1/config')
      .send({ faultRates: { healthFailure: 1 } })
      .expect(200);
    const { vmId, boot } = await bringUp('f7', 'a1');
    expect(boot.status).toBe('succeeded');
    const a = (await post(`/servers/${vmId}/analyse`, {}).expect(202)).body;
    await advance(10);
    expect((await op(a.operationId)).result.health).toBe('failed');
    const badFault = await http().post('/sim/v1/faults').send({ hostname: 'x', fault: 'meteor' }).expect(400);
    expect(badFault.body.message).toContain('fault');
  });

  it('an outage makes /cloud/v1 unreachable while /sim/v1 and /health still answer', async () => {
    await http().post('/sim/v1/outage').send({ seconds: 30, mode: 'refuse' }).expect(201);
    const res = await http().get('/cloud/v1/capacity').expect(503);
    expect(res.body.code).toBe('cloud-unreachable');
    await http().get('/health').expect(200);
    await http().delete('/sim/v1/outage').expect(204);
    await http().get('/cloud/v1/capacity').expect(200);
  });

  it('scripted API error bursts answer 5xx before or after doing the work', async () => {
    await http().post('/sim/v1/chaos/errors').send({ count: 1, status: 502, phase: 'after' }).expect(201);
    const lost = await post('/networks', { activationId: 'a1' }, 'net-a1').expect(502);
    expect(lost.body.code).toBe('injected-api-error');
    // the work was done: the retry with the same key finds the operation
    const retry = await post('/networks', { activationId: 'a1' }, 'net-a1').expect(202);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect((await http().get('/sim/v1/stats').expect(200)).body.api.injectedErrors).toBe(1);
  });
});

describe('simulator control', () => {
  it('GET /health reports the simulator is up', async () => {
    const res = await http().get('/health').expect(200);
    expect(res.body.status).toBe('ok');
    expect(res.body.info['recovery-cloud'].status).toBe('up');
  });

  it('advances and sets the clock; restores progress with it', async () => {
    const before = (await http().get('/sim/v1/clock').expect(200)).body;
    expect(before).toEqual(
      expect.objectContaining({
        scale: 1,
        anchorWallMs: expect.any(Number),
        anchorSimMs: expect.any(Number),
      }),
    );
    const after = (await advance(30)).body;
    expect(Date.parse(after.now) - Date.parse(before.now)).toBeGreaterThanOrEqual(30 * 60_000);
    expect(Date.parse(after.now) - Date.parse(before.now)).toBeLessThan(30 * 60_000 + 5_000);
    const set = (await http().put('/sim/v1/clock').send({ scale: 600 }).expect(200)).body;
    expect(set.scale).toBe(600);
    await http().put('/sim/v1/clock').send({ scale: 1 }).expect(200);
  });

  it('refuses a config with a cluster of more than 32 hosts and keeps the old one', async () => {
    const res = await http()
      .put('/sim/v1/config')
      .send({ clusters: [{ id: 'cl-x', hostCount: 33, hostVcpu: 64, hostRamGiB: 384 }] })
      .expect(422);
    expect(res.body.code).toBe('invalid-config');
    expect(res.body.message).toContain('at most 32 hosts');
    expect((await http().get('/sim/v1/config').expect(200)).body.clusters[0].id).toBe('cl-1');
  });

  it('a capacity refusal fails the operation naming the resource and the shortfall', async () => {
    await http()
      .put('/sim/v1/config')
      .send({ clusters: [{ id: 'tiny', hostCount: 1, hostVcpu: 8, hostRamGiB: 16 }] })
      .expect(200);
    await register('fat', { template: { vcpu: 2, ramGiB: 32 } });
    const restore = (
      await post('/restores', { activationId: 'a1', serverId: 'fat', diskName: 'system' }).expect(202)
    ).body;
    await advance(60);
    expect((await op(restore.operationId)).status).toBe('succeeded');
    const create = (await post('/servers', { activationId: 'a1', serverId: 'fat' }).expect(202)).body;
    expect(create.status).toBe('failed');
    expect(create.error.code).toBe('insufficient-ram');
    expect(create.error.message).toContain('tiny-h01');
  });
});

describe('the original site and the way back (failback)', () => {
  it('site state set through /sim/v1, read through the provider API; reverse replication counted per server', async () => {
    await register('srv1');
    const { vmId } = await bringUp('srv1', 'a1');
    await http().put('/sim/v1/original-site').send({ state: 'down' }).expect(200);
    expect((await http().get(`/cloud/v1/tenants/${TENANT}/original-site`).expect(200)).body.state).toBe(
      'down',
    );
    const refused = await post('/reverse-replications', { activationId: 'a1', serverId: 'srv1' }).expect(409);
    expect(refused.body.code).toBe('original-site-not-up');
    const bad = await http().put('/sim/v1/original-site').send({ state: 'sideways' }).expect(400);
    expect(JSON.stringify(bad.body)).toContain('state');
    await http().put('/sim/v1/original-site').send({ state: 'up', tenantId: TENANT }).expect(200);

    await advance(24 * 60);
    const [before] = (await http().get(`/cloud/v1/tenants/${TENANT}/activations/a1/replication`).expect(200))
      .body.items;
    expect(before).toMatchObject({ serverId: 'srv1', replicating: false });
    expect(before.changedBytes).toBeGreaterThan(0);

    const sync = (await post('/reverse-replications', { activationId: 'a1', serverId: 'srv1' }).expect(202))
      .body;
    await advance(10);
    expect((await op(sync.operationId)).status).toBe('succeeded');
    const stop = (await post(`/servers/${vmId}/stop`, {}).expect(202)).body;
    await advance(2);
    expect((await op(stop.operationId)).status).toBe('succeeded');
    const last = (
      await post('/reverse-replications/deltas', {
        activationId: 'a1',
        serverId: 'srv1',
        final: true,
      }).expect(202)
    ).body;
    await advance(10);
    expect((await op(last.operationId)).result).toMatchObject({ pendingBytes: 0, final: true });
    const start = (await post('/original-site/starts', { activationId: 'a1', serverId: 'srv1' }).expect(202))
      .body;
    await advance(10);
    expect((await op(start.operationId)).result).toMatchObject({ site: 'original', health: 'ok' });

    const stats = (await http().get('/sim/v1/stats').expect(200)).body.failback;
    expect(stats.servers[0]).toMatchObject({
      hostname: 'srv1.corp',
      pendingBytes: 0,
      resentBytes: 0,
      originalStarts: 1,
    });
    expect(stats.servers[0].arrivedBytes).toBe(stats.servers[0].changedBytes);
  });
});
