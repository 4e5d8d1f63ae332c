import { CloudModel, type RequestMeta } from './cloud-model';
import { ConfigValidationError, defaultSimConfig, mergeConfig, type SimConfig } from './config';
import { checkVmFits, placeOnHost } from './capacity';
import { RestorePool } from './restore-pool';
import { SimClock } from './sim-clock';
import { keyedRandom, mulberry32 } from './random';

const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const MIN = 60_000;
const TENANT = 't-1';

let keySeq = 0;
const meta = (key = `k-${++keySeq}`, fingerprint = key): RequestMeta => ({
  tenantId: TENANT,
  idempotencyKey: key,
  fingerprint,
});

function model(patch: unknown = {}, seed = 42): CloudModel {
  return new CloudModel(mergeConfig(defaultSimConfig(), patch), seed, T0);
}

function register(
  m: CloudModel,
  serverId: string,
  opts: { disks?: number[]; ramGiB?: number; vcpu?: number; group?: string; os?: 'windows' | 'linux' } = {},
) {
  return m.registerServer(
    meta(),
    {
      serverId,
      hostname: `${serverId}.example`,
      osFamily: opts.os ?? 'linux',
      disks: (opts.disks ?? [100]).map((sizeGiB, i) => ({ name: `d${i}`, sizeGiB })),
      template: { vcpu: opts.vcpu ?? 2, ramGiB: opts.ramGiB ?? 8 },
      antiAffinityGroup: opts.group,
    },
    T0,
  ).operation;
}

function restoreAll(m: CloudModel, serverId: string, activationId: string, now: number, disks = 1) {
  return Array.from(
    { length: disks },
    (_, i) => m.restoreDisk(meta(), { activationId, serverId, diskName: `d${i}` }, now).operation,
  );
}

describe('restore bandwidth (processor sharing)', () => {
  const bandwidth = { timing: { restoreBandwidthMiBps: 1024 } };

  it('one 100 GiB restore alone takes size / bandwidth', () => {
    const m = model(bandwidth);
    register(m, 's1');
    const [op] = restoreAll(m, 's1', 'a1', T0);
    expect(op.status).toBe('running');
    // 100 GiB = 102400 MiB at 1024 MiB/s = 100 s
    expect(m.getOperation(op.id, T0 + 99_000)!.status).toBe('running');
    const done = m.getOperation(op.id, T0 + 101_000)!;
    expect(done.status).toBe('succeeded');
    expect(done.completedAt! - done.startedAt).toBeCloseTo(100_000, 0);
  });

  it('two equal concurrent restores each take twice as long as one alone', () => {
    const alone = model(bandwidth);
    register(alone, 's1');
    const [single] = restoreAll(alone, 's1', 'a1', T0);
    const singleDone = alone.getOperation(single.id, T0 + 3_600_000)!;

    const shared = model(bandwidth);
    register(shared, 's1');
    register(shared, 's2');
    const [a] = restoreAll(shared, 's1', 'a1', T0);
    const [b] = restoreAll(shared, 's2', 'a1', T0);
    const aDone = shared.getOperation(a.id, T0 + 3_600_000)!;
    const bDone = shared.getOperation(b.id, T0 + 3_600_000)!;
    const singleDuration = singleDone.completedAt! - singleDone.startedAt;
    expect(aDone.completedAt! - aDone.startedAt).toBeCloseTo(2 * singleDuration, 0);
    expect(bDone.completedAt! - bDone.startedAt).toBeCloseTo(2 * singleDuration, 0);
  });

  it('a restore that starts later shares only while both run (fluid model)', () => {
    const m = model(bandwidth);
    register(m, 's1');
    register(m, 's2');
    const [a] = restoreAll(m, 's1', 'a1', T0); // 100 s alone
    const [b] = restoreAll(m, 's2', 'a1', T0 + 50_000); // a has 50 s of work left, now at half speed
    const aDone = m.getOperation(a.id, T0 + 3_600_000)!;
    const bDone = m.getOperation(b.id, T0 + 3_600_000)!;
    expect(aDone.completedAt! - T0).toBeCloseTo(150_000, 0);
    // b: 100 s at half speed (50 s of work) while a finishes, then its last 50 s alone
    expect(bDone.completedAt! - T0).toBeCloseTo(200_000, 0);
  });

  it('RestorePool: rates are bandwidth / n x weight', () => {
    const pool = new RestorePool(1000, 0);
    pool.add('a', 1000, 0);
    pool.add('b', 1000, 0, 0.5);
    expect(pool.rateOf('a')).toBeCloseTo(0.5);
    expect(pool.rateOf('b')).toBeCloseTo(0.25);
    expect(pool.nextCompletion()).toEqual({ at: 2000, ids: ['a'] });
  });
});

