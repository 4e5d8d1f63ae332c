import { Injectable } from '@nestjs/common';
import { Environment } from '@reprise/common/config/environment';
import type { ReverseTransferResult } from '@reprise/recovery-cloud-client';
import { CloudSteps } from '../cloud-steps.service';
import { HandlesStep, type StepHandler, type StepRun } from '../step-handler';
import { failbackServerOf, reverseRequest } from './failback-run';

const MIB = 2 ** 20;
const GIB = 2 ** 30;

/**
 * Synchronises a server back to the original site while the business runs at the recovery site:
 * the initial copy of its disks, then deltas of what changed since, each recorded with its bytes
 * (progress per server), until little enough is left to cut over (or the deltas allowed are spent).
 * Each call has its own key (`copy`, `delta:<n>` from the recorded count): a resumed step replays the
 * operation it had started, it never sends a range again under a new key.
 */
@Injectable()
@HandlesStep('reverse-sync')
export class ReverseSyncHandler implements StepHandler {
  private readonly thresholdBytes: number;
  private readonly maxDeltas: number;

  constructor(
    private readonly cloud: CloudSteps,
    env: Environment,
  ) {
    this.thresholdBytes = (env.REPRISE_FAILBACK_CUTOVER_MIB ?? 1024) * MIB;
    this.maxDeltas = env.REPRISE_FAILBACK_MAX_DELTAS ?? 5;
  }

  async run(run: StepRun): Promise<void> {
    const x = failbackServerOf(run);
    const request = reverseRequest(run);
    let deltas = x.deltas;
    if (!x.syncStartedAt) {
      // Recorded before the copy: the live view shows it syncing (and an abort decided first wins).
      const copyBytes = run.server!.snapshot.disks.reduce((sum, d) => sum + d.sizeGiB * GIB, 0);
      await run.record({
        type: 'RecordReverseSyncStarted',
        data: { serverId: run.step.serverId!, attempt: run.step.attempt, copyBytes, at: run.now() },
      });
      if (!(await run.stillDue())) return;
    }
    if (!x.copiedAt) {
      const op = await this.cloud.wait(
        await this.cloud.cloud.startReverseSync(request, { idempotencyKey: `${run.step.key}:copy` }),
      );
      if (await this.progress(run, 'initial-copy', 0, op.result!)) return;
    }
    while (await run.stillDue()) {
      deltas++;
      const op = await this.cloud.wait(
        await this.cloud.cloud.reverseDelta(request, { idempotencyKey: `${run.step.key}:delta:${deltas}` }),
      );
      if (await this.progress(run, 'delta', deltas, op.result!)) return;
    }
  }

  /** Records one transfer; true once the server is synced. */
  private async progress(
    run: StepRun,
    part: 'initial-copy' | 'delta',
    delta: number,
    r: ReverseTransferResult,
  ): Promise<boolean> {
    const synced = r.pendingBytes <= this.thresholdBytes || delta >= this.maxDeltas;
    await run.record({
      type: 'RecordReverseSyncProgress',
      data: {
        serverId: run.step.serverId!,
        attempt: run.step.attempt,
        part,
        delta,
        sentBytes: r.sentBytes,
        changedBytes: r.changedBytes,
        pendingBytes: r.pendingBytes,
        synced,
        at: run.now(),
      },
    });
    return synced;
  }
}
