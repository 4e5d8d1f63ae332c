import { randomUUID } from 'node:crypto';
import {
  AllStreamResolvedEvent,
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  excludeSystemEvents,
  FORWARDS,
  jsonEvent,
  NO_STREAM,
  Position,
  START,
  streamNameFilter,
  StreamNotFoundError,
  WrongExpectedVersionError as EsdbWrongExpectedVersionError,
} from '@eventstore/db-client';
import { canonicalJson } from '@reprise/audit-log/canonical-json';
import { LEAF_RULE, leafHashOfParts, LEGACY_CHAIN_RULE } from '@reprise/audit-log/leaf';
import type { Clock } from '@reprise/domain/shared/clock';
import {
  AppendOptions,
  AppendResult,
  EventMetadata,
  EventStore,
  ExpectedRevision,
  matchesPrefixes,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  revisionMatches,
  Subscription,
  SubscriptionOptions,
  WrongExpectedVersionError,
} from '../event-store.port';

export interface EsdbEventStoreOptions {
  connectionString: string;
  clock: Clock;
  /** Prefix of the streams holding subscriber checkpoints. */
  checkpointStreamPrefix?: string;
}

/** Keys the adapter adds to EventStoreDB metadata; they are not part of the hashed EventMetadata. */
interface StoredMetadata extends EventMetadata {
  $correlationId: string;
  $causationId: string | null;
  /** The leaf hash (or, on an event written before the log, its per-stream chain hash). */
  hash: string;
  /** Only on events written before the log (rule reprise-chain/0). */
  prevHash?: string;
}

const CHECKPOINT_EVENT = 'CheckpointStored';
const MAX_CHAIN_RETRIES = 5;

/**
 * EventStoreDB adapter (gRPC, @eventstore/db-client). Same port as the SQLite store:
 * - optimistic concurrency through the server's expected revision;
 * - each event's leaf hash lives in its metadata (`hash`); it covers the revision, so appending reads
 *   the stream's last revision and appends with exactly it (an `any` append that loses a race is
 *   hashed again on the new revision); events written before the log also carry `prevHash`;
 * - global positions are the events' prepare positions in the transaction log (unique and increasing);
 * - subscriptions use `subscribeToAll` with a server-side stream-name prefix filter; checkpoints are
 *   kept in `reprise-checkpoint-<subscriber>` streams (max count 1).
 */
export class EsdbEventStore implements EventStore {
  readonly client: EventStoreDBClient;
  private readonly clock: Clock;
  private readonly checkpointPrefix: string;
  /** Full log positions of events seen by this process, to resume reads from a plain number exactly. */
  private readonly knownPositions = new Map<number, Position>();

  constructor(options: EsdbEventStoreOptions) {
    this.client = EventStoreDBClient.connectionString(options.connectionString);
    this.clock = options.clock;
    this.checkpointPrefix = options.checkpointStreamPrefix ?? 'reprise-checkpoint-';
  }

  async append(stream: string, events: NewEvent[], options: AppendOptions): Promise<AppendResult> {
    if (!stream) throw new Error('stream name is required');
    if (events.length === 0) throw new Error('append needs at least one event');
    for (let attempt = 0; ; attempt++) {
      const last = await this.lastEvent(stream);
      const current = last ? last.revision : -1;
      if (!revisionMatches(options.expectedRevision, current)) {
        throw new WrongExpectedVersionError(stream, options.expectedRevision, current);
      }
      const recordedAt = this.clock.now().toISOString();
      const prepared: RecordedEvent[] = [];
      const payload = events.map((event, i) => {
        const metadata: EventMetadata = {
          requestId: null,
          ...options.metadata,
          ...event.metadata,
          recordedAt: event.metadata?.recordedAt ?? options.metadata.recordedAt ?? recordedAt,
        } as EventMetadata;
        const data = JSON.parse(JSON.stringify(event.data ?? {}));
        const id = randomUUID();
        const revision = current + 1 + i;
        const hash = leafHashOfParts(
          LEAF_RULE,
          id,
          stream,
          revision,
          event.type,
          canonicalJson(data),
          canonicalJson(metadata),
        );
        prepared.push({
          id,
          stream,
          revision,
          position: 0,
          type: event.type,
          data,
          metadata,
          hash,
        });
        const stored: StoredMetadata = {
          ...metadata,
          $correlationId: metadata.correlationId,
          $causationId: metadata.causationId,
          hash,
        };
        return jsonEvent({
          id,
          type: event.type,
          data,
          metadata: stored as unknown as Record<string, unknown>,
        });
      });
      try {
        // Always append with the exact revision the leaf hashes cover, even for `any`.
        const result = await this.client.appendToStream(stream, payload, {
          expectedRevision: current === -1 ? NO_STREAM : BigInt(current),
        });
        const position = result.position ? Number(result.position.prepare) : 0;
        if (result.position) this.knownPositions.set(position, result.position);
        return { nextRevision: Number(result.nextExpectedRevision), position, events: prepared };
      } catch (error) {
        if (error instanceof EsdbWrongExpectedVersionError) {
          const retryable =
            options.expectedRevision === 'any' || options.expectedRevision === 'stream-exists';
          if (retryable && attempt < MAX_CHAIN_RETRIES) continue;
          throw new WrongExpectedVersionError(
            stream,
            options.expectedRevision,
            await this.streamRevision(stream),
          );
        }
        throw error;
      }
    }
  }

