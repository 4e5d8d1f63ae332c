import 'reflect-metadata';
import { loadEnvironmentOrExit } from '@reprise/common/config/environment';
import { createApiApp } from './api.app';

async function main(): Promise<void> {
  process.env.REPRISE_APP = 'api';
  // Production keeps its encryption key in configuration; development and test generate one.
  const production = process.env.NODE_ENV === 'production';
  const env = loadEnvironmentOrExit('api', [
    'REPRISE_ADMIN_TOKEN',
    ...(production ? (['REPRISE_ENCRYPTION_KEY'] as const) : []),
  ]);
  const app = await createApiApp();
  // Graceful stop: finish in-flight work, close the store and queues, then exit 0.
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.once(signal, () => {
      app.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  await app.listen(env.API_PORT, process.env.API_HOST ?? '0.0.0.0');
}

main().catch((error) => {
  process.stderr.write(`[api] failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
