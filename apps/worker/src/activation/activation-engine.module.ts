import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { QueueName } from '@reprise/jobs';
import { Environment } from '@reprise/common/config/environment';
import { HttpRecoveryCloud, RECOVERY_CLOUD } from '@reprise/recovery-cloud-client';
import { ActivationReconciler } from './activation-reconciler.service';
import { ActivationRecorder } from './activation-recorder.service';
import { CloudStepProcessor } from './cloud-step.processor';
import { EstateCloudSync } from './estate-cloud-sync.service';
import { StepRunner } from './step-runner.service';

/** The activation engine: process manager, step runner and BullMQ processor. */
@Module({
  imports: [BullModule.registerQueue({ name: QueueName.CloudStep })],
  providers: [
    {
      provide: RECOVERY_CLOUD,
      inject: [Environment],
      useFactory: (env: Environment) => new HttpRecoveryCloud({ baseUrl: env.RECOVERY_CLOUD_URL }),
    },
    ActivationRecorder,
    StepRunner,
    ActivationReconciler,
    CloudStepProcessor,
    EstateCloudSync,
  ],
  exports: [ActivationReconciler],
})
export class ActivationEngineModule {}
