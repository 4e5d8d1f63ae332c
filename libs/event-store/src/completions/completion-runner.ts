import {
  type EventStore,
  type MetadataInput,
  type NewEvent,
  type RecordedEvent,
  type Subscription,
  WrongExpectedVersionError,
} from '../event-store.port';

/** Events to record once on a stream, as the completion of a decision (see the domain's `Completion`). */
export interface CompletionRequest {
  stream: string;
  events: NewEvent[];
  /** Recorded only on a stream that already holds events. */
  ifStreamExists?: boolean;
}

export interface CompletionRunnerOptions {
  /** Durable checkpoint key of the subscription. */
  subscriberId: string;
  streamPrefixes?: string[];
  /** The process managers: pure functions from a recorded event to the completions it asks for. */
  completionsOf: (event: RecordedEvent) => CompletionRequest[];
  /** Completions of one decision appended at once (distinct streams). */
  concurrency?: number;
  onError?: (error: unknown, event: RecordedEvent) => void;
}

const CONFLICT_RETRIES = 20;

/**
 * Rolls decisions forward, on any event store: a subscription with a durable checkpoint hands each
 * event to the process managers and appends every completion they ask for, once. Idempotence needs
 * no transaction: a completion is appended with the decision event as its causation and an
 * expected revision, and a stream that already holds an event caused by the decision is complete,
 * so a restarted runner, or several runners in several processes, never record one twice.
 * Decisions are completed in store order, so completions of one stream keep their decisions' order.
 */
export class CompletionRunner {
  private subscription: Subscription | null = null;
  private handled = 0;
  private written = 0;
  private waiters: Array<{ position: number; resolve: (done: boolean) => void }> = [];

  constructor(
    private readonly store: EventStore,
    private readonly options: CompletionRunnerOptions,
  ) {}

  /** Subscribes; resolves once every decision stored before is complete. */
  async start(): Promise<void> {
    this.handled = await this.store.getCheckpoint(this.options.subscriberId);
    this.subscription = this.store.subscribe({
      subscriberId: this.options.subscriberId,
      streamPrefixes: this.options.streamPrefixes,
      handler: async (event) => {
        await this.complete(event);
        this.handled = Math.max(this.handled, event.position);
        this.release();
      },
      onError: this.options.onError,
    });
    await this.subscription.caughtUp;
  }

  /** Appends the completions `event` asks for that are not recorded yet; returns how many were appended. */
  async complete(event: RecordedEvent): Promise<number> {
    const requests = this.options.completionsOf(event);
    const concurrency = this.options.concurrency ?? 32;
    let appended = 0;
    for (let i = 0; i < requests.length; i += concurrency) {
      const done = await Promise.all(
        requests.slice(i, i + concurrency).map((r) => this.completeOne(event, r)),
      );
      appended += done.filter(Boolean).length;
    }
    return appended;
  }

  private async completeOne(decision: RecordedEvent, request: CompletionRequest): Promise<boolean> {
    const { actor, role, tenantId, correlationId, requestId } = decision.metadata;
    const metadata: MetadataInput = {
      actor,
      role,
      tenantId,
      correlationId,
      requestId: requestId ?? null,
      causationId: decision.id,
    };
    for (let attempt = 0; ; attempt++) {
      const recorded = await this.store.readStream(request.stream);
      if (recorded.some((e) => e.metadata.causationId === decision.id)) return false;
      if (request.ifStreamExists && recorded.length === 0) return false;
      const revision = recorded.length ? recorded[recorded.length - 1].revision : -1;
      try {
        const result = await this.store.append(request.stream, request.events, {
          expectedRevision: revision === -1 ? 'no-stream' : revision,
          metadata,
        });
        this.written = Math.max(this.written, result.position);
        return true;
      } catch (error) {
        // Another writer (a per-stream command, or another runner completing the same decision).
        if (!(error instanceof WrongExpectedVersionError) || attempt >= CONFLICT_RETRIES) throw error;
      }
    }
  }

  /**
   * Resolves once the decision at `position` is complete (true), or after `timeoutMs` (false).
   * `through` is then the position of the last completion this runner appended: wait for read
   * models up to it to read what the decision changed.
   */
  async waitFor(position: number, timeoutMs = 30_000): Promise<{ done: boolean; through: number }> {
    const done =
      this.handled >= position ||
      (await new Promise<boolean>((resolve) => {
        const waiter = { position, resolve: (_ok: boolean) => undefined as void };
        const timer = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          resolve(false);
        }, timeoutMs);
        waiter.resolve = (ok) => {
          clearTimeout(timer);
          resolve(ok);
        };
        this.waiters.push(waiter);
      }));
    return { done, through: Math.max(this.written, position) };
  }

  /** Resolves once every decision stored up to now is complete. */
  async drain(): Promise<void> {
    await this.subscription?.drain();
  }

  private release(): void {
    this.waiters = this.waiters.filter((w) => (this.handled >= w.position ? (w.resolve(true), false) : true));
  }

  async stop(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = null;
    for (const w of this.waiters) w.resolve(false);
    this.waiters = [];
  }
}
