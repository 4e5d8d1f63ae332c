import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { teardownRequired } from '@reprise/domain/activation/activation.decider';
import type { Activation } from '@reprise/domain/activation/activation.state';
import { CLOCK, type Clock } from '@reprise/domain/shared/clock';
import { parseTenantStream } from '@reprise/domain/shared/streams';
import { EVENT_STORE, type EventStore, type Subscription } from '@reprise/event-store/event-store.port';
import { optionsFor, QueueName } from '@reprise/jobs';
import { ActivationRecorder } from './activation-recorder.service';
import { workPlan } from './work-plan';

const FLUSH_DELAY_MS = Number(process.env.REPRISE_RECONCILE_DELAY_MS ?? 5);
const ENDED = new Set(['closed', 'failed-back', 'rejected', 'stood-down']);
const SWEEP_MS = Number(process.env.REPRISE_RECONCILE_SWEEP_MS ?? 1000);
/** How often the sweep forgets what it enqueued, so work lost with Redis is enqueued again. */
const REENQUEUE_MS = Number(process.env.REPRISE_REENQUEUE_MS ?? 3000);

/**
 * The activation process manager. It follows every activation stream (catching up from the start
 * when the worker starts), and for each activation that changed it reads the state from the events
 * and enqueues whatever step is due and not done (BullMQ de-duplicates by the step key). A sweep
 * does the same for every live activation every second, fires timers (scheduled start, confirmation
 * expiry), and periodically re-enqueues everything due: a flushed or restarted Redis loses time,
 * never an activation.
 */
@Injectable()
export class ActivationReconciler implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ActivationReconciler.name);
  private readonly live = new Map<string, { tenantId: string; activationId: string }>();
  private readonly dirty = new Set<string>();
  private enqueued = new Set<string>();
  private flushScheduled = false;
  private subscription: Subscription | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private lastForget = 0;
  private sweeping = false;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @InjectQueue(QueueName.CloudStep) private readonly steps: Queue,
    private readonly recorder: ActivationRecorder,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    let position = 0;
    this.subscription = this.store.subscribe({
      subscriberId: 'worker-activation-reconciler',
      streamPrefixes: ['tenant/'],
      // Always start from the beginning: the reconciler's memory is rebuilt from the events.
      checkpoints: { getCheckpoint: async () => 0, saveCheckpoint: async (_id, p) => void (position = p) },
      handler: (event) => {
        const parsed = parseTenantStream(event.stream);
        if (parsed?.category !== 'activation' || !parsed.id) return;
        this.live.set(event.stream, { tenantId: parsed.tenantId, activationId: parsed.id });
        this.markDirty(event.stream);
      },
      onError: (error) => this.logger.error(`reconciler subscription: ${(error as Error).message}`),
    });
    await this.subscription.caughtUp;
    this.logger.log(`reconciler caught up at position ${position}; ${this.live.size} activation(s) known`);
    this.sweepTimer = setInterval(() => void this.sweep(), SWEEP_MS);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.subscription?.stop();
  }

  private markDirty(stream: string): void {
    this.dirty.add(stream);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // Coalesce: facts arrive in bursts; one reconcile per burst is enough.
    setTimeout(() => void this.flush(), FLUSH_DELAY_MS);
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const streams = [...this.dirty];
    this.dirty.clear();
    for (const stream of streams)
      await this.reconcileStream(stream).catch((e) =>
        this.logger.error(`reconcile ${stream}: ${(e as Error).message}`),
      );
  }

  /** Reconciles every live activation now (also used on demand). */
  async sweep(): Promise<number> {
    if (this.sweeping) return 0;
    this.sweeping = true;
    try {
      if (Date.now() - this.lastForget > REENQUEUE_MS) {
        this.enqueued = new Set();
        this.lastForget = Date.now();
      }
      for (const stream of [...this.live.keys()]) {
        await this.reconcileStream(stream).catch((e) =>
          this.logger.error(`reconcile ${stream}: ${(e as Error).message}`),
        );
      }
      return this.live.size;
    } finally {
      this.sweeping = false;
    }
  }

  private async reconcileStream(stream: string): Promise<void> {
    const ref = this.live.get(stream);
    if (!ref) return;
    const state = await this.recorder.load(ref.tenantId, ref.activationId);
    if (!state) return;
    if (ENDED.has(state.status) && !teardownRequired(state)) {
      this.live.delete(stream);
      this.recorder.executor.forget(stream);
      return;
    }
    await this.fireTimers(state);
    await this.enqueue(state);
  }

  private async fireTimers(state: Activation): Promise<void> {
    const now = this.clock.now();
    const at = now.toISOString();
    if (state.status === 'scheduled' && state.startsAt && now.getTime() >= Date.parse(state.startsAt)) {
      await this.recorder.record(
        state.tenantId,
        state.id,
        { type: 'StartScheduledActivation', data: { at } },
        'timer:start-scheduled',
      );
    }
    if (
      state.status === 'awaiting-confirmation' &&
      state.confirmation &&
      now.getTime() >= Date.parse(state.confirmation.expiresAt)
    ) {
      await this.recorder.record(
        state.tenantId,
        state.id,
        { type: 'ExpireConfirmation', data: { at } },
        'timer:confirmation-expiry',
      );
    }
  }

  private async enqueue(state: Activation): Promise<void> {
    const items = workPlan(state).filter((item) => !this.enqueued.has(item.key));
    if (items.length === 0) return;
    await this.steps.addBulk(
      items.map((item) => ({
        name: 'activation.step',
        data: {
          tenantId: state.tenantId,
          activationId: state.id,
          step: item.step,
          serverId: item.serverId,
          key: item.key,
          attempt: item.attempt,
        },
        opts: optionsFor('activation.step', item.key),
      })),
    );
    for (const item of items) this.enqueued.add(item.key);
  }
}
