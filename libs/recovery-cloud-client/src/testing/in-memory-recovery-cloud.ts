import { CloudPermanentError } from '../errors';
import type { RecoveryCloud } from '../recovery-cloud.port';
import type {
  AnalysisResult,
  GuestRunRequest,
  GuestRunResult,
  ProbeRequest,
  ProbeResult,
  BackupFreshness,
  CallOptions,
  CloudCapacity,
  CloudErrorInfo,
  CloudOperation,
  CloudResource,
  CloudResourceKind,
  CreateServerRequest,
  Health,
  LunResult,
  NcaRequest,
  NetworkRequest,
  OperationKind,
  OriginalStartResult,
  OriginalStopResult,
  ReconnectRequest,
  RegisterServerRequest,
  ReplicationStatus,
  ReverseDeltaRequest,
  ReverseServerRequest,
  ReverseTransferResult,
  SiteState,
  ReplicaRequest,
  ReplicaResult,
  RestoreDiskRequest,
  RestorePoint,
  ServerResult,
  TeardownRequest,
  VmRequest,
  VpnRequest,
} from '../types';

/**
 * An in-memory double of the RecoveryCloud port, for unit tests only (end-to-end tests use the
 * simulator over HTTP). Operations complete at once unless a fault is queued for their kind;
 * idempotency keys return the operation they first created; every mutating call is counted, so a
 * test can prove that a resumed step called nothing twice.
 */
export class InMemoryRecoveryCloud implements RecoveryCloud {
  /** Mutating calls in order: kind and idempotency key (a replayed key is listed again). */
  readonly calls: { kind: OperationKind; idempotencyKey: string }[] = [];
  private readonly operations = new Map<string, CloudOperation>();
  private readonly byKey = new Map<string, CloudOperation>();
  private readonly resources: CloudResource[] = [];
  private readonly servers = new Map<string, RegisterServerRequest & { points: RestorePoint[] }>();
  private readonly faults = new Map<OperationKind, CloudErrorInfo[]>();
  private readonly health = new Map<string, { health: Health; detail: string }>();
  /** Resources a teardown leaves behind (by kind), to model a teardown that did not finish. */
  readonly teardownLeaves = new Set<CloudResourceKind>();
  /** The original site's state (failback). */
  site: SiteState = 'up';
  /** Bytes a running server changes while each reverse transfer (copy or delta) runs. */
  changesPerTransfer = 0;
  /** Per server: bytes changed at the recovery site, bytes arrived back, starts at the original site. */
  private readonly reverse = new Map<
    string,
    {
      changed: number;
      arrived: number;
      copied: boolean;
      stopped: boolean;
      originalStarts: number;
      runningAtOriginal: boolean;
    }
  >();
  private seq = 0;

  constructor(private readonly now: () => string = () => '2024-06-03T08:00:00.000Z') {}

  // --- test controls ---------------------------------------------------------------------------

  /** A protected server the cloud knows, with one restore point per `takenAt`. */
  knowServer(request: RegisterServerRequest, takenAt: string[] = ['2024-06-03T02:00:00.000Z']): void {
    this.servers.set(`${request.tenantId}/${request.serverId}`, {
      ...request,
      points: takenAt.map((at, i) => ({
        id: `rp-${request.serverId}-${i + 1}`,
        serverId: request.serverId,
        kind: i === 0 ? 'full' : 'incremental',
        takenAt: at,
        ageMinutes: 0,
        sizeGiB: request.disks.reduce((s, d) => s + d.sizeGiB, 0),
      })),
    });
  }

  /** The next operation of `kind` fails in the cloud with this reason (the waiter sees it). */
  failNext(kind: OperationKind, error: CloudErrorInfo): void {
    this.faults.set(kind, [...(this.faults.get(kind) ?? []), error]);
  }

  healthOf(serverId: string, health: Health, detail = ''): void {
    this.health.set(serverId, { health, detail });
  }

  /** An operation started earlier (by a worker that died), still running: it succeeds on `complete`. */
  async startedEarlier<R>(call: () => Promise<CloudOperation<R>>): Promise<CloudOperation<R>> {
    const op = await call();
    op.status = 'running';
    op.completedAt = null;
    return op;
  }

