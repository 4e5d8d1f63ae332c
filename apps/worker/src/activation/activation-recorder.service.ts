import { Inject, Injectable } from '@nestjs/common';
import { activationDecider } from '@reprise/domain/activation/activation.decider';
import type { ActivationCommand } from '@reprise/domain/activation/activation.commands';
import type { ActivationEvent } from '@reprise/domain/activation/activation.events';
import type { Activation, ActivationState } from '@reprise/domain/activation/activation.state';
import { streams } from '@reprise/domain/shared/streams';
import { AggregateExecutor } from '@reprise/event-store/aggregate-executor';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '@reprise/event-store/event-store.port';

/**
 * The worker's way to read and record an activation: a cached fold of its stream, with every fact
 * decided by the activation decider and appended with the expected revision.
 */
@Injectable()
export class ActivationRecorder {
  readonly executor: AggregateExecutor<ActivationCommand, ActivationState, ActivationEvent>;

  constructor(@Inject(EVENT_STORE) store: EventStore) {
    this.executor = new AggregateExecutor(store, activationDecider, { maxCached: 500 });
  }

  async load(tenantId: string, activationId: string): Promise<Activation | null> {
    const { state } = await this.executor.load(streams.activation(tenantId, activationId));
    return state.exists ? state : null;
  }

  record(
    tenantId: string,
    activationId: string,
    command: ActivationCommand,
    causationId: string | null,
  ): Promise<RecordedEvent[]> {
    return this.executor.execute(streams.activation(tenantId, activationId), command, {
      actor: 'system:worker',
      role: 'system',
      tenantId,
      correlationId: activationId,
      causationId,
    });
  }
}
