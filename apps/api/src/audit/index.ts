export { AuditModule } from './audit.module';
export { AuditService, toAuditItem, type AuditEventItem, type AuditPage } from './audit.service';
export { AuditLogService, type ActivationProof, type AuditVerification } from './audit-log.service';
