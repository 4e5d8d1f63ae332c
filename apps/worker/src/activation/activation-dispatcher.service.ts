import { InjectQueue } from '@nestjs/bullmq';
import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import type { Queue } from 'bullmq';
import { Environment } from '@reprise/common/config/environment';
import type { Activation } from '@reprise/domain/activation/activation.state';
import {
  awaitsPerson,
  timerCommand,
  whatIsDue,
  type DueStep,
  type Timer,
  type WorkflowSettings,
} from '@reprise/domain/activation/activation.workflow';
import { CLOCK, type Clock } from '@reprise/domain/shared/clock';
import { DomainError } from '@reprise/domain/shared/errors';
import { parseTenantStream } from '@reprise/domain/shared/streams';
import { EVENT_STORE, type EventStore, type Subscription } from '@reprise/event-store/event-store.port';
import { optionsFor, QueueName, type JobPayloads } from '@reprise/jobs';
import { partitionOf, type LeaseChange, type PartitionLeases } from '@reprise/jobs/partition-leases';
import { ActivationRecorder } from './activation-recorder.service';
import { DISPATCH_LEASES } from './dispatch-leases';
import { EngineActivity } from './time-skipping/engine-activity';
import { WORKFLOW_SETTINGS } from './workflow-settings';

/**
 * The dispatcher of the activation workflow. It follows every activation stream (catching up from
 * the start when the worker starts); for each activation that changed it folds the state, asks the
 * workflow what is due (`whatIsDue`), enqueues the due steps (the queue de-duplicates them by their
 * stable key; the step runner hands each to the handler of its kind) and fires the due timers. A
 * sweep does the same for every live activation every second (timers fall due without events), and
 * periodically forgets what it enqueued: a flushed or restarted Redis loses time, never an activation.
 *
 * With several workers, each dispatches only the activations of the partitions it holds
 * (`DISPATCH_LEASES`): it still follows every event (cheap: it only notes which activations live),
 * and when it gains a partition (a worker died or left) it dispatches that partition's activations
 * at once. Two workers dispatching one activation for a moment is harmless: the queue de-duplicates
 * steps by key and the decider ignores a timer fired twice.
 */
