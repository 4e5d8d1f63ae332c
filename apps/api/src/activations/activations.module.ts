import { Module } from '@nestjs/common';
import { NOTIFIER, WebhookNotifier } from '@reprise/common/notifications/notifier';
import { RecoveryCloudClientModule } from '../recovery-space/recovery-cloud-client.module';
import { ActivationViews } from './activation-views.service';
import { ActivationsController } from './activations.controller';
import { ActivationsService } from './activations.service';

@Module({
  imports: [RecoveryCloudClientModule],
  controllers: [ActivationsController],
  providers: [
    ActivationViews,
    ActivationsService,
    { provide: NOTIFIER, useFactory: () => new WebhookNotifier() },
  ],
  exports: [ActivationViews, ActivationsService],
})
export class ActivationsModule {}
