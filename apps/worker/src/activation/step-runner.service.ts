import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import type { ActivationCommand } from '@reprise/domain/activation/activation.commands';
import type { Activation, ServerState } from '@reprise/domain/activation/activation.state';
import { CLOCK, type Clock } from '@reprise/domain/shared/clock';
import {
  CloudPermanentError,
  type CloudOperation,
  type CloudResource,
  RECOVERY_CLOUD,
  type RecoveryCloud,
  type RestoreDiskResult,
  type ServerResult,
  type AnalysisResult,
  type ReplicaResult,
  type LunResult,
} from '@reprise/recovery-cloud-client';
import type { JobPayloads } from '@reprise/jobs';
import { ActivationRecorder } from './activation-recorder.service';
import { registrationOf } from './estate-cloud-sync.service';

type StepJob = JobPayloads['activation.step'];
type RecordFn = (command: ActivationCommand) => Promise<unknown>;

/** Poll interval while a cloud operation runs (wall ms). */
const POLL_MS = Number(process.env.REPRISE_CLOUD_POLL_MS ?? 25);
const WAIT_TIMEOUT_MS = 10 * 60_000;

/** Whether the events still say the step has work to do (the phase it acts on, while executing). */
function stillDue(state: Activation, job: StepJob, server: ServerState | undefined): boolean {
  const executing = state.status === 'running';
  switch (job.step) {
    case 'restore':
      return (
        (executing || state.status === 'alert') &&
        (server?.phase === 'pending' || server?.phase === 'restoring')
      );
    case 'boot':
      return executing && (server?.phase === 'restored' || server?.phase === 'booting');
    case 'analyse':
      return executing && server?.phase === 'checking';
    case 'network':
      return executing && (state.network.phase === 'pending' || state.network.phase === 'setting-up');
    default:
      return true;
  }
}

/**
 * Runs one step of an activation against the recovery cloud. Every mutating call carries an
 * idempotency key derived from (activation, server, step, attempt); before any call the step looks
 * at what the cloud already lists for the activation, so a step run twice (crash, flushed queue)
 * resumes the operation it had started instead of starting another one. Outcomes are recorded as
 * events through the decider; permanent failures become `ServerStepFailed` with the cloud's reason.
 * Transient errors are thrown, so BullMQ retries the job with backoff.
 */
@Injectable()
export class StepRunner implements BeforeApplicationShutdown {
  private readonly logger = new Logger(StepRunner.name);

  constructor(
    @Inject(RECOVERY_CLOUD) private readonly cloud: RecoveryCloud,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly recorder: ActivationRecorder,
  ) {}

  private now(): string {
    return this.clock.now().toISOString();
  }

  private wait<R>(op: CloudOperation<R>): Promise<CloudOperation<R>> {
    if (op.status === 'succeeded') return Promise.resolve(op);
    if (op.status === 'failed')
      throw new CloudPermanentError(
        op.error?.code ?? 'operation-failed',
        op.error?.message ?? 'operation failed',
        undefined,
        op as unknown as CloudOperation,
      );
    // A stopping worker does not wait for long cloud operations: the job fails as transient and the
    // step resumes (same operation, found by listing) in whichever worker takes it next.
    return this.cloud.waitFor<R>(op.operationId, {
      pollIntervalMs: POLL_MS,
      timeoutMs: WAIT_TIMEOUT_MS,
      signal: this.shutdown.signal,
    });
  }

  private readonly shutdown = new AbortController();

  /** Runs before BullMQ closes its workers (which waits for the jobs in progress). */
  beforeApplicationShutdown(): void {
    this.shutdown.abort('the worker is stopping; the step resumes in the next worker');
  }

  private async resources(job: StepJob, serverId?: string): Promise<CloudResource[]> {
    return this.cloud.listResources(job.tenantId, job.activationId, serverId);
  }

