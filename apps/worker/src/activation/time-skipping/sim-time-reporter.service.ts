import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { Environment } from '@reprise/common/config/environment';
import { CLOCK, type Clock } from '@reprise/domain/shared/clock';
import { EVENT_STORE, type EventStore } from '@reprise/event-store/event-store.port';
import { QueueName } from '@reprise/jobs';
import {
  type ClockAnchors,
  type HttpTransport,
  pooledTransport,
  SimulatedClock,
} from '@reprise/recovery-cloud-client';
import { ActivationDispatcher } from '../activation-dispatcher.service';
import { EngineActivity } from './engine-activity';

const HEARTBEAT_MS = 1000;
const LEASE_MS = 5000;

interface Report {
  busy: boolean;
  waitingOn: string[];
  nextTimerAt: string | null;
  awaitingPerson: boolean;
}

/**
 * This worker's part in the time-skipping clock (`SIM_TIME_MODE=skip` on the simulator; idle on any
 * other clock): whenever what it does changes, and every second, it tells the simulator whether it
 * works, which operations its steps wait for, its next timer and whether a person is awaited
 * (`PUT /sim/v1/clock/participants/:id`). The answer carries the clock after any jump, adopted at
 * once, and which of its operations are over: their waits poll at once, and a timer that fell due
 * is fired by a sweep at once.
 *
 * It works when a step does more than wait for an operation, a dispatch is pending or under way, an
 * event is not dispatched yet, or steps wait in the queue (or are on their way from it) while it has
 * free slots.
 */
@Injectable()
export class SimTimeReporter implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SimTimeReporter.name);
  private readonly id = `worker-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  private transport: HttpTransport | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private scheduled = false;
  private inFlight = false;
  private again = false;
  private stopped = false;
  private lastError = '';

  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly env: Environment,
    private readonly activity: EngineActivity,
    private readonly dispatcher: ActivationDispatcher,
    @InjectQueue(QueueName.CloudStep) private readonly queue: Queue,
    @Inject(EVENT_STORE) private readonly store: EventStore,
  ) {}

  onApplicationBootstrap(): void {
    if (!(this.clock instanceof SimulatedClock) || !this.clock.skipping) return;
    this.transport = pooledTransport(new URL(this.env.RECOVERY_CLOUD_URL).origin, { timeoutMs: 5000 });
    this.unsubscribe = this.activity.onChange(() => this.schedule());
    this.heartbeat = setInterval(() => this.schedule(), HEARTBEAT_MS);
    this.heartbeat.unref();
    this.logger.log(`time-skipping clock: reporting as ${this.id}`);
    this.schedule();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (!this.transport) return;
    await this.transport
      .send({ method: 'DELETE', path: `/sim/v1/clock/participants/${this.id}`, headers: {} })
      .catch(() => undefined);
    await this.transport.close();
  }

  /** Coalesces changes: one report per turn of the event loop, one in flight at a time. */
  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.send();
    });
  }

  private async send(): Promise<void> {
    if (this.inFlight) {
      this.again = true;
      return;
    }
    this.inFlight = true;
    try {
      const report = await this.report();
      const answer = await this.transport!.send({
        method: 'PUT',
        path: `/sim/v1/clock/participants/${this.id}`,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...report, leaseMs: LEASE_MS }),
      });
      if (answer.status !== 200) throw new Error(`answered ${answer.status}: ${answer.text.slice(0, 200)}`);
      const { clock, completed } = JSON.parse(answer.text) as { clock: ClockAnchors; completed: string[] };
      (this.clock as SimulatedClock).adopt(clock);
      this.activity.wake(completed);
      if (report.nextTimerAt && Date.parse(report.nextTimerAt) <= Date.parse(clock.now))
        void this.dispatcher.sweep();
      this.lastError = '';
    } catch (error) {
      // The clock then runs at its scale once the lease expires: slower, never wrong.
      const message = (error as Error).message;
      if (message !== this.lastError) this.logger.warn(`time-skipping report failed: ${message}`);
      this.lastError = message;
    } finally {
      this.inFlight = false;
      if (this.again) {
        this.again = false;
        this.schedule();
      }
    }
  }

  private async report(): Promise<Report> {
    // The asynchronous questions first; what the process holds in memory is read after them, so
    // that a step that started, ended or began waiting meanwhile is in this report.
    const dispatching = await this.dispatcher.pending();
    const counts = await this.queue.getJobCounts('waiting', 'prioritized', 'delayed');
    const queued = counts.waiting + counts.prioritized + counts.delayed + this.activity.pendingStarts > 0;
    const freeSlots = this.activity.runningSteps < (this.env.WORKER_CONCURRENCY ?? 64);
    return {
      busy: dispatching || this.activity.workingSteps > 0 || (queued && freeSlots),
      waitingOn: this.activity.waitingOn,
      ...this.dispatcher.nextTimers(),
    };
  }
}