  /** The server changes `bytes` more at the recovery site (while it runs there). */
  changes(serverId: string, bytes: number): void {
    const r = this.reverseOf(serverId);
    if (!r.stopped) r.changed += bytes;
  }

  /** Where the reverse replication of a server stands (for assertions). */
  reverseState(serverId: string) {
    return { ...this.reverseOf(serverId) };
  }

  listed(activationId?: string): CloudResource[] {
    return this.resources.filter((r) => !activationId || r.activationId === activationId);
  }

  mutatingCalls(kind?: OperationKind): number {
    return this.calls.filter((c) => !kind || c.kind === kind).length;
  }

  // --- the port ----------------------------------------------------------------------------------

  async registerServer(request: RegisterServerRequest, options: CallOptions) {
    return this.operate('register-server', options, () => {
      const existing = this.servers.get(`${request.tenantId}/${request.serverId}`);
      this.knowServer(request);
      return {
        serverId: request.serverId,
        hostname: request.hostname,
        recoveryMethod: request.recoveryMethod ?? 'backup-restore',
        updated: !!existing,
      };
    });
  }

  async listRestorePoints(tenantId: string, serverId: string): Promise<RestorePoint[]> {
    const server = this.servers.get(`${tenantId}/${serverId}`);
    if (!server) throw new CloudPermanentError('server-not-found', `unknown server ${serverId}`, 404);
    return server.points.map((p) => ({ ...p }));
  }

  async restoreDisk(request: RestoreDiskRequest, options: CallOptions) {
    return this.operate('restore-disk', options, (op) => {
      const server = this.server(request.tenantId, request.serverId);
      const point = server.points.find((p) => p.id === request.restorePointId) ?? server.points.at(-1)!;
      const disk = this.add(op, 'disk', request.tenantId, request.activationId, {
        serverId: request.serverId,
        diskName: request.diskName,
      });
      return {
        diskId: disk.id,
        serverId: request.serverId,
        diskName: request.diskName,
        sizeGiB: server.disks.find((d) => d.name === request.diskName)?.sizeGiB ?? 0,
        datastoreId: 'ds-1',
        restorePointId: point.id,
        restorePointTakenAt: point.takenAt,
        rpoMinutes: 0,
        slowed: false,
      };
    });
  }

  async createServer(request: CreateServerRequest, options: CallOptions) {
    return this.operate('create-server', options, (op): ServerResult => {
      const server = this.server(request.tenantId, request.serverId);
      const vm = this.add(op, 'server', request.tenantId, request.activationId, {
        serverId: request.serverId,
        hostId: 'host-1',
        lunId: request.lunId,
      });
      return this.serverResult(vm, server, 'stopped');
    });
  }

  async powerOn(request: VmRequest, options: CallOptions) {
    return this.operate('power-on', options, (): ServerResult => {
      const vm = this.vm(request.vmId);
      vm.state = 'running';
      return this.serverResult(vm, this.server(request.tenantId, String(vm.serverId)), 'running');
    });
  }

  async analyse(request: VmRequest, options: CallOptions) {
    return this.operate('analyse', options, (): AnalysisResult => {
      const vm = this.vm(request.vmId);
      const verdict = this.health.get(String(vm.serverId)) ?? { health: 'ok' as Health, detail: '' };
      return {
        vmId: vm.id,
        serverId: String(vm.serverId),
        hostname: this.server(request.tenantId, String(vm.serverId)).hostname,
        ...verdict,
      };
    });
  }

  /** Scripts run (by key, once each) and their exit codes to answer (by script text; default 0). */
  readonly exitCodes = new Map<string, number>();

  async guestRun(request: GuestRunRequest, options: CallOptions) {
    return this.operate('guest-run', options, (): GuestRunResult => {
      this.vm(request.vmId);
      const exitCode = this.exitCodes.get(request.script) ?? 0;
      return { vmId: request.vmId, exitCode, output: `ran: ${request.script}`, durationSeconds: 30 };
    });
  }

