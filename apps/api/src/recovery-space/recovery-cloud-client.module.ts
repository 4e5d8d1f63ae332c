import { Module } from '@nestjs/common';
import { Environment } from '@reprise/common/config/environment';
import { HttpRecoveryCloud, RECOVERY_CLOUD } from '@reprise/recovery-cloud-client';

/**
 * The recovery cloud as the API asks it (read-only questions: capacity, restore points, the original
 * site's state). Short timeouts: the API answers at once, never waits on a slow cloud.
 */
@Module({
  providers: [
    {
      provide: RECOVERY_CLOUD,
      inject: [Environment],
      useFactory: (env: Environment) =>
        new HttpRecoveryCloud({
          baseUrl: env.RECOVERY_CLOUD_URL,
          timeoutMs: 1500,
          retry: { maxAttempts: 1 },
        }),
    },
  ],
  exports: [RECOVERY_CLOUD],
})
export class RecoveryCloudClientModule {}
