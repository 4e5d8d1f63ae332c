import type { ActivationEvent } from '../../activation/activation.events';
import type { ActivationServerSnapshot, Health } from '../../activation/activation.types';

/**
 * Realistic activation event streams for report tests (unit and e2e): what the worker records for
 * a DRP test, built without the worker. Times are minutes after the launch.
 */

/** 3 February 2020 17:01 in Paris (the service description's example). */
export const LAUNCH = '2020-02-03T16:01:00.000Z';
export const REQUESTED = '2020-02-03T16:00:00.000Z';

export const minutesAfter = (origin: string, minutes: number): string =>
  new Date(Date.parse(origin) + Math.round(minutes * 60_000)).toISOString();

export function snapshot(
  hostname: string,
  overrides: Partial<ActivationServerSnapshot> = {},
): ActivationServerSnapshot {
  return {
    serverId: `srv-${hostname}`,
    hostname,
    osFamily: 'windows',
    osName: 'Windows Server',
    osVersion: '2019',
    template: { vcpu: 4, ramGiB: 16 },
    disks: [
      { name: 'system', sizeGiB: 80 },
      { name: 'data', sizeGiB: 200 },
    ],
    dependsOn: [],
    rtoMinutes: 60,
    rpoMinutes: 1440,
    recoveryMethod: 'backup-restore',
    protectionClass: 'drp',
    antiAffinityGroup: null,
    ...overrides,
  };
}

/** What happens to one server; every time is minutes after the launch. */
export interface ServerRun {
  restore?: { start: number; end?: number; rpoMinutes: number; failReason?: string };
  boot?: { start: number; end?: number; host?: string; failReason?: string };
  analysis?: { start: number; end?: number; health?: Health; detail?: string | null; failReason?: string };
  blocked?: { at: number; by: ActivationServerSnapshot; reason?: string };
}

export function serverEvents(
  server: ActivationServerSnapshot,
  run: ServerRun,
  launch = LAUNCH,
): ActivationEvent[] {
  const t = (m: number) => minutesAfter(launch, m);
  const serverId = server.serverId;
  const attempt = 1;
  const out: ActivationEvent[] = [];
  if (run.restore) {
    const r = run.restore;
    out.push({
      type: 'ServerRestoreStarted',
      data: {
        serverId,
        attempt,
        method: server.recoveryMethod,
        restorePointId: `rp-${server.hostname}`,
        restorePointTakenAt: minutesAfter(launch, r.start - r.rpoMinutes),
        rpoMinutes: r.rpoMinutes,
        prestaged: r.start < 0,
        at: t(r.start),
      },
    });
    if (r.failReason !== undefined) {
      out.push({
        type: 'ServerStepFailed',
        data: { serverId, step: 'restore', reason: r.failReason, attempt, at: t(r.end ?? r.start + 1) },
      });
      return out;
    }
    if (r.end !== undefined) {
      server.disks.forEach((d, i) =>
        out.push({
          type: 'DiskRestored',
          data: {
            serverId,
            attempt,
            disk: d.name,
            at: t(r.start + ((r.end! - r.start) * (i + 1)) / server.disks.length),
          },
        }),
      );
      out.push({ type: 'ServerRestored', data: { serverId, attempt, at: t(r.end) } });
    }
  }
  if (run.boot) {
    const b = run.boot;
    out.push({
      type: 'ServerBootStarted',
      data: { serverId, attempt, host: b.host ?? 'esx-01', at: t(b.start) },
    });
    if (b.failReason !== undefined) {
      out.push({
        type: 'ServerStepFailed',
        data: { serverId, step: 'boot', reason: b.failReason, attempt, at: t(b.end ?? b.start + 1) },
      });
      return out;
    }
    if (b.end !== undefined) out.push({ type: 'ServerBooted', data: { serverId, attempt, at: t(b.end) } });
  }
  if (run.analysis) {
    const a = run.analysis;
    out.push({ type: 'ServerAnalysisStarted', data: { serverId, attempt, at: t(a.start) } });
    if (a.failReason !== undefined) {
      out.push({
        type: 'ServerStepFailed',
        data: { serverId, step: 'analysis', reason: a.failReason, attempt, at: t(a.end ?? a.start + 1) },
      });
    } else if (a.end !== undefined) {
      out.push({
        type: 'ServerChecked',
        data: { serverId, attempt, health: a.health ?? 'ok', detail: a.detail ?? null, at: t(a.end) },
      });
    }
  }
  if (run.blocked) {
    const by = run.blocked.by;
    out.push({
      type: 'ServerBlocked',
      data: {
        serverId,
        blockedBy: by.hostname,
        blockedByServerId: by.serverId,
        reason: run.blocked.reason ?? `upstream server ${by.hostname} failed`,
        at: t(run.blocked.at),
      },
    });
  }
  return out;
}

export interface ScenarioOptions {
  activationId: string;
  tenantId: string;
  servers: { snapshot: ActivationServerSnapshot; run: ServerRun }[];
  /** Extra events (network, completion, close...), `at` set by the caller. */
  tail?: ActivationEvent[];
  launch?: string;
  withNetwork?: boolean;
}

