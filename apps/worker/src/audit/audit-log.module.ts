import { Module } from '@nestjs/common';
import { AUDIT_TREES, MerkleTrees } from '@reprise/audit-log/merkle-trees';
import { AUDIT_KEYS, loadAuditKeys } from '@reprise/common/config/audit-keys';
import { Environment } from '@reprise/common/config/environment';
import { tenantOfStream } from '@reprise/domain/shared/streams';
import { auditTreesPath } from '@reprise/event-store/event-store.module';
import { logEpochOf, RAW_EVENT_STORE, type EventStore } from '@reprise/event-store/event-store.port';
import { NotificationsModule } from '../notifications/notifications.module';
import { TreeHeadSigner } from './tree-head-signer.service';

/** The tenants' transparency logs: Merkle trees, signed tree heads, their copies outside the store. */
@Module({
  imports: [NotificationsModule],
  providers: [
    { provide: AUDIT_KEYS, inject: [Environment], useFactory: (env: Environment) => loadAuditKeys(env) },
    {
      provide: AUDIT_TREES,
      inject: [RAW_EVENT_STORE, Environment],
      useFactory: async (raw: EventStore, env: Environment) => {
        return new MerkleTrees(raw, {
          path: auditTreesPath(env, 'worker'),
          logOf: tenantOfStream,
          epoch: await logEpochOf(raw),
        });
      },
    },
    TreeHeadSigner,
  ],
  exports: [TreeHeadSigner],
})
export class AuditLogModule {}