describe('capacity', () => {
  it('refuses RAM above the 85% cap, naming the host and the shortfall', () => {
    const m = model({ clusters: [{ id: 'c', hostCount: 1, hostVcpu: 64, hostRamGiB: 100 }] });
    register(m, 'big', { ramGiB: 80 });
    register(m, 'small', { ramGiB: 6 });
    restoreAll(m, 'big', 'a1', T0);
    restoreAll(m, 'small', 'a1', T0);
    const t = T0 + 3_600_000;
    const ok = m.createServer(meta(), { activationId: 'a1', serverId: 'big' }, t).operation;
    expect(ok.status).toBe('running');
    const refused = m.createServer(meta(), { activationId: 'a1', serverId: 'small' }, t).operation;
    expect(refused.status).toBe('failed');
    expect(refused.error!.code).toBe('insufficient-ram');
    expect(refused.error!.message).toContain('c-h01');
    expect(refused.error!.message).toContain('85%');
    expect(refused.error!.message).toMatch(/short by 1 GiB/);
  });

  it('refuses a VM whose disks plus swap do not fit the datastore with its 10% reserve', () => {
    // usable = 100 x 0.9 = 90 GiB; disks 60 restored => start needs 60 + swap 40 = 100 > 90
    const m = model({ datastores: [{ id: 'ds-1', capacityGiB: 100 }] });
    register(m, 's1', { disks: [60], ramGiB: 40 });
    const [r] = restoreAll(m, 's1', 'a1', T0);
    expect(m.getOperation(r.id, T0 + 3_600_000)!.status).toBe('succeeded');
    const op = m.createServer(meta(), { activationId: 'a1', serverId: 's1' }, T0 + 3_600_000).operation;
    expect(op.status).toBe('failed');
    expect(op.error).toEqual({
      code: 'insufficient-datastore',
      message:
        'datastore ds-1 needs 100 GiB (disks 60 + swap 40) to start server s1.example, 90 GiB free after the 10% reserve',
    });
    // with 8 GiB of RAM it fits: 68 <= 90
    register(m, 's2', { disks: [20], ramGiB: 8 });
    const m2 = model({ datastores: [{ id: 'ds-1', capacityGiB: 100 }] });
    register(m2, 's1', { disks: [60], ramGiB: 8 });
    restoreAll(m2, 's1', 'a1', T0);
    expect(
      m2.createServer(meta(), { activationId: 'a1', serverId: 's1' }, T0 + 3_600_000).operation.status,
    ).toBe('running');
  });

  it('checkVmFits counts the swap against the space free without the VM own disks', () => {
    const rules = { ramCapPercent: 85, datastoreReservePercent: 10, vcpuOvercommit: 4 };
    // capacity 100 -> 90 usable; 30 used of which 20 are the VM's own disks => 80 free for it
    expect(
      checkVmFits(
        { id: 'd', capacityGiB: 100, usedGiB: 30 },
        { ownDisksGiB: 20, ramGiB: 60, label: 'x' },
        rules,
      ),
    ).toBeUndefined();
    expect(
      checkVmFits(
        { id: 'd', capacityGiB: 100, usedGiB: 30 },
        { ownDisksGiB: 20, ramGiB: 61, label: 'x' },
        rules,
      )?.code,
    ).toBe('insufficient-datastore');
  });

  it('refuses a restore that does not fit the datastore', () => {
    const m = model({ datastores: [{ id: 'ds-1', capacityGiB: 100 }] });
    register(m, 's1', { disks: [95] });
    const [op] = restoreAll(m, 's1', 'a1', T0);
    expect(op.status).toBe('failed');
    expect(op.error!.code).toBe('insufficient-datastore');
    expect(op.error!.message).toBe(
      'datastore ds-1 needs 95 GiB for disk d0 of s1.example, 90 GiB free after the 10% reserve',
    );
  });

  it('never places two servers of one anti-affinity group on one host', () => {
    const m = model({ clusters: [{ id: 'c', hostCount: 2, hostVcpu: 64, hostRamGiB: 256 }] });
    for (const id of ['dc1', 'dc2', 'dc3']) {
      register(m, id, { group: 'domain-controllers' });
      restoreAll(m, id, 'a1', T0);
    }
    const t = T0 + 3_600_000;
    const a = m.createServer(meta(), { activationId: 'a1', serverId: 'dc1' }, t).operation;
    const b = m.createServer(meta(), { activationId: 'a1', serverId: 'dc2' }, t).operation;
    const c = m.createServer(meta(), { activationId: 'a1', serverId: 'dc3' }, t).operation;
    const hostA = (
      m.listResources({ tenantId: TENANT }, t).find((r) => r.id === a.resourceId) as { hostId: string }
    ).hostId;
    const hostB = (
      m.listResources({ tenantId: TENANT }, t).find((r) => r.id === b.resourceId) as { hostId: string }
    ).hostId;
    expect(hostA).not.toBe(hostB);
    expect(c.status).toBe('failed');
    expect(c.error!.code).toBe('anti-affinity');
    expect(c.error!.message).toContain('domain-controllers');
  });

  it('placeOnHost prefers the least loaded host and reports vCPU shortfalls', () => {
    const rules = { ramCapPercent: 85, datastoreReservePercent: 10, vcpuOvercommit: 1 };
    const hosts = [
      {
        id: 'h1',
        clusterId: 'c',
        vcpu: 8,
        ramGiB: 100,
        usedVcpu: 0,
        usedRamGiB: 50,
        groups: new Set<string>(),
      },
      {
        id: 'h2',
        clusterId: 'c',
        vcpu: 8,
        ramGiB: 100,
        usedVcpu: 6,
        usedRamGiB: 10,
        groups: new Set<string>(),
      },
    ];
    const placed = placeOnHost(hosts, { vcpu: 2, ramGiB: 10, label: 'x' }, rules);
    expect(placed.ok && placed.value.id).toBe('h2');
    const refused = placeOnHost(hosts, { vcpu: 9, ramGiB: 10, label: 'x' }, rules);
    expect(!refused.ok && refused.error.code).toBe('insufficient-vcpu');
  });

  it('refuses a config with a cluster of more than 32 hosts', () => {
    expect(() => model({ clusters: [{ id: 'big', hostCount: 33, hostVcpu: 64, hostRamGiB: 384 }] })).toThrow(
      ConfigValidationError,
    );
    expect(() => model({ clusters: [{ id: 'big', hostCount: 33, hostVcpu: 64, hostRamGiB: 384 }] })).toThrow(
      /at most 32 hosts/,
    );
    expect(() =>
      model({ clusters: [{ id: 'ok', hostCount: 32, hostVcpu: 64, hostRamGiB: 384 }] }),
    ).not.toThrow();
    const m = model();
    const bad: SimConfig = mergeConfig(m.getConfig(), {
      clusters: [{ id: 'x', hostCount: 40, hostVcpu: 1, hostRamGiB: 1 }],
    });
    expect(() => m.setConfig(bad, T0)).toThrow(/at most 32 hosts/);
    expect(m.getConfig().clusters[0].hostCount).toBe(8);
  });
});

