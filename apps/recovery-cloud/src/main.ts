import { loadEnvironmentOrExit } from '@reprise/common/config/environment';
import { startRecoveryCloud } from './recovery-cloud.app';

async function bootstrap(): Promise<void> {
  process.env.REPRISE_APP ??= 'recovery-cloud';
  const env = loadEnvironmentOrExit('recovery-cloud');
  const cloud = await startRecoveryCloud({
    port: env.RECOVERY_CLOUD_PORT,
    host: process.env.RECOVERY_CLOUD_HOST ?? '127.0.0.1',
    seed: env.SIM_SEED,
    timeScale: env.SIM_TIME_SCALE,
    timeMode: env.SIM_TIME_MODE,
    logging: env.LOG_LEVEL !== 'silent',
  });
  process.stdout.write(
    `[recovery-cloud] listening on ${cloud.url} (seed ${env.SIM_SEED}, time scale ${env.SIM_TIME_SCALE}, ${env.SIM_TIME_MODE} clock)\n`,
  );
}

void bootstrap();
