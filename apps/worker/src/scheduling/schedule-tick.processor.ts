import { InjectQueue, Processor, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import { Environment } from '@reprise/common/config/environment';
import { QueueName } from '@reprise/jobs';
import { TestScheduler } from './test-scheduler.service';

export const TICK_JOB_SCHEDULER_ID = 'schedule.tick';

/**
 * Registers the BullMQ job scheduler that produces one `schedule.tick` job every
 * REPRISE_SCHEDULE_TICK_MS wall milliseconds (the clock the tick reads may be the simulated one).
 */
@Injectable()
export class ScheduleTicker implements OnApplicationBootstrap {
  constructor(
    @InjectQueue(QueueName.Scheduler) private readonly queue: Queue,
    private readonly env: Environment,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Upsert: every worker declares the same scheduler; Redis keeps one.
    await this.queue.upsertJobScheduler(
      TICK_JOB_SCHEDULER_ID,
      { every: this.env.REPRISE_SCHEDULE_TICK_MS ?? 1000 },
      { name: 'schedule.tick', data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } },
    );
  }
}

/** Runs `schedule.tick`: one at a time per worker; what it does is idempotent across workers. */
@Processor(QueueName.Scheduler, { concurrency: 1 })
export class ScheduleTickProcessor extends WorkerHost {
  private readonly logger = new Logger(ScheduleTickProcessor.name);
  private ticking = false;

  constructor(private readonly scheduler: TestScheduler) {
    super();
  }

  async process(job: Job): Promise<void> {
    if (job.name !== 'schedule.tick' || this.ticking) return;
    this.ticking = true;
    try {
      await this.scheduler.tick();
    } catch (error) {
      this.logger.error(`schedule.tick: ${(error as Error).message}`);
    } finally {
      this.ticking = false;
    }
  }
}
