import type {
  CheckpointStore,
  EventStore,
  RecordedEvent,
  Subscription,
  SubscriptionOptions,
} from './event-store.port';

const BATCH = 500;
const RETRY_PAUSE_MS = 500;

/**
 * Catch-up-then-live subscription over any store that can read `$all` from a position:
 * reads pages after the durable checkpoint, hands each event to the handler, saves the checkpoint
 * after each page, then waits for a local wake-up (an append in this process) or the poll interval
 * (appends by other processes). A failing handler stops progress at that event and retries it.
 */
export class PollingSubscription implements Subscription {
  readonly caughtUp: Promise<void>;
  private resolveCaughtUp!: () => void;
  private stopped = false;
  private position = 0;
  private wake: (() => void) | null = null;
  /** A wake-up arrived since the last read started: the next sleep must not wait. */
  private woken = false;
  private done: Promise<void> = Promise.resolve();
  private drainWaiters: Array<{ target: number; resolve: () => void }> = [];
  private readonly checkpoints: CheckpointStore;

  constructor(
    private readonly store: EventStore,
    private readonly options: SubscriptionOptions,
    private readonly settings: { pollIntervalMs: number; wakeUp?: (listener: () => void) => () => void },
  ) {
    this.caughtUp = new Promise((resolve) => (this.resolveCaughtUp = resolve));
    this.checkpoints = options.checkpoints ?? store;
  }

  start(): Promise<void> {
    this.done = this.run();
    return this.done;
  }

  private async run(): Promise<void> {
    const unsubscribe = this.settings.wakeUp?.(() => {
      this.woken = true;
      this.wake?.();
    });
    try {
      this.position = await this.checkpoints.getCheckpoint(this.options.subscriberId);
      const filtered = Boolean(this.options.streamPrefixes?.length);
      while (!this.stopped) {
        // Read the head BEFORE the page: every event up to it was committed before the page was read,
        // so an empty filtered page proves none of them matches. (A head read after the page could
        // include an event committed in between, and jumping to it would skip that event.)
        this.woken = false;
        const head = filtered ? await this.store.headPosition() : this.position;
        const events = await this.store.readAll({
          afterPosition: this.position,
          maxCount: BATCH,
          streamPrefixes: this.options.streamPrefixes,
        });
        if (events.length === 0) {
          // Nothing matching after our position: move the checkpoint to the head so filtered
          // subscribers do not rescan unrelated events forever.
          if (head > this.position) {
            this.position = head;
            await this.checkpoints.saveCheckpoint(this.options.subscriberId, this.position);
          }
          this.resolveCaughtUp();
          this.options.onCaughtUp?.();
          this.releaseDrainWaiters();
          await this.sleep(this.settings.pollIntervalMs, true);
          continue;
        }
        const handled = await this.handle(events);
        if (handled > this.position) {
          this.position = handled;
          await this.checkpoints.saveCheckpoint(this.options.subscriberId, this.position);
        }
        this.releaseDrainWaiters();
      }
    } finally {
      unsubscribe?.();
      this.releaseDrainWaiters(true);
    }
  }

  /** Returns the position of the last event handled successfully. */
  private async handle(events: RecordedEvent[]): Promise<number> {
    let last = this.position;
    for (const event of events) {
      if (this.stopped) break;
      try {
        await this.options.handler(event);
        last = event.position;
      } catch (error) {
        this.options.onError?.(error, event);
        if (last > this.position) await this.checkpoints.saveCheckpoint(this.options.subscriberId, last);
        this.position = last;
        await this.sleep(RETRY_PAUSE_MS);
        return last;
      }
    }
    return last;
  }

  /**
   * Waits `ms` or until a wake-up, whichever comes first. An idle wait does not wait at all when a
   * wake-up already came during the read that found nothing (it would otherwise be lost).
   */
  private sleep(ms: number, idle = false): Promise<void> {
    if (this.stopped || (idle && this.woken)) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }

  private releaseDrainWaiters(all = false): void {
    this.drainWaiters = this.drainWaiters.filter((w) => {
      if (all || this.position >= w.target) {
        w.resolve();
        return false;
      }
      return true;
    });
  }

  async drain(): Promise<void> {
    const target = await this.store.headPosition();
    if (this.position >= target || this.stopped) return;
    await new Promise<void>((resolve) => {
      this.drainWaiters.push({ target, resolve });
      this.wake?.();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.done.catch(() => undefined);
  }
}
