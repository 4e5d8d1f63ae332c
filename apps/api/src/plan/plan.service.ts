import { Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { CLOCK, type Clock } from '@reprise/domain/shared/clock';
import { streams } from '@reprise/domain/shared/streams';
import { AuthorisedPerson, planDecider } from '@reprise/domain/plan/authorised-persons';
import { computePlan, PlanView } from '@reprise/domain/plan/plan-view';
import { estateReadinessFindings, ReadinessFinding } from '@reprise/domain/plan/readiness';
import { runbookReadinessFindings } from '@reprise/domain/plan/runbook';
import { Environment } from '@reprise/common/config/environment';
import { handleCommand } from '@reprise/event-store/command-handling';
import { EVENT_STORE, type EventStore } from '@reprise/event-store/event-store.port';
import type { ProjectionRunner } from '@reprise/event-store/projections/projection-runner';
import { PersonalDataProtector } from '@reprise/privacy/personal-data-protector';
import { READ_MODELS } from '../read-models/read-models.module';
import { Actor, metadataFor } from '../auth/actor';
import { EstateService } from '../estate/estate.service';
import { ReadinessCheckRegistry } from './readiness-check';

const SEVERITY_ORDER = { error: 0, warning: 1 } as const;

@Injectable()
export class PlanService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(READ_MODELS) private readonly readModels: ProjectionRunner,
    @Inject(CLOCK) private readonly clock: Clock,
    private readonly estate: EstateService,
    private readonly registry: ReadinessCheckRegistry,
    private readonly protector: PersonalDataProtector,
    private readonly env: Environment,
  ) {}

  /** The read model holds them encrypted, as stored: revealed here (`erased` once a person is). */
  async authorisedPersons(
    tenantId: string,
  ): Promise<{ authorisedPersons: AuthorisedPerson[]; version: number }> {
    const row = this.readModels.db
      .prepare<[string], { version: number; authorised_persons: string }>(
        'SELECT version, authorised_persons FROM plans WHERE tenant_id = ?',
      )
      .get(tenantId);
    return row
      ? {
          authorisedPersons: await this.protector.reveal(
            JSON.parse(row.authorised_persons) as AuthorisedPerson[],
          ),
          version: row.version,
        }
      : { authorisedPersons: [], version: -1 };
  }

  async setAuthorisedPersons(
    actor: Actor,
    request: Request,
    persons: AuthorisedPerson[],
    expectedVersion?: number,
  ) {
    const result = await handleCommand(
      this.store,
      streams.plan(actor.tenantId),
      planDecider,
      { type: 'SetAuthorisedPersons', persons },
      metadataFor(actor, request),
      { expectedVersion },
    );
    if (result.events.length) await this.readModels.waitFor(result.position);
    return { authorisedPersons: result.state.authorisedPersons, version: result.version };
  }

  async plan(
    tenantId: string,
  ): Promise<PlanView & { authorisedPersons: AuthorisedPerson[]; version: number }> {
    const servers = this.estate.allServers(tenantId).filter((s) => s.status === 'active');
    const { steps } = await this.estate.runbook(tenantId);
    return { ...computePlan(servers, undefined, steps), ...(await this.authorisedPersons(tenantId)) };
  }

  async check(tenantId: string): Promise<{ ready: boolean; findings: ReadinessFinding[] }> {
    const servers = this.estate.allServers(tenantId);
    const activeServers = servers.filter((s) => s.status === 'active');
    const { steps } = await this.estate.runbook(tenantId);
    const plan = computePlan(activeServers, undefined, steps);
    const { authorisedPersons } = await this.authorisedPersons(tenantId);
    const now = this.clock.now().toISOString();
    const findings = estateReadinessFindings({ servers, authorisedPersons, plan, now });
    findings.push(
      ...runbookReadinessFindings(
        steps,
        new Set(activeServers.map((s) => s.hostname)),
        this.env.NODE_ENV === 'development',
      ),
    );
    const context = { tenantId, servers, activeServers, authorisedPersons, plan, now };
    // Contributors are independent (some ask the recovery cloud): run them side by side.
    const contributed = await Promise.all(
      this.registry.all().map(async (contributor) => {
        try {
          return await contributor.check(context);
        } catch (error) {
          return [
            {
              severity: 'warning' as const,
              code: 'check-unavailable',
              message: `${contributor.name} could not run: ${(error as Error).message}`,
            },
          ];
        }
      }),
    );
    for (const list of contributed) findings.push(...list);
    findings.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
    return { ready: !findings.some((f) => f.severity === 'error'), findings };
  }
}
