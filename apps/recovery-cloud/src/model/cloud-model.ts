import {
  checkDiskFits,
  checkVmFits,
  datastoreFree,
  type CapacityRules,
  type DatastoreUsage,
  type HostUsage,
  placeOnHost,
  ramLimit,
} from './capacity';
import { CapacityUsage } from './capacity-usage';
import { type SimConfig, validateConfig } from './config';
import { CloudRequestError } from './errors';
import {
  changedBytes,
  changeRatePerMinute,
  freezeChanges,
  GIB,
  markRunning,
  OriginalSites,
  sendRange,
  transferMs,
  type ReverseReplication,
} from './original-site';
import { keyedRandom } from './random';
import { RestorePool } from './restore-pool';
import { ScheduledCompletions } from './scheduled-completions';
import type {
  DiskResource,
  Fault,
  FaultKind,
  Health,
  LunResource,
  NcaResource,
  NetworkResource,
  Operation,
  OperationKind,
  OsFamily,
  ProtectedServer,
  RecoveryMethod,
  Resource,
  RestorePoint,
  SiteState,
  VmResource,
  VpnResource,
} from './types';

const MINUTE = 60_000;
const DAY = 86_400_000;

export interface RegisterServerInput {
  serverId: string;
  hostname: string;
  osFamily: OsFamily;
  disks: { name: string; sizeGiB: number }[];
  template: { vcpu: number; ramGiB: number };
  recoveryMethod?: RecoveryMethod;
  antiAffinityGroup?: string;
}
export interface RestoreDiskInput {
  activationId: string;
  serverId: string;
  diskName: string;
  restorePointId?: string;
  datastoreId?: string;
}
export interface CreateServerInput {
  activationId: string;
  serverId: string;
  vcpu?: number;
  ramGiB?: number;
  diskIds?: string[];
  lunId?: string;
  antiAffinityGroup?: string;
}
export interface ActivationScoped {
  activationId: string;
}
export interface NetworkInput extends ActivationScoped {
  name?: string;
  cidr?: string;
}
export interface NcaInput extends ActivationScoped {
  networkId: string;
}
export interface VpnInput extends ActivationScoped {
  networkId: string;
  site: string;
}
export interface ReplicaInput extends ActivationScoped {
  serverId: string;
  antiAffinityGroup?: string;
}
export interface ReverseServerInput extends ActivationScoped {
  serverId: string;
}
export interface ReverseDeltaInput extends ReverseServerInput {
  /** The last delta, once the server stopped at the recovery site: nothing is left after it. */
  final?: boolean;
}

/** A request as seen by the model: who, with which idempotency key, and the request's fingerprint. */
export interface RequestMeta {
  tenantId: string;
  idempotencyKey: string;
  /** Canonical form of method + path + body; same key with another fingerprint is refused. */
  fingerprint: string;
}

export interface Submitted {
  operation: Operation;
  replayed: boolean;
}

interface Stats {
  requests: number;
  operationsCreated: number;
  replayedRequests: number;
  restoreRequests: number;
  duplicateRestoreRequests: number;
  duplicateRestoresSameDisk: number;
  duplicateServerCreations: number;
  duplicatePowerOnRequests: number;
  rejectedRequests: number;
  faultsTriggered: number;
  /** Scripts run inside recovered servers (a replayed request under the same key is not counted). */
  guestRuns: number;
  probes: number;
}

const emptyStats = (): Stats => ({
  requests: 0,
  operationsCreated: 0,
  replayedRequests: 0,
  restoreRequests: 0,
  duplicateRestoreRequests: 0,
  duplicateRestoresSameDisk: 0,
  duplicateServerCreations: 0,
  duplicatePowerOnRequests: 0,
  rejectedRequests: 0,
  faultsTriggered: 0,
  guestRuns: 0,
  probes: 0,
});

/** Output kept of a guest script (the tail beyond is cut). */
export const GUEST_OUTPUT_MAX = 4096;
/**
 * Ports a recovered server answers on: its remote shell (22 Linux, 3389 Windows) and the standard
 * ports of the applications a recovery plan checks (web 80/443, SQL Server 1433, Oracle 1521,
 * PostgreSQL 5432). The simulator does not know a server's applications, so all of these answer.
 */
const OPEN_PORTS = { linux: [22, 80, 443, 1433, 1521, 5432], windows: [3389, 80, 443, 1433, 1521, 5432] };

const HEALTH_WARNINGS = [
  "service 'Print Spooler' did not start automatically (manual start needed)",
  'scheduled task backup-agent is disabled after restore',
  'time drift of 4 minutes against the NCA NTP server',
  'application pool DefaultAppPool stopped; restarted by hand',
];
const HEALTH_FAILURES = [
  "service 'MSSQLSERVER' is stopped: database in recovery pending state",
  'no answer on the application port after boot (connection refused)',
  'file system check failed on the data volume',
  'domain trust lost: secure channel to the domain controller is broken',
];

/**
 * The whole simulated recovery cloud as a pure, deterministic state machine. Every call takes
 * the simulated `now` in milliseconds; the model advances lazily (restores as a fluid shared
 * bandwidth, other steps as scheduled completions) up to `now` before answering.
 */
export class CloudModel {
  private config: SimConfig;
  private readonly servers = new Map<string, ProtectedServer>();
  private readonly operations = new Map<string, Operation>();
  private readonly byKey = new Map<string, string>();
  private readonly usage = new CapacityUsage();
  private readonly resources = new ResourceIndex(this.usage);
  private readonly scheduled = new ScheduledCompletions();
  private readonly restoreHandlers = new Map<string, (at: number) => void>();
  private readonly attempts = new Map<string, number>();
  private faults: Fault[] = [];
  private readonly sites = new OriginalSites();
  private readonly replications = new Map<string, ReverseReplication>();
  private pool: RestorePool;
  private stats = emptyStats();
  private seq = 0;
  private resourceSeq = 0;
  private faultSeq = 0;
  private clock: number;

  constructor(
    config: SimConfig,
    readonly seed: number,
    startAt: number,
  ) {
    this.config = validateConfig(structuredClone(config));
    this.usage.reset(this.config, []);
    this.clock = startAt;
    this.pool = new RestorePool(this.bandwidth(), startAt);
  }

  // ---------------------------------------------------------------- configuration, faults, stats

  /** The provider-API misbehaviour settings, read on every request (no copy). */
  apiSettings(): Readonly<SimConfig['api']> {
    return this.config.api;
  }

  getConfig(): SimConfig {
    return structuredClone(this.config);
  }

  setConfig(config: SimConfig, now: number): SimConfig {
    const valid = validateConfig(structuredClone(config));
    this.advanceTo(now);
    this.config = valid;
    this.usage.reset(valid, this.resources.values());
    this.pool.setBandwidth(this.bandwidth(), Math.max(now, this.pool.time));
    return this.getConfig();
  }

  addFault(input: { hostname: string; fault: FaultKind; times?: number | null }): Fault {
    const fault: Fault = {
      id: `flt-${++this.faultSeq}`,
      hostname: input.hostname,
      fault: input.fault,
      remaining: input.times ?? null,
      triggered: 0,
    };
    this.faults.push(fault);
    return { ...fault };
  }