/** ActivationRequested + ActivationStarted, then every server's events and the tail, in time order. */
export function scenarioEvents(o: ScenarioOptions): ActivationEvent[] {
  const launch = o.launch ?? LAUNCH;
  const requestedAt = minutesAfter(launch, -1);
  const head: ActivationEvent[] = [
    {
      type: 'ActivationRequested',
      data: {
        activationId: o.activationId,
        tenantId: o.tenantId,
        type: 'test',
        kind: 'drp-test',
        scope: { mode: 'full', requested: [], added: [], excluded: [] },
        servers: o.servers.map((x) => x.snapshot),
        requestedBy: { name: 'Alice Martin', email: 'alice@acme.test' },
        reason: 'half-yearly DRP test',
        requestedAt,
        window: { activationWindow: '24x7', timeZone: 'Europe/Paris' },
        withNetwork: o.withNetwork ?? true,
        at: requestedAt,
      },
    },
    { type: 'ActivationStarted', data: { at: launch } },
  ];
  const body = [...o.servers.flatMap((x) => serverEvents(x.snapshot, x.run, launch)), ...(o.tail ?? [])];
  // Stable sort by business time: the order the worker would have recorded them in.
  const sorted = body
    .map((e, i) => ({ e, i, ms: Date.parse(e.data.at) }))
    .sort((a, b) => a.ms - b.ms || a.i - b.i)
    .map((x) => x.e);
  return [...head, ...sorted];
}

/**
 * The service description's example: 5 servers (4 Windows, 1 Linux), first available after 30 min,
 * last after 46 min, 4 ok, 0 warning, 1 failed (file01 did not boot). The test is then closed and
 * the recovery space torn down.
 */
export const FIVE = {
  dc01: snapshot('dc01', { osVersion: '2019', template: { vcpu: 2, ramGiB: 8 }, rtoMinutes: 60 }),
  sql01: snapshot('sql01', {
    osVersion: '2016',
    dependsOn: ['dc01'],
    template: { vcpu: 8, ramGiB: 32 },
    rtoMinutes: 60,
    rpoMinutes: 240,
  }),
  app01: snapshot('app01', { osVersion: '2022', dependsOn: ['sql01'], rtoMinutes: 60 }),
  file01: snapshot('file01', {
    osVersion: '2012 R2',
    disks: [
      { name: 'system', sizeGiB: 60 },
      { name: 'shares', sizeGiB: 500 },
    ],
    rtoMinutes: 120,
  }),
  lnx01: snapshot('lnx01', {
    osFamily: 'linux',
    osName: 'Ubuntu',
    osVersion: '22.04',
    template: { vcpu: 2, ramGiB: 4 },
    disks: [{ name: 'root', sizeGiB: 40 }],
    rtoMinutes: 45,
  }),
};

export const FIVE_BOOT_FAILURE = 'no bootable device: INACCESSIBLE_BOOT_DEVICE';

export function fiveServerExample(
  activationId: string,
  tenantId: string,
  launch = LAUNCH,
): ActivationEvent[] {
  const t = (m: number) => minutesAfter(launch, m);
  return scenarioEvents({
    activationId,
    tenantId,
    launch,
    servers: [
      // available after 30 min
      {
        snapshot: FIVE.dc01,
        run: {
          restore: { start: 0, end: 20, rpoMinutes: 600 },
          boot: { start: 20, end: 26 },
          analysis: { start: 26, end: 30 },
        },
      },
      // waits for dc01 (available at 30), available after 40.5 min
      {
        snapshot: FIVE.sql01,
        run: {
          restore: { start: 0, end: 24.5, rpoMinutes: 180 },
          boot: { start: 30, end: 36 },
          analysis: { start: 36, end: 40.5 },
        },
      },
      // waits for sql01, available after 46 min
      {
        snapshot: FIVE.app01,
        run: {
          restore: { start: 0, end: 18.2, rpoMinutes: 610 },
          boot: { start: 40.5, end: 43 },
          analysis: { start: 43, end: 46 },
        },
      },
      // restored, then fails to boot
      {
        snapshot: FIVE.file01,
        run: {
          restore: { start: 0, end: 27.8, rpoMinutes: 595 },
          boot: { start: 27.8, end: 33.3, failReason: FIVE_BOOT_FAILURE },
        },
      },
      // available after 32.4 min
      {
        snapshot: FIVE.lnx01,
        run: {
          restore: { start: 0, end: 12.6, rpoMinutes: 300 },
          boot: { start: 12.6, end: 17 },
          analysis: { start: 17, end: 32.4, detail: 'all services running' },
        },
      },
    ],
    tail: [
      { type: 'NetworkSetupStarted', data: { at: t(1) } },
      { type: 'NetworkReady', data: { at: t(9) } },
      { type: 'ActivationCompleted', data: { status: 'completed-with-failures', at: t(46.2) } },
      { type: 'CloseRequested', data: { by: { name: 'Alice Martin', email: 'alice@acme.test' }, at: t(52) } },
      { type: 'TeardownVerified', data: { remaining: [], at: t(54) } },
      { type: 'ActivationClosed', data: { at: t(54.1) } },
    ],
  });
}