  async run(job: StepJob, jobId: string): Promise<void> {
    const state = await this.recorder.load(job.tenantId, job.activationId);
    if (!state) return;
    const server = job.serverId ? state.servers[state.index[job.serverId]] : undefined;
    if (job.serverId && (!server || server.attempt !== job.attempt)) return; // superseded by a retry
    // A copy of a step that is done (a re-enqueued job, a job taken over after a stall), or a step
    // of an activation that stopped executing (aborted), calls nothing: no idempotency key is
    // replayed for work the events already record, and nothing new starts after an abort.
    if (!stillDue(state, job, server)) return;
    const record: RecordFn = (command) =>
      this.recorder.record(job.tenantId, job.activationId, command, jobId);
    try {
      switch (job.step) {
        case 'restore':
          return await this.restore(job, state, server as ServerState, record);
        case 'boot':
          return await this.boot(job, server as ServerState, record);
        case 'analyse':
          return await this.analyse(job, server as ServerState, record);
        case 'network':
          return await this.network(job, state, record);
        case 'teardown':
          return await this.teardown(job, record);
        case 'failback':
          return await this.failback(job, record);
        default:
          return;
      }
    } catch (error) {
      if (
        error instanceof CloudPermanentError &&
        server &&
        (job.step === 'restore' || job.step === 'boot' || job.step === 'analyse')
      ) {
        await record({
          type: 'RecordServerStepFailed',
          data: {
            serverId: server.snapshot.serverId,
            attempt: job.attempt,
            step: job.step === 'analyse' ? 'analysis' : job.step,
            reason: `${error.code}: ${error.message}`,
            at: this.now(),
          },
        });
        return;
      }
      if (error instanceof CloudPermanentError && job.step === 'network') {
        await record({
          type: 'RecordNetworkSetupFailed',
          data: { reason: `${error.code}: ${error.message}`, at: this.now() },
        });
        return;
      }
      throw error;
    }
  }

  private async restore(
    job: StepJob,
    state: Activation,
    server: ServerState,
    record: RecordFn,
  ): Promise<void> {
    const s = server.snapshot;
    const key = (part: string) => `${job.key}:${part}`;
    // Resuming (a crash, a flushed queue): reuse what the cloud already lists for this server.
    const existing =
      server.restoreStartedAt || s.recoveryMethod !== 'backup-restore'
        ? await this.resources(job, s.serverId)
        : [];
    // The cloud must know the server (its backups, replica or LUN) before anything is asked of it.
    const points = server.restoreStartedAt ? [] : await this.listRestorePoints(job, server);
    if (s.recoveryMethod === 'vm-replication') {
      const vm = existing.find((r) => r.kind === 'server');
      const op = vm
        ? await this.cloud.getOperation<ReplicaResult>(vm.operationId)
        : await this.cloud.powerOnReplica(
            {
              tenantId: job.tenantId,
              activationId: job.activationId,
              serverId: s.serverId,
              antiAffinityGroup: s.antiAffinityGroup ?? undefined,
            },
            { idempotencyKey: key('replica') },
          );
      const done = await this.wait(op);
      const result = done.result as ReplicaResult;
      if (!server.restoreStartedAt)
        await record({
          type: 'RecordServerRestoreStarted',
          data: {
            serverId: s.serverId,
            attempt: job.attempt,
            restorePointId: `replica@${result.replicaTakenAt}`,
            restorePointTakenAt: result.replicaTakenAt,
            at: done.createdAt,
          },
        });
      await record({
        type: 'RecordReplicaActivated',
        data: { serverId: s.serverId, attempt: job.attempt, at: done.completedAt ?? this.now() },
      });
      return;
    }
    if (s.recoveryMethod === 'storage-replication') {
      const lun = existing.find((r) => r.kind === 'lun');
      const op = lun
        ? await this.cloud.getOperation<LunResult>(lun.operationId)
        : await this.cloud.presentLun(
            { tenantId: job.tenantId, activationId: job.activationId, serverId: s.serverId },
            { idempotencyKey: key('lun') },
          );
      const done = await this.wait(op);
      const result = done.result as LunResult;
      const takenAt = new Date(Date.parse(done.createdAt) - result.rpoMinutes * 60_000).toISOString();
      if (!server.restoreStartedAt)
        await record({
          type: 'RecordServerRestoreStarted',
          data: {
            serverId: s.serverId,
            attempt: job.attempt,
            restorePointId: `lun@${takenAt}`,
            restorePointTakenAt: takenAt,
            at: done.createdAt,
          },
        });
      await record({
        type: 'RecordServerRestored',
        data: { serverId: s.serverId, attempt: job.attempt, at: done.completedAt ?? this.now() },
      });
      return;
    }
    // Restore from backup: the newest restore point, every disk in parallel (the cloud shares the bandwidth).
    let pointId = server.restorePointId;
    if (!server.restoreStartedAt) {
      if (points.length === 0)
        throw new CloudPermanentError('no-restore-point', `no restore point for ${s.hostname}`);
      const newest = points.reduce((a, b) => (Date.parse(a.takenAt) >= Date.parse(b.takenAt) ? a : b));
      pointId = newest.id;
      await record({
        type: 'RecordServerRestoreStarted',
        data: {
          serverId: s.serverId,
          attempt: job.attempt,
          restorePointId: newest.id,
          restorePointTakenAt: newest.takenAt,
          at: this.now(),
        },
      });
    }
    const pending = s.disks.filter((d) => !server.disksRestored.includes(d.name));
    const results = await Promise.allSettled(
      pending.map(async (disk) => {
        const already = existing.find((r) => r.kind === 'disk' && r.diskName === disk.name);
        const op = already
          ? await this.cloud.getOperation<RestoreDiskResult>(already.operationId)
          : await this.cloud.restoreDisk(
              {
                tenantId: job.tenantId,
                activationId: job.activationId,
                serverId: s.serverId,
                diskName: disk.name,
                restorePointId: pointId ?? undefined,
              },
              { idempotencyKey: key(`disk:${disk.name}`) },
            );
        const done = await this.wait(op);
        await record({
          type: 'RecordDiskRestored',
          data: {
            serverId: s.serverId,
            attempt: job.attempt,
            disk: disk.name,
            at: done.completedAt ?? this.now(),
          },
        });
      }),
    );
    const failure = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
    if (failure) throw failure.reason;
  }