describe('backup space', () => {
  it('keeps hourly incrementals and a daily full; newest point age is the RPO', () => {
    const m = model();
    register(m, 's1', { disks: [100, 50] });
    const points = m.listRestorePoints(TENANT, 's1', T0 + 25 * MIN);
    expect(points.length).toBe(3 * 24);
    expect(points.filter((p) => p.kind === 'full').length).toBe(3);
    const newest = points[points.length - 1];
    expect(newest.takenAt).toBe('2026-03-02T10:00:00.000Z');
    expect(newest.ageMinutes).toBe(25);
    const full = points.find((p) => p.kind === 'full')!;
    expect(full.takenAt.endsWith('T00:00:00.000Z')).toBe(true);
    expect(full.sizeGiB).toBeGreaterThan(70);
    expect(full.sizeGiB).toBeLessThanOrEqual(150);
  });

  it('stale backups: the newest point is as old as configured, and a restore reports that RPO', () => {
    const m = model({ timing: { zeroDurations: true } });
    register(m, 's1');
    m.setBackupAge(TENANT, 's1', 600, T0);
    const points = m.listRestorePoints(TENANT, 's1', T0);
    expect(points[points.length - 1].ageMinutes).toBeGreaterThanOrEqual(600);
    const [op] = restoreAll(m, 's1', 'a1', T0);
    expect(op.status).toBe('succeeded');
    expect(op.result!.rpoMinutes as number).toBeGreaterThanOrEqual(600);
  });
});

