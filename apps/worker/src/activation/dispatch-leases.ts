import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import type { Environment } from '@reprise/common/config/environment';
import { PartitionLeases } from '@reprise/jobs/partition-leases';

export const DISPATCH_LEASES = Symbol('DISPATCH_LEASES');

/**
 * The workers' share of the activations to dispatch: each activation stream belongs to one of a
 * fixed number of partitions, each partition to one live worker at a time (a lease in Redis that
 * the worker renews every second and that expires 5 s after it stops, e.g. killed). Only the holder
 * sweeps an activation and fires its timers; every worker runs any step from the queue.
 */
export function createDispatchLeases(redis: Redis, env: Environment): PartitionLeases {
  const logger = new Logger('DispatchLeases');
  let lastError = '';
  return new PartitionLeases({
    redis,
    prefix: `${env.QUEUE_PREFIX}:dispatch`,
    memberId: `worker-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
    onError: (error) => {
      if (error.message !== lastError) logger.warn(`dispatch leases: ${error.message}`);
      lastError = error.message;
    },
  });
}
