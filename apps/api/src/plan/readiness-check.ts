import { Injectable } from '@nestjs/common';
import type { ServerState } from '@reprise/domain/estate/server';
import type { AuthorisedPerson } from '@reprise/domain/plan/authorised-persons';
import type { PlanView } from '@reprise/domain/plan/plan-view';
import type { ReadinessFinding } from '@reprise/domain/plan/readiness';

export interface ReadinessContext {
  tenantId: string;
  /** Every server of the tenant, any status. */
  servers: ServerState[];
  /** Active servers only. */
  activeServers: ServerState[];
  authorisedPersons: AuthorisedPerson[];
  plan: PlanView;
  /** Clock reading taken once for the whole check (ISO-8601). */
  now: string;
}

/**
 * One contribution to `POST /plan/check`. The estate/plan checks are built in; the engine team
 * adds recovery-space capacity and restore-point freshness (vs RPO) by registering contributors:
 *
 *   constructor(registry: ReadinessCheckRegistry) { registry.register(myCapacityCheck); }
 *
 * (inject ReadinessCheckRegistry, exported by PlanModule, e.g. in an onModuleInit).
 */
export interface ReadinessCheck {
  readonly name: string;
  check(context: ReadinessContext): ReadinessFinding[] | Promise<ReadinessFinding[]>;
}

@Injectable()
export class ReadinessCheckRegistry {
  private readonly checks: ReadinessCheck[] = [];

  register(check: ReadinessCheck): void {
    if (!this.checks.some((c) => c.name === check.name)) this.checks.push(check);
  }

  all(): readonly ReadinessCheck[] {
    return this.checks;
  }
}
