import request from 'supertest';
import {
  type RunningRecoveryCloud,
  startRecoveryCloud,
} from '../../../apps/recovery-cloud/src/recovery-cloud.app';
import { CloudPermanentError, CloudTransientError } from './errors';
import { HttpRecoveryCloud, type HttpRecoveryCloudOptions } from './http-recovery-cloud';
import { pooledTransport } from './http-transport';
import { SimulatedClock } from './simulated-clock';

const TENANT = 'tenant-c';
let cloud: RunningRecoveryCloud;
let calls: { method: string; url: string }[];

beforeAll(async () => {
  // 600 simulated ms per wall ms: a 50 GiB restore takes ~80 ms of wall time, a boot a few hundred.
  cloud = await startRecoveryCloud({ seed: 7, timeScale: 600 });
});
afterAll(async () => cloud.close());
beforeEach(async () => {
  await request(cloud.url).post('/sim/v1/reset').send({}).expect(200);
  calls = [];
});

const clients: HttpRecoveryCloud[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.onApplicationShutdown()));
});

function client(options: Partial<HttpRecoveryCloudOptions> = {}) {
  const timeoutMs = options.timeoutMs ?? 2000;
  const pool = pooledTransport(cloud.url, { timeoutMs });
  const c = new HttpRecoveryCloud({
    baseUrl: cloud.url,
    timeoutMs,
    retry: { maxAttempts: 20, baseDelayMs: 20, maxDelayMs: 200 },
    transport: {
      send: (exchange) => {
        calls.push({ method: exchange.method, url: `${cloud.url}${exchange.path}` });
        return pool.send(exchange);
      },
      close: () => pool.close(),
    },
    ...options,
  });
  clients.push(c);
  return c;
}

const sim = () => request(cloud.url);
const stats = async () => (await sim().get('/sim/v1/stats').expect(200)).body;

async function register(c: HttpRecoveryCloud, serverId: string, extra: object = {}) {
  const op = await c.registerServer(
    {
      tenantId: TENANT,
      serverId,
      hostname: `${serverId}.corp`,
      osFamily: 'linux',
      disks: [{ name: 'system', sizeGiB: 50 }],
      template: { vcpu: 2, ramGiB: 8 },
      ...extra,
    },
    { idempotencyKey: `register-${serverId}` },
  );
  expect(op.status).toBe('succeeded');
}

