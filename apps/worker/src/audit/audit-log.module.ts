import { Module } from '@nestjs/common';
import { auditKeysProvider } from '@reprise/common/config/audit-keys';
import { auditTreesProvider } from '@reprise/read-models/audit-trees';
import { NotificationsModule } from '../notifications/notifications.module';
import { TreeHeadSigner } from './tree-head-signer.service';

/** The tenants' transparency logs: Merkle trees, signed tree heads, their copies outside the store. */
@Module({
  imports: [NotificationsModule],
  providers: [auditKeysProvider, auditTreesProvider('worker'), TreeHeadSigner],
  exports: [TreeHeadSigner],
})
export class AuditLogModule {}
