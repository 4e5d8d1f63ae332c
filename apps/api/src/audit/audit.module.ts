import { Module } from '@nestjs/common';
import { AUDIT_KEYS, loadAuditKeys } from '@reprise/common/config/audit-keys';
import { Environment } from '@reprise/common/config/environment';
import { AuditLogService } from './audit-log.service';
import { AuditController } from './audit.controller';
import { AuditService } from './audit.service';

/** The auditor's tamper-evident history: events, signed tree heads, proofs, verification, export. */
@Module({
  controllers: [AuditController],
  providers: [
    { provide: AUDIT_KEYS, inject: [Environment], useFactory: (env: Environment) => loadAuditKeys(env) },
    AuditService,
    AuditLogService,
  ],
  exports: [AuditService, AuditLogService],
})
export class AuditModule {}
