import 'reflect-metadata';
import { loadEnvironmentOrExit } from '@reprise/common/config/environment';
import { createWorkerApp } from './worker.app';

async function main(): Promise<void> {
  process.env.REPRISE_APP = 'worker';
  const env = loadEnvironmentOrExit('worker');
  const app = await createWorkerApp();
  // Graceful stop: finish in-flight work, close the store and queues, then exit 0.
  for (const signal of ['SIGTERM', 'SIGINT'] as const)
    process.once(signal, () => {
      app.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    });
  await app.listen(env.WORKER_PORT, env.WORKER_HOST ?? '0.0.0.0');
}

main().catch((error) => {
  process.stderr.write(
    `[worker] failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
