import 'reflect-metadata';
import { loadEnvironmentOrExit } from '@reprise/common/config/environment';
import { createWorkerApp } from './worker.app';

async function main(): Promise<void> {
  process.env.REPRISE_APP = 'worker';
  const env = loadEnvironmentOrExit('worker');
  const app = await createWorkerApp();
  await app.listen(env.WORKER_PORT, process.env.WORKER_HOST ?? '0.0.0.0');
}

main().catch((error) => {
  process.stderr.write(
    `[worker] failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