describe('determinism', () => {
  function scenario(seed: number) {
    const m = model({ faultRates: { bootFailure: 0.3, healthWarning: 0.3 } }, seed);
    const out: unknown[] = [];
    for (let i = 0; i < 8; i++)
      register(m, `s${i}`, { disks: [20 + i * 10], os: i % 2 ? 'windows' : 'linux' });
    for (let i = 0; i < 8; i++) restoreAll(m, `s${i}`, 'a1', T0);
    let t = T0 + 4 * 3_600_000;
    const vms = Array.from(
      { length: 8 },
      (_, i) => m.createServer(meta(), { activationId: 'a1', serverId: `s${i}` }, t).operation,
    );
    t += 10 * MIN;
    const boots = vms.map((vm) => m.powerOn(meta(), vm.resourceId!, t).operation);
    t += 60 * MIN;
    for (const b of boots) {
      const op = m.getOperation(b.id, t)!;
      out.push([op.status, op.completedAt, op.error?.code]);
      if (op.status === 'succeeded') {
        const a = m.analyse(meta(), op.resourceId!, t).operation;
        out.push(m.getOperation(a.id, t + 30 * MIN)!.result);
      }
    }
    return out;
  }

  it('same seed => same timings and outcomes; another seed differs', () => {
    expect(scenario(7)).toEqual(scenario(7));
    expect(scenario(7)).not.toEqual(scenario(8));
  });

  it('mulberry32 and keyedRandom are pure functions of the seed', () => {
    const a = mulberry32(1);
    const b = mulberry32(1);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
    expect(keyedRandom(42, 'boot', 'x', 1)).toBe(keyedRandom(42, 'boot', 'x', 1));
    expect(keyedRandom(42, 'boot', 'x', 1)).not.toBe(keyedRandom(43, 'boot', 'x', 1));
  });

  it('boot time depends on the OS family with bounded jitter', () => {
    const m = model({ timing: { bootMinutes: { windows: 10, linux: 2 }, bootJitterPercent: 20 } });
    register(m, 'w', { os: 'windows' });
    register(m, 'l', { os: 'linux' });
    restoreAll(m, 'w', 'a1', T0);
    restoreAll(m, 'l', 'a1', T0);
    let t = T0 + 3_600_000;
    const w = m.createServer(meta(), { activationId: 'a1', serverId: 'w' }, t).operation;
    const l = m.createServer(meta(), { activationId: 'a1', serverId: 'l' }, t).operation;
    t += 5 * MIN;
    const wb = m.powerOn(meta(), w.resourceId!, t).operation;
    const lb = m.powerOn(meta(), l.resourceId!, t).operation;
    const wd = m.getOperation(wb.id, t + 60 * MIN)!;
    const ld = m.getOperation(lb.id, t + 60 * MIN)!;
    expect((wd.completedAt! - wd.startedAt) / MIN).toBeGreaterThanOrEqual(8);
    expect((wd.completedAt! - wd.startedAt) / MIN).toBeLessThanOrEqual(12);
    expect((ld.completedAt! - ld.startedAt) / MIN).toBeGreaterThanOrEqual(1.6);
    expect((ld.completedAt! - ld.startedAt) / MIN).toBeLessThanOrEqual(2.4);
  });
});

describe('simulated clock', () => {
  it('computes now from anchors and re-anchors on advance and set', () => {
    let wall = 1_000;
    const clock = new SimClock(600, T0, () => wall);
    wall += 1_000;
    expect(clock.nowMs()).toBe(T0 + 600_000);
    clock.advance(30 * MIN);
    expect(clock.nowMs()).toBe(T0 + 600_000 + 30 * MIN);
    clock.set({ scale: 1 });
    wall += 1_000;
    expect(clock.nowMs()).toBe(T0 + 600_000 + 30 * MIN + 1_000);
    const snap = clock.snapshot();
    expect(snap.anchorSimMs + (wall - snap.anchorWallMs) * snap.scale).toBe(clock.nowMs());
  });
});

