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
export type FaultKind =
  | 'restore-failure'
  | 'boot-failure'
  | 'health-warning'
  | 'health-failure'
  | 'slow-restore'
  | 'script-failure'
  | 'probe-failure'
  | 'original-start-failure'
  | 'original-health-failure';
export const FAULT_KINDS: FaultKind[] = [
  'restore-failure',
  'boot-failure',
  'health-warning',
  'health-failure',
  'slow-restore',
  'script-failure',
  'probe-failure',
  'original-start-failure',
  'original-health-failure',
];
/** State of a customer's original site (`down` during a disaster, `up` once it works again). */
export type SiteState = 'down' | 'recovering' | 'up';
export const SITE_STATES: SiteState[] = ['down', 'recovering', 'up'];
export type Health = 'ok' | 'warning' | 'failed';

export interface ProtectedServer {
  tenantId: string;
  serverId: string;
  hostname: string;
  osFamily: OsFamily;
  disks: { name: string; sizeGiB: number }[];
  template: { vcpu: number; ramGiB: number };
  recoveryMethod: RecoveryMethod;
  antiAffinityGroup?: string;
  registeredAt: number;
  /** Backups stopped at this simulated time (stale backups); undefined = still running. */
  backupsStoppedAt?: number;
}

export interface RestorePoint {
  id: string;
  serverId: string;
  kind: 'full' | 'incremental';
  takenAt: string;
  ageMinutes: number;
  sizeGiB: number;
}

export type ResourceKind = 'disk' | 'server' | 'network' | 'nca' | 'vpn' | 'lun';

export interface ResourceBase {
  id: string;
  kind: ResourceKind;
  tenantId: string;
  activationId: string;
  state: string;
  createdAt: number;
  /** Operation that created it. */
  operationId: string;
}

export interface DiskResource extends ResourceBase {
  kind: 'disk';
  state: 'restoring' | 'ready' | 'deleting';
  serverId: string;
  hostname: string;
  diskName: string;
  sizeGiB: number;
  datastoreId: string;
  restorePointId: string;
  restorePointTakenAt: number;
}

export interface VmResource extends ResourceBase {
  kind: 'server';
  state: 'creating' | 'stopped' | 'starting' | 'running' | 'stopping' | 'deleting';
  serverId: string;
  hostname: string;
  osFamily: OsFamily;
  vcpu: number;
  ramGiB: number;
  clusterId: string;
  hostId: string;
  swapDatastoreId: string;
  diskIds: string[];
  lunId?: string;
  source: 'restore' | 'replica' | 'lun';
  antiAffinityKey?: string;
  health?: Health;
  /** Data the business changed on it while it ran at the recovery site, before `runningSince`, bytes. */
  changedBytes?: number;
  /** Since when it runs (and writes) at the recovery site; undefined while it does not run. */
  runningSince?: number;
}

export interface NetworkResource extends ResourceBase {
  kind: 'network';
  state: 'creating' | 'ready' | 'deleting';
  name: string;
  cidr: string;
}

export interface NcaResource extends ResourceBase {
  kind: 'nca';
  state: 'creating' | 'ready' | 'deleting';
  networkId: string;
}

export interface VpnResource extends ResourceBase {
  kind: 'vpn';
  state: 'creating' | 'ready' | 'deleting';
  networkId: string;
  site: string;
}

export interface LunResource extends ResourceBase {
  kind: 'lun';
  state: 'presenting' | 'presented' | 'deleting';
  serverId: string;
  hostname: string;
  sizeGiB: number;
  rpoMinutes: number;
}

export type Resource = DiskResource | VmResource | NetworkResource | NcaResource | VpnResource | LunResource;

export interface Operation {
  id: string;
  seq: number;
  kind: OperationKind;
  status: OperationStatus;
  tenantId: string;
  activationId?: string;
  idempotencyKey: string;
  fingerprint: string;
  hostname?: string;
  resourceId?: string;
  createdAt: number;
  startedAt: number;
  completedAt?: number;
  result?: Record<string, unknown>;
  error?: { code: string; message: string };
}

export interface Fault {
  id: string;
  hostname: string;
  fault: FaultKind;
  /** Remaining triggers; null = always. */
  remaining: number | null;
  triggered: number;
}