describe('HttpRecoveryCloud against the running simulator', () => {
  it('runs a whole server recovery: restore, create, power on, analyse, teardown, verify by listing', async () => {
    const c = client();
    await register(c, 'app1');
    const points = await c.listRestorePoints(TENANT, 'app1');
    const newest = points[points.length - 1];
    const restore = await c.restoreDisk(
      {
        tenantId: TENANT,
        activationId: 'act',
        serverId: 'app1',
        diskName: 'system',
        restorePointId: newest.id,
      },
      { idempotencyKey: 'act/app1/restore/system/1' },
    );
    const restored = await c.waitFor<{ diskId: string; restorePointId: string }>(restore.operationId, {
      pollIntervalMs: 20,
      timeoutMs: 5000,
    });
    expect(restored.result!.restorePointId).toBe(newest.id);
    const created = await c.waitFor<{ vmId: string }>(
      (
        await c.createServer(
          { tenantId: TENANT, activationId: 'act', serverId: 'app1', diskIds: [restored.result!.diskId] },
          { idempotencyKey: 'act/app1/create/1' },
        )
      ).operationId,
      { pollIntervalMs: 20 },
    );
    const vmId = created.result!.vmId;
    await c.waitFor(
      (await c.powerOn({ tenantId: TENANT, vmId }, { idempotencyKey: 'act/app1/boot/1' })).operationId,
      { pollIntervalMs: 20 },
    );
    const analysis = await c.waitFor<{ health: string }>(
      (await c.analyse({ tenantId: TENANT, vmId }, { idempotencyKey: 'act/app1/analyse/1' })).operationId,
      { pollIntervalMs: 20 },
    );
    expect(analysis.result!.health).toBe('ok');
    expect((await c.listResources(TENANT, 'act')).length).toBe(2);
    await c.waitFor(
      (await c.teardown({ tenantId: TENANT, activationId: 'act' }, { idempotencyKey: 'act/teardown/1' }))
        .operationId,
      { pollIntervalMs: 20 },
    );
    expect(await c.listResources(TENANT, 'act')).toEqual([]);
  });

  it('retries a burst of 5xx to success, with one operation created', async () => {
    const c = client();
    await register(c, 'db1');
    // 2 answers lost after the work was done, then 2 refused before it: 5 attempts in all.
    await sim().post('/sim/v1/chaos/errors').send({ count: 2, status: 502, phase: 'after' }).expect(201);
    await sim().post('/sim/v1/chaos/errors').send({ count: 2, status: 503, phase: 'before' }).expect(201);
    calls = [];
    const op = await c.restoreDisk(
      { tenantId: TENANT, activationId: 'a1', serverId: 'db1', diskName: 'system' },
      { idempotencyKey: 'a1/db1/restore/system/1' },
    );
    expect(op.status).toMatch(/running|succeeded/);
    expect(calls.filter((x) => x.method === 'POST')).toHaveLength(5);
    const s = await stats();
    expect(s.operationsByKind['restore-disk']).toBe(1);
    expect(s.resourcesByActivation.a1.disks).toBe(1);
    expect(s.duplicateRestoresSameDisk).toBe(0);
    expect(s.duplicateRestoreRequests).toBe(2); // the two replays of the same key
  });

  it('survives the cloud being unreachable for a while (connections dropped)', async () => {
    const retries: string[] = [];
    const c = client({ onRetry: (info) => retries.push(info.reason) });
    await register(c, 'web1');
    await sim().post('/sim/v1/outage').send({ seconds: 0.6, mode: 'drop' }).expect(201);
    const started = Date.now();
    const op = await c.createNetwork(
      { tenantId: TENANT, activationId: 'a1' },
      { idempotencyKey: 'a1/network/1' },
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(500);
    expect(op.kind).toBe('create-network');
    expect(retries.length).toBeGreaterThan(0);
    expect(retries[0]).toMatch(/network error/);
    expect((await stats()).operationsByKind['create-network']).toBe(1);
  });

  it('gives up with CloudTransientError when the outage outlasts the retries', async () => {
    const c = client({ retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 20 } });
    await sim().post('/sim/v1/outage').send({ seconds: 5, mode: 'refuse' }).expect(201);
    const error = await c.listResources(TENANT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudTransientError);
    expect((error as CloudTransientError).attempts).toBe(3);
    expect((error as CloudTransientError).lastStatus).toBe(503);
    expect(calls).toHaveLength(3);
    await sim().delete('/sim/v1/outage').expect(204);
  });

  it('times out slow answers and retries them', async () => {
    // undici's timeouts tick about every half second: the answer comes well after one tick.
    await sim()
      .put('/sim/v1/config')
      .send({ api: { latencyMs: 2500, latencyRate: 1 } })
      .expect(200);
    const c = client({ timeoutMs: 100, retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 10 } });
    const error = await c.listResources(TENANT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudTransientError);
    expect((error as Error).message).toMatch(/timeout after 100 ms/);
    expect(calls).toHaveLength(2);
  });

  it('never retries a 4xx and raises CloudPermanentError', async () => {
    const c = client();
    const error = await c
      .restoreDisk(
        { tenantId: TENANT, activationId: 'a1', serverId: 'ghost', diskName: 'system' },
        { idempotencyKey: 'x' },
      )
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudPermanentError);
    expect((error as CloudPermanentError).status).toBe(404);
    expect((error as CloudPermanentError).code).toBe('server-not-registered');
    expect(calls).toHaveLength(1);
  });

  it('waitFor rejects with the cloud reason when the operation fails', async () => {
    const c = client();
    await register(c, 'bad1');
    await sim().post('/sim/v1/faults').send({ hostname: 'bad1.corp', fault: 'boot-failure' }).expect(201);
    await c.waitFor(
      (
        await c.restoreDisk(
          { tenantId: TENANT, activationId: 'a1', serverId: 'bad1', diskName: 'system' },
          { idempotencyKey: 'r' },
        )
      ).operationId,
      { pollIntervalMs: 20 },
    );
    const created = await c.waitFor<{ vmId: string }>(
      (
        await c.createServer(
          { tenantId: TENANT, activationId: 'a1', serverId: 'bad1' },
          { idempotencyKey: 'c' },
        )
      ).operationId,
      { pollIntervalMs: 20 },
    );
    const boot = await c.powerOn({ tenantId: TENANT, vmId: created.result!.vmId }, { idempotencyKey: 'b' });
    const error = await c.waitFor(boot.operationId, { pollIntervalMs: 20 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudPermanentError);
    expect((error as CloudPermanentError).code).toBe('boot-failure');
    expect((error as CloudPermanentError).operation?.status).toBe('failed');
  });

  it('waitFor gives up after its timeout', async () => {
    const c = client();
    await register(c, 'lun1', { recoveryMethod: 'storage-replication' });
    const lun = await c.presentLun(
      { tenantId: TENANT, activationId: 'a1', serverId: 'lun1' },
      { idempotencyKey: 'l' },
    );
    const error = await c
      .waitFor(lun.operationId, { pollIntervalMs: 20, timeoutMs: 100 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CloudTransientError);
    expect((error as CloudTransientError).code).toBe('operation-timeout');
  });
});

describe('SimulatedClock', () => {
  it('follows the simulator clock, including advances, and stops cleanly', async () => {
    const clock = new SimulatedClock({ baseUrl: cloud.url, syncIntervalMs: 50 });
    expect(() => clock.now()).toThrow(/sync/);
    await clock.start();
    const remote = Date.parse((await sim().get('/sim/v1/clock').expect(200)).body.now);
    expect(Math.abs(clock.now().getTime() - remote)).toBeLessThan(600 * 50);
    expect(clock.scale).toBe(600);
    const before = clock.now().getTime();
    await sim().post('/sim/v1/clock/advance').send({ minutes: 120 }).expect(200);
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(clock.now().getTime() - before).toBeGreaterThanOrEqual(120 * 60_000);
    clock.stop();
  });
});
