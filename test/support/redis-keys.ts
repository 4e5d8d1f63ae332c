import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';

/**
 * Redis hygiene of the test suite. Every queue prefix a test uses starts with this run's prefix
 * (set by the global setup), so the global teardown can count what the run left behind, even while
 * other developers' runs share the same Redis.
 */
export const testRunPrefix = (): string => process.env.REPRISE_TEST_RUN ?? `reprise-test-${process.pid}`;

/** A fresh QUEUE_PREFIX for one stack or process of this run. */
export const testQueuePrefix = (label = 'q'): string =>
  `${testRunPrefix()}-${label}-${randomUUID().slice(0, 8)}`;

const redisUrl = () => process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function withRedis<T>(work: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(redisUrl(), {
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
  });
  await redis.connect();
  try {
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

/** Keys matching `pattern` (SCAN, never KEYS), grouped by their first segment (the queue prefix). */
export function keysMatching(pattern: string): Promise<Map<string, number>> {
  return withRedis(async (redis) => {
    const byPrefix = new Map<string, number>();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) {
        const prefix = key.split(':')[0];
        byPrefix.set(prefix, (byPrefix.get(prefix) ?? 0) + 1);
      }
    } while (cursor !== '0');
    return byPrefix;
  });
}

/** Deletes every key of a queue prefix (what BullMQ created under `<prefix>:`); returns how many. */
export function deleteKeys(pattern: string): Promise<number> {
  return withRedis(async (redis) => {
    let deleted = 0;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await redis.del(...keys);
    } while (cursor !== '0');
    return deleted;
  });
}

export const deleteQueueKeys = (queuePrefix: string) => deleteKeys(`${queuePrefix}:*`);
