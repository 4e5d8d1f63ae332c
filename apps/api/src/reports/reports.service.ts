import { Inject, Injectable } from '@nestjs/common';
import {
  evolveActivation,
  initialActivationState,
  type ActivationEvent,
  type ActivationState,
} from '@reprise/domain/activation';
import { buildReport, type ActivationReport } from '@reprise/domain/report';
import { notFound } from '@reprise/domain/shared/errors';
import { streams } from '@reprise/domain/shared/streams';
import {
  tenantDecider,
  type TenantDetails,
  type TenantEvent,
  type TenantState,
} from '@reprise/domain/tenant/tenant';
import { loadAggregate } from '@reprise/event-store/command-handling';
import { EVENT_STORE, RAW_EVENT_STORE, type EventStore } from '@reprise/event-store/event-store.port';
import { AuditLogService, type ActivationProof } from '../audit/audit-log.service';

/** Activation ids are opaque tokens (uuid); anything else cannot exist. */
const ACTIVATION_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

/** The report, and what the tenant's signed audit log says about the events it was built from. */
export type ProvenReport = ActivationReport & { proof: ActivationProof };

export interface BuiltReport {
  report: ProvenReport;
  tenant: Pick<TenantDetails, 'customerNumber' | 'domain' | 'timeZone'>;
}

/**
 * Builds the report of an activation of the caller's tenant from the events alone: the activation
 * stream folded with the activation's own `evolve`, and the tenant's stream for its customer
 * number and domain. Nothing is cached, so a live activation gives the report so far and a closed
 * one the final report, identical every time it is asked for. It carries its proof: the signed tree
 * head covering its events, the inclusion proof of its last event, and whether every event still
 * matches the tenant's log (if not, the report says so before any figure).
 */
@Injectable()
export class ReportsService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(RAW_EVENT_STORE) private readonly raw: EventStore,
    private readonly log: AuditLogService,
  ) {}

  async build(tenantId: string, activationId: string): Promise<BuiltReport> {
    if (!ACTIVATION_ID.test(activationId)) throw notFound('activation', activationId.slice(0, 100));
    const [loaded, tenant] = await Promise.all([
      loadAggregate<ActivationState, ActivationEvent>(
        this.store,
        streams.activation(tenantId, activationId),
        {
          evolve: evolveActivation,
          initialState: initialActivationState,
        },
      ),
      this.tenant(tenantId),
    ]);
    if (!loaded || !loaded.state.exists) throw notFound('activation', activationId);
    const stored = await this.raw.readStream(streams.activation(tenantId, activationId));
    const proof = await this.log.activationProof(tenantId, stored);
    return { report: { ...buildReport(loaded.state, tenant), proof }, tenant };
  }

  private async tenant(tenantId: string): Promise<BuiltReport['tenant']> {
    const loaded = await loadAggregate<TenantState, TenantEvent>(
      this.store,
      streams.tenant(tenantId),
      tenantDecider,
    );
    const t = loaded?.state;
    return {
      customerNumber: t?.customerNumber ?? '',
      domain: t?.domain ?? '',
      timeZone: t?.timeZone ?? 'UTC',
    };
  }
}
