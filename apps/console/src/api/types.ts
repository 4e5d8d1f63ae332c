import type { ActivationStatus, ActivationType, ProtectionClass } from '@reprise/domain/activation';
import type { ServerStatus } from '@reprise/domain/estate/server';

export type {
  ActivationServerView,
  ActivationStatus,
  ActivationType,
  ActivationView,
  ServerPhase,
} from '@reprise/domain/activation';
export type { PlanView, PlanServer } from '@reprise/domain/plan/plan-view';
export type { ActivationReport } from '@reprise/domain/report/report.types';
export type { ComplianceEntry } from '@reprise/domain/schedule/compliance';

export type Role = 'dr-manager' | 'scheduler' | 'auditor';

/** The signed-in person (`GET /auth/me`). */
export interface SessionUser {
  id: string;
  email: string;
  name: string;
  role: Role;
  tenantId?: string;
}

export interface Me {
  user: SessionUser;
  csrfToken: string;
}

/** `GET /servers` item. */
export interface ServerItem {
  id: string;
  version: number;
  hostname: string;
  kind: 'physical' | 'virtual';
  platform: string;
  os: { family: 'windows' | 'linux'; name: string; version: string };
  backupMode: 'agent' | 'agentless';
  applications: Array<{ kind: string; version: string }>;
  template: { vcpu: number; ramGiB: number };
  disks: Array<{ name: string; sizeGiB: number }>;
  protectionClass: ProtectionClass;
  dependsOn: string[];
  rtoMinutes: number | null;
  rpoMinutes: number | null;
  recoveryMethod: 'backup-restore' | 'vm-replication' | 'storage-replication';
  antiAffinityGroup: string | null;
  status: ServerStatus;
  enrolledAt: string;
  archivedAt: string | null;
  decommissionedAt: string | null;
}

export interface HistoryEntry {
  seq: number;
  type: string;
  at: string;
  data: Record<string, unknown>;
  actor?: string;
  role?: string;
}

export interface Finding {
  severity: 'error' | 'warning';
  code: string;
  message: string;
  servers?: string[];
}

export interface ReadinessCheck {
  ready: boolean;
  findings: Finding[];
}

export interface ActivationListItem {
  id: string;
  type: ActivationType;
  status: ActivationStatus;
  launchedAt: string | null;
  closedAt: string | null;
  lastServerAvailableAfterMinutes: number | null;
  [extra: string]: unknown;
}

export interface TestSchedule {
  id: string;
  kind: 'drp-test' | 'restore-test';
  scheduledFor: string;
  status: string;
  origin?: string;
  activationId: string | null;
  failureReason: string | null;
  version: number;
}

export interface AuditEvent {
  seq: number;
  stream: string;
  type: string;
  at: string;
  data: unknown;
  hash: string;
  actor?: string;
}

export interface AuditVerification {
  valid: boolean;
  checkedEvents: number;
  firstInvalidSeq?: number;
  reason?: string;
}