  listFaults(): Fault[] {
    return this.faults.map((f) => ({ ...f }));
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Makes a server's backups stale: the newest restore point is `ageMinutes` old at `now`. */
  setBackupAge(tenantId: string, serverId: string, ageMinutes: number | null, now: number): ProtectedServer {
    const server = this.requireServer(tenantId, serverId);
    server.backupsStoppedAt = ageMinutes === null ? undefined : now - ageMinutes * MINUTE;
    return { ...server };
  }

  getStats(now: number) {
    this.advanceTo(now);
    const byActivation: Record<
      string,
      {
        tenantId: string;
        disks: number;
        servers: number;
        networks: number;
        ncas: number;
        vpns: number;
        luns: number;
        total: number;
      }
    > = Object.create(null); // keyed by a client's activation id: no prototype to hit
    let serversRunning = 0;
    let serversTotal = 0;
    for (const r of this.resources.values()) {
      if (r.kind === 'server') {
        serversTotal++;
        if (r.state === 'running') serversRunning++;
      }
      const entry = (byActivation[r.activationId] ??= {
        tenantId: r.tenantId,
        disks: 0,
        servers: 0,
        networks: 0,
        ncas: 0,
        vpns: 0,
        luns: 0,
        total: 0,
      });
      const field = (
        {
          disk: 'disks',
          server: 'servers',
          network: 'networks',
          nca: 'ncas',
          vpn: 'vpns',
          lun: 'luns',
        } as const
      )[r.kind];
      entry[field]++;
      entry.total++;
    }
    const operationsByStatus: Record<string, number> = { pending: 0, running: 0, succeeded: 0, failed: 0 };
    const operationsByKind: Record<string, number> = {};
    for (const op of this.operations.values()) {
      operationsByStatus[op.status]++;
      operationsByKind[op.kind] = (operationsByKind[op.kind] ?? 0) + 1;
    }
    return {
      ...this.stats,
      duplicateRequests: this.stats.replayedRequests,
      serversRunning,
      serversTotal,
      activeRestores: this.pool.size,
      operationsByStatus,
      operationsByKind,
      resourcesTotal: this.resources.size,
      resourcesByActivation: byActivation,
      protectedServers: this.servers.size,
      activeFaults: this.faults.length,
      failback: this.failbackStats(now),
    };
  }

  /** Capacity snapshot: every host and datastore with its use. */
  getCapacity(now: number) {
    this.advanceTo(now);
    const rules = this.config.capacity;
    return {
      rules,
      hosts: this.hostUsage().map((h) => ({
        id: h.id,
        clusterId: h.clusterId,
        vcpu: h.vcpu,
        ramGiB: h.ramGiB,
        usedVcpu: h.usedVcpu,
        usedRamGiB: h.usedRamGiB,
        ramLimitGiB: ramLimit(h, rules),
        antiAffinityGroups: [...h.groups],
      })),
      datastores: this.datastoreUsage().map((d) => ({ ...d, freeGiB: datastoreFree(d, rules) })),
      restoreBandwidthMiBps: this.config.timing.restoreBandwidthMiBps,
    };
  }

  // ---------------------------------------------------------------- reads

  getOperation(id: string, now: number): Operation | undefined {
    this.advanceTo(now);
    const op = this.operations.get(id);
    return op ? { ...op } : undefined;
  }

  listOperations(filter: { tenantId?: string; activationId?: string }, now: number): Operation[] {
    this.advanceTo(now);
    return [...this.operations.values()]
      .filter(
        (op) =>
          (!filter.tenantId || op.tenantId === filter.tenantId) &&
          (!filter.activationId || op.activationId === filter.activationId),
      )
      .map((op) => ({ ...op }));
  }

  listResources(
    filter: { tenantId: string; activationId?: string; serverId?: string },
    now: number,
  ): Resource[] {
    this.advanceTo(now);
    const candidates =
      filter.activationId && filter.serverId
        ? this.resources.ofServer(filter.tenantId, filter.activationId, filter.serverId)
        : this.resources.values();
    return [...candidates]
      .filter(
        (r) =>
          r.tenantId === filter.tenantId &&
          (!filter.activationId || r.activationId === filter.activationId) &&
          (!filter.serverId || ('serverId' in r && r.serverId === filter.serverId)),
      )
      .map((r) => ({ ...r }));
  }

  getProtectedServer(tenantId: string, serverId: string): ProtectedServer | undefined {
    const s = this.servers.get(`${tenantId}/${serverId}`);
    return s ? { ...s } : undefined;
  }

  findServersByHostname(hostname: string, tenantId?: string): ProtectedServer[] {
    return [...this.servers.values()]
      .filter((s) => s.hostname === hostname && (!tenantId || s.tenantId === tenantId))
      .map((s) => ({ ...s }));
  }

  /** The newest restore point of every registered server of a tenant (backup freshness at a glance). */
  backupFreshness(tenantId: string, now: number) {
    this.advanceTo(now);
    const items = [];
    for (const server of this.servers.values()) {
      if (server.tenantId !== tenantId) continue;
      const points = this.restorePoints(server, now);
      const newest = points[points.length - 1];
      items.push({
        serverId: server.serverId,
        hostname: server.hostname,
        recoveryMethod: server.recoveryMethod,
        newestTakenAt: newest?.takenAt ?? null,
        ageMinutes: newest ? newest.ageMinutes : null,
      });
    }
    return items;
  }

  listRestorePoints(tenantId: string, serverId: string, now: number): RestorePoint[] {
    this.advanceTo(now);
    return this.restorePoints(this.requireServer(tenantId, serverId), now);
  }

  // ---------------------------------------------------------------- provider operations

  registerServer(meta: RequestMeta, input: RegisterServerInput, now: number): Submitted {
    return this.submit('register-server', meta, now, () => {
      const existing = this.servers.get(`${meta.tenantId}/${input.serverId}`);
      const server: ProtectedServer = {
        tenantId: meta.tenantId,
        serverId: input.serverId,
        hostname: input.hostname,
        osFamily: input.osFamily,
        disks: input.disks.map((d) => ({ name: d.name, sizeGiB: d.sizeGiB })),
        template: { vcpu: input.template.vcpu, ramGiB: input.template.ramGiB },
        recoveryMethod: input.recoveryMethod ?? 'backup-restore',
        antiAffinityGroup: input.antiAffinityGroup,
        registeredAt: existing?.registeredAt ?? now,
        backupsStoppedAt: existing?.backupsStoppedAt,
      };
      this.servers.set(`${meta.tenantId}/${input.serverId}`, server);
      const op = this.newOperation('register-server', meta, now, { hostname: input.hostname });
      this.finish(op, now, {
        serverId: server.serverId,
        hostname: server.hostname,
        recoveryMethod: server.recoveryMethod,
        updated: !!existing,
      });
      return op;
    });
  }

  restoreDisk(meta: RequestMeta, input: RestoreDiskInput, now: number): Submitted {
    return this.submit('restore-disk', meta, now, () => {
      const server = this.requireServer(meta.tenantId, input.serverId);
      if (server.recoveryMethod !== 'backup-restore') {
        throw new CloudRequestError(
          422,
          'wrong-recovery-method',
          `server ${server.hostname} is protected by ${server.recoveryMethod}, not backup-restore`,
        );
      }
      const disk = server.disks.find((d) => d.name === input.diskName);
      if (!disk)
        throw new CloudRequestError(
          404,
          'disk-not-found',
          `server ${server.hostname} has no disk "${input.diskName}"`,
        );
      const points = this.restorePoints(server, now);
      if (points.length === 0)
        throw new CloudRequestError(
          422,
          'no-restore-point',
          `server ${server.hostname} has no restore point`,
        );
      const point = input.restorePointId
        ? points.find((p) => p.id === input.restorePointId)
        : points[points.length - 1];
      if (!point)
        throw new CloudRequestError(
          404,
          'restore-point-not-found',
          `restore point ${input.restorePointId} of ${server.hostname} does not exist (or has expired)`,
        );
      const rules = this.config.capacity;
      const label = `disk ${disk.name} of ${server.hostname}`;
      let ds: DatastoreUsage | undefined;
      const usage = this.datastoreUsage();
      if (input.datastoreId) {
        ds = usage.find((d) => d.id === input.datastoreId);
        if (!ds)
          throw new CloudRequestError(
            404,
            'datastore-not-found',
            `datastore ${input.datastoreId} does not exist`,
          );
      } else {
        ds = [...usage].sort((a, b) => datastoreFree(b, rules) - datastoreFree(a, rules))[0];
      }

      // Same disk of the same activation restored again under another key: allowed, but counted.
      const sameDisk = [...this.resources.ofServer(meta.tenantId, input.activationId, input.serverId)].some(
        (r) =>
          r.kind === 'disk' &&
          r.tenantId === meta.tenantId &&
          r.activationId === input.activationId &&
          r.serverId === input.serverId &&
          r.diskName === input.diskName,
      );
      if (sameDisk) {
        this.stats.duplicateRestoreRequests++;
        this.stats.duplicateRestoresSameDisk++;
      }

      const op = this.newOperation('restore-disk', meta, now, {
        activationId: input.activationId,
        hostname: server.hostname,
      });
      const refusal = checkDiskFits(ds, disk.sizeGiB, rules, label);
      if (refusal) {
        this.fail(op, now, refusal);
        return op;
      }
      const diskRes: DiskResource = {
        id: this.newResourceId('disk'),
        kind: 'disk',
        tenantId: meta.tenantId,
        activationId: input.activationId,
        state: 'restoring',
        createdAt: now,
        operationId: op.id,
        serverId: server.serverId,
        hostname: server.hostname,
        diskName: disk.name,
        sizeGiB: disk.sizeGiB,
        datastoreId: ds.id,
        restorePointId: point.id,
        restorePointTakenAt: Date.parse(point.takenAt),
      };
      this.resources.set(diskRes.id, diskRes);
      op.resourceId = diskRes.id;
      const attempt = this.nextAttempt('restore', server.hostname);
      const injectedFailure = this.consumeFault(server.hostname, 'restore-failure');
      const randomFailure =
        keyedRandom(this.seed, 'restore-failure', server.hostname, disk.name, attempt) <
        this.config.faultRates.restoreFailure;
      const slow = this.consumeFault(server.hostname, 'slow-restore');
      const result = {
        diskId: diskRes.id,
        serverId: server.serverId,
        diskName: disk.name,
        sizeGiB: disk.sizeGiB,
        datastoreId: ds.id,
        restorePointId: point.id,
        restorePointTakenAt: point.takenAt,
        rpoMinutes: Math.round(((now - Date.parse(point.takenAt)) / MINUTE) * 10) / 10,
        slowed: slow,
      };
      const complete = (at: number) => {
        if (injectedFailure || randomFailure) {
          this.resources.delete(diskRes.id);
          this.fail(op, at, {
            code: 'restore-failure',
            message: `restore of disk ${disk.name} of ${server.hostname} from ${point.id} failed: ${injectedFailure ? 'injected fault' : 'backup chain read error'} (checksum mismatch on block 4242)`,
          });
        } else {
          diskRes.state = 'ready';
          this.finish(op, at, result);
        }
      };
      if (this.config.timing.zeroDurations) {
        this.schedule(op, now, complete);
      } else {
        this.restoreHandlers.set(op.id, complete);
        this.pool.add(op.id, disk.sizeGiB * 1024, now, slow ? this.config.timing.slowRestoreFactor : 1);
      }
      return op;
    });
  }

  createServer(meta: RequestMeta, input: CreateServerInput, now: number): Submitted {
    return this.submit('create-server', meta, now, () => {
      const server = this.requireServer(meta.tenantId, input.serverId);
      const vcpu = input.vcpu ?? server.template.vcpu;
      const ramGiB = input.ramGiB ?? server.template.ramGiB;
      const disks: DiskResource[] = [];
      let lun: LunResource | undefined;
      let source: VmResource['source'] = 'restore';
      if (input.lunId) {
        const r = this.resources.get(input.lunId);
        if (!r || r.kind !== 'lun' || r.tenantId !== meta.tenantId)
          throw new CloudRequestError(404, 'lun-not-found', `LUN ${input.lunId} does not exist`);
        if (r.state !== 'presented')
          throw new CloudRequestError(
            409,
            'lun-not-presented',
            `LUN ${input.lunId} is ${r.state}, not presented`,
          );
        lun = r;
        source = 'lun';
      } else if (input.diskIds && input.diskIds.length > 0) {
        for (const id of input.diskIds) {
          const r = this.resources.get(id);
          if (!r || r.kind !== 'disk' || r.tenantId !== meta.tenantId)
            throw new CloudRequestError(404, 'disk-not-found', `restored disk ${id} does not exist`);
          if (r.state !== 'ready')
            throw new CloudRequestError(409, 'disk-not-ready', `restored disk ${id} is ${r.state}`);
          if (r.activationId !== input.activationId)
            throw new CloudRequestError(
              409,
              'disk-of-another-activation',
              `restored disk ${id} belongs to activation ${r.activationId}`,
            );
          disks.push(r);
        }
      } else {
        // Default: the latest ready restore of each of the server's disks in this activation.
        for (const d of server.disks) {
          const found = [...this.resources.ofServer(meta.tenantId, input.activationId, server.serverId)]
            .filter(
              (r): r is DiskResource =>
                r.kind === 'disk' &&
                r.tenantId === meta.tenantId &&
                r.activationId === input.activationId &&
                r.serverId === server.serverId &&
                r.diskName === d.name &&
                r.state === 'ready',
            )
            .pop();
          if (!found)
            throw new CloudRequestError(
              409,
              'disks-not-restored',
              `disk ${d.name} of ${server.hostname} is not restored in activation ${input.activationId}`,
            );
          disks.push(found);
        }
      }
      const existingVm = [
        ...this.resources.ofServer(meta.tenantId, input.activationId, server.serverId),
      ].some(
        (r) =>
          r.kind === 'server' &&
          r.tenantId === meta.tenantId &&
          r.activationId === input.activationId &&
          r.serverId === server.serverId,
      );
      if (existingVm) this.stats.duplicateServerCreations++;
      const op = this.newOperation('create-server', meta, now, {
        activationId: input.activationId,
        hostname: server.hostname,
      });
      const vm = this.placeVm(
        op,
        meta.tenantId,
        input.activationId,
        server,
        { vcpu, ramGiB, disks, lun, source, antiAffinityGroup: input.antiAffinityGroup, state: 'creating' },
        now,
      );
      if (!vm) return op;
      this.schedule(op, now + this.seconds(this.config.timing.createServerSeconds), (at) => {
        vm.state = 'stopped';
        this.finish(op, at, this.vmResult(vm));
      });
      return op;
    });
  }

  powerOn(meta: RequestMeta, vmId: string, now: number): Submitted {
    return this.submit('power-on', meta, now, () => {
      const vm = this.requireVm(meta.tenantId, vmId);
      if (vm.state === 'creating' || vm.state === 'deleting')
        throw new CloudRequestError(
          409,
          'server-not-ready',
          `server ${vm.hostname} (${vm.id}) is ${vm.state}`,
        );
      const op = this.newOperation('power-on', meta, now, {
        activationId: vm.activationId,
        hostname: vm.hostname,
      });
      op.resourceId = vm.id;
      if (vm.state === 'running' || vm.state === 'starting') {
        this.stats.duplicatePowerOnRequests++;
        this.finish(op, now, { ...this.vmResult(vm), alreadyRunning: true });
        return op;
      }
      vm.state = 'starting';
      const attempt = this.nextAttempt('boot', vm.hostname);
      const injected = this.consumeFault(vm.hostname, 'boot-failure');
      const random =
        keyedRandom(this.seed, 'boot-failure', vm.hostname, attempt) < this.config.faultRates.bootFailure;
      const duration = this.bootDuration(vm.hostname, vm.osFamily, attempt);
      this.schedule(op, now + duration, (at) => {
        if (injected || random) {
          vm.state = 'stopped';
          this.fail(op, at, {
            code: 'boot-failure',
            message: `server ${vm.hostname} did not boot: ${injected ? 'injected fault: ' : ''}operating system not found on the boot disk (no bootable device)`,
          });
        } else {
          markRunning(vm, at);
          this.finish(op, at, {
            ...this.vmResult(vm),
            bootMinutes: Math.round((duration / MINUTE) * 10) / 10,
          });
        }
      });
      return op;
    });
  }

  analyse(meta: RequestMeta, vmId: string, now: number): Submitted {
    return this.submit('analyse', meta, now, () => {
      const vm = this.requireVm(meta.tenantId, vmId);
      if (vm.state !== 'running')
        throw new CloudRequestError(
          409,
          'server-not-running',
          `server ${vm.hostname} (${vm.id}) is ${vm.state}, not running`,
        );
      const op = this.newOperation('analyse', meta, now, {
        activationId: vm.activationId,
        hostname: vm.hostname,
      });
      op.resourceId = vm.id;
      const attempt = this.nextAttempt('analyse', vm.hostname);
      const failedFault = this.consumeFault(vm.hostname, 'health-failure');
      const warningFault = !failedFault && this.consumeFault(vm.hostname, 'health-warning');
      const rates = this.config.faultRates;
      const draw = keyedRandom(this.seed, 'health', vm.hostname, attempt);
      const pick = (list: string[]) =>
        list[Math.floor(keyedRandom(this.seed, 'health-detail', vm.hostname, attempt) * list.length)];
      let health: Health = 'ok';
      let detail = `${vm.osFamily === 'windows' ? 'RDP' : 'SSH'}, ping, disks and services checked: all good`;
      if (failedFault || draw < rates.healthFailure) {
        health = 'failed';
        detail = (failedFault ? 'injected fault: ' : '') + pick(HEALTH_FAILURES);
      } else if (warningFault || draw < rates.healthFailure + rates.healthWarning) {
        health = 'warning';
        detail = (warningFault ? 'injected fault: ' : '') + pick(HEALTH_WARNINGS);
      }
      this.schedule(op, now + this.minutes(this.config.timing.analysisMinutes), (at) => {
        vm.health = health;
        this.finish(op, at, { vmId: vm.id, serverId: vm.serverId, hostname: vm.hostname, health, detail });
      });
      return op;
    });
  }

  /**
   * Runs a script inside a running server (guest operations): its exit code, output (cut to
   * GUEST_OUTPUT_MAX) and duration; an injected `script-failure` exits 1.
   */
  guestRun(
    meta: RequestMeta,
    vmId: string,
    input: { interpreter: string; script: string },
    now: number,
  ): Submitted {
    return this.submit('guest-run', meta, now, () => {
      const vm = this.requireRunningVm(meta.tenantId, vmId);
      const op = this.newOperation('guest-run', meta, now, {
        activationId: vm.activationId,
        hostname: vm.hostname,
      });
      op.resourceId = vm.id;
      this.stats.guestRuns++;
      const injected = this.consumeFault(vm.hostname, 'script-failure');
      const lines = input.script.split('\n').filter((l) => l.trim()).length;
      const durationSeconds = 20 + 10 * lines;
      const output = (
        injected
          ? `${input.interpreter}: injected fault: the script stopped at line 1 (exit 1)`
          : `${input.interpreter} on ${vm.hostname}: ${lines} line(s) run\n${input.script}`
      ).slice(0, GUEST_OUTPUT_MAX);
      this.schedule(op, now + this.seconds(durationSeconds), (at) =>
        this.finish(op, at, { vmId: vm.id, exitCode: injected ? 1 : 0, output, durationSeconds }),
      );
      return op;
    });
  }

  /** Probes a running server through the recovery network: a TCP port or an HTTP path. */
  probe(meta: RequestMeta, vmId: string, input: { tcp?: number; http?: string }, now: number): Submitted {
    return this.submit('probe', meta, now, () => {
      const vm = this.requireRunningVm(meta.tenantId, vmId);
      const op = this.newOperation('probe', meta, now, {
        activationId: vm.activationId,
        hostname: vm.hostname,
      });
      op.resourceId = vm.id;
      this.stats.probes++;
      const injected = this.consumeFault(vm.hostname, 'probe-failure');
      const result =
        input.tcp !== undefined
          ? { vmId: vm.id, open: !injected && OPEN_PORTS[vm.osFamily].includes(input.tcp), port: input.tcp }
          : { vmId: vm.id, status: injected ? 503 : 200, path: input.http };
      this.schedule(op, now + this.seconds(2), (at) => this.finish(op, at, result));
      return op;
    });
  }

  private requireRunningVm(tenantId: string, vmId: string): VmResource {
    const vm = this.requireVm(tenantId, vmId);
    if (vm.state !== 'running')
      throw new CloudRequestError(
        409,
        'server-not-running',
        `server ${vm.hostname} (${vm.id}) is ${vm.state}, not running`,
      );
    return vm;
  }

  createNetwork(meta: RequestMeta, input: NetworkInput, now: number): Submitted {
    return this.submit('create-network', meta, now, () => {
      const op = this.newOperation('create-network', meta, now, { activationId: input.activationId });
      const net: NetworkResource = {
        ...this.baseResource('network', meta.tenantId, input.activationId, op, now),
        kind: 'network',
        state: 'creating',
        name: input.name ?? `recovery-${input.activationId}`,
        cidr: input.cidr ?? '10.250.0.0/24',
      };
      this.resources.set(net.id, net);
      op.resourceId = net.id;
      this.schedule(op, now + this.minutes(this.config.timing.networkMinutes), (at) => {
        net.state = 'ready';
        this.finish(op, at, { networkId: net.id, name: net.name, cidr: net.cidr });
      });
      return op;
    });
  }

  createNca(meta: RequestMeta, input: NcaInput, now: number): Submitted {
    return this.submit('create-nca', meta, now, () => {
      this.requireNetwork(meta.tenantId, input.networkId);
      const op = this.newOperation('create-nca', meta, now, { activationId: input.activationId });
      const nca: NcaResource = {
        ...this.baseResource('nca', meta.tenantId, input.activationId, op, now),
        kind: 'nca',
        state: 'creating',
        networkId: input.networkId,
      };
      this.resources.set(nca.id, nca);
      op.resourceId = nca.id;
      this.schedule(op, now + this.minutes(this.config.timing.ncaMinutes), (at) => {
        nca.state = 'ready';
        this.finish(op, at, { ncaId: nca.id, networkId: nca.networkId, services: ['dhcp', 'dns'] });
      });
      return op;
    });
  }

  createVpn(meta: RequestMeta, input: VpnInput, now: number): Submitted {
    return this.submit('create-vpn', meta, now, () => {
      this.requireNetwork(meta.tenantId, input.networkId);
      const op = this.newOperation('create-vpn', meta, now, { activationId: input.activationId });
      const vpn: VpnResource = {
        ...this.baseResource('vpn', meta.tenantId, input.activationId, op, now),
        kind: 'vpn',
        state: 'creating',
        networkId: input.networkId,
        site: input.site,
      };
      this.resources.set(vpn.id, vpn);
      op.resourceId = vpn.id;
      this.schedule(op, now + this.minutes(this.config.timing.vpnMinutes), (at) => {
        vpn.state = 'ready';
        this.finish(op, at, { vpnId: vpn.id, site: vpn.site, networkId: vpn.networkId, protocol: 'ipsec' });
      });
      return op;
    });
  }

  powerOnReplica(meta: RequestMeta, input: ReplicaInput, now: number): Submitted {
    return this.submit('power-on-replica', meta, now, () => {
      const server = this.requireServer(meta.tenantId, input.serverId);
      if (server.recoveryMethod !== 'vm-replication') {
        throw new CloudRequestError(
          422,
          'wrong-recovery-method',
          `server ${server.hostname} is protected by ${server.recoveryMethod}, not vm-replication`,
        );
      }
      const op = this.newOperation('power-on-replica', meta, now, {
        activationId: input.activationId,
        hostname: server.hostname,
      });
      const vm = this.placeVm(
        op,
        meta.tenantId,
        input.activationId,
        server,
        {
          vcpu: server.template.vcpu,
          ramGiB: server.template.ramGiB,
          disks: [],
          source: 'replica',
          antiAffinityGroup: input.antiAffinityGroup,
          state: 'starting',
        },
        now,
      );
      if (!vm) return op;
      const attempt = this.nextAttempt('replica', server.hostname);
      const injected = this.consumeFault(server.hostname, 'boot-failure');
      const interval = this.config.backups.vmReplicationIntervalMinutes;
      const rpo =
        server.backupsStoppedAt !== undefined
          ? (now - server.backupsStoppedAt) / MINUTE
          : Math.round(keyedRandom(this.seed, 'replica-age', server.hostname, attempt) * interval * 10) / 10;
      const base = this.minutes(this.config.timing.replicaPowerOnMinutes);
      const duration =
        base *
        (1 +
          ((keyedRandom(this.seed, 'replica-jitter', server.hostname, attempt) * 2 - 1) *
            this.config.timing.bootJitterPercent) /
            100);
      this.schedule(op, now + duration, (at) => {
        if (injected) {
          vm.state = 'stopped';
          this.fail(op, at, {
            code: 'boot-failure',
            message: `replica of ${server.hostname} did not boot: injected fault: operating system not found`,
          });
        } else {
          markRunning(vm, at);
          this.finish(op, at, {
            ...this.vmResult(vm),
            rpoMinutes: rpo,
            replicaTakenAt: new Date(now - rpo * MINUTE).toISOString(),
          });
        }
      });
      return op;
    });
  }

  presentLun(meta: RequestMeta, input: ReplicaInput, now: number): Submitted {
    return this.submit('present-lun', meta, now, () => {
      const server = this.requireServer(meta.tenantId, input.serverId);
      if (server.recoveryMethod !== 'storage-replication') {
        throw new CloudRequestError(
          422,
          'wrong-recovery-method',
          `server ${server.hostname} is protected by ${server.recoveryMethod}, not storage-replication`,
        );
      }
      const op = this.newOperation('present-lun', meta, now, {
        activationId: input.activationId,
        hostname: server.hostname,
      });
      const attempt = this.nextAttempt('lun', server.hostname);
      const rpoMax = this.config.backups.storageReplicationRpoMinutes;
      const rpo =
        server.backupsStoppedAt !== undefined
          ? (now - server.backupsStoppedAt) / MINUTE
          : Math.round(keyedRandom(this.seed, 'lun-age', server.hostname, attempt) * rpoMax * 10) / 10;
      const lun: LunResource = {
        ...this.baseResource('lun', meta.tenantId, input.activationId, op, now),
        kind: 'lun',
        state: 'presenting',
        serverId: server.serverId,
        hostname: server.hostname,
        sizeGiB: server.disks.reduce((s, d) => s + d.sizeGiB, 0),
        rpoMinutes: rpo,
      };
      this.resources.set(lun.id, lun);
      op.resourceId = lun.id;
      this.schedule(op, now + this.minutes(this.config.timing.lunPresentMinutes), (at) => {
        lun.state = 'presented';
        this.finish(op, at, {
          lunId: lun.id,
          serverId: server.serverId,
          sizeGiB: lun.sizeGiB,
          rpoMinutes: rpo,
        });
      });
      return op;
    });
  }

  teardown(meta: RequestMeta, activationId: string, now: number): Submitted {
    return this.submit('teardown', meta, now, () => {
      const op = this.newOperation('teardown', meta, now, { activationId });
      // Nothing new of this activation may complete: cancel its running steps.
      for (const other of this.operations.values()) {
        if (other.id === op.id || other.tenantId !== meta.tenantId || other.activationId !== activationId)
          continue;
        if (other.status !== 'running' && other.status !== 'pending') continue;
        if (other.kind === 'teardown') continue;
        this.scheduled.delete(other.id);
        if (this.pool.has(other.id)) this.pool.remove(other.id, now);
        this.restoreHandlers.delete(other.id);
        this.fail(other, now, {
          code: 'cancelled',
          message: `cancelled by the teardown of activation ${activationId}`,
        });
      }
      for (const r of this.resources.values()) {
        if (r.tenantId === meta.tenantId && r.activationId === activationId) r.state = 'deleting';
      }
      this.schedule(op, now + this.minutes(this.config.timing.teardownMinutes), (at) => {
        const removed: Record<string, number> = {};
        for (const [id, r] of [...this.resources.entries()]) {
          if (r.tenantId === meta.tenantId && r.activationId === activationId) {
            this.resources.delete(id);
            removed[r.kind] = (removed[r.kind] ?? 0) + 1;
          }
        }
        this.finish(op, at, { activationId, removed });
      });
      return op;
    });
  }

  // ---------------------------------------------------------------- the original site (failback)

  setOriginalSite(state: SiteState, tenantId?: string) {
    this.sites.set(state, tenantId);
    return this.sites.snapshot();
  }

  originalSites() {
    return this.sites.snapshot();
  }

  originalSite(tenantId: string): { tenantId: string; state: SiteState } {
    return { tenantId, state: this.sites.of(tenantId) };
  }

  /**
   * Per server of an activation at the recovery site: how fast it changes its data, what it changed
   * since it started there, and how much of that has arrived back at the original site.
   */
  replicationStatus(tenantId: string, activationId: string, now: number) {
    this.advanceTo(now);
    const items = [];
    for (const r of this.resources.values()) {
      if (r.kind !== 'server' || r.tenantId !== tenantId || r.activationId !== activationId) continue;
      items.push(this.replicationView(r, now));
    }
    return items;
  }

  /** Starts the reverse replication of a server: the initial copy of its disks to the original site. */
  startReverseSync(meta: RequestMeta, input: ReverseServerInput, now: number): Submitted {
    return this.submit('reverse-sync', meta, now, () => {
      this.requireOriginalSiteUp(meta.tenantId);
      const vm = this.requireServerVm(meta.tenantId, input.activationId, input.serverId);
      const key = `${meta.tenantId}/${input.activationId}/${input.serverId}`;
      const op = this.newOperation('reverse-sync', meta, now, {
        activationId: input.activationId,
        hostname: vm.hostname,
      });
      op.resourceId = vm.id;
      const existing = this.replications.get(key);
      if (existing) {
        // Already replicating (started under another key): nothing is copied again.
        this.finish(op, now, { ...this.replicationView(vm, now), sentBytes: 0 });
        return op;
      }
      const server = this.requireServer(meta.tenantId, input.serverId);
      const rate = changeRatePerMinute(this.config.failback, this.seed, vm.hostname);
      const r: ReverseReplication = {
        tenantId: meta.tenantId,
        activationId: input.activationId,
        serverId: input.serverId,
        hostname: vm.hostname,
        vmId: vm.id,
        ratePerMinute: rate,
        initialCopyBytes: server.disks.reduce((sum, d) => sum + d.sizeGiB * GIB, 0),
        initialCopyDone: false,
        changesArrivedUpTo: 0,
        changesSentUpTo: 0,
        deltaBytes: 0,
        deltaRequests: 0,
        finalDeltaBytes: 0,
        finalDeltaRequests: 0,
        resentBytes: 0,
        originalState: 'stopped',
        originalStarts: 0,
        duplicateOriginalStarts: 0,
      };
      this.replications.set(key, r);
      // The copy is a snapshot taken now: the changes made so far travel with it.
      const upTo = changedBytes(vm, rate, now);
      sendRange(r, 0, upTo);
      const duration = this.transfer(r.initialCopyBytes);
      this.schedule(op, now + duration, (at) => {
        r.initialCopyDone = true;
        r.changesArrivedUpTo = Math.max(r.changesArrivedUpTo, upTo);
        this.finish(op, at, { ...this.replicationView(vm, at), sentBytes: r.initialCopyBytes });
      });
      return op;
    });
  }

  /** Sends what the server changed since the last range that was sent (a delta; `final` after its stop). */
  reverseDelta(meta: RequestMeta, input: ReverseDeltaInput, now: number): Submitted {
    return this.submit('reverse-delta', meta, now, () => {
      this.requireOriginalSiteUp(meta.tenantId);
      const vm = this.requireServerVm(meta.tenantId, input.activationId, input.serverId);
      const r = this.replications.get(`${meta.tenantId}/${input.activationId}/${input.serverId}`);
      if (!r || !r.initialCopyDone)
        throw new CloudRequestError(
          409,
          'initial-copy-not-done',
          `the initial copy of ${vm.hostname} to the original site has not completed`,
        );
      if (input.final && vm.state !== 'stopped')
        throw new CloudRequestError(
          409,
          'server-still-running',
          `${vm.hostname} is ${vm.state} at the recovery site: a final delta follows its stop`,
        );
      const op = this.newOperation('reverse-delta', meta, now, {
        activationId: input.activationId,
        hostname: vm.hostname,
      });
      op.resourceId = vm.id;
      const from = r.changesArrivedUpTo;
      const to = changedBytes(vm, r.ratePerMinute, now);
      const bytes = sendRange(r, from, to);
      if (input.final) {
        r.finalDeltaRequests++;
        r.finalDeltaBytes += bytes;
      } else {
        r.deltaRequests++;
        r.deltaBytes += bytes;
      }
      this.schedule(op, now + this.transfer(bytes), (at) => {
        r.changesArrivedUpTo = Math.max(r.changesArrivedUpTo, to);
        this.finish(op, at, { ...this.replicationView(vm, at), sentBytes: bytes, final: !!input.final });
      });
      return op;
    });
  }

  /** A clean shutdown at the recovery site: from now on it changes nothing. */
  stopServer(meta: RequestMeta, vmId: string, now: number): Submitted {
    return this.submit('stop-server', meta, now, () => {
      const vm = this.requireVm(meta.tenantId, vmId);
      if (vm.state === 'creating' || vm.state === 'deleting' || vm.state === 'starting')
        throw new CloudRequestError(
          409,
          'server-not-ready',
          `server ${vm.hostname} (${vm.id}) is ${vm.state}`,
        );
      const op = this.newOperation('stop-server', meta, now, {
        activationId: vm.activationId,
        hostname: vm.hostname,
      });
      op.resourceId = vm.id;
      if (vm.state === 'stopped') {
        this.finish(op, now, { ...this.vmResult(vm), alreadyStopped: true });
        return op;
      }
      freezeChanges(vm, changeRatePerMinute(this.config.failback, this.seed, vm.hostname), now);
      vm.state = 'stopping';
      this.schedule(op, now + this.minutes(this.config.failback.stopServerMinutes), (at) => {
        vm.state = 'stopped';
        this.finish(op, at, this.vmResult(vm));
      });
      return op;
    });
  }

  /**
   * Starts a server at the original site and checks its health there. Refused while it still runs
   * at the recovery site (two live copies) or while changes have not all arrived (data loss).
   */
  startAtOriginal(meta: RequestMeta, input: ReverseServerInput, now: number): Submitted {
    return this.submit('start-at-original', meta, now, () => {
      this.requireOriginalSiteUp(meta.tenantId);
      const vm = this.requireServerVm(meta.tenantId, input.activationId, input.serverId);
      const r = this.replications.get(`${meta.tenantId}/${input.activationId}/${input.serverId}`);
      if (!r) throw new CloudRequestError(409, 'not-replicated', `${vm.hostname} was never replicated back`);
      if (vm.state !== 'stopped')
        throw new CloudRequestError(
          409,
          'still-running-at-recovery-site',
          `${vm.hostname} is ${vm.state} at the recovery site: stop it first`,
        );
      const pending = changedBytes(vm, r.ratePerMinute, now) - r.changesArrivedUpTo;
      if (pending > 0)
        throw new CloudRequestError(
          409,
          'changes-not-arrived',
          `${pending} bytes changed at the recovery site have not arrived at the original site`,
        );
      const op = this.newOperation('start-at-original', meta, now, {
        activationId: input.activationId,
        hostname: vm.hostname,
      });
      op.resourceId = vm.id;
      const result = { serverId: r.serverId, hostname: r.hostname, site: 'original' };
      if (r.originalState === 'running' || r.originalState === 'starting') {
        r.duplicateOriginalStarts++;
        this.finish(op, now, { ...result, health: 'ok', detail: 'already running', alreadyRunning: true });
        return op;
      }
      r.originalState = 'starting';
      r.originalStarts++;
      const failure = this.consumeFault(vm.hostname, 'original-start-failure');
      const unhealthy = this.consumeFault(vm.hostname, 'original-health-failure');
      this.schedule(op, now + this.minutes(this.config.failback.originalStartMinutes), (at) => {
        if (unhealthy) {
          // It booted (it runs at the original site) but its services do not answer.
          r.originalState = 'running';
          this.finish(op, at, {
            ...result,
            health: 'failed',
            detail: `${vm.hostname} started at the original site but its health check failed: injected fault: services do not answer`,
          });
        } else if (failure) {
          r.originalState = 'failed';
          this.fail(op, at, {
            code: 'original-start-failure',
            message: `${vm.hostname} did not start at the original site: injected fault: storage path to the array is down`,
          });
        } else {
          r.originalState = 'running';
          this.finish(op, at, {
            ...result,
            health: 'ok',
            detail: `${vm.osFamily === 'windows' ? 'RDP' : 'SSH'}, ping, disks and services checked at the original site`,
          });
        }
      });
      return op;
    });
  }

  /** Stops the copy of a server at the original site (one that failed its health check there); idempotent. */
  stopAtOriginal(meta: RequestMeta, input: ReverseServerInput, now: number): Submitted {
    return this.submit('stop-at-original', meta, now, () => {
      this.requireOriginalSiteUp(meta.tenantId);
      const r = this.replications.get(`${meta.tenantId}/${input.activationId}/${input.serverId}`);
      if (!r)
        throw new CloudRequestError(
          409,
          'not-replicated',
          `server ${input.serverId} was never replicated back`,
        );
      const op = this.newOperation('stop-at-original', meta, now, {
        activationId: input.activationId,
        hostname: r.hostname,
      });
      op.resourceId = r.vmId;
      const result = { serverId: r.serverId, hostname: r.hostname, site: 'original' };
      if (r.originalState === 'stopped') {
        this.finish(op, now, { ...result, alreadyStopped: true });
        return op;
      }
      this.schedule(op, now + this.minutes(this.config.failback.stopServerMinutes), (at) => {
        r.originalState = 'stopped';
        this.finish(op, at, result);
      });
      return op;
    });
  }

  /** Users reconnected to the original site (routes and VPN switched back). */
  reconnectUsers(meta: RequestMeta, input: ActivationScoped, now: number): Submitted {
    return this.submit('reconnect-users', meta, now, () => {
      this.requireOriginalSiteUp(meta.tenantId);
      const op = this.newOperation('reconnect-users', meta, now, { activationId: input.activationId });
      this.schedule(op, now + this.minutes(this.config.failback.reconnectMinutes), (at) =>
        this.finish(op, at, { activationId: input.activationId, site: 'original' }),
      );
      return op;
    });
  }

  private failbackStats(now: number) {
    const servers = [...this.replications.values()].map((r) => {
      const vm = this.resources.get(r.vmId);
      const changed = vm?.kind === 'server' ? changedBytes(vm, r.ratePerMinute, now) : r.changesArrivedUpTo;
      return {
        tenantId: r.tenantId,
        activationId: r.activationId,
        serverId: r.serverId,
        hostname: r.hostname,
        changedBytes: changed,
        arrivedBytes: r.changesArrivedUpTo,
        pendingBytes: changed - r.changesArrivedUpTo,
        initialCopyBytes: r.initialCopyBytes,
        deltaBytes: r.deltaBytes,
        deltaRequests: r.deltaRequests,
        finalDeltaBytes: r.finalDeltaBytes,
        finalDeltaRequests: r.finalDeltaRequests,
        resentBytes: r.resentBytes,
        originalState: r.originalState,
        originalStarts: r.originalStarts,
        duplicateOriginalStarts: r.duplicateOriginalStarts,
      };
    });
    const sum = (field: 'initialCopyBytes' | 'deltaBytes' | 'finalDeltaBytes' | 'resentBytes') =>
      servers.reduce((total, x) => total + x[field], 0);
    return {
      originalSite: this.sites.snapshot(),
      initialCopyBytes: sum('initialCopyBytes'),
      deltaBytes: sum('deltaBytes'),
      finalDeltaBytes: sum('finalDeltaBytes'),
      resentBytes: sum('resentBytes'),
      originalStarts: servers.reduce((total, x) => total + x.originalStarts, 0),
      duplicateOriginalStarts: servers.reduce((total, x) => total + x.duplicateOriginalStarts, 0),
      servers,
    };
  }

  private replicationView(vm: VmResource, now: number) {
    const r = this.replications.get(`${vm.tenantId}/${vm.activationId}/${vm.serverId}`);
    const rate = r?.ratePerMinute ?? changeRatePerMinute(this.config.failback, this.seed, vm.hostname);
    const changed = changedBytes(vm, rate, now);
    const arrived = r?.changesArrivedUpTo ?? 0;
    return {
      serverId: vm.serverId,
      hostname: vm.hostname,
      vmId: vm.id,
      vmState: vm.state,
      changeRateBytesPerMinute: rate,
      changedBytes: changed,
      replicating: !!r,
      initialCopyDone: r?.initialCopyDone ?? false,
      arrivedBytes: arrived,
      pendingBytes: r ? changed - arrived : changed,
      originalState: r?.originalState ?? 'stopped',
    };
  }

  private transfer(bytes: number): number {
    return this.config.timing.zeroDurations
      ? 0
      : transferMs(bytes, this.config.failback.reverseBandwidthMiBps);
  }

  private requireOriginalSiteUp(tenantId: string): void {
    const state = this.sites.of(tenantId);
    if (state !== 'up')
      throw new CloudRequestError(409, 'original-site-not-up', `the original site is ${state}, not up`);
  }

  /** The server's VM in the activation at the recovery site (the newest, if it was recreated). */
  private requireServerVm(tenantId: string, activationId: string, serverId: string): VmResource {
    const vm = [...this.resources.ofServer(tenantId, activationId, serverId)]
      .filter((r): r is VmResource => r.kind === 'server' && r.state !== 'deleting')
      .pop();
    if (!vm)
      throw new CloudRequestError(
        404,
        'server-not-at-recovery-site',
        `server ${serverId} does not run at the recovery site in activation ${activationId}`,
      );
    return vm;
  }

  // ---------------------------------------------------------------- time

  /** When the next operation completes if nothing new is asked (the model advanced to `now` first). */
  nextCompletionAt(now: number): number | undefined {
    this.advanceTo(now);
    const scheduled = this.scheduled.peek()?.entry.dueAt;
    const restore = this.pool.nextCompletion()?.at;
    if (scheduled === undefined) return restore;
    return restore === undefined ? scheduled : Math.min(scheduled, restore);
  }

  /** Processes every completion due up to `t`, in time order. */
  advanceTo(t: number): void {
    if (t < this.clock) t = this.clock;
    for (;;) {
      const next = this.scheduled.peek();
      const nextAt = next?.entry.dueAt ?? Number.POSITIVE_INFINITY;
      const nextScheduled = next?.id;
      const restore = this.pool.nextCompletion();
      if (restore && restore.at <= t && restore.at <= nextAt) {
        this.pool.progressTo(restore.at);
        for (const id of restore.ids) {
          this.pool.remove(id, restore.at);
          const handler = this.restoreHandlers.get(id);
          this.restoreHandlers.delete(id);
          handler?.(restore.at);
        }
        continue;
      }
      if (nextScheduled !== undefined && nextAt <= t) {
        const s = this.scheduled.get(nextScheduled)!;
        this.scheduled.delete(nextScheduled);
        this.pool.progressTo(nextAt);
        s.complete(Math.max(nextAt, this.pool.time));
        continue;
      }
      break;
    }
    this.pool.progressTo(t);
    this.clock = t;
  }

  // ---------------------------------------------------------------- internals

  private submit(kind: OperationKind, meta: RequestMeta, now: number, create: () => Operation): Submitted {
    this.advanceTo(now);
    this.stats.requests++;
    const existingId = this.byKey.get(meta.idempotencyKey);
    if (existingId) {
      const existing = this.operations.get(existingId)!;
      if (existing.fingerprint !== meta.fingerprint) {
        this.stats.rejectedRequests++;
        throw new CloudRequestError(
          422,
          'idempotency-key-reused',
          `Idempotency-Key "${meta.idempotencyKey}" was already used for a different request (${existing.kind} ${existing.id})`,
        );
      }
      this.stats.replayedRequests++;
      if (kind === 'restore-disk') {
        this.stats.restoreRequests++;
        this.stats.duplicateRestoreRequests++;
      }
      return { operation: { ...existing }, replayed: true };
    }
    let op: Operation;
    try {
      op = create();
    } catch (error) {
      this.stats.rejectedRequests++;
      throw error;
    }
    this.byKey.set(meta.idempotencyKey, op.id);
    if (kind === 'restore-disk') this.stats.restoreRequests++;
    this.advanceTo(now);
    return { operation: { ...this.operations.get(op.id)! }, replayed: false };
  }

  private newOperation(
    kind: OperationKind,
    meta: RequestMeta,
    now: number,
    extra: { activationId?: string; hostname?: string },
  ): Operation {
    const seq = ++this.seq;
    const op: Operation = {
      id: `op-${String(seq).padStart(6, '0')}`,
      seq,
      kind,
      status: 'running',
      tenantId: meta.tenantId,
      activationId: extra.activationId,
      idempotencyKey: meta.idempotencyKey,
      fingerprint: meta.fingerprint,
      hostname: extra.hostname,
      createdAt: now,
      startedAt: now,
    };
    this.operations.set(op.id, op);
    this.stats.operationsCreated++;
    return op;
  }

  private schedule(op: Operation, dueAt: number, complete: (at: number) => void): void {
    this.scheduled.set(op.id, { dueAt, seq: op.seq, complete });
  }

  private finish(op: Operation, at: number, result: Record<string, unknown>): void {
    op.status = 'succeeded';
    op.completedAt = at;
    op.result = result;
  }

  private fail(op: Operation, at: number, error: { code: string; message: string }): void {
    op.status = 'failed';
    op.completedAt = at;
    op.error = { code: error.code, message: error.message };
  }

  private placeVm(
    op: Operation,
    tenantId: string,
    activationId: string,
    server: ProtectedServer,
    spec: {
      vcpu: number;
      ramGiB: number;
      disks: DiskResource[];
      lun?: LunResource;
      source: VmResource['source'];
      antiAffinityGroup?: string;
      state: VmResource['state'];
    },
    now: number,
  ): VmResource | undefined {
    const rules: CapacityRules = this.config.capacity;
    const label = `server ${server.hostname}`;
    const group = spec.antiAffinityGroup ?? server.antiAffinityGroup;
    const antiAffinityKey = group ? `${tenantId}/${group}` : undefined;
    const host = placeOnHost(
      this.hostUsage(),
      { vcpu: spec.vcpu, ramGiB: spec.ramGiB, antiAffinityKey, label },
      rules,
    );
    if (!host.ok) {
      this.fail(op, now, host.error);
      return undefined;
    }
    const usage = this.datastoreUsage();
    const swapDs = spec.disks.length
      ? usage.find((d) => d.id === spec.disks[0].datastoreId)!
      : [...usage].sort((a, b) => datastoreFree(b, rules) - datastoreFree(a, rules))[0];
    const ownDisks = spec.disks.filter((d) => d.datastoreId === swapDs.id).reduce((s, d) => s + d.sizeGiB, 0);
    const refusal = checkVmFits(swapDs, { ownDisksGiB: ownDisks, ramGiB: spec.ramGiB, label }, rules);
    if (refusal) {
      this.fail(op, now, refusal);
      return undefined;
    }
    const vm: VmResource = {
      ...this.baseResource('vm', tenantId, activationId, op, now),
      kind: 'server',
      state: spec.state,
      serverId: server.serverId,
      hostname: server.hostname,
      osFamily: server.osFamily,
      vcpu: spec.vcpu,
      ramGiB: spec.ramGiB,
      clusterId: host.value.clusterId,
      hostId: host.value.id,
      swapDatastoreId: swapDs.id,
      diskIds: spec.disks.map((d) => d.id),
      lunId: spec.lun?.id,
      source: spec.source,
      antiAffinityKey,
    };
    this.resources.set(vm.id, vm);
    op.resourceId = vm.id;
    return vm;
  }

  private vmResult(vm: VmResource): Record<string, unknown> {
    return {
      vmId: vm.id,
      serverId: vm.serverId,
      hostname: vm.hostname,
      hostId: vm.hostId,
      clusterId: vm.clusterId,
      datastoreId: vm.swapDatastoreId,
      vcpu: vm.vcpu,
      ramGiB: vm.ramGiB,
      state: vm.state,
    };
  }

  private hostUsage(): readonly HostUsage[] {
    return this.usage.hostUsage();
  }

  private datastoreUsage(): readonly DatastoreUsage[] {
    return this.usage.datastoreUsage();
  }

  private restorePoints(server: ProtectedServer, now: number): RestorePoint[] {
    const { incrementalEveryMinutes, fullEveryMinutes, retentionDays } = this.config.backups;
    const end = Math.min(now, server.backupsStoppedAt ?? Number.POSITIVE_INFINITY);
    const inc = incrementalEveryMinutes * MINUTE;
    const full = fullEveryMinutes * MINUTE;
    const start = now - retentionDays * DAY;
    const totalGiB = server.disks.reduce((s, d) => s + d.sizeGiB, 0);
    const usedRatio = 0.5 + 0.35 * keyedRandom(this.seed, 'used', server.hostname);
    const points: RestorePoint[] = [];
    for (let t = Math.ceil(start / inc) * inc; t <= end; t += inc) {
      const isFull = ((t % full) + full) % full < inc;
      const sizeGiB = isFull
        ? totalGiB * usedRatio
        : totalGiB * usedRatio * (0.01 + 0.04 * keyedRandom(this.seed, 'change', server.hostname, t));
      points.push({
        id: `rp-${server.serverId}-${t}`,
        serverId: server.serverId,
        kind: isFull ? 'full' : 'incremental',
        takenAt: new Date(t).toISOString(),
        ageMinutes: Math.round(((now - t) / MINUTE) * 10) / 10,
        sizeGiB: Math.round(sizeGiB * 10) / 10,
      });
    }
    return points;
  }

  private bootDuration(hostname: string, os: OsFamily, attempt: number): number {
    const base = this.minutes(this.config.timing.bootMinutes[os]);
    const jitter =
      ((keyedRandom(this.seed, 'boot', hostname, attempt) * 2 - 1) * this.config.timing.bootJitterPercent) /
      100;
    return base * (1 + jitter);
  }

  private consumeFault(hostname: string, kind: FaultKind): boolean {
    const fault = this.faults.find((f) => f.hostname === hostname && f.fault === kind);
    if (!fault) return false;
    fault.triggered++;
    this.stats.faultsTriggered++;
    if (fault.remaining !== null) {
      fault.remaining--;
      if (fault.remaining <= 0) this.faults = this.faults.filter((f) => f !== fault);
    }
    return true;
  }

  private nextAttempt(kind: string, hostname: string): number {
    const key = `${kind}|${hostname}`;
    const n = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, n);
    return n;
  }

