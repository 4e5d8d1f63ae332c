/** Types of the RecoveryCloud port: what the engine sends to and reads from a recovery cloud. */
export type OsFamily = 'windows' | 'linux';
export type RecoveryMethod = 'backup-restore' | 'vm-replication' | 'storage-replication';
export type OperationStatus = 'pending' | 'running' | 'succeeded' | 'failed';
export type OperationKind =
  | 'register-server'
  | 'restore-disk'
  | 'create-server'
  | 'power-on'
  | 'analyse'
  | 'create-network'
  | 'create-nca'
  | 'create-vpn'
  | 'power-on-replica'
  | 'present-lun'
  | 'teardown'
  | 'guest-run'
  | 'probe'
  | 'reverse-sync'
  | 'reverse-delta'
  | 'stop-server'
  | 'start-at-original'
  | 'stop-at-original'
  | 'reconnect-users';
export type Health = 'ok' | 'warning' | 'failed';

export interface CloudErrorInfo {
  code: string;
  message: string;
}

export interface CloudOperation<R = Record<string, unknown>> {
  operationId: string;
  kind: OperationKind;
  status: OperationStatus;
  tenantId: string;
  activationId: string | null;
  hostname: string | null;
  resourceId: string | null;
  idempotencyKey: string;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
  result: R | null;
  error: CloudErrorInfo | null;
}

export interface CallOptions {
  /** Built by the caller from (activation, server, step, attempt); reused on every retry. */
  idempotencyKey: string;
}

export interface RegisterServerRequest {
  tenantId: string;
  serverId: string;
  hostname: string;
  osFamily: OsFamily;
  disks: { name: string; sizeGiB: number }[];
  template: { vcpu: number; ramGiB: number };
  recoveryMethod?: RecoveryMethod;
  antiAffinityGroup?: string;
}
export interface RegisterServerResult {
  serverId: string;
  hostname: string;
  recoveryMethod: RecoveryMethod;
  updated: boolean;
}

export interface RestorePoint {
  id: string;
  serverId: string;
  kind: 'full' | 'incremental';
  takenAt: string;
  ageMinutes: number;
  sizeGiB: number;
}

export interface RestoreDiskRequest {
  tenantId: string;
  activationId: string;
  serverId: string;
  diskName: string;
  restorePointId?: string;
  datastoreId?: string;
}
export interface RestoreDiskResult {
  diskId: string;
  serverId: string;
  diskName: string;
  sizeGiB: number;
  datastoreId: string;
  restorePointId: string;
  restorePointTakenAt: string;
  rpoMinutes: number;
  slowed: boolean;
}

export interface CreateServerRequest {
  tenantId: string;
  activationId: string;
  serverId: string;
  /** Defaults to the registered template. */
  vcpu?: number;
  ramGiB?: number;
  /** Restored disks; default: the latest ready restore of each of the server's disks in the activation. */
  diskIds?: string[];
  /** For storage replication: the presented LUN instead of disks. */
  lunId?: string;
  antiAffinityGroup?: string;
}
export interface ServerResult {
  vmId: string;
  serverId: string;
  hostname: string;
  hostId: string;
  clusterId: string;
  datastoreId: string;
  vcpu: number;
  ramGiB: number;
  state: string;
  bootMinutes?: number;
  alreadyRunning?: boolean;
}
export interface ReplicaResult extends ServerResult {
  rpoMinutes: number;
  replicaTakenAt: string;
}

export interface VmRequest {
  tenantId: string;
  vmId: string;
}
export interface AnalysisResult {
  vmId: string;
  serverId: string;
  hostname: string;
  health: Health;
  detail: string;
}

/** A script run inside a recovered server (guest operations). */
export interface GuestRunRequest extends VmRequest {
  interpreter: 'powershell' | 'bash';
  script: string;
}
export interface GuestRunResult {
  vmId: string;
  exitCode: number;
  /** Cut by the cloud to a sane size. */
  output: string;
  durationSeconds: number;
}
/** A probe of a recovered server through the recovery network: a TCP port or an HTTP path. */
export interface ProbeRequest extends VmRequest {
  tcp?: number;
  http?: string;
}
export interface ProbeResult {
  vmId: string;
  /** TCP: the port answered. */
  open?: boolean;
  /** HTTP: the status answered. */
  status?: number;
}

