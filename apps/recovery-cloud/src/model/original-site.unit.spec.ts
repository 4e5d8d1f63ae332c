import { CloudModel, type RequestMeta } from './cloud-model';
import { ConfigValidationError, defaultSimConfig, mergeConfig } from './config';
import { GIB } from './original-site';

const T0 = Date.parse('2026-03-02T10:00:00.000Z');
const MIN = 60_000;
const HOUR = 60 * MIN;
const TENANT = 't-1';
const A = 'act-1';

let keySeq = 0;
const meta = (key = `k-${++keySeq}`, fingerprint = key): RequestMeta => ({
  tenantId: TENANT,
  idempotencyKey: key,
  fingerprint,
});

/** A model with one server `s1` (100 GiB) running at the recovery site since T0 + 1 h (a day later: a simulated day of business). */
function runningServer(patch: unknown = {}, seed = 42) {
  const m = new CloudModel(mergeConfig(defaultSimConfig(), patch), seed, T0);
  m.registerServer(
    meta(),
    {
      serverId: 's1',
      hostname: 's1.example',
      osFamily: 'linux',
      disks: [{ name: 'd0', sizeGiB: 100 }],
      template: { vcpu: 2, ramGiB: 8 },
    },
    T0,
  );
  m.restoreDisk(meta(), { activationId: A, serverId: 's1', diskName: 'd0' }, T0);
  const created = m.createServer(meta(), { activationId: A, serverId: 's1' }, T0 + 30 * MIN).operation;
  const vmId = m.getOperation(created.id, T0 + 40 * MIN)!.resourceId!;
  const boot = m.powerOn(meta(), vmId, T0 + 40 * MIN).operation;
  const booted = m.getOperation(boot.id, T0 + HOUR)!;
  expect(booted.status).toBe('succeeded');
  return { m, vmId, runningSince: booted.completedAt! };
}

const row = (m: CloudModel, now: number) => m.replicationStatus(TENANT, A, now)[0];

