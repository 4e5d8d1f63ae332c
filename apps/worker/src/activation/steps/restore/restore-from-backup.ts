import { Injectable } from '@nestjs/common';
import { CloudPermanentError, type RestoreDiskResult } from '@reprise/recovery-cloud-client';
import { CloudSteps } from '../cloud-steps.service';
import type { ServerStepRun } from '../step-handler';
import type { RestoreMethod } from './restore-method';

/**
 * Restore from the backup space: the newest restore point, every disk at once (the cloud shares its
 * bandwidth). Resumed, it keeps the restore point it chose and waits for the disk restores the cloud
 * already lists instead of starting them again.
 */
@Injectable()
export class RestoreFromBackup implements RestoreMethod {
  constructor(private readonly cloud: CloudSteps) {}

  async restore(run: ServerStepRun): Promise<void> {
    const { server, step } = run;
    const s = server.snapshot;
    let pointId = server.restorePointId;
    if (!server.restoreStartedAt) {
      const points = await this.cloud.restorePoints(run, server);
      if (points.length === 0)
        throw new CloudPermanentError('no-restore-point', `no restore point for ${s.hostname}`);
      const newest = points.reduce((a, b) => (Date.parse(a.takenAt) >= Date.parse(b.takenAt) ? a : b));
      pointId = newest.id;
      await run.record({
        type: 'RecordServerRestoreStarted',
        data: {
          serverId: s.serverId,
          attempt: step.attempt,
          restorePointId: newest.id,
          restorePointTakenAt: newest.takenAt,
          at: run.now(),
        },
      });
    }
    const listed = server.restoreStartedAt ? await this.cloud.resources(run, s.serverId) : [];
    const pending = s.disks.filter((d) => !server.disksRestored.includes(d.name));
    const results = await Promise.allSettled(
      pending.map(async (disk) => {
        const already = listed.find((r) => r.kind === 'disk' && r.diskName === disk.name);
        const op = already
          ? await this.cloud.cloud.getOperation<RestoreDiskResult>(already.operationId)
          : await this.cloud.cloud.restoreDisk(
              {
                tenantId: run.tenantId,
                activationId: run.activationId,
                serverId: s.serverId,
                diskName: disk.name,
                restorePointId: pointId ?? undefined,
              },
              { idempotencyKey: `${step.key}:disk:${disk.name}` },
            );
        const done = await this.cloud.wait(op);
        await run.record({
          type: 'RecordDiskRestored',
          data: {
            serverId: s.serverId,
            attempt: step.attempt,
            disk: disk.name,
            at: done.completedAt ?? run.now(),
          },
        });
      }),
    );
    const failure = results.find((r) => r.status === 'rejected') as PromiseRejectedResult | undefined;
    if (failure) throw failure.reason;
  }
}
