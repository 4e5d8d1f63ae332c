import type {
  AnalysisResult,
  BackupFreshness,
  CloudCapacity,
  CallOptions,
  CloudOperation,
  CloudResource,
  CreateServerRequest,
  GuestRunRequest,
  GuestRunResult,
  ProbeRequest,
  ProbeResult,
  LunResult,
  NcaRequest,
  NcaResult,
  NetworkRequest,
  NetworkResult,
  OriginalStartResult,
  OriginalStopResult,
  ReconnectRequest,
  ReconnectResult,
  ReplicationStatus,
  ReverseDeltaRequest,
  ReverseServerRequest,
  ReverseTransferResult,
  SiteState,
  RegisterServerRequest,
  RegisterServerResult,
  ReplicaRequest,
  ReplicaResult,
  RestoreDiskRequest,
  RestoreDiskResult,
  RestorePoint,
  ServerResult,
  TeardownRequest,
  TeardownResult,
  VmRequest,
  VpnRequest,
  VpnResult,
  WaitOptions,
} from './types';

/** Injection token for the RecoveryCloud port. */
export const RECOVERY_CLOUD = Symbol('RECOVERY_CLOUD');

/**
 * The recovery cloud as the engine sees it. Every mutating call is asynchronous (it returns the
 * operation as accepted; poll it with `getOperation` or `waitFor`) and idempotent under the
 * caller's key: calling again with the same key and request returns the same operation.
 * Errors: `CloudPermanentError` (refused, 4xx, failed operation) or `CloudTransientError`
 * (unreachable after every retry). A real provider adapter (OpenStack, vSphere) implements the same port.
 */
export interface RecoveryCloud {
  registerServer(
    request: RegisterServerRequest,
    options: CallOptions,
  ): Promise<CloudOperation<RegisterServerResult>>;
  listRestorePoints(tenantId: string, serverId: string): Promise<RestorePoint[]>;
  restoreDisk(request: RestoreDiskRequest, options: CallOptions): Promise<CloudOperation<RestoreDiskResult>>;
  createServer(request: CreateServerRequest, options: CallOptions): Promise<CloudOperation<ServerResult>>;
  powerOn(request: VmRequest, options: CallOptions): Promise<CloudOperation<ServerResult>>;
  analyse(request: VmRequest, options: CallOptions): Promise<CloudOperation<AnalysisResult>>;
  guestRun(request: GuestRunRequest, options: CallOptions): Promise<CloudOperation<GuestRunResult>>;
  probe(request: ProbeRequest, options: CallOptions): Promise<CloudOperation<ProbeResult>>;
  createNetwork(request: NetworkRequest, options: CallOptions): Promise<CloudOperation<NetworkResult>>;
  createNca(request: NcaRequest, options: CallOptions): Promise<CloudOperation<NcaResult>>;
  createVpn(request: VpnRequest, options: CallOptions): Promise<CloudOperation<VpnResult>>;
  powerOnReplica(request: ReplicaRequest, options: CallOptions): Promise<CloudOperation<ReplicaResult>>;
  presentLun(request: ReplicaRequest, options: CallOptions): Promise<CloudOperation<LunResult>>;
  teardown(request: TeardownRequest, options: CallOptions): Promise<CloudOperation<TeardownResult>>;
  /** What exists for a tenant, optionally one activation and one protected server. */
  listResources(tenantId: string, activationId?: string, serverId?: string): Promise<CloudResource[]>;
  /** Newest restore point of every registered server of a tenant. */
  backupFreshness(tenantId: string): Promise<BackupFreshness[]>;
  /** Hosts and datastores of the recovery space with what is used now. */
  capacity(): Promise<CloudCapacity>;
  /** The state of the tenant's original site (failback needs it `up`). */
  originalSite(tenantId: string): Promise<SiteState>;
  /** Per server of the activation at the recovery site: data changed there, and what arrived back. */
  replicationStatus(tenantId: string, activationId: string): Promise<ReplicationStatus[]>;
  /** Starts replicating a server back to the original site: the initial copy of its disks. */
  startReverseSync(
    request: ReverseServerRequest,
    options: CallOptions,
  ): Promise<CloudOperation<ReverseTransferResult>>;
  /** Sends what changed since the last range sent (`final` once the server stopped at the recovery site). */
  reverseDelta(
    request: ReverseDeltaRequest,
    options: CallOptions,
  ): Promise<CloudOperation<ReverseTransferResult>>;
  /** Clean shutdown of a server at the recovery site. */
  stopServer(request: VmRequest, options: CallOptions): Promise<CloudOperation<ServerResult>>;
  /** Starts a server at the original site with its health check (refused while changes are missing). */
  startAtOriginal(
    request: ReverseServerRequest,
    options: CallOptions,
  ): Promise<CloudOperation<OriginalStartResult>>;
  /** Stops the copy of a server at the original site (after a failed health check there); idempotent. */
  stopAtOriginal(
    request: ReverseServerRequest,
    options: CallOptions,
  ): Promise<CloudOperation<OriginalStopResult>>;
  /** Users reconnected to the original site. */
  reconnectUsers(request: ReconnectRequest, options: CallOptions): Promise<CloudOperation<ReconnectResult>>;
  getOperation<R = Record<string, unknown>>(operationId: string): Promise<CloudOperation<R>>;
  /**
   * Polls until the operation is done. Resolves with the succeeded operation; rejects with
   * `CloudPermanentError` (code = the cloud's reason) if it failed, or `CloudTransientError`
   * (code `operation-timeout`) after `timeoutMs`.
   */
  waitFor<R = Record<string, unknown>>(
    operationId: string,
    options?: WaitOptions,
  ): Promise<CloudOperation<R>>;
}