describe('the original site in the simulator (failback)', () => {
  it('a server running at the recovery site changes data at its own seeded rate, visible through the provider API', () => {
    const { m, runningSince } = runningServer({ failback: { changeRateGiBPerHour: 2 } });
    const day = runningSince + 24 * HOUR;
    const r = row(m, day);
    expect(r.changeRateBytesPerMinute).toBeGreaterThan(0);
    expect(r.changedBytes).toBe(24 * 60 * r.changeRateBytesPerMinute);
    expect(r.pendingBytes).toBe(r.changedBytes);
    // Same seed, same hostname: the same rate; another seed draws another one.
    expect(row(runningServer({}, 42).m, day).changeRateBytesPerMinute).toBe(
      row(runningServer({}, 42).m, day).changeRateBytesPerMinute,
    );
    expect(row(runningServer({}, 7).m, day).changeRateBytesPerMinute).not.toBe(r.changeRateBytesPerMinute);
  });

  it('a configured rate for a hostname replaces the seeded one; a negative rate is refused by name', () => {
    const { m, runningSince } = runningServer({ failback: { changeRates: { 's1.example': 6 } } });
    const r = row(m, runningSince + HOUR);
    expect(r.changeRateBytesPerMinute).toBe(Math.round((6 * GIB) / 60));
    expect(r.changedBytes).toBe(60 * r.changeRateBytesPerMinute);
    expect(() => runningServer({ failback: { changeRates: { 's1.example': -1 } } })).toThrow(
      ConfigValidationError,
    );
  });

  it('reverse sync, stop, final delta, start at the original site: every changed byte arrives, none twice', () => {
    const { m, vmId, runningSince } = runningServer({ failback: { changeRates: { 's1.example': 1 } } });
    let now = runningSince + 24 * HOUR;
    m.setOriginalSite('down');
    expect(() => m.startReverseSync(meta(), { activationId: A, serverId: 's1' }, now)).toThrow(
      /original site is down/,
    );
    m.setOriginalSite('up', TENANT);

    const changedBeforeCopy = row(m, now).changedBytes;
    const sync = m.startReverseSync(meta('sync'), { activationId: A, serverId: 's1' }, now).operation;
    // The same key answers the same operation; another key copies nothing again.
    expect(m.startReverseSync(meta('sync'), { activationId: A, serverId: 's1' }, now).replayed).toBe(true);
    expect(
      m.startReverseSync(meta(), { activationId: A, serverId: 's1' }, now).operation.result,
    ).toMatchObject({
      sentBytes: 0,
    });
    now += 10 * MIN;
    const copied = m.getOperation(sync.id, now)!;
    expect(copied.status).toBe('succeeded');
    expect(copied.result).toMatchObject({ sentBytes: 100 * GIB, initialCopyDone: true });

    const delta = m.reverseDelta(meta(), { activationId: A, serverId: 's1' }, now).operation;
    now += 5 * MIN;
    expect(m.getOperation(delta.id, now)!.status).toBe('succeeded');
    // Still running: a final delta must wait for the stop, and the start at the original site too.
    expect(() => m.reverseDelta(meta(), { activationId: A, serverId: 's1', final: true }, now)).toThrow(
      /final delta follows its stop/,
    );
    expect(() => m.startAtOriginal(meta(), { activationId: A, serverId: 's1' }, now)).toThrow(
      /stop it first/,
    );

    const stop = m.stopServer(meta(), vmId, now).operation;
    now += 2 * MIN;
    expect(m.getOperation(stop.id, now)!.status).toBe('succeeded');
    const frozen = row(m, now).changedBytes;
    expect(row(m, now + HOUR).changedBytes).toBe(frozen);
    expect(() => m.startAtOriginal(meta(), { activationId: A, serverId: 's1' }, now)).toThrow(
      /have not arrived/,
    );

    const last = m.reverseDelta(
      meta('final'),
      { activationId: A, serverId: 's1', final: true },
      now,
    ).operation;
    now += 5 * MIN;
    expect(m.getOperation(last.id, now)!.status).toBe('succeeded');
    expect(row(m, now)).toMatchObject({ pendingBytes: 0, arrivedBytes: frozen });

    const start = m.startAtOriginal(meta('start'), { activationId: A, serverId: 's1' }, now).operation;
    now += 10 * MIN;
    expect(m.getOperation(start.id, now)!.result).toMatchObject({ health: 'ok', site: 'original' });
    const again = m.startAtOriginal(meta(), { activationId: A, serverId: 's1' }, now).operation;
    expect(again.result).toMatchObject({ alreadyRunning: true });

    const stats = m.getStats(now).failback;
    expect(stats.servers[0]).toMatchObject({
      changedBytes: frozen,
      arrivedBytes: frozen,
      pendingBytes: 0,
      resentBytes: 0,
      finalDeltaRequests: 1,
      originalStarts: 1,
      duplicateOriginalStarts: 1,
    });
    // The copy carried the disks as they were when it started; the deltas, every change since.
    expect(stats.initialCopyBytes).toBe(100 * GIB);
    expect(stats.deltaBytes + stats.finalDeltaBytes).toBe(frozen - changedBeforeCopy);
  });

  it('two deltas at once under different keys send the same bytes twice: counted as resent', () => {
    const { m, runningSince } = runningServer();
    let now = runningSince + 2 * HOUR;
    const sync = m.startReverseSync(meta(), { activationId: A, serverId: 's1' }, now).operation;
    now += 10 * MIN;
    expect(m.getOperation(sync.id, now)!.status).toBe('succeeded');
    m.reverseDelta(meta(), { activationId: A, serverId: 's1' }, now);
    m.reverseDelta(meta(), { activationId: A, serverId: 's1' }, now);
    expect(m.getStats(now).failback.resentBytes).toBeGreaterThan(0);
  });

  it('an injected fault fails the start at the original site with its reason', () => {
    const { m, vmId, runningSince } = runningServer();
    let now = runningSince + HOUR;
    m.addFault({ hostname: 's1.example', fault: 'original-start-failure', times: 1 });
    m.startReverseSync(meta(), { activationId: A, serverId: 's1' }, now);
    now += 10 * MIN;
    m.stopServer(meta(), vmId, now);
    now += 2 * MIN;
    m.reverseDelta(meta(), { activationId: A, serverId: 's1', final: true }, now);
    now += 5 * MIN;
    const start = m.startAtOriginal(meta(), { activationId: A, serverId: 's1' }, now).operation;
    const failed = m.getOperation(start.id, now + 10 * MIN)!;
    expect(failed.status).toBe('failed');
    expect(failed.error?.code).toBe('original-start-failure');
    // Powered on again at the recovery site, it changes data again.
    const boot = m.powerOn(meta(), vmId, now + 10 * MIN).operation;
    const back = m.getOperation(boot.id, now + 30 * MIN)!;
    expect(back.status).toBe('succeeded');
    expect(row(m, back.completedAt! + HOUR).pendingBytes).toBeGreaterThan(0);
  });

  it('a copy that fails its health check at the original site runs there until it is stopped; the stop is idempotent', () => {
    const { m, vmId, runningSince } = runningServer();
    let now = runningSince + HOUR;
    m.addFault({ hostname: 's1.example', fault: 'original-health-failure', times: 1 });
    m.startReverseSync(meta(), { activationId: A, serverId: 's1' }, now);
    now += 10 * MIN;
    m.stopServer(meta(), vmId, now);
    now += 2 * MIN;
    m.reverseDelta(meta(), { activationId: A, serverId: 's1', final: true }, now);
    now += 5 * MIN;
    const start = m.startAtOriginal(meta(), { activationId: A, serverId: 's1' }, now).operation;
    now += 10 * MIN;
    expect(m.getOperation(start.id, now)!.result).toMatchObject({ health: 'failed' });
    expect(row(m, now).originalState).toBe('running');
    const stop = m.stopAtOriginal(meta('stop-1'), { activationId: A, serverId: 's1' }, now).operation;
    now += 10 * MIN;
    expect(m.getOperation(stop.id, now)!.status).toBe('succeeded');
    expect(row(m, now).originalState).toBe('stopped');
    // Asked again under the same key: the same operation; under another: already stopped.
    expect(m.stopAtOriginal(meta('stop-1'), { activationId: A, serverId: 's1' }, now).operation.id).toBe(
      stop.id,
    );
    const again = m.stopAtOriginal(meta('stop-2'), { activationId: A, serverId: 's1' }, now).operation;
    expect(m.getOperation(again.id, now)!.result).toMatchObject({ alreadyStopped: true });
  });
});
