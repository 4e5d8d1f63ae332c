import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { CLOCK, type Clock } from '@reprise/domain/shared/clock';
import { DEFAULT_JOB_OPTIONS, type JobPayloads, QueueName } from '@reprise/jobs';
import { ActivationRecorder } from './activation-recorder.service';
import { StepRunner } from './step-runner.service';

type StepJob = Job<JobPayloads['activation.step']>;

const CONCURRENCY = Number(process.env.WORKER_CONCURRENCY ?? 64);
/**
 * A step job held by a worker that died (SIGKILL, OOM, lost host) stays `active` in Redis until its
 * lock expires and BullMQ's stalled-job check moves it back to `wait`; until then the reconciler
 * cannot enqueue it again (same job id). BullMQ's defaults (30 s lock, 30 s check) stall a crashed
 * activation for up to a minute, so the lock is short (renewed every half of it while the step runs)
 * and the check frequent. Steps are idempotent, so a job taken over after a stall only resumes.
 */
const LOCK_MS = Number(process.env.REPRISE_STEP_LOCK_MS ?? 5000);
const STALLED_CHECK_MS = Number(process.env.REPRISE_STALLED_CHECK_MS ?? 2000);

/** Runs activation steps. A step still failing after its last retry is recorded as a failure event. */
@Processor(QueueName.CloudStep, {
  concurrency: CONCURRENCY,
  lockDuration: LOCK_MS,
  stalledInterval: STALLED_CHECK_MS,
  // A step that stalls again (another crash) is taken over again rather than failed without an event.
  maxStalledCount: 10,
})
export class CloudStepProcessor extends WorkerHost {
  private readonly logger = new Logger(CloudStepProcessor.name);
  /**
   * Steps running in this process by key: a copy of a running step (re-enqueued after its job was
   * lost with Redis) shares the outcome of the running one instead of running the step twice, and
   * fails (so BullMQ retries it) if the running one fails.
   */
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly runner: StepRunner,
    private readonly recorder: ActivationRecorder,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    super();
  }

  async process(job: StepJob): Promise<void> {
    const inFlight = this.running.get(job.data.key);
    if (inFlight) return inFlight;
    const run = this.runner.run(job.data, job.id ?? job.data.key).finally(() => {
      if (this.running.get(job.data.key) === run) this.running.delete(job.data.key);
    });
    this.running.set(job.data.key, run);
    return run;
  }

  @OnWorkerEvent('failed')
  async onFailed(job: StepJob | undefined, error: Error): Promise<void> {
    if (!job) return;
    const attempts = job.opts.attempts ?? DEFAULT_JOB_OPTIONS.attempts ?? 1;
    if (job.attemptsMade < attempts) {
      this.logger.warn(
        `step ${job.data.key} attempt ${job.attemptsMade}/${attempts} failed, will retry: ${error.message}`,
      );
      return;
    }
    // Never swallowed: the failure becomes an event with its reason.
    const { tenantId, activationId, serverId, step, attempt } = job.data;
    const at = this.clock.now().toISOString();
    const reason = `gave up after ${job.attemptsMade} attempts: ${error.message}`;
    try {
      if (serverId && (step === 'restore' || step === 'boot' || step === 'analyse')) {
        await this.recorder.record(
          tenantId,
          activationId,
          {
            type: 'RecordServerStepFailed',
            data: { serverId, attempt, step: step === 'analyse' ? 'analysis' : step, reason, at },
          },
          job.id ?? null,
        );
      } else if (step === 'network') {
        await this.recorder.record(
          tenantId,
          activationId,
          { type: 'RecordNetworkSetupFailed', data: { reason, at } },
          job.id ?? null,
        );
      } else {
        this.logger.error(`step ${job.data.key} failed for good: ${reason}`);
      }
    } catch (recordError) {
      this.logger.error(`could not record the failure of ${job.data.key}: ${(recordError as Error).message}`);
    }
  }
}
