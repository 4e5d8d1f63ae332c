import { Processor, WorkerHost } from '@nestjs/bullmq';
import { Inject, Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { NOTIFIER, type Notifier, type NotificationKind } from '@reprise/common/notifications/notifier';
import { notificationDecider } from '@reprise/domain/notification';
import { CLOCK, type Clock } from '@reprise/domain/shared/clock';
import { streams } from '@reprise/domain/shared/streams';
import { handleCommand, loadAggregate } from '@reprise/event-store/command-handling';
import { EVENT_STORE, type EventStore } from '@reprise/event-store/event-store.port';
import { readTenantDetails } from '@reprise/read-models/estate.queries';
import { DEFAULT_JOB_OPTIONS, type JobPayloads, QueueName } from '@reprise/jobs';

type DeliverJob = Job<JobPayloads['notification.deliver']>;

/**
 * Delivers one requested notification through the Notifier port (webhook with its own retries) and
 * records the outcome: `NotificationDelivered`, or `NotificationFailed` (then the job is retried
 * with backoff until its attempts run out; a 4xx answer other than 429 is not retried). The
 * webhook URL and any secret stay out of the events.
 */
@Processor(QueueName.Notification, { concurrency: 8 })
export class NotificationDeliveryProcessor extends WorkerHost {
  private readonly logger = new Logger(NotificationDeliveryProcessor.name);

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(NOTIFIER) private readonly notifier: Notifier,
  ) {
    super();
  }

  async process(job: DeliverJob): Promise<void> {
    if (job.name !== 'notification.deliver') return;
    const { tenantId, notificationId } = job.data;
    const stream = streams.notification(tenantId, notificationId);
    const loaded = await loadAggregate(this.store, stream, notificationDecider);
    if (!loaded || loaded.state.status !== 'pending' || !loaded.state.kind) return;
    const { state } = loaded;
    const tenant = await readTenantDetails(this.store, tenantId);
    const result = await this.notifier.deliver(
      { kind: state.kind as NotificationKind, tenantId, payload: { notificationId, ...state.payload } },
      { webhookUrl: tenant?.notificationWebhookUrl ?? null },
    );
    const delivery = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? DEFAULT_JOB_OPTIONS.attempts ?? 1;
    const retryable =
      !result.delivered && (result.status === null || result.status >= 500 || result.status === 429);
    const final = result.delivered || !retryable || delivery >= maxAttempts;
    await handleCommand(
      this.store,
      stream,
      notificationDecider,
      {
        type: 'RecordDelivery',
        data: {
          delivered: result.delivered,
          channel: result.channel,
          attempts: result.attempts,
          status: result.status,
          error: result.error,
          delivery,
          final,
          at: this.clock.now().toISOString(),
        },
      },
      {
        actor: 'system:notifier',
        role: 'system',
        tenantId,
        correlationId: notificationId,
        causationId: job.id ?? notificationId,
      },
    );
    if (!final) throw new Error(`notification ${notificationId} not delivered: ${result.error ?? 'unknown'}`);
    if (!result.delivered)
      this.logger.warn(`notification ${notificationId} failed for good: ${result.error ?? 'unknown'}`);
  }
}
