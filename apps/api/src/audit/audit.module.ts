import { Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { AUDIT_TREES, MerkleTrees } from '@reprise/audit-log/merkle-trees';
import { auditKeysProvider } from '@reprise/common/config/audit-keys';
import { auditTreesProvider } from '@reprise/read-models/audit-trees';
import { AuditLogService } from './audit-log.service';
import { AuditController } from './audit.controller';
import { AuditService } from './audit.service';

/** The auditor's tamper-evident history: events, signed tree heads, proofs, verification, export. */
@Module({
  controllers: [AuditController],
  providers: [auditKeysProvider, auditTreesProvider('api'), AuditService, AuditLogService],
  exports: [AuditService, AuditLogService],
})
export class AuditModule implements OnApplicationShutdown {
  constructor(@Inject(AUDIT_TREES) private readonly trees: MerkleTrees) {}

  async onApplicationShutdown(): Promise<void> {
    await this.trees.stop();
  }
}
