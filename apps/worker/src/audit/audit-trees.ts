import { dirname, join } from 'node:path';
import { Logger } from '@nestjs/common';
import { merkleLogProjection } from '@reprise/audit-log/log-projection';
import type { Environment } from '@reprise/common/config/environment';
import { tenantOfStream } from '@reprise/domain/shared/streams';
import { readModelPath } from '@reprise/event-store/event-store.module';
import { logEpochOf, type EventStore } from '@reprise/event-store/event-store.port';
import { ProjectionRunner } from '@reprise/event-store/projections/projection-runner';

/** The worker's Merkle trees of the tenants' logs (its own read model, rebuilt from the events). */
export const AUDIT_TREES = Symbol('AUDIT_TREES');

export async function createAuditTrees(raw: EventStore, env: Environment): Promise<ProjectionRunner> {
  const logger = new Logger('AuditLog');
  return new ProjectionRunner(raw, [merkleLogProjection(tenantOfStream, await logEpochOf(raw))], {
    path: join(dirname(readModelPath(env, 'worker')), 'audit-trees-worker.db'),
    onError: (name, error, event) =>
      logger.error(`${name} failed on event ${event?.position}: ${(error as Error).message}`),
  });
}
