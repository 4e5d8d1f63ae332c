import type { Provider } from '@nestjs/common';
import { AUDIT_TREES, MerkleTrees } from '@reprise/audit-log/merkle-trees';
import { Environment } from '@reprise/common/config/environment';
import { tenantOfStream } from '@reprise/domain/shared/streams';
import { auditTreesPath } from '@reprise/event-store/event-store.module';
import { logEpochOf, RAW_EVENT_STORE, type EventStore } from '@reprise/event-store/event-store.port';

/**
 * A process's Merkle trees of the tenants' logs (`AUDIT_TREES`): a read model of the events as
 * stored, in `audit-trees-<app>.db`, rebuilt when the store's migration epoch changes.
 */
export const auditTreesProvider = (app: string): Provider => ({
  provide: AUDIT_TREES,
  inject: [RAW_EVENT_STORE, Environment],
  useFactory: async (raw: EventStore, env: Environment) =>
    new MerkleTrees(raw, {
      path: auditTreesPath(env, app),
      logOf: tenantOfStream,
      epoch: await logEpochOf(raw),
    }),
});
