import { BullModule } from '@nestjs/bullmq';
import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { QueueName } from '@reprise/jobs';
import { Environment } from '@reprise/common/config/environment';
import { REDIS } from '@reprise/common/redis/redis.module';
import { HttpRecoveryCloud, RECOVERY_CLOUD } from '@reprise/recovery-cloud-client';
import { ActivationDispatcher } from './activation-dispatcher.service';
import { ActivationRecorder } from './activation-recorder.service';
import { createDispatchLeases, DISPATCH_LEASES } from './dispatch-leases';
import { EstateCloudSync } from './estate-cloud-sync.service';
import { StepRunner } from './step-runner.service';
import { StepWorker } from './step.worker';
import { AnalyseHandler } from './steps/analyse.handler';
import { BootHandler } from './steps/boot.handler';
import { CloudSteps } from './steps/cloud-steps.service';
import { FailbackHandler } from './steps/failback.handler';
import { FAILBACK_STEP_HANDLERS } from './steps/failback';
import { NetworkHandler } from './steps/network.handler';
import { RestoreHandler } from './steps/restore.handler';
import { PowerOnReplica } from './steps/restore/power-on-replica';
import { PresentLun } from './steps/restore/present-lun';
import { RestoreFromBackup } from './steps/restore/restore-from-backup';
import { StepHandlers } from './steps/step-handlers.registry';
import { TeardownHandler } from './steps/teardown.handler';
import { CheckHandler } from './steps/runbook/check.handler';
import { ManualHandler } from './steps/runbook/manual.handler';
import { ScriptHandler } from './steps/runbook/script.handler';
import { WebhookHandler } from './steps/runbook/webhook.handler';
import { loadSecretBox, SECRET_BOX } from '@reprise/common/crypto/secret-box';
import { EngineActivity } from './time-skipping/engine-activity';
import { SimTimeReporter } from './time-skipping/sim-time-reporter.service';
import { WORKFLOW_SETTINGS, workflowSettings } from './workflow-settings';

/** One handler per step kind, discovered by `@HandlesStep(kind)`. */
const STEP_HANDLERS = [
  RestoreHandler,
  BootHandler,
  AnalyseHandler,
  NetworkHandler,
  TeardownHandler,
  FailbackHandler,
  WebhookHandler,
  ScriptHandler,
  CheckHandler,
  ManualHandler,
  ...FAILBACK_STEP_HANDLERS,
];

/**
 * The activation engine: the dispatcher of the activation workflow, the step runner with its
 * handlers (one per step kind) and the queue's worker.
 */
@Module({
  imports: [BullModule.registerQueue({ name: QueueName.CloudStep }), DiscoveryModule],
  providers: [
    {
      provide: RECOVERY_CLOUD,
      inject: [Environment],
      useFactory: (env: Environment) => new HttpRecoveryCloud({ baseUrl: env.RECOVERY_CLOUD_URL }),
    },
    { provide: WORKFLOW_SETTINGS, inject: [Environment], useFactory: workflowSettings },
    { provide: SECRET_BOX, inject: [Environment], useFactory: loadSecretBox },
    ActivationRecorder,
    { provide: DISPATCH_LEASES, inject: [REDIS, Environment], useFactory: createDispatchLeases },
    ActivationDispatcher,
    CloudSteps,
    RestoreFromBackup,
    PowerOnReplica,
    PresentLun,
    ...STEP_HANDLERS,
    StepHandlers,
    StepRunner,
    StepWorker,
    EstateCloudSync,
    EngineActivity,
    SimTimeReporter,
  ],
})
export class ActivationEngineModule {}