  async probe(request: ProbeRequest, options: CallOptions) {
    return this.operate('probe', options, (): ProbeResult => {
      this.vm(request.vmId);
      return request.tcp !== undefined
        ? { vmId: request.vmId, open: request.tcp !== 9 }
        : { vmId: request.vmId, status: 200 };
    });
  }

  async createNetwork(request: NetworkRequest, options: CallOptions) {
    return this.operate('create-network', options, (op) => {
      const net = this.add(op, 'network', request.tenantId, request.activationId, {});
      return { networkId: net.id, name: request.name ?? 'recovery', cidr: request.cidr ?? '10.0.0.0/16' };
    });
  }

  async createNca(request: NcaRequest, options: CallOptions) {
    return this.operate('create-nca', options, (op) => {
      const nca = this.add(op, 'nca', request.tenantId, request.activationId, {});
      return { ncaId: nca.id, networkId: request.networkId, services: ['dns', 'dhcp'] };
    });
  }

  async createVpn(request: VpnRequest, options: CallOptions) {
    return this.operate('create-vpn', options, (op) => {
      const vpn = this.add(op, 'vpn', request.tenantId, request.activationId, {});
      return { vpnId: vpn.id, site: request.site, networkId: request.networkId, protocol: 'ipsec' };
    });
  }

  async powerOnReplica(request: ReplicaRequest, options: CallOptions) {
    return this.operate('power-on-replica', options, (op): ReplicaResult => {
      const server = this.server(request.tenantId, request.serverId);
      const vm = this.add(op, 'server', request.tenantId, request.activationId, {
        serverId: request.serverId,
        hostId: 'host-1',
      });
      return {
        ...this.serverResult(vm, server, 'running'),
        rpoMinutes: 5,
        replicaTakenAt: server.points.at(-1)!.takenAt,
      };
    });
  }

  async presentLun(request: ReplicaRequest, options: CallOptions) {
    return this.operate('present-lun', options, (op): LunResult => {
      const server = this.server(request.tenantId, request.serverId);
      const lun = this.add(op, 'lun', request.tenantId, request.activationId, { serverId: request.serverId });
      return {
        lunId: lun.id,
        serverId: request.serverId,
        sizeGiB: server.disks.reduce((s, d) => s + d.sizeGiB, 0),
        rpoMinutes: 15,
      };
    });
  }

  async teardown(request: TeardownRequest, options: CallOptions) {
    return this.operate('teardown', options, () => {
      const removed: Record<string, number> = {};
      for (let i = this.resources.length - 1; i >= 0; i--) {
        const r = this.resources[i];
        if (r.tenantId !== request.tenantId || r.activationId !== request.activationId) continue;
        if (this.teardownLeaves.has(r.kind)) continue;
        removed[r.kind] = (removed[r.kind] ?? 0) + 1;
        this.resources.splice(i, 1);
      }
      return { activationId: request.activationId, removed };
    });
  }

  async originalSite(): Promise<SiteState> {
    return this.site;
  }

  async replicationStatus(tenantId: string, activationId: string): Promise<ReplicationStatus[]> {
    return this.resources
      .filter((r) => r.kind === 'server' && r.tenantId === tenantId && r.activationId === activationId)
      .map((vm) => this.replicationOf(vm));
  }

  async startReverseSync(request: ReverseServerRequest, options: CallOptions) {
    return this.operate('reverse-sync', options, (): ReverseTransferResult => {
      const vm = this.vmOfServer(request);
      const r = this.reverseOf(request.serverId);
      if (this.site !== 'up') throw new CloudPermanentError('original-site-not-up', `site ${this.site}`, 409);
      const disks = this.server(request.tenantId, request.serverId).disks;
      const sentBytes = r.copied ? 0 : disks.reduce((sum, d) => sum + d.sizeGiB * 2 ** 30, 0);
      r.copied = true;
      r.arrived = r.changed;
      this.changes(request.serverId, this.changesPerTransfer);
      return { ...this.replicationOf(vm), sentBytes };
    });
  }

