import { OnWorkerEvent, Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { CLOCK, type Clock } from '@reprise/domain/shared/clock';
import { DEFAULT_JOB_OPTIONS, type JobPayloads, QueueName } from '@reprise/jobs';
import { ActivationRecorder } from './activation-recorder.service';
import { StepRunner } from './step-runner.service';

type StepJob = Job<JobPayloads['activation.step']>;

const CONCURRENCY = Number(process.env.WORKER_CONCURRENCY ?? 64);

/** Runs activation steps. A step still failing after its last retry is recorded as a failure event. */
@Processor(QueueName.CloudStep, { concurrency: CONCURRENCY })
export class CloudStepProcessor extends WorkerHost {
  private readonly logger = new Logger(CloudStepProcessor.name);
  /** Keys running in this process: a re-enqueued copy of a running step does not run twice here. */
  private readonly running = new Set<string>();

  constructor(
    private readonly runner: StepRunner,
    private readonly recorder: ActivationRecorder,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    super();
  }

  async process(job: StepJob): Promise<void> {
    if (this.running.has(job.data.key)) return;
    this.running.add(job.data.key);
    try {
      await this.runner.run(job.data, job.id ?? job.data.key);
    } finally {
      this.running.delete(job.data.key);
    }
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
