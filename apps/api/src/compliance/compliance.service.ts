import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import type { ServerState } from '@reprise/domain/estate/server';
import {
  complianceOf,
  successfulTestsOf,
  type ComplianceEntry,
  type ComplianceServer,
} from '@reprise/domain/schedule';
import type { ReprotectionStatus } from '@reprise/domain/plan/reprotection';
import { CLOCK, type Clock } from '@reprise/domain/shared/clock';
import { ActivationViews } from '../activations/activation-views.service';
import { EstateService } from '../estate/estate.service';
import { ReadinessCheckRegistry } from '../plan/readiness-check';
import { ReprotectionService } from './reprotection.service';

const reprotectionOf = (r: ReprotectionStatus | undefined) =>
  r
    ? { dueSince: r.dueSince, fullRestorePointAt: r.fullRestorePointAt, due: r.fullRestorePointAt === null }
    : null;

export const toComplianceServer = (s: ServerState): ComplianceServer => ({
  serverId: s.id,
  hostname: s.hostname,
  protectionClass: s.protectionClass,
  enrolledAt: s.enrolledAt,
});

/**
 * Test compliance of the tenant's active servers, from the estate read model and the activations'
 * events (pure rules in libs/domain/src/schedule/compliance.ts). Also contributes the `test-overdue`
 * warning of `POST /plan/check`.
 */
@Injectable()
export class ComplianceService implements OnModuleInit {
  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly estate: EstateService,
    private readonly activations: ActivationViews,
    private readonly registry: ReadinessCheckRegistry,
    private readonly reprotection: ReprotectionService,
  ) {}

  onModuleInit(): void {
    this.registry.register({
      name: 'test-compliance',
      check: (context) =>
        this.entries(context.tenantId, context.activeServers.map(toComplianceServer), context.now)
          .filter((e) => e.overdue)
          .map((e) => ({
            severity: 'warning' as const,
            code: 'test-overdue',
            message: `${e.hostname} (${e.protectionClass}) is overdue for its ${
              e.protectionClass === 'drp' ? 'DRP test (every 6 months)' : 'restore test (every 12 months)'
            }: ${e.lastTestedAt ? `last tested ${e.lastTestedAt}` : 'never tested'}, due ${e.nextDueAt}`,
            servers: [e.hostname],
          })),
    });
  }

  private entries(tenantId: string, servers: ComplianceServer[], now: string): ComplianceEntry[] {
    const tests = this.activations.list(tenantId).flatMap(successfulTestsOf);
    return complianceOf(servers, tests, now);
  }

  async compliance(tenantId: string) {
    const now = this.clock.now().toISOString();
    const reprotection = new Map((await this.reprotection.statuses(tenantId)).map((r) => [r.serverId, r]));
    const servers = this.estate
      .allServers(tenantId)
      .filter((s) => s.status === 'active')
      .map(toComplianceServer);
    const entries = this.entries(tenantId, servers, now);
    return {
      asOf: now,
      servers: entries.map((e) => ({
        serverId: e.serverId,
        hostname: e.hostname,
        protectionClass: e.protectionClass,
        lastTestedAt: e.lastTestedAt,
        lastActivationId: e.lastActivationId,
        nextDueAt: e.nextDueAt,
        overdue: e.overdue,
        dueSoon: e.dueSoon,
        // After a failback: the new full restore point due (protection resumes with it), or null.
        reprotection: reprotectionOf(reprotection.get(e.serverId)),
      })),
    };
  }
}