  async reverseDelta(request: ReverseDeltaRequest, options: CallOptions) {
    return this.operate('reverse-delta', options, (): ReverseTransferResult => {
      const vm = this.vmOfServer(request);
      const r = this.reverseOf(request.serverId);
      if (request.final && !r.stopped)
        throw new CloudPermanentError('server-still-running', 'a final delta follows the stop', 409);
      const sentBytes = r.changed - r.arrived;
      r.arrived = r.changed;
      this.changes(request.serverId, this.changesPerTransfer);
      return { ...this.replicationOf(vm), sentBytes, final: !!request.final };
    });
  }

  async stopServer(request: VmRequest, options: CallOptions) {
    return this.operate('stop-server', options, (): ServerResult => {
      const vm = this.vm(request.vmId);
      vm.state = 'stopped';
      this.reverseOf(String(vm.serverId)).stopped = true;
      return this.serverResult(vm, this.server(request.tenantId, String(vm.serverId)), 'stopped');
    });
  }

  async startAtOriginal(request: ReverseServerRequest, options: CallOptions) {
    return this.operate('start-at-original', options, (): OriginalStartResult => {
      const r = this.reverseOf(request.serverId);
      if (r.changed > r.arrived)
        throw new CloudPermanentError('changes-not-arrived', 'changes have not arrived', 409);
      r.originalStarts++;
      r.runningAtOriginal = true;
      const server = this.server(request.tenantId, request.serverId);
      const checked = this.health.get(request.serverId) ?? { health: 'ok', detail: '' };
      return {
        serverId: request.serverId,
        hostname: server.hostname,
        site: 'original',
        ...checked,
      };
    });
  }

  async stopAtOriginal(request: ReverseServerRequest, options: CallOptions) {
    return this.operate('stop-at-original', options, (): OriginalStopResult => {
      const r = this.reverseOf(request.serverId);
      const alreadyStopped = !r.runningAtOriginal;
      r.runningAtOriginal = false;
      return {
        serverId: request.serverId,
        hostname: this.server(request.tenantId, request.serverId).hostname,
        site: 'original',
        ...(alreadyStopped ? { alreadyStopped } : {}),
      };
    });
  }

  async reconnectUsers(request: ReconnectRequest, options: CallOptions) {
    return this.operate('reconnect-users', options, () => ({
      activationId: request.activationId,
      site: 'original' as const,
    }));
  }

  async listResources(tenantId: string, activationId?: string, serverId?: string): Promise<CloudResource[]> {
    return this.resources
      .filter(
        (r) =>
          r.tenantId === tenantId &&
          (!activationId || r.activationId === activationId) &&
          (!serverId || r.serverId === serverId),
      )
      .map((r) => ({ ...r }));
  }

  async backupFreshness(tenantId: string): Promise<BackupFreshness[]> {
    return [...this.servers.values()]
      .filter((s) => s.tenantId === tenantId)
      .map((s) => ({
        serverId: s.serverId,
        hostname: s.hostname,
        recoveryMethod: s.recoveryMethod ?? 'backup-restore',
        newestTakenAt: s.points.at(-1)?.takenAt ?? null,
        ageMinutes: 0,
      }));
  }

  async capacity(): Promise<CloudCapacity> {
    return {
      rules: { ramCapPercent: 85, datastoreReservePercent: 10, vcpuOvercommit: 4 },
      hosts: [],
      datastores: [],
      restoreBandwidthMiBps: 1024,
    };
  }

  async getOperation<R = Record<string, unknown>>(operationId: string): Promise<CloudOperation<R>> {
    const op = this.operations.get(operationId);
    if (!op) throw new CloudPermanentError('operation-not-found', `unknown operation ${operationId}`, 404);
    return { ...op } as CloudOperation<R>;
  }

  /** Operations started earlier (`startedEarlier`) complete when waited for: the cloud finished them meanwhile. */
  async waitFor<R = Record<string, unknown>>(operationId: string): Promise<CloudOperation<R>> {
    const op = this.operations.get(operationId);
    if (!op) throw new CloudPermanentError('operation-not-found', `unknown operation ${operationId}`, 404);
    if (op.status === 'running') {
      op.status = 'succeeded';
      op.completedAt = this.now();
    }
    if (op.status === 'failed')
      throw new CloudPermanentError(op.error!.code, op.error!.message, undefined, { ...op });
    return { ...op } as CloudOperation<R>;
  }

  // --- internals -------------------------------------------------------------------------------

