import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { NOTIFIER, WebhookNotifier } from '@reprise/common/notifications/notifier';
import { QueueName } from '@reprise/jobs';
import { ActivationNotifications } from './activation-notifications.service';
import { NotificationDeliveryProcessor } from './notification-delivery.processor';
import { NotificationRequests } from './notification-requests.service';

/** Notifications: report ready, RTO breach projected, test due / overdue; delivered and recorded. */
@Module({
  imports: [BullModule.registerQueue({ name: QueueName.Notification })],
  providers: [
    { provide: NOTIFIER, useFactory: () => new WebhookNotifier({ attempts: 3, baseDelayMs: 250 }) },
    NotificationRequests,
    NotificationDeliveryProcessor,
    ActivationNotifications,
  ],
  exports: [NotificationRequests],
})
export class NotificationsModule {}