  private minutes(m: number): number {
    return this.config.timing.zeroDurations ? 0 : m * MINUTE;
  }

  private seconds(s: number): number {
    return this.config.timing.zeroDurations ? 0 : s * 1000;
  }

  private bandwidth(): number {
    return this.config.timing.restoreBandwidthMiBps;
  }

  private baseResource(prefix: string, tenantId: string, activationId: string, op: Operation, now: number) {
    return { id: this.newResourceId(prefix), tenantId, activationId, createdAt: now, operationId: op.id };
  }

  private newResourceId(prefix: string): string {
    return `${prefix}-${String(++this.resourceSeq).padStart(6, '0')}`;
  }

  private requireServer(tenantId: string, serverId: string): ProtectedServer {
    const server = this.servers.get(`${tenantId}/${serverId}`);
    if (!server)
      throw new CloudRequestError(
        404,
        'server-not-registered',
        `protected server ${serverId} is not registered for tenant ${tenantId}`,
      );
    return server;
  }

  private requireVm(tenantId: string, vmId: string): VmResource {
    const r = this.resources.get(vmId);
    if (!r || r.kind !== 'server' || r.tenantId !== tenantId)
      throw new CloudRequestError(404, 'vm-not-found', `server ${vmId} does not exist`);
    return r;
  }

