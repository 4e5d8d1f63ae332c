import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { Environment } from '@reprise/common/config/environment';
import type { ServerState } from '@reprise/domain/activation/activation.state';
import {
  CloudPermanentError,
  RECOVERY_CLOUD,
  type CloudOperation,
  type CloudResource,
  type RecoveryCloud,
  type RestorePoint,
} from '@reprise/recovery-cloud-client';
import { registrationOf } from '../estate-cloud-sync.service';
import type { StepRun } from './step-handler';

/** Wall ms a step waits for one cloud operation before the queue retries it (it then resumes the same operation). */
const WAIT_TIMEOUT_MS = 10 * 60_000;

/**
 * What every step handler needs of the recovery cloud besides its own calls: waiting for an
 * operation (given up at once when the worker stops, so the next worker resumes it), what the cloud
 * lists for the activation, the server's restore points (registering the server first if the cloud
 * does not know it yet), and the VMs this process placed (so the analysis need not list them again).
 */
@Injectable()
export class CloudSteps implements BeforeApplicationShutdown {
  private readonly shutdown = new AbortController();
  private readonly pollMs: number;
  /** VM placed by this process for (activation, server), until the server is analysed. */
  private readonly vms = new Map<string, { id: string; hostId: string }>();

  constructor(
    @Inject(RECOVERY_CLOUD) readonly cloud: RecoveryCloud,
    env: Environment,
  ) {
    this.pollMs = env.REPRISE_CLOUD_POLL_MS ?? 25;
  }

  /** Runs before the queue's worker closes (which waits for the steps in progress). */
  beforeApplicationShutdown(): void {
    this.shutdown.abort('the worker is stopping; the step resumes in the next worker');
  }

  /** The operation once it succeeded; a failed one throws `CloudPermanentError` with the cloud's reason. */
  wait<R>(op: CloudOperation<R>): Promise<CloudOperation<R>> {
    if (op.status === 'succeeded') return Promise.resolve(op);
    if (op.status === 'failed')
      return Promise.reject(
        new CloudPermanentError(
          op.error?.code ?? 'operation-failed',
          op.error?.message ?? 'operation failed',
          undefined,
          op as unknown as CloudOperation,
        ),
      );
    return this.cloud.waitFor<R>(op.operationId, {
      pollIntervalMs: this.pollMs,
      timeoutMs: WAIT_TIMEOUT_MS,
      signal: this.shutdown.signal,
    });
  }

  /** What the cloud itself lists for the activation (and one server). */
  resources(run: StepRun, serverId?: string): Promise<CloudResource[]> {
    return this.cloud.listResources(run.tenantId, run.activationId, serverId);
  }

  /** Removes everything the activation holds in the recovery space; returns what the cloud still lists (verified, not assumed). */
  async release(run: StepRun, part: string): Promise<CloudResource[]> {
    await this.wait(
      await this.cloud.teardown(
        { tenantId: run.tenantId, activationId: run.activationId },
        { idempotencyKey: `${run.step.key}:${part}` },
      ),
    );
    return this.resources(run);
  }

  /** Restore points of the server; registers it first if the cloud does not know it yet. */
  async restorePoints(run: StepRun, server: ServerState): Promise<RestorePoint[]> {
    const s = server.snapshot;
    try {
      return await this.cloud.listRestorePoints(run.tenantId, s.serverId);
    } catch (error) {
      if (!(error instanceof CloudPermanentError) || error.status !== 404) throw error;
      await this.cloud.registerServer(
        registrationOf(run.tenantId, {
          id: s.serverId,
          hostname: s.hostname,
          os: { family: s.osFamily, name: s.osName, version: s.osVersion },
          disks: s.disks,
          template: s.template,
          recoveryMethod: s.recoveryMethod,
        }),
        { idempotencyKey: `register:${s.serverId}:activation:${run.activationId}` },
      );
      return this.cloud.listRestorePoints(run.tenantId, s.serverId);
    }
  }

  /** The server's VM: placed by this process, or as the cloud lists it. */
  async vmOf(run: StepRun, serverId: string): Promise<{ id: string; hostId: string } | undefined> {
    const known = this.vms.get(`${run.activationId}.${serverId}`);
    if (known) return known;
    const listed = (await this.resources(run, serverId)).find((r) => r.kind === 'server');
    return listed ? { id: listed.id, hostId: String(listed.hostId ?? 'replica') } : undefined;
  }

  rememberVm(run: StepRun, serverId: string, vm: { id: string; hostId: string }): void {
    this.vms.set(`${run.activationId}.${serverId}`, vm);
  }

  forgetVm(run: StepRun, serverId: string): void {
    this.vms.delete(`${run.activationId}.${serverId}`);
  }
}