export interface NetworkRequest {
  tenantId: string;
  activationId: string;
  name?: string;
  cidr?: string;
}
export interface NetworkResult {
  networkId: string;
  name: string;
  cidr: string;
}
export interface NcaRequest {
  tenantId: string;
  activationId: string;
  networkId: string;
}
export interface NcaResult {
  ncaId: string;
  networkId: string;
  services: string[];
}
export interface VpnRequest {
  tenantId: string;
  activationId: string;
  networkId: string;
  site: string;
}
export interface VpnResult {
  vpnId: string;
  site: string;
  networkId: string;
  protocol: string;
}

export interface ReplicaRequest {
  tenantId: string;
  activationId: string;
  serverId: string;
  antiAffinityGroup?: string;
}
export interface LunResult {
  lunId: string;
  serverId: string;
  sizeGiB: number;
  rpoMinutes: number;
}

export interface TeardownRequest {
  tenantId: string;
  activationId: string;
}
export interface TeardownResult {
  activationId: string;
  removed: Record<string, number>;
}

export type CloudResourceKind = 'disk' | 'server' | 'network' | 'nca' | 'vpn' | 'lun';
export interface CloudResource {
  id: string;
  kind: CloudResourceKind;
  tenantId: string;
  activationId: string;
  state: string;
  createdAt: string;
  operationId: string;
  [field: string]: unknown;
}

export interface WaitOptions {
  /** Wall ms between polls. Default 200. */
  pollIntervalMs?: number;
  /** Wall ms before giving up. Default 60 000. */
  timeoutMs?: number;
  /** Stop polling (e.g. the worker is shutting down): rejects with CloudTransientError `wait-aborted`. */
  signal?: AbortSignal;
  /** The pause between polls (default: a timer of `pollIntervalMs`); one that ends early polls at once. */
  pause?: (ms: number) => Promise<void>;
}

export interface ClockAnchors {
  now: string;
  scale: number;
  anchorWallMs: number;
  anchorSimMs: number;
  /** `scaled` runs at `scale`; `skip` stands still while the engine works and jumps when it waits (absent: scaled). */
  mode?: 'scaled' | 'skip';
  /** False while the clock stands still (absent: running). */
  running?: boolean;
}

/** Newest restore point of one registered server. */
export interface BackupFreshness {
  serverId: string;
  hostname: string;
  recoveryMethod: RecoveryMethod;
  newestTakenAt: string | null;
  ageMinutes: number | null;
}

/** What the recovery space has and uses now. */
export interface CloudCapacity {
  rules: { ramCapPercent: number; datastoreReservePercent: number; vcpuOvercommit: number };
  hosts: Array<{
    id: string;
    clusterId: string;
    vcpu: number;
    ramGiB: number;
    usedVcpu: number;
    usedRamGiB: number;
    ramLimitGiB: number;
    antiAffinityGroups: string[];
  }>;
  datastores: Array<{ id: string; capacityGiB: number; usedGiB: number; freeGiB: number }>;
  restoreBandwidthMiBps: number;
}

/** The customer's original site: `down` during a disaster, `up` once it works again. */
export type SiteState = 'down' | 'recovering' | 'up';

/** One server of an activation at the recovery site, on its way back to the original site. */
export interface ReverseServerRequest {
  tenantId: string;
  activationId: string;
  serverId: string;
}
export interface ReverseDeltaRequest extends ReverseServerRequest {
  /** The last delta, once the server stopped at the recovery site. */
  final?: boolean;
}
export interface ReconnectRequest {
  tenantId: string;
  activationId: string;
}

/** What a server changed at the recovery site, and how much of it has arrived back at the original site (bytes). */
export interface ReplicationStatus {
  serverId: string;
  hostname: string;
  vmId: string;
  vmState: string;
  changeRateBytesPerMinute: number;
  changedBytes: number;
  replicating: boolean;
  initialCopyDone: boolean;
  arrivedBytes: number;
  pendingBytes: number;
  originalState: 'stopped' | 'starting' | 'running' | 'failed';
}
/** An initial copy or a delta: the bytes it sent, and where the replication stands after it. */
export interface ReverseTransferResult extends ReplicationStatus {
  sentBytes: number;
  final?: boolean;
}
export interface OriginalStartResult {
  serverId: string;
  hostname: string;
  site: 'original';
  health: Health;
  detail: string;
  alreadyRunning?: boolean;
}
export interface OriginalStopResult {
  serverId: string;
  hostname: string;
  site: 'original';
  alreadyStopped?: boolean;
}
export interface ReconnectResult {
  activationId: string;
  site: 'original';
}
