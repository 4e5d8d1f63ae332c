import type { CloudOperation, CloudResourceKind } from '@reprise/recovery-cloud-client';
import type { CloudSteps } from '../cloud-steps.service';
import type { ServerStepRun } from '../step-handler';

/** How one recovery method makes a server's disks usable in the recovery space. */
export interface RestoreMethod {
  restore(run: ServerStepRun): Promise<void>;
}

/**
 * A replicated server's operation, done: the one that made the resource of `kind` the cloud already
 * lists for the server (a resumed step waits for it), or a new one (`start`).
 */
export async function replicatedOperation<R>(
  cloud: CloudSteps,
  run: ServerStepRun,
  kind: CloudResourceKind,
  start: () => Promise<CloudOperation<R>>,
): Promise<CloudOperation<R>> {
  const listed = (await cloud.resources(run, run.server.snapshot.serverId)).find((r) => r.kind === kind);
  // The cloud must know the server (its replica or LUN) before anything is asked of it.
  if (!run.server.restoreStartedAt) await cloud.restorePoints(run, run.server);
  return cloud.wait(listed ? await cloud.cloud.getOperation<R>(listed.operationId) : await start());
}

/**
 * The end of a replicated server's restore: the restore start (once, with the replica's point in
 * time) and the fact that ends it, both at the cloud operation's own times.
 */
export async function recordReplicated(
  run: ServerStepRun,
  done: CloudOperation<unknown>,
  point: { id: string; takenAt: string },
  fact: 'RecordReplicaActivated' | 'RecordServerRestored',
): Promise<void> {
  const { serverId } = run.server.snapshot;
  const attempt = run.step.attempt;
  if (!run.server.restoreStartedAt)
    await run.record({
      type: 'RecordServerRestoreStarted',
      data: {
        serverId,
        attempt,
        restorePointId: point.id,
        restorePointTakenAt: point.takenAt,
        at: done.createdAt,
      },
    });
  await run.record({ type: fact, data: { serverId, attempt, at: done.completedAt ?? run.now() } });
}
