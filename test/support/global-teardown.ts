import { deleteKeys, keysMatching } from './redis-keys';

/**
 * Fails the run when its tests left Redis keys behind (each test deletes the keys of the queue
 * prefixes it used); lists them by prefix, then deletes them so a failing run does not pile up keys.
 */
export default async function globalTeardown(): Promise<void> {
  const run = process.env.REPRISE_TEST_RUN;
  if (!run) return;
  if (process.env.REPRISE_TEST_RUN_REDIS === 'unreachable') {
    process.stderr.write(`\n[redis hygiene] not checked: Redis did not answer at the start of the run\n`);
    return;
  }
  const left = await keysMatching(`${run}-*`);
  if (left.size === 0) return;
  const total = [...left.values()].reduce((a, b) => a + b, 0);
  const detail = [...left].map(([prefix, n]) => `${prefix}: ${n}`).join(', ');
  await deleteKeys(`${run}-*`);
  throw new Error(`[redis hygiene] the tests left ${total} Redis key(s) behind (now deleted): ${detail}`);
}
