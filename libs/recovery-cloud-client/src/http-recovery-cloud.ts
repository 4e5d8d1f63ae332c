import { CloudPermanentError, CloudTransientError } from './errors';
import { type HttpTransport, HttpTransportError, pooledTransport } from './http-transport';
import type { RecoveryCloud } from './recovery-cloud.port';
import type {
  AnalysisResult,
  GuestRunRequest,
  GuestRunResult,
  ProbeRequest,
  ProbeResult,
  BackupFreshness,
  CloudCapacity,
  CallOptions,
  CloudOperation,
  CloudResource,
  CreateServerRequest,
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

export interface RetryPolicy {
  /** Total attempts including the first. Default 8. */
  maxAttempts: number;
  /** First back-off delay (ms); doubles each attempt. Default 100. */
  baseDelayMs: number;
  /** Cap of one delay (ms). Default 2 000. */
  maxDelayMs: number;
}

export interface HttpRecoveryCloudOptions {
  /** e.g. http://127.0.0.1:3100 (RECOVERY_CLOUD_URL). */
  baseUrl: string;
  /** Per-attempt timeout in ms (undici's coarse timers: give or take half a second). Default 5 000. */
  timeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Random source for back-off jitter (tests). Default Math.random. */
  random?: () => number;
  /** Sleep (tests). */
  sleep?: (ms: number) => Promise<void>;
  /** How exchanges reach the cloud. Default: undici's keep-alive pool to `baseUrl` (`pooledTransport`). */
  transport?: HttpTransport;
  /** Called before each retry (logging/metrics). */
  onRetry?: (info: {
    method: string;
    path: string;
    attempt: number;
    delayMs: number;
    reason: string;
  }) => void;
}

const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 2000 };

class RetryableFailure extends Error {
  constructor(
    readonly reason: string,
    readonly status?: number,
  ) {
    super(reason);
  }
}

const strip = <T extends { tenantId: string }>(request: T): Omit<T, 'tenantId'> => {
  const { tenantId: _tenantId, ...rest } = request;
  return rest;
};

/**
 * HTTP adapter of the RecoveryCloud port for the simulated cloud's provider API (`/cloud/v1`).
 * Each attempt has a timeout; 5xx, network errors and timeouts are retried with exponential
 * back-off and jitter, reusing the caller's idempotency key; a 4xx is never retried.
 */
export class HttpRecoveryCloud implements RecoveryCloud {
  private readonly basePath: string;
  private readonly timeoutMs: number;
  private readonly retry: RetryPolicy;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly transport: HttpTransport;

  constructor(private readonly options: HttpRecoveryCloudOptions) {
    const url = new URL(options.baseUrl);
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.random = options.random ?? Math.random;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.transport = options.transport ?? pooledTransport(url.origin, { timeoutMs: this.timeoutMs });
  }

  /** Closes the keep-alive connections (Nest calls it when the app stops). */
  onApplicationShutdown(): Promise<void> {
    return this.transport.close();
  }

  registerServer(
    request: RegisterServerRequest,
    options: CallOptions,
  ): Promise<CloudOperation<RegisterServerResult>> {
    return this.mutate(`/tenants/${enc(request.tenantId)}/protected-servers`, strip(request), options);
  }

  async listRestorePoints(tenantId: string, serverId: string): Promise<RestorePoint[]> {
    const body = await this.request<{ items: RestorePoint[] }>(
      'GET',
      `/tenants/${enc(tenantId)}/protected-servers/${enc(serverId)}/restore-points`,
    );
    return body.items;
  }

  restoreDisk(request: RestoreDiskRequest, options: CallOptions): Promise<CloudOperation<RestoreDiskResult>> {
    return this.mutate(`/tenants/${enc(request.tenantId)}/restores`, strip(request), options);
  }

  createServer(request: CreateServerRequest, options: CallOptions): Promise<CloudOperation<ServerResult>> {
    return this.mutate(`/tenants/${enc(request.tenantId)}/servers`, strip(request), options);
  }

  powerOn(request: VmRequest, options: CallOptions): Promise<CloudOperation<ServerResult>> {
    return this.mutate(
      `/tenants/${enc(request.tenantId)}/servers/${enc(request.vmId)}/power-on`,
      {},
      options,
    );
  }

  analyse(request: VmRequest, options: CallOptions): Promise<CloudOperation<AnalysisResult>> {
    return this.mutate(`/tenants/${enc(request.tenantId)}/servers/${enc(request.vmId)}/analyse`, {}, options);
  }