  private operate<R>(
    kind: OperationKind,
    options: CallOptions,
    perform: (op: CloudOperation) => R,
  ): Promise<CloudOperation<R>> {
    if (!options?.idempotencyKey)
      return Promise.reject(
        new CloudPermanentError('idempotency-key-required', 'idempotency key required', 400),
      );
    this.calls.push({ kind, idempotencyKey: options.idempotencyKey });
    const known = this.byKey.get(options.idempotencyKey);
    if (known) return Promise.resolve({ ...known } as CloudOperation<R>);
    const at = this.now();
    const op: CloudOperation = {
      operationId: `op-${++this.seq}`,
      kind,
      status: 'succeeded',
      tenantId: '',
      activationId: null,
      hostname: null,
      resourceId: null,
      idempotencyKey: options.idempotencyKey,
      createdAt: at,
      startedAt: at,
      completedAt: at,
      result: null,
      error: null,
    };
    const fault = this.faults.get(kind)?.shift();
    if (fault) {
      op.status = 'failed';
      op.error = fault;
    } else {
      op.result = perform(op) as unknown as Record<string, unknown>;
    }
    this.operations.set(op.operationId, op);
    this.byKey.set(options.idempotencyKey, op);
    return Promise.resolve({ ...op } as CloudOperation<R>);
  }

  private add(
    op: CloudOperation,
    kind: CloudResourceKind,
    tenantId: string,
    activationId: string,
    fields: Record<string, unknown>,
  ): CloudResource {
    const resource: CloudResource = {
      id: `${kind}-${++this.seq}`,
      kind,
      tenantId,
      activationId,
      state: 'ready',
      createdAt: op.createdAt,
      operationId: op.operationId,
      ...fields,
    };
    op.tenantId = tenantId;
    op.activationId = activationId;
    op.resourceId = resource.id;
    this.resources.push(resource);
    return resource;
  }

  private server(tenantId: string, serverId: string) {
    const server = this.servers.get(`${tenantId}/${serverId}`);
    if (!server) throw new CloudPermanentError('server-not-found', `unknown server ${serverId}`, 404);
    return server;
  }

  private reverseOf(serverId: string) {
    let r = this.reverse.get(serverId);
    if (!r) {
      r = {
        changed: 0,
        arrived: 0,
        copied: false,
        stopped: false,
        originalStarts: 0,
        runningAtOriginal: false,
      };
      this.reverse.set(serverId, r);
    }
    return r;
  }

  private vmOfServer(request: ReverseServerRequest): CloudResource {
    const vm = this.resources.find(
      (x) =>
        x.kind === 'server' && x.activationId === request.activationId && x.serverId === request.serverId,
    );
    if (!vm)
      throw new CloudPermanentError('server-not-at-recovery-site', `no vm for ${request.serverId}`, 404);
    return vm;
  }

  private replicationOf(vm: CloudResource): ReplicationStatus {
    const r = this.reverseOf(String(vm.serverId));
    return {
      serverId: String(vm.serverId),
      hostname: this.server(vm.tenantId, String(vm.serverId)).hostname,
      vmId: vm.id,
      vmState: vm.state,
      changeRateBytesPerMinute: 0,
      changedBytes: r.changed,
      replicating: r.copied,
      initialCopyDone: r.copied,
      arrivedBytes: r.arrived,
      pendingBytes: r.changed - r.arrived,
      originalState: r.originalStarts > 0 ? 'running' : 'stopped',
    };
  }

  private vm(vmId: string): CloudResource {
    const vm = this.resources.find((r) => r.kind === 'server' && r.id === vmId);
    if (!vm) throw new CloudPermanentError('vm-not-found', `unknown vm ${vmId}`, 404);
    return vm;
  }

  private serverResult(vm: CloudResource, server: RegisterServerRequest, state: string): ServerResult {
    return {
      vmId: vm.id,
      serverId: server.serverId,
      hostname: server.hostname,
      hostId: String(vm.hostId),
      clusterId: 'cl-1',
      datastoreId: 'ds-1',
      vcpu: server.template.vcpu,
      ramGiB: server.template.ramGiB,
      state,
    };
  }
}
