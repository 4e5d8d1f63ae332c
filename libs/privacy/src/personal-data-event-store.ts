import type {
  AppendOptions,
  AppendResult,
  EventStore,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  Subscription,
  SubscriptionOptions,
} from '@reprise/event-store/event-store.port';
import type { PersonalDataProtector } from './personal-data-protector';

/** Recorded when a person's key is destroyed; carries the random subject id, never the e-mail. */
export const PERSONAL_DATA_ERASED = 'PersonalDataErased';

/**
 * The event store as the domain sees it: declared personal fields are sealed on the way in, each
 * under its person's key, and revealed on the way out (`erased` once the key is destroyed). What is
 * stored, hashed into the tenant's log and projected is the ciphertext: `raw` is that store.
 */
export class PersonalDataEventStore implements EventStore {
  constructor(
    readonly raw: EventStore,
    readonly protector: PersonalDataProtector,
  ) {}

  async append(stream: string, events: NewEvent[], options: AppendOptions): Promise<AppendResult> {
    const sealed = await Promise.all(
      events.map(async (event) =>
        this.protector.declares(event.type)
          ? {
              ...event,
              data: await this.protector.protect(
                event.metadata?.tenantId ?? options.metadata.tenantId,
                event.type,
                event.data,
              ),
            }
          : event,
      ),
    );
    const result = await this.raw.append(stream, sealed, options);
    return { ...result, events: await this.reveal(result.events) };
  }

  private reveal(events: RecordedEvent[]): Promise<RecordedEvent[]> {
    return this.protector.reveal(events);
  }

  async readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return this.reveal(await this.raw.readStream(stream, options));
  }

  streamRevision(stream: string): Promise<number> {
    return this.raw.streamRevision(stream);
  }

  async readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.reveal(await this.raw.readAll(options));
  }

  headPosition(): Promise<number> {
    return this.raw.headPosition();
  }

  /**
   * Subscribers see events revealed. An erasure is made effective before any subscriber sees it
   * (the key is destroyed first, idempotently), so whatever a subscriber re-reads then reads `erased`.
   */
  subscribe(options: SubscriptionOptions): Subscription {
    return this.raw.subscribe({
      ...options,
      handler: async (event) => {
        if (event.type === PERSONAL_DATA_ERASED)
          await this.protector.destroyKey((event.data as { subjectId: string }).subjectId);
        return options.handler(await this.protector.reveal(event));
      },
    });
  }

  getCheckpoint(subscriberId: string): Promise<number> {
    return this.raw.getCheckpoint(subscriberId);
  }

  saveCheckpoint(subscriberId: string, position: number): Promise<void> {
    return this.raw.saveCheckpoint(subscriberId, position);
  }

  ping(): Promise<void> {
    return this.raw.ping();
  }

  close(): Promise<void> {
    return this.raw.close();
  }
}