  guestRun(request: GuestRunRequest, options: CallOptions): Promise<CloudOperation<GuestRunResult>> {
    const { tenantId, vmId, ...body } = request;
    return this.mutate(`/tenants/${enc(tenantId)}/servers/${enc(vmId)}/guest-run`, body, options);
  }

  probe(request: ProbeRequest, options: CallOptions): Promise<CloudOperation<ProbeResult>> {
    const { tenantId, vmId, ...body } = request;
    return this.mutate(`/tenants/${enc(tenantId)}/servers/${enc(vmId)}/probe`, body, options);
  }

  createNetwork(request: NetworkRequest, options: CallOptions): Promise<CloudOperation<NetworkResult>> {
    return this.mutate(`/tenants/${enc(request.tenantId)}/networks`, strip(request), options);
  }

  createNca(request: NcaRequest, options: CallOptions): Promise<CloudOperation<NcaResult>> {
    return this.mutate(`/tenants/${enc(request.tenantId)}/ncas`, strip(request), options);
  }

  createVpn(request: VpnRequest, options: CallOptions): Promise<CloudOperation<VpnResult>> {
    return this.mutate(`/tenants/${enc(request.tenantId)}/vpns`, strip(request), options);
  }

  powerOnReplica(request: ReplicaRequest, options: CallOptions): Promise<CloudOperation<ReplicaResult>> {
    return this.mutate(`/tenants/${enc(request.tenantId)}/replicas/power-on`, strip(request), options);
  }

  presentLun(request: ReplicaRequest, options: CallOptions): Promise<CloudOperation<LunResult>> {
    return this.mutate(`/tenants/${enc(request.tenantId)}/luns/present`, strip(request), options);
  }

  teardown(request: TeardownRequest, options: CallOptions): Promise<CloudOperation<TeardownResult>> {
    return this.mutate(
      `/tenants/${enc(request.tenantId)}/activations/${enc(request.activationId)}/teardown`,
      {},
      options,
    );
  }

  async originalSite(tenantId: string): Promise<SiteState> {
    return (await this.request<{ state: SiteState }>('GET', `/tenants/${enc(tenantId)}/original-site`)).state;
  }

  async replicationStatus(tenantId: string, activationId: string): Promise<ReplicationStatus[]> {
    return (
      await this.request<{ items: ReplicationStatus[] }>(
        'GET',
        `/tenants/${enc(tenantId)}/activations/${enc(activationId)}/replication`,
      )
    ).items;
  }

  startReverseSync(
    request: ReverseServerRequest,
    options: CallOptions,
  ): Promise<CloudOperation<ReverseTransferResult>> {
    return this.mutate(`/tenants/${enc(request.tenantId)}/reverse-replications`, strip(request), options);
  }

  reverseDelta(
    request: ReverseDeltaRequest,
    options: CallOptions,
  ): Promise<CloudOperation<ReverseTransferResult>> {
    return this.mutate(
      `/tenants/${enc(request.tenantId)}/reverse-replications/deltas`,
      strip(request),
      options,
    );
  }

  stopServer(request: VmRequest, options: CallOptions): Promise<CloudOperation<ServerResult>> {
    return this.mutate(`/tenants/${enc(request.tenantId)}/servers/${enc(request.vmId)}/stop`, {}, options);
  }

  startAtOriginal(
    request: ReverseServerRequest,
    options: CallOptions,
  ): Promise<CloudOperation<OriginalStartResult>> {
    return this.mutate(`/tenants/${enc(request.tenantId)}/original-site/starts`, strip(request), options);
  }

  stopAtOriginal(
    request: ReverseServerRequest,
    options: CallOptions,
  ): Promise<CloudOperation<OriginalStopResult>> {
    return this.mutate(`/tenants/${enc(request.tenantId)}/original-site/stops`, strip(request), options);
  }

  reconnectUsers(request: ReconnectRequest, options: CallOptions): Promise<CloudOperation<ReconnectResult>> {
    return this.mutate(
      `/tenants/${enc(request.tenantId)}/original-site/reconnections`,
      strip(request),
      options,
    );
  }

  async backupFreshness(tenantId: string): Promise<BackupFreshness[]> {
    return (
      await this.request<{ items: BackupFreshness[] }>('GET', `/tenants/${enc(tenantId)}/backup-freshness`)
    ).items;
  }

  async capacity(): Promise<CloudCapacity> {
    return this.request<CloudCapacity>('GET', '/capacity');
  }

  async listResources(tenantId: string, activationId?: string, serverId?: string): Promise<CloudResource[]> {
    const params = new URLSearchParams();
    if (activationId) params.set('activationId', activationId);
    if (serverId) params.set('serverId', serverId);
    const query = params.size ? `?${params.toString()}` : '';
    const body = await this.request<{ items: CloudResource[] }>(
      'GET',
      `/tenants/${enc(tenantId)}/resources${query}`,
    );
    return body.items;
  }

