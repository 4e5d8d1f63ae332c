import type { Decider, DomainEvent } from '@reprise/domain/shared/decider';
import { EventStore, MetadataInput, RecordedEvent, WrongExpectedVersionError } from './event-store.port';

interface Cached<State> {
  state: State;
  revision: number;
  lastUsed: number;
}

interface Queued<Command> {
  command: Command;
  metadata: MetadataInput;
  /** Decide only if the stream is still at this revision (e.g. what an If-Match checked against). */
  expectedRevision?: number;
  resolve: (events: RecordedEvent[]) => void;
  reject: (error: unknown) => void;
}

export interface AggregateExecutorOptions {
  /** Streams kept folded in memory (least recently used are dropped). */
  maxCached?: number;
  /** Attempts when another process appended to the stream in between. */
  maxConflictRetries?: number;
}

/**
 * Command handling for hot aggregates (an activation receives thousands of facts from many jobs at
 * once). Keeps each stream's folded state and revision in memory, queues commands per stream, and
 * decides every queued command in turn before appending all their events in ONE append with the
 * expected revision. A command the decider refuses is rejected alone. When another process appended
 * in between (wrong expected version), it reads only the new events, folds them and decides again.
 * The event store stays the only truth: the cache is a fold of it, checked by the expected revision.
 */
export class AggregateExecutor<Command, State, Event extends DomainEvent> {
  private readonly cache = new Map<string, Cached<State>>();
  private readonly queues = new Map<string, Queued<Command>[]>();
  private readonly draining = new Set<string>();
  private readonly maxCached: number;
  private readonly maxRetries: number;

  constructor(
    private readonly store: EventStore,
    private readonly decider: Decider<Command, State, Event>,
    options: AggregateExecutorOptions = {},
  ) {
    this.maxCached = options.maxCached ?? 200;
    this.maxRetries = options.maxConflictRetries ?? 20;
  }

  /**
   * Decides `command` against the stream's current state and appends its events; returns them.
   * With `expectedRevision`, refuses (WrongExpectedVersionError) when anything was appended since.
   */
  execute(
    stream: string,
    command: Command,
    metadata: MetadataInput,
    options: { expectedRevision?: number } = {},
  ): Promise<RecordedEvent[]> {
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(stream) ?? [];
      queue.push({ command, metadata, expectedRevision: options.expectedRevision, resolve, reject });
      this.queues.set(stream, queue);
      if (!this.draining.has(stream)) void this.drain(stream);
    });
  }

  /** The stream's state as of the last event this process knows (after catching up). */
  async load(stream: string): Promise<{ state: State; revision: number }> {
    const cached = await this.catchUp(stream);
    return { state: cached.state, revision: cached.revision };
  }

  forget(stream: string): void {
    this.cache.delete(stream);
  }

  private async catchUp(stream: string): Promise<Cached<State>> {
    let cached = this.cache.get(stream);
    if (!cached) {
      cached = { state: this.decider.initialState(), revision: -1, lastUsed: 0 };
      this.cache.set(stream, cached);
      this.evict();
    }
    const fresh = await this.store.readStream(stream, { fromRevision: cached.revision + 1 });
    for (const event of fresh) {
      cached.state = this.decider.evolve(cached.state, event as unknown as Event);
      cached.revision = event.revision;
    }
    cached.lastUsed = Date.now();
    return cached;
  }

  private evict(): void {
    if (this.cache.size <= this.maxCached) return;
    const oldest = [...this.cache.entries()]
      .filter(([s]) => !this.draining.has(s))
      .sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [stream] of oldest.slice(0, this.cache.size - this.maxCached)) this.cache.delete(stream);
  }

  private async drain(stream: string): Promise<void> {
    this.draining.add(stream);
    try {
      for (;;) {
        const batch = this.queues.get(stream) ?? [];
        if (batch.length === 0) break;
        this.queues.set(stream, []);
        await this.runBatch(stream, batch);
      }
    } finally {
      this.draining.delete(stream);
      this.queues.delete(stream);
    }
  }

  private async runBatch(stream: string, batch: Queued<Command>[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let cached: Cached<State>;
      try {
        cached = await this.catchUp(stream);
      } catch (error) {
        batch.forEach((q) => q.reject(error));
        return;
      }
      let state = cached.state;
      const accepted: Array<{ item: Queued<Command>; events: Event[] }> = [];
      const refused: Array<{ item: Queued<Command>; error: unknown }> = [];
      for (const item of batch) {
        try {
          const revision = cached.revision + accepted.reduce((n, a) => n + a.events.length, 0);
          if (item.expectedRevision !== undefined && item.expectedRevision !== revision)
            throw new WrongExpectedVersionError(stream, item.expectedRevision, revision);
          const events = this.decider.decide(item.command, state);
          for (const event of events) state = this.decider.evolve(state, event);
          accepted.push({ item, events });
        } catch (error) {
          refused.push({ item, error });
        }
      }
      const toAppend = accepted.flatMap(({ item, events }) =>
        events.map((e) => ({ type: e.type, data: e.data, metadata: item.metadata })),
      );
      if (toAppend.length === 0) {
        accepted.forEach(({ item }) => item.resolve([]));
        refused.forEach(({ item, error }) => item.reject(error));
        return;
      }
      try {
        const result = await this.store.append(stream, toAppend, {
          expectedRevision: cached.revision === -1 ? 'no-stream' : cached.revision,
          metadata: accepted[0].item.metadata,
        });
        cached.state = state;
        cached.revision = result.nextRevision;
        let offset = 0;
        for (const { item, events } of accepted) {
          item.resolve(result.events.slice(offset, offset + events.length));
          offset += events.length;
        }
        refused.forEach(({ item, error }) => item.reject(error));
        return;
      } catch (error) {
        if (error instanceof WrongExpectedVersionError && attempt < this.maxRetries) continue;
        batch.forEach((q) => q.reject(error));
        return;
      }
    }
  }
}
