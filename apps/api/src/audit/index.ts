export { AuditModule } from './audit.module';
export {
  AuditService,
  tenantHistoryPrefixes,
  toAuditItem,
  type AuditEventItem,
  type AuditPage,
  type AuditVerification,
} from './audit.service';