  getOperation<R = Record<string, unknown>>(operationId: string): Promise<CloudOperation<R>> {
    return this.request<CloudOperation<R>>('GET', `/operations/${enc(operationId)}`);
  }

  async waitFor<R = Record<string, unknown>>(
    operationId: string,
    options: WaitOptions = {},
  ): Promise<CloudOperation<R>> {
    const pollIntervalMs = options.pollIntervalMs ?? 200;
    const timeoutMs = options.timeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    const stopped = () =>
      new CloudTransientError(
        'wait-aborted',
        `stopped waiting for operation ${operationId}: ${String(options.signal?.reason ?? 'aborted')}`,
        0,
      );
    for (;;) {
      if (options.signal?.aborted) throw stopped();
      const op = await this.getOperation<R>(operationId);
      if (op.status === 'succeeded') return op;
      if (op.status === 'failed') {
        throw new CloudPermanentError(
          op.error?.code ?? 'operation-failed',
          op.error?.message ?? `operation ${operationId} failed`,
          undefined,
          op as CloudOperation,
        );
      }
      if (Date.now() + pollIntervalMs > deadline) {
        throw new CloudTransientError(
          'operation-timeout',
          `operation ${operationId} (${op.kind}) still ${op.status} after ${timeoutMs} ms`,
          0,
        );
      }
      await (options.pause ?? this.sleep)(pollIntervalMs);
      if (options.signal?.aborted) throw stopped();
    }
  }

  private async mutate<R>(path: string, body: object, options: CallOptions): Promise<CloudOperation<R>> {
    if (!options?.idempotencyKey)
      throw new CloudPermanentError(
        'idempotency-key-required',
        'every mutating call needs an idempotency key',
      );
    return this.request<CloudOperation<R>>('POST', path, body, options.idempotencyKey);
  }

  /** One logical call: attempts with timeout, retried on 5xx/network/timeout, never on 4xx. */
  private async request<T>(method: string, path: string, body?: object, idempotencyKey?: string): Promise<T> {
    const target = `${this.basePath}/cloud/v1${path}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (idempotencyKey) headers['idempotency-key'] = idempotencyKey;
    let last: RetryableFailure | undefined;
    for (let attempt = 1; attempt <= this.retry.maxAttempts; attempt++) {
      try {
        return await this.attempt<T>(method, target, headers, body);
      } catch (error) {
        if (!(error instanceof RetryableFailure)) throw error;
        last = error;
        if (attempt === this.retry.maxAttempts) break;
        const delayMs = this.backoff(attempt);
        this.options.onRetry?.({ method, path, attempt, delayMs, reason: error.reason });
        await this.sleep(delayMs);
      }
    }
    throw new CloudTransientError(
      last?.status ? 'cloud-error' : 'cloud-unreachable',
      `${method} ${path} failed after ${this.retry.maxAttempts} attempts: ${last?.reason ?? 'unknown'}`,
      this.retry.maxAttempts,
      last?.status,
    );
  }

  private async attempt<T>(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: object,
  ): Promise<T> {
    let status: number;
    let text: string;
    try {
      ({ status, text } = await this.transport.send({
        method,
        path,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      }));
    } catch (error) {
      if (error instanceof HttpTransportError) throw new RetryableFailure(error.message);
      throw new RetryableFailure(`network error: ${describe(error)}`);
    }
    if (status >= 500)
      throw new RetryableFailure(`HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`, status);
    let payload: unknown = undefined;
    try {
      payload = text ? JSON.parse(text) : undefined;
    } catch {
      if (status >= 200 && status < 300)
        throw new CloudPermanentError(
          'invalid-response',
          `the cloud answered ${status} with a body that is not JSON`,
          status,
        );
    }
    if (status >= 400) {
      const p = (payload ?? {}) as { code?: string; message?: string };
      throw new CloudPermanentError(p.code ?? `http-${status}`, p.message ?? `HTTP ${status}`, status);
    }
    return payload as T;
  }

  private backoff(attempt: number): number {
    const exp = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
    // "Equal jitter": at least half the exponential delay, plus a random part.
    return Math.round(exp / 2 + (this.random() * exp) / 2);
  }
}

function enc(value: string): string {
  return encodeURIComponent(value);
}

function describe(error: unknown): string {
  const e = error as { message?: string; cause?: { code?: string; message?: string } };
  return [e?.message, e?.cause?.code ?? e?.cause?.message].filter(Boolean).join(' / ') || String(error);
}
