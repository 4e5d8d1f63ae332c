import { randomUUID } from 'node:crypto';
import { keysMatching } from './redis-keys';

/** Names this run (every test queue prefix starts with it), so the teardown can count its leftovers. */
export default async function globalSetup(): Promise<void> {
  process.env.REPRISE_TEST_RUN = `reprise-test-${randomUUID().slice(0, 8)}`;
  try {
    const before = await keysMatching(`${process.env.REPRISE_TEST_RUN}-*`);
    if (before.size) throw new Error(`Redis already holds keys of run ${process.env.REPRISE_TEST_RUN}`);
  } catch (error) {
    if ((error as Error).message.startsWith('Redis already')) throw error;
    process.env.REPRISE_TEST_RUN_REDIS = 'unreachable';
  }
}
