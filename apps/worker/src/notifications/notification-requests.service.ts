import { InjectQueue } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { notificationDecider, type NotificationKindName } from '@reprise/domain/notification';
import { CLOCK, type Clock } from '@reprise/domain/shared/clock';
import { streams } from '@reprise/domain/shared/streams';
import { handleCommand } from '@reprise/event-store/command-handling';
import {
  EVENT_STORE,
  WrongExpectedVersionError,
  type EventStore,
} from '@reprise/event-store/event-store.port';
import { optionsFor, QueueName, type JobPayloads } from '@reprise/jobs';

/** Notification ids become stream names and job ids: keep them to safe characters. */
export const notificationId = (...parts: string[]): string =>
  parts.map((p) => p.replace(/[^A-Za-z0-9-]/g, '')).join('.');

/**
 * Requests a notification once (its id is the de-duplication key: asking again for the same id
 * records nothing) and hands its delivery to the `notification.deliver` job.
 */
@Injectable()
export class NotificationRequests {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @InjectQueue(QueueName.Notification) private readonly queue: Queue<JobPayloads['notification.deliver']>,
  ) {}

  async request(
    tenantId: string,
    id: string,
    kind: NotificationKindName,
    payload: Record<string, unknown>,
    causationId: string | null,
  ): Promise<boolean> {
    try {
      const result = await handleCommand(
        this.store,
        streams.notification(tenantId, id),
        notificationDecider,
        {
          type: 'RequestNotification',
          data: {
            notificationId: id,
            tenantId,
            kind,
            // `kind` is the webhook body's own field: a payload never overrides it.
            payload: {
              tenantId,
              ...Object.fromEntries(Object.entries(payload).filter(([k]) => k !== 'kind')),
            },
            at: this.clock.now().toISOString(),
          },
        },
        { actor: 'system:notifier', role: 'system', tenantId, correlationId: id, causationId },
      );
      if (result.events.length === 0) return false;
      await this.enqueue(tenantId, id);
      return true;
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) return false; // requested by someone else just now
      throw error;
    }
  }

  async enqueue(tenantId: string, id: string): Promise<void> {
    await this.queue.add(
      'notification.deliver',
      { tenantId, notificationId: id },
      optionsFor('notification.deliver', id),
    );
  }
}
