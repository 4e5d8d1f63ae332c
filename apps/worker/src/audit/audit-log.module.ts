import { Module } from '@nestjs/common';
import { AUDIT_KEYS, loadAuditKeys } from '@reprise/common/config/audit-keys';
import { Environment } from '@reprise/common/config/environment';
import { RAW_EVENT_STORE, type EventStore } from '@reprise/event-store/event-store.port';
import { NotificationsModule } from '../notifications/notifications.module';
import { AUDIT_TREES, createAuditTrees } from './audit-trees';
import { TreeHeadSigner } from './tree-head-signer.service';

/** The tenants' transparency logs: Merkle trees, signed tree heads, their copies outside the store. */
@Module({
  imports: [NotificationsModule],
  providers: [
    { provide: AUDIT_KEYS, inject: [Environment], useFactory: (env: Environment) => loadAuditKeys(env) },
    {
      provide: AUDIT_TREES,
      inject: [RAW_EVENT_STORE, Environment],
      useFactory: (raw: EventStore, env: Environment) => createAuditTrees(raw, env),
    },
    TreeHeadSigner,
  ],
  exports: [TreeHeadSigner],
})
export class AuditLogModule {}
