import type { ActivationServerSnapshot } from '@reprise/domain/activation/activation.types';
import { loadEstate } from '@reprise/domain/estate/estate';
import type { ServerState } from '@reprise/domain/estate/server';
import { planDecider, type AuthorisedPerson } from '@reprise/domain/plan/authorised-persons';
import { fold } from '@reprise/domain/shared/decider';
import type { RunbookChanged } from '@reprise/domain/estate/estate-registry';
import type { RunbookStep } from '@reprise/domain/plan/runbook';
import { streams } from '@reprise/domain/shared/streams';
import { tenantDecider, type TenantDetails, type TenantEvent } from '@reprise/domain/tenant/tenant';
import type { EventStore } from '@reprise/event-store/event-store.port';

/**
 * Read models computed on demand: queries straight from the event store (the source of truth) for
 * the activation engine, the scheduler and any process without the API's projected read models.
 * Pure folds live in libs/domain (loadEstate, tenantDecider, planDecider); these only read the
 * streams. They live here, beside the domain they fold, so that libs/event-store stays
 * infrastructure that knows nothing of the domain.
 */

export const serverStreamsPrefix = (tenantId: string) => `${streams.tenantPrefix(tenantId)}server/`;

/** Every active server of the tenant with every field (`{ includeInactive: true }` for archived/decommissioned too). */
export async function readTenantEstate(
  store: EventStore,
  tenantId: string,
  options: { includeInactive?: boolean } = {},
): Promise<ServerState[]> {
  const events = await store.readAll({ streamPrefixes: [serverStreamsPrefix(tenantId)] });
  return loadEstate(events, options);
}

/** Tenant details (customer number, domain, time zone, activation window, notification webhook), or null. */
export async function readTenantDetails(store: EventStore, tenantId: string): Promise<TenantDetails | null> {
  const events = await store.readStream(streams.tenant(tenantId));
  if (!events.length) return null;
  return fold(tenantDecider, events as unknown as TenantEvent[]);
}

/** The tenant's authorised persons (name, email, phone), in the order they were given. */
export async function readAuthorisedPersons(
  store: EventStore,
  tenantId: string,
): Promise<AuthorisedPerson[]> {
  const events = await store.readStream(streams.plan(tenantId));
  return fold(planDecider, events.filter((e) => e.type === 'AuthorisedPersonsChanged') as never)
    .authorisedPersons;
}

/** The plan's runbook steps (held by the estate registry). */
export async function readRunbook(store: EventStore, tenantId: string): Promise<RunbookStep[]> {
  const events = await store.readStream(streams.estate(tenantId));
  return (
    events
      .filter((e) => e.type === 'RunbookChanged')
      .map((e) => (e.data as RunbookChanged['data']).steps)
      .at(-1) ?? []
  );
}

/** Ids of every tenant the platform knows (from the `platform/tenant/<id>` streams). */
export async function readTenantIds(store: EventStore): Promise<string[]> {
  const prefix = streams.tenant('');
  const events = await store.readAll({ streamPrefixes: [prefix] });
  return [
    ...new Set(events.map((e) => e.stream.slice(prefix.length)).filter((id) => id && !id.includes('/'))),
  ];
}

/** What an activation freezes of a protected server when it is requested. */
export function activationSnapshotOf(server: ServerState): ActivationServerSnapshot {
  return {
    serverId: server.id,
    hostname: server.hostname,
    osFamily: server.os.family,
    osName: server.os.name,
    osVersion: server.os.version,
    template: { ...server.template },
    disks: server.disks.map((d) => ({ ...d })),
    dependsOn: [...server.dependsOn],
    rtoMinutes: server.rtoMinutes,
    rpoMinutes: server.rpoMinutes,
    recoveryMethod: server.recoveryMethod,
    protectionClass: server.protectionClass,
    antiAffinityGroup: server.antiAffinityGroup ?? null,
  };
}