describe('idempotency and zero durations', () => {
  it('same key + same request returns the same operation; another request under the key is refused', () => {
    const m = model();
    register(m, 's1');
    const first = m.restoreDisk(meta('rk', 'A'), { activationId: 'a1', serverId: 's1', diskName: 'd0' }, T0);
    const again = m.restoreDisk(
      meta('rk', 'A'),
      { activationId: 'a1', serverId: 's1', diskName: 'd0' },
      T0 + 1000,
    );
    expect(again.operation.id).toBe(first.operation.id);
    expect(again.replayed).toBe(true);
    expect(() =>
      m.restoreDisk(meta('rk', 'B'), { activationId: 'a1', serverId: 's1', diskName: 'd0' }, T0),
    ).toThrow(/already used/);
    const stats = m.getStats(T0);
    expect(stats.restoreRequests).toBe(2);
    expect(stats.duplicateRestoreRequests).toBe(1);
    expect(stats.operationsByKind['restore-disk']).toBe(1);
  });

  it('with zero durations 1,000 servers are restored, created and started instantly', () => {
    const m = model({
      timing: { zeroDurations: true },
      clusters: [
        { id: 'c1', hostCount: 32, hostVcpu: 128, hostRamGiB: 1536 },
        { id: 'c2', hostCount: 32, hostVcpu: 128, hostRamGiB: 1536 },
      ],
      datastores: [{ id: 'ds-1', capacityGiB: 500_000 }],
    });
    const started = Date.now();
    for (let i = 0; i < 1000; i++) {
      register(m, `s${i}`, { disks: [40], ramGiB: 4 });
      const [r] = restoreAll(m, `s${i}`, 'a1', T0);
      expect(r.status).toBe('succeeded');
      const vm = m.createServer(meta(), { activationId: 'a1', serverId: `s${i}` }, T0).operation;
      expect(vm.status).toBe('succeeded');
      expect(m.powerOn(meta(), vm.resourceId!, T0).operation.status).toBe('succeeded');
    }
    expect(m.getStats(T0).serversRunning).toBe(1000);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});

describe('default sizing', () => {
  it('a 25-server activation (100 GiB each) completes within about an hour of simulated time = seconds of wall time at scale 600', () => {
    const m = model();
    const ids = Array.from({ length: 25 }, (_, i) => `s${i}`);
    ids.forEach((id, i) =>
      register(m, id, { disks: [60, 40], ramGiB: 16, vcpu: 4, os: i % 3 ? 'windows' : 'linux' }),
    );
    const restores = ids.flatMap((id) => restoreAll(m, id, 'a1', T0, 2));
    // poll like an engine would: every simulated minute, start what is due
    const state = new Map<string, { stage: string; opId?: string; vmId?: string }>(
      ids.map((id) => [id, { stage: 'restoring' }]),
    );
    let t = T0;
    let lastAvailable = 0;
    while ([...state.values()].some((s) => s.stage !== 'done') && t < T0 + 6 * 3_600_000) {
      t += MIN;
      for (const id of ids) {
        const s = state.get(id)!;
        if (s.stage === 'restoring') {
          const mine = restores.filter((r) => r.hostname === `${id}.example`);
          if (mine.every((r) => m.getOperation(r.id, t)!.status === 'succeeded')) {
            const op = m.createServer(meta(), { activationId: 'a1', serverId: id }, t).operation;
            Object.assign(s, { stage: 'creating', opId: op.id, vmId: op.resourceId });
          }
        } else if (s.stage === 'creating' && m.getOperation(s.opId!, t)!.status === 'succeeded') {
          Object.assign(s, { stage: 'booting', opId: m.powerOn(meta(), s.vmId!, t).operation.id });
        } else if (s.stage === 'booting' && m.getOperation(s.opId!, t)!.status === 'succeeded') {
          Object.assign(s, { stage: 'checking', opId: m.analyse(meta(), s.vmId!, t).operation.id });
        } else if (s.stage === 'checking' && m.getOperation(s.opId!, t)!.status === 'succeeded') {
          s.stage = 'done';
          lastAvailable = t;
        }
      }
    }
    const simMinutes = (lastAvailable - T0) / MIN;
    expect(simMinutes).toBeGreaterThan(40); // 2,500 GiB through 1 GiB/s is ~42 min of restores alone
    expect(simMinutes).toBeLessThan(70);
    expect((simMinutes * MIN) / 600 / 1000).toBeLessThan(8); // wall seconds at SIM_TIME_SCALE=600
    expect(m.getStats(t).serversRunning).toBe(25);
  });
});

describe('ids named after Object.prototype', () => {
  it('counts the resources of an activation called constructor or __proto__ like any other', () => {
    const m = model();
    register(m, 's1');
    register(m, 's2');
    restoreAll(m, 's1', 'constructor', T0);
    restoreAll(m, 's2', '__proto__', T0);
    const stats = m.getStats(T0) as {
      resourcesByActivation: Record<string, { disks: number; total: number }>;
    };
    expect(Object.keys(stats.resourcesByActivation).sort()).toEqual(['__proto__', 'constructor']);
    expect(stats.resourcesByActivation.constructor).toMatchObject({ disks: 1, total: 1 });
    expect(JSON.parse(JSON.stringify(stats)).resourcesByActivation.__proto__).toMatchObject({ disks: 1 });
  });
});