@Injectable()
export class ActivationDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ActivationDispatcher.name);
  private readonly live = new Map<string, { tenantId: string; activationId: string }>();
  private readonly dirty = new Set<string>();
  /** Per live activation: its next timer, and whether a person is awaited (for the time-skipping clock). */
  private readonly timers = new Map<string, { nextTimerAt: string | null; awaitingPerson: boolean }>();
  /** Store position of the last event the dispatcher has seen. */
  private position = 0;
  private flushing = 0;
  private enqueued = new Set<string>();
  private flushScheduled = false;
  private subscription: Subscription | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private lastForget = 0;
  private sweeping = false;
  private readonly flushDelayMs: number;
  private readonly sweepMs: number;
  private readonly reenqueueMs: number;
  private stopLeaseWatch: (() => void) | null = null;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @InjectQueue(QueueName.CloudStep) private readonly steps: Queue<JobPayloads['activation.step']>,
    private readonly recorder: ActivationRecorder,
    @Inject(WORKFLOW_SETTINGS) private readonly settings: WorkflowSettings,
    env: Environment,
    @Inject(DISPATCH_LEASES) private readonly leases: PartitionLeases,
    @Optional() private readonly activity: EngineActivity = new EngineActivity(),
  ) {
    this.flushDelayMs = env.REPRISE_RECONCILE_DELAY_MS ?? 5;
    this.sweepMs = env.REPRISE_RECONCILE_SWEEP_MS ?? 1000;
    this.reenqueueMs = env.REPRISE_REENQUEUE_MS ?? 3000;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.stopLeaseWatch = this.leases.onChange((change) => this.onLeaseChange(change));
    await this.leases.start();
    this.subscription = this.store.subscribe({
      subscriberId: 'worker-activation-dispatcher',
      streamPrefixes: ['tenant/'],
      // Always start from the beginning: the dispatcher's memory is rebuilt from the events.
      checkpoints: {
        getCheckpoint: async () => 0,
        saveCheckpoint: async (_id, p) => void (this.position = p),
      },
      handler: (event) => {
        const parsed = parseTenantStream(event.stream);
        if (parsed?.category !== 'activation' || !parsed.id) return;
        this.live.set(event.stream, { tenantId: parsed.tenantId, activationId: parsed.id });
        this.markDirty(event.stream);
      },
      onError: (error) => this.logger.error(`dispatcher subscription: ${(error as Error).message}`),
    });
    await this.subscription.caughtUp;
    this.logger.log(
      `dispatcher caught up at position ${this.position}; ${this.live.size} activation(s) known; ${this.leases.snapshot().held.length}/${this.leases.partitions} partitions held`,
    );
    this.sweepTimer = setInterval(() => void this.sweep(), this.sweepMs);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.subscription?.stop();
    this.stopLeaseWatch?.();
    await this.leases.stop();
  }

  /** Gained partitions are dispatched at once; the timers of lost ones are no longer this worker's. */
  private onLeaseChange({ gained, lost }: LeaseChange): void {
    const gainedSet = new Set(gained);
    const lostSet = new Set(lost);
    for (const stream of this.live.keys()) {
      const partition = partitionOf(stream, this.leases.partitions);
      if (gainedSet.has(partition)) this.markDirty(stream);
      if (lostSet.has(partition)) this.timers.delete(stream);
    }
    if (gained.length) this.enqueued = new Set();
    this.logger.log(
      `partitions: gained ${gained.length}, lost ${lost.length}; holding ${this.leases.snapshot().held.length}/${this.leases.partitions}`,
    );
  }

  private markDirty(stream: string): void {
    this.dirty.add(stream);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Coalesce: facts arrive in bursts; one look per burst is enough.
    setTimeout(() => void this.flush(), this.flushDelayMs);
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const streams = [...this.dirty];
    this.dirty.clear();
    this.flushing++;
    try {
      for (const stream of streams) await this.dispatchStream(stream);
    } finally {
      this.flushing--;
      this.activity.changed();
    }
  }

  /** Is a dispatch pending or under way, or an event not yet seen (for the time-skipping clock)? */
  async pending(): Promise<boolean> {
    if (this.flushScheduled || this.flushing > 0 || this.sweeping || this.dirty.size > 0) return true;
    return this.position < (await this.store.headPosition());
  }

  /** The earliest timer of the live activations, and whether any awaits a person. */
  nextTimers(): { nextTimerAt: string | null; awaitingPerson: boolean } {
    let nextTimerAt: string | null = null;
    let awaitingPerson = false;
    for (const t of this.timers.values()) {
      if (t.nextTimerAt && (!nextTimerAt || t.nextTimerAt < nextTimerAt)) nextTimerAt = t.nextTimerAt;
      awaitingPerson ||= t.awaitingPerson;
    }
    return { nextTimerAt, awaitingPerson };
  }

  /** Dispatches every live activation now. */
  async sweep(): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    try {
      if (Date.now() - this.lastForget > this.reenqueueMs) {
        this.enqueued = new Set();
        this.lastForget = Date.now();
      }
      const held = [...this.live.keys()].filter((stream) => this.leases.holds(stream));
      for (const stream of held) await this.dispatchStream(stream);
      return held.length;
    } finally {
      this.sweeping = false;
      this.activity.changed();
    }
  }

  private async dispatchStream(stream: string): Promise<void> {
    try {
      const ref = this.live.get(stream);
      if (!ref || !this.leases.holds(stream)) return;
      const state = await this.recorder.load(ref.tenantId, ref.activationId);
      if (!state) return;
      const now = this.clock.now().toISOString();
      const due = whatIsDue(state, now, this.settings);
      if (due.finished) {
        this.live.delete(stream);
        this.timers.delete(stream);
        this.recorder.executor.forget(stream);
        return;
      }
      this.timers.set(stream, { nextTimerAt: due.nextTimerAt, awaitingPerson: awaitsPerson(state) });
      for (const timer of due.timers) await this.fire(state, timer, now);
      await this.enqueue(state, due.steps);
    } catch (error) {
      this.logger.error(`dispatch ${stream}: ${(error as Error).message}`);
    }
  }

  /** One append; the decider ignores a timer fired twice (another worker, a repeated sweep). */
  private async fire(state: Activation, timer: Timer, now: string): Promise<void> {
    try {
      await this.recorder.record(state.tenantId, state.id, timerCommand(timer, now), `timer:${timer.key}`);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      this.logger.warn(`timer ${timer.key} refused: ${error.message}`);
    }
  }

  private async enqueue(state: Activation, steps: DueStep[]): Promise<void> {
    const fresh = steps.filter((step) => !this.enqueued.has(step.key));
    if (fresh.length === 0) return;
    await this.steps.addBulk(
      fresh.map((step) => ({
        name: 'activation.step',
        data: {
          tenantId: state.tenantId,
          activationId: state.id,
          step: step.kind,
          serverId: step.serverId,
          key: step.key,
          attempt: step.attempt,
          ...(step.step === undefined ? {} : { stepName: step.step }),
        },
        opts: optionsFor('activation.step', step.key),
      })),
    );
    for (const step of fresh) this.enqueued.add(step.key);
    this.activity.queued(fresh.map((step) => step.key));
  }
}