  /** Restore points of the server; registers it first if the cloud does not know it yet. */
  private async listRestorePoints(job: StepJob, server: ServerState) {
    const s = server.snapshot;
    try {
      return await this.cloud.listRestorePoints(job.tenantId, s.serverId);
    } catch (error) {
      if (!(error instanceof CloudPermanentError) || error.status !== 404) throw error;
      await this.cloud.registerServer(
        registrationOf(job.tenantId, {
          id: s.serverId,
          hostname: s.hostname,
          os: { family: s.osFamily, name: s.osName, version: s.osVersion },
          disks: s.disks,
          template: s.template,
          recoveryMethod: s.recoveryMethod,
        }),
        { idempotencyKey: `register:${s.serverId}:activation:${job.activationId}` },
      );
      return this.cloud.listRestorePoints(job.tenantId, s.serverId);
    }
  }

  /** VM ids placed by this process (server key → vm), so the analysis need not ask the cloud again. */
  private readonly vms = new Map<string, { id: string; hostId: string }>();

  private async findVm(job: StepJob, serverId: string): Promise<CloudResource | undefined> {
    const known = this.vms.get(`${job.activationId}.${serverId}`);
    if (known) return known as unknown as CloudResource;
    return (await this.resources(job, serverId)).find((r) => r.kind === 'server');
  }

  private async boot(job: StepJob, server: ServerState, record: RecordFn): Promise<void> {
    const s = server.snapshot;
    let vm =
      server.bootStartedAt || s.recoveryMethod !== 'backup-restore'
        ? await this.findVm(job, s.serverId)
        : undefined;
    if (s.recoveryMethod === 'vm-replication' && vm) {
      // The replica came up when it was powered on: placement and boot are already done.
      const at = this.now();
      if (!server.bootStartedAt)
        await record({
          type: 'RecordServerBootStarted',
          data: { serverId: s.serverId, attempt: job.attempt, host: String(vm.hostId ?? 'replica'), at },
        });
      await record({ type: 'RecordServerBooted', data: { serverId: s.serverId, attempt: job.attempt, at } });
      return;
    }
    if (!vm) {
      const lun =
        s.recoveryMethod === 'storage-replication'
          ? (await this.resources(job, s.serverId)).find((r) => r.kind === 'lun')
          : undefined;
      const created = await this.wait(
        await this.cloud.createServer(
          {
            tenantId: job.tenantId,
            activationId: job.activationId,
            serverId: s.serverId,
            vcpu: s.template.vcpu,
            ramGiB: s.template.ramGiB,
            lunId: lun?.id,
            antiAffinityGroup: s.antiAffinityGroup ?? undefined,
          },
          { idempotencyKey: `${job.key}:create` },
        ),
      );
      const result = created.result as ServerResult;
      if (!server.bootStartedAt)
        await record({
          type: 'RecordServerBootStarted',
          data: { serverId: s.serverId, attempt: job.attempt, host: result.hostId, at: created.createdAt },
        });
      vm = { id: result.vmId, hostId: result.hostId } as unknown as CloudResource;
      this.vms.set(`${job.activationId}.${s.serverId}`, { id: result.vmId, hostId: result.hostId });
    } else if (!server.bootStartedAt) {
      await record({
        type: 'RecordServerBootStarted',
        data: { serverId: s.serverId, attempt: job.attempt, host: String(vm.hostId), at: this.now() },
      });
    }
    const powered = await this.wait(
      await this.cloud.powerOn(
        { tenantId: job.tenantId, vmId: vm.id },
        { idempotencyKey: `${job.key}:power-on` },
      ),
    );
    await record({
      type: 'RecordServerBooted',
      data: { serverId: s.serverId, attempt: job.attempt, at: powered.completedAt ?? this.now() },
    });
  }

