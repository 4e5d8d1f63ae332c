import type { CloudOperation } from '@reprise/recovery-cloud-client';
import type { ServerStepRun } from '../step-handler';

/** How one recovery method makes a server's disks usable in the recovery space. */
export interface RestoreMethod {
  restore(run: ServerStepRun): Promise<void>;
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
