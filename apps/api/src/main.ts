import 'reflect-metadata';
import { loadEnvironmentOrExit } from '@reprise/common/config/environment';
import { createApiApp } from './api.app';

async function main(): Promise<void> {
  process.env.REPRISE_APP = 'api';
  const env = loadEnvironmentOrExit('api', ['REPRISE_ADMIN_TOKEN']);
  const app = await createApiApp();
  await app.listen(env.API_PORT, process.env.API_HOST ?? '0.0.0.0');
}

main().catch((error) => {
  process.stderr.write(`[api] failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