  private async lastEvent(stream: string): Promise<RecordedEvent | null> {
    const events = await this.collect(stream, { direction: BACKWARDS, fromRevision: END, maxCount: 1 });
    return events[0] ?? null;
  }

  private async collect(
    stream: string,
    options: {
      direction: typeof FORWARDS | typeof BACKWARDS;
      fromRevision: typeof START | typeof END | bigint;
      maxCount?: number;
    },
  ): Promise<RecordedEvent[]> {
    const out: RecordedEvent[] = [];
    try {
      for await (const resolved of this.client.readStream(stream, options)) {
        const event = this.toRecorded(resolved as AllStreamResolvedEvent);
        if (event) out.push(event);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return out;
  }

  private toRecorded(resolved: AllStreamResolvedEvent): RecordedEvent | null {
    const e = resolved.event;
    if (!e || !e.isJson) return null;
    const stored = (e.metadata ?? {}) as Partial<StoredMetadata>;
    const { $correlationId: _c, $causationId: _k, hash, prevHash, ...metadata } = stored;
    const position = e.position ? Number(e.position.prepare) : 0;
    if (e.position) this.knownPositions.set(position, e.position);
    const event: RecordedEvent = {
      id: e.id,
      stream: e.streamId,
      revision: Number(e.revision),
      position,
      type: e.type,
      data: e.data,
      metadata: metadata as EventMetadata,
      hash: hash ?? '',
    };
    if (prevHash !== undefined) {
      event.hashRule = LEGACY_CHAIN_RULE;
      event.prevHash = prevHash;
    }
    return event;
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    return this.collect(stream, {
      direction: FORWARDS,
      fromRevision: options.fromRevision ? BigInt(options.fromRevision) : START,
      maxCount: options.maxCount,
    });
  }

  async streamRevision(stream: string): Promise<number> {
    return (await this.lastEvent(stream))?.revision ?? -1;
  }

  private fromPosition(after: number): Position | typeof START {
    if (!after) return START;
    return this.knownPositions.get(after) ?? { commit: BigInt(after), prepare: BigInt(after) };
  }

  /** Streams of the application (not EventStoreDB's system streams, not our checkpoints). */
  isOwnStream(stream: string): boolean {
    return !stream.startsWith('$') && !stream.startsWith(this.checkpointPrefix);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    const after = options.afterPosition ?? 0;
    const out: RecordedEvent[] = [];
    const max = options.maxCount ?? Number.MAX_SAFE_INTEGER;
    for await (const resolved of this.client.readAll({
      direction: FORWARDS,
      fromPosition: this.fromPosition(after),
    })) {
      const event = this.toRecorded(resolved);
      if (!event || event.position <= after || !this.isOwnStream(event.stream)) continue;
      if (!matchesPrefixes(event.stream, options.streamPrefixes)) continue;
      out.push(event);
      if (out.length >= max) break;
    }
    return out;
  }

  async headPosition(): Promise<number> {
    for await (const resolved of this.client.readAll({
      direction: BACKWARDS,
      fromPosition: END,
      maxCount: 50,
    })) {
      const event = this.toRecorded(resolved);
      if (event && this.isOwnStream(event.stream)) return event.position;
    }
    return 0;
  }

  async getCheckpoint(subscriberId: string): Promise<number> {
    const [last] = await this.collect(this.checkpointPrefix + subscriberId, {
      direction: BACKWARDS,
      fromRevision: END,
      maxCount: 1,
    });
    if (!last) return 0;
    const data = last.data as { commit: string; prepare: string };
    const position = Number(data.prepare);
    this.knownPositions.set(position, { commit: BigInt(data.commit), prepare: BigInt(data.prepare) });
    return position;
  }

  async saveCheckpoint(subscriberId: string, position: number): Promise<void> {
    const stream = this.checkpointPrefix + subscriberId;
    const full = this.knownPositions.get(position) ?? { commit: BigInt(position), prepare: BigInt(position) };
    const result = await this.client.appendToStream(
      stream,
      jsonEvent({
        type: CHECKPOINT_EVENT,
        data: { commit: full.commit.toString(), prepare: full.prepare.toString() },
      }),
      { expectedRevision: ANY },
    );
    if (result.nextExpectedRevision === 0n) await this.client.setStreamMetadata(stream, { maxCount: 1 });
  }

  subscribe(options: SubscriptionOptions): Subscription {
    return new EsdbSubscription(this, options);
  }

  /** Server-side filtered `$all` subscription from the given position. */
  openAllSubscription(after: number, prefixes?: string[]) {
    const filter = prefixes?.length ? streamNameFilter({ prefixes }) : excludeSystemEvents();
    return this.client.subscribeToAll({ fromPosition: this.fromPosition(after), filter });
  }

  toRecordedEvent(resolved: AllStreamResolvedEvent): RecordedEvent | null {
    return this.toRecorded(resolved);
  }

  async ping(): Promise<void> {
    await this.headPosition();
  }

  async close(): Promise<void> {
    await this.client.dispose();
  }
}

class EsdbSubscription implements Subscription {
  readonly caughtUp: Promise<void>;
  private resolveCaughtUp!: () => void;
  private position = 0;
  private stopped = false;
  private current: ReturnType<EsdbEventStore['openAllSubscription']> | null = null;
  private readonly done: Promise<void>;

  constructor(
    private readonly store: EsdbEventStore,
    private readonly options: SubscriptionOptions,
  ) {
    this.caughtUp = new Promise((resolve) => (this.resolveCaughtUp = resolve));
    this.done = this.run();
  }

  private async run(): Promise<void> {
    const checkpoints = this.options.checkpoints ?? this.store;
    this.position = await checkpoints.getCheckpoint(this.options.subscriberId);
    while (!this.stopped) {
      const subscription = this.store.openAllSubscription(this.position, this.options.streamPrefixes);
      this.current = subscription;
      subscription.on('caughtUp', () => {
        this.resolveCaughtUp();
        this.options.onCaughtUp?.();
      });
      try {
        for await (const resolved of subscription) {
          const event = this.store.toRecordedEvent(resolved);
          if (
            !event ||
            event.position <= this.position ||
            !this.store.isOwnStream(event.stream) ||
            !matchesPrefixes(event.stream, this.options.streamPrefixes)
          )
            continue;
          await this.options.handler(event);
          this.position = event.position;
          await checkpoints.saveCheckpoint(this.options.subscriberId, this.position);
          if (this.stopped) break;
        }
      } catch (error) {
        this.options.onError?.(error, undefined as unknown as RecordedEvent);
        await new Promise((r) => setTimeout(r, 500));
      } finally {
        await subscription.unsubscribe().catch(() => undefined);
      }
    }
  }

  async drain(): Promise<void> {
    while (!this.stopped) {
      const ahead = await this.store.readAll({
        afterPosition: this.position,
        maxCount: 1,
        streamPrefixes: this.options.streamPrefixes,
      });
      if (ahead.length === 0) return;
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.current?.unsubscribe().catch(() => undefined);
    await this.done.catch(() => undefined);
  }
}

export type { ExpectedRevision };