  private async analyse(job: StepJob, server: ServerState, record: RecordFn): Promise<void> {
    const s = server.snapshot;
    const vm = await this.findVm(job, s.serverId);
    if (!vm)
      throw new CloudPermanentError(
        'server-missing',
        `${s.hostname} is not listed by the recovery cloud any more`,
      );
    const op = await this.cloud.analyse(
      { tenantId: job.tenantId, vmId: vm.id },
      { idempotencyKey: `${job.key}:analyse` },
    );
    if (!server.analysisStartedAt)
      await record({
        type: 'RecordServerAnalysisStarted',
        data: { serverId: s.serverId, attempt: job.attempt, at: op.createdAt },
      });
    const done = await this.wait(op);
    const result = done.result as AnalysisResult;
    await record({
      type: 'RecordServerChecked',
      data: {
        serverId: s.serverId,
        attempt: job.attempt,
        health: result.health,
        detail: result.detail ?? null,
        at: done.completedAt ?? this.now(),
      },
    });
    this.vms.delete(`${job.activationId}.${s.serverId}`);
  }

  private async network(job: StepJob, state: Activation, record: RecordFn): Promise<void> {
    if (state.network.phase === 'pending')
      await record({ type: 'RecordNetworkSetupStarted', data: { at: this.now() } });
    const base = { tenantId: job.tenantId, activationId: job.activationId };
    const net = await this.wait(
      await this.cloud.createNetwork({ ...base, name: 'recovery' }, { idempotencyKey: `${job.key}:network` }),
    );
    const networkId = (net.result as { networkId: string }).networkId;
    await this.wait(await this.cloud.createNca({ ...base, networkId }, { idempotencyKey: `${job.key}:nca` }));
    const vpn = await this.wait(
      await this.cloud.createVpn(
        { ...base, networkId, site: 'main-site' },
        { idempotencyKey: `${job.key}:vpn` },
      ),
    );
    await record({ type: 'RecordNetworkReady', data: { at: vpn.completedAt ?? this.now() } });
  }

  private async teardown(job: StepJob, record: RecordFn): Promise<void> {
    await this.wait(
      await this.cloud.teardown(
        { tenantId: job.tenantId, activationId: job.activationId },
        { idempotencyKey: `${job.key}:teardown` },
      ),
    );
    // Verified, not assumed: what the cloud itself still lists for the activation.
    const remaining = (await this.resources(job)).map((r) => `${r.kind}:${r.id}`);
    await record({ type: 'RecordTeardown', data: { remaining, at: this.now() } });
    if (remaining.length)
      this.logger.warn(
        `teardown of ${job.activationId} left ${remaining.length} resources: ${remaining.join(', ')}`,
      );
  }

  private async failback(job: StepJob, record: RecordFn): Promise<void> {
    // Back to nominal: the original site runs again; release the recovery space, verified by listing.
    await this.wait(
      await this.cloud.teardown(
        { tenantId: job.tenantId, activationId: job.activationId },
        { idempotencyKey: `${job.key}:release` },
      ),
    );
    const remaining = await this.resources(job);
    if (remaining.length) throw new Error(`failback: ${remaining.length} resources still listed; retrying`);
    await record({ type: 'RecordFailback', data: { at: this.now() } });
  }
}
