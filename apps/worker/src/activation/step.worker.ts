import { InjectQueue } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Worker, type Job, type Queue } from 'bullmq';
import { Environment } from '@reprise/common/config/environment';
import { DEFAULT_JOB_OPTIONS, QueueName } from '@reprise/jobs';
import { StepRunner, type StepJob } from './step-runner.service';

/**
 * The queue's worker for activation steps, with its tuning from the validated Environment.
 *
 * A step job held by a worker that died (SIGKILL, OOM, lost host) stays `active` in Redis until its
 * lock expires and BullMQ's stalled-job check moves it back to `wait`; until then the dispatcher
 * cannot enqueue it again (same job id). BullMQ's defaults (30 s lock, 30 s check) stall a crashed
 * activation for up to a minute, so the lock is short (renewed every half of it while the step runs)
 * and the check frequent. Steps are idempotent, so a job taken over after a stall only resumes.
 */
@Injectable()
export class StepWorker implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(StepWorker.name);
  private worker: Worker<StepJob> | null = null;
  /**
   * Steps running in this process by key: a copy of a running step (re-enqueued after its job was
   * lost with Redis) shares the outcome of the running one instead of running the step twice, and
   * fails (so the queue retries it) if the running one fails.
   */
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    @InjectQueue(QueueName.CloudStep) private readonly queue: Queue,
    private readonly env: Environment,
    private readonly runner: StepRunner,
  ) {}

  onApplicationBootstrap(): void {
    this.worker = new Worker<StepJob>(QueueName.CloudStep, (job) => this.process(job), {
      connection: this.queue.opts.connection,
      prefix: this.queue.opts.prefix,
      concurrency: this.env.WORKER_CONCURRENCY ?? 64,
      lockDuration: this.env.REPRISE_STEP_LOCK_MS ?? 5000,
      stalledInterval: this.env.REPRISE_STALLED_CHECK_MS ?? 2000,
      // A step that stalls again (another crash) is taken over again rather than failed without an event.
      maxStalledCount: 10,
    });
    this.worker.on('failed', (job, error) => void this.onFailed(job, error));
    this.worker.on('error', (error) => this.logger.error(`step worker: ${error.message}`));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.worker?.close();
  }

  private process(job: Job<StepJob>): Promise<void> {
    const inFlight = this.running.get(job.data.key);
    if (inFlight) return inFlight;
    const run = this.runner.run(job.data, job.id ?? job.data.key).finally(() => {
      if (this.running.get(job.data.key) === run) this.running.delete(job.data.key);
    });
    this.running.set(job.data.key, run);
    return run;
  }

  private async onFailed(job: Job<StepJob> | undefined, error: Error): Promise<void> {
    if (!job) return;
    const attempts = job.opts.attempts ?? DEFAULT_JOB_OPTIONS.attempts ?? 1;
    if (job.attemptsMade < attempts) {
      this.logger.warn(
        `step ${job.data.key} attempt ${job.attemptsMade}/${attempts} failed, will retry: ${error.message}`,
      );
      return;
    }
    await this.runner.giveUp(job.data, job.attemptsMade, error, job.id ?? null);
  }
}