  private requireNetwork(tenantId: string, networkId: string): NetworkResource {
    const r = this.resources.get(networkId);
    if (!r || r.kind !== 'network' || r.tenantId !== tenantId)
      throw new CloudRequestError(404, 'network-not-found', `network ${networkId} does not exist`);
    if (r.state === 'deleting')
      throw new CloudRequestError(409, 'network-deleting', `network ${networkId} is being deleted`);
    return r;
  }
}

/** The resources by id, with a secondary index by (tenant, activation, protected server). */
class ResourceIndex extends Map<string, Resource> {
  private readonly byServer = new Map<string, Set<Resource>>();
  /** Walks over every resource (a request that needs one must not cost one: see the unit tests). */
  scans = 0;
  constructor(private readonly usage: CapacityUsage) {
    super();
  }
  override values(): MapIterator<Resource> {
    this.scans++;
    return super.values();
  }
  override entries(): MapIterator<[string, Resource]> {
    this.scans++;
    return super.entries();
  }
  private static key(tenantId: string, activationId: string, serverId: string) {
    return `${tenantId}/${activationId}/${serverId}`;
  }
  override set(id: string, resource: Resource): this {
    const previous = super.get(id);
    if (previous) this.unindex(previous);
    super.set(id, resource);
    this.usage.add(resource);
    if ('serverId' in resource) {
      const key = ResourceIndex.key(resource.tenantId, resource.activationId, resource.serverId);
      const set = this.byServer.get(key) ?? new Set<Resource>();
      set.add(resource);
      this.byServer.set(key, set);
    }
    return this;
  }
  override delete(id: string): boolean {
    const previous = super.get(id);
    if (previous) this.unindex(previous);
    return super.delete(id);
  }
  override clear(): void {
    for (const resource of super.values()) this.usage.remove(resource);
    this.byServer.clear();
    super.clear();
  }
  private unindex(resource: Resource): void {
    this.usage.remove(resource);
    if (!('serverId' in resource)) return;
    const key = ResourceIndex.key(resource.tenantId, resource.activationId, resource.serverId);
    const set = this.byServer.get(key);
    set?.delete(resource);
    if (set && set.size === 0) this.byServer.delete(key);
  }
  ofServer(tenantId: string, activationId: string, serverId: string): Iterable<Resource> {
    return this.byServer.get(ResourceIndex.key(tenantId, activationId, serverId)) ?? [];
  }
}
