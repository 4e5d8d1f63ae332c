import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Observable, Subject, filter } from 'rxjs';
import {
  evolveActivation,
  initialActivationState,
  type ActivationEvent,
  type ActivationState,
  type Activation,
} from '@reprise/domain/activation';
import { parseTenantStream, streams } from '@reprise/domain/shared/streams';
import { PERSONAL_DATA_ERASED } from '@reprise/privacy/personal-data-event-store';
import { ReadPositions } from '../read-models/read-your-writes';
import {
  EVENT_STORE,
  type EventStore,
  type RecordedEvent,
  type Subscription,
} from '@reprise/event-store/event-store.port';

/**
 * Live read model of activations: every activation stream folded in memory (rebuilt from the events
 * when the API starts), fed by the event-store subscription so that changes recorded by the worker
 * in another process appear here within the poll interval. It also fans each event out to the
 * server-sent-event streams. Personal data in it is revealed; after an erasure the tenant's
 * activations are folded again, so the person reads `erased` here too.
 */
@Injectable()
export class ActivationViews implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ActivationViews.name);
  private readonly states = new Map<string, Activation>();
  /** Last revision folded per stream (a refold may run ahead of the subscription). */
  private readonly revisions = new Map<string, number>();
  private readonly events$ = new Subject<RecordedEvent>();
  private subscription: Subscription | null = null;
  private position = 0;
  private waiters: Array<{ position: number; resolve: () => void }> = [];

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    positions: ReadPositions,
  ) {
    positions.register('activation-views', (position, timeoutMs) => this.waitFor(position, timeoutMs));
  }

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = this.store.subscribe({
      subscriberId: 'api-activation-views',
      streamPrefixes: ['tenant/'],
      checkpoints: { getCheckpoint: async () => 0, saveCheckpoint: async (_id, p) => this.advance(p) },
      handler: (event) => this.apply(event),
      onError: (error, event) =>
        this.logger.error(`activation view failed on ${event?.position}: ${(error as Error).message}`),
    });
    await this.subscription.caughtUp;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
    this.events$.complete();
  }

  private async apply(event: RecordedEvent): Promise<void> {
    const parsed = parseTenantStream(event.stream);
    if (event.type === PERSONAL_DATA_ERASED && parsed) await this.refold(parsed.tenantId);
    if (parsed?.category === 'activation' && parsed.id) {
      if (event.revision > (this.revisions.get(event.stream) ?? -1)) {
        const current: ActivationState = this.states.get(event.stream) ?? initialActivationState();
        const next = evolveActivation(current, event as unknown as ActivationEvent);
        if (next.exists) this.states.set(event.stream, next);
        this.revisions.set(event.stream, event.revision);
      }
      this.events$.next(event);
    }
    this.advance(event.position);
  }

  /** After an erasure: the tenant's activations folded again from the store (the person reads `erased`). */
  private async refold(tenantId: string): Promise<void> {
    for (const stream of [...this.states.keys()].filter((s) =>
      s.startsWith(streams.tenantPrefix(tenantId)),
    )) {
      let state: ActivationState = initialActivationState();
      const events = await this.store.readStream(stream);
      for (const e of events) state = evolveActivation(state, e as unknown as ActivationEvent);
      if (state.exists) this.states.set(stream, state);
      if (events.length) this.revisions.set(stream, events[events.length - 1].revision);
    }
  }

  private advance(position: number): void {
    if (position <= this.position) return;
    this.position = position;
    this.waiters = this.waiters.filter((w) => (w.position <= position ? (w.resolve(), false) : true));
  }

  /** Resolves true when the view has applied the event at `position`, false after `timeoutMs`. */
  waitFor(position: number, timeoutMs = 5000): Promise<boolean> {
    if (position <= this.position) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      const waiter = { position, resolve: () => (clearTimeout(timer), resolve(true)) };
      this.waiters.push(waiter);
    });
  }

  get(tenantId: string, activationId: string): Activation | null {
    return this.states.get(streams.activation(tenantId, activationId)) ?? null;
  }

  list(tenantId: string): Activation[] {
    const prefix = `${streams.tenantPrefix(tenantId)}activation/`;
    return [...this.states.entries()]
      .filter(([stream]) => stream.startsWith(prefix))
      .map(([, state]) => state);
  }

  /** Events of one activation as they are recorded. */
  live(tenantId: string, activationId: string): Observable<RecordedEvent> {
    const stream = streams.activation(tenantId, activationId);
    return this.events$.pipe(filter((event) => event.stream === stream));
  }
}
