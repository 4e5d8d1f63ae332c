import {
  LEGACY_CHAIN_RULE,
  leafHashOfCanonical,
  MIGRATED_RULE,
  ruleOf,
  storedEventProblem,
  type CanonicalLogEntry,
} from '@reprise/audit-log/leaf';
import type { Clock } from '@reprise/domain/shared/clock';
import { streams, tenantOfStream } from '@reprise/domain/shared/streams';
import type { EventStore, MigratableEventStore } from '@reprise/event-store/event-store.port';
import type { PersonalDataProtector } from '@reprise/privacy/personal-data-protector';

/** Recorded once per tenant when its events written before the log were brought under it. */
export const AUDIT_LOG_MIGRATED = 'AuditLogMigrated';

export interface MigrationReport {
  /** Events found under the pre-log rule before the migration. */
  legacyEvents: number;
  migrated: number;
  /** Legacy events whose personal data was encrypted on the way. */
  encryptedEvents: number;
  /** Tenants whose migration is recorded now (`AuditLogMigrated`). */
  recorded: string[];
  /** Set when a pre-log chain is broken: nothing was changed. */
  refused?: { seq: number; stream: string; revision: number; reason: string };
}

const PAGE = 5000;

/**
 * Brings a store written before the transparency log under it, once, in place:
 * 1. checks every pre-log event against its per-stream chain (the rule it was written under); a
 *    broken chain refuses the whole migration, naming the event, and changes nothing;
 * 2. encrypts the personal data those events hold, under each person's key (as if written today);
 * 3. rewrites them in one transaction, each hashed into the log under `reprise-migrated/0`;
 * 4. records `AuditLogMigrated` in each tenant's audit stream (also finishing a migration that
 *    crashed between 3 and 4). The tenants' first signed heads then cover these events.
 * Run it with the apps stopped (`npm run audit:migrate`): their Merkle read models rebuild at start.
 */
export async function migrateLegacyStore(
  store: EventStore & MigratableEventStore,
  protector: PersonalDataProtector,
  clock: Clock,
): Promise<MigrationReport> {
  const entries: CanonicalLogEntry[] = [];
  for (let after = 0; ;) {
    const page = store.readAllCanonical
      ? await store.readAllCanonical({ afterPosition: after, maxCount: PAGE })
      : [];
    entries.push(...page);
    if (page.length < PAGE) break;
    after = page[page.length - 1].position;
  }
  const chains = new Map<string, { revision: number; storedHash: string }>();
  const verifiedHashes = new Map<number, string>();
  const newData = new Map<number, unknown>();
  const migratedPerTenant = new Map<string, { events: number; encrypted: number }>();
  for (const entry of entries) {
    const rule = ruleOf(entry);
    const tenantId = tenantOfStream(entry.stream);
    if (rule === MIGRATED_RULE && tenantId) {
      const counts = migratedPerTenant.get(tenantId) ?? { events: 0, encrypted: 0 };
      counts.events += 1;
      migratedPerTenant.set(tenantId, counts);
    }
    if (rule !== LEGACY_CHAIN_RULE) continue;
    const chain = chains.get(entry.stream);
    const problem = storedEventProblem(entry, leafHashOfCanonical(entry), entry, chain);
    if (problem)
      return {
        legacyEvents: verifiedHashes.size,
        migrated: 0,
        encryptedEvents: 0,
        recorded: [],
        refused: { seq: entry.position, stream: entry.stream, revision: entry.revision, reason: problem },
      };
    chains.set(entry.stream, { revision: entry.revision, storedHash: entry.hash });
    verifiedHashes.set(entry.position, entry.hash);
    if (protector.declares(entry.type)) {
      const metadata = JSON.parse(entry.metadataJson) as { tenantId: string };
      const data = JSON.parse(entry.dataJson) as unknown;
      const sealed = await protector.protect(metadata.tenantId, entry.type, data);
      if (JSON.stringify(sealed) !== JSON.stringify(data)) newData.set(entry.position, sealed);
    }
    if (tenantId) {
      const counts = migratedPerTenant.get(tenantId) ?? { events: 0, encrypted: 0 };
      counts.events += 1;
      if (newData.has(entry.position)) counts.encrypted += 1;
      migratedPerTenant.set(tenantId, counts);
    }
  }
  const migrated = verifiedHashes.size ? await store.migrateLegacyEvents({ verifiedHashes, newData }) : 0;
  const recorded: string[] = [];
  for (const [tenantId, counts] of migratedPerTenant) {
    const audit = await store.readStream(streams.audit(tenantId));
    if (audit.some((e) => e.type === AUDIT_LOG_MIGRATED)) continue;
    await store.append(
      streams.audit(tenantId),
      [
        {
          type: AUDIT_LOG_MIGRATED,
          data: {
            events: counts.events,
            encryptedEvents: counts.encrypted,
            fromRule: LEGACY_CHAIN_RULE,
            toRule: MIGRATED_RULE,
            chainsVerified: true,
            at: clock.now().toISOString(),
          },
        },
      ],
      {
        expectedRevision: audit.length ? audit[audit.length - 1].revision : 'no-stream',
        metadata: {
          actor: 'system:audit-migration',
          role: 'system',
          tenantId,
          correlationId: 'audit-log-migration',
          causationId: null,
        },
      },
    );
    recorded.push(tenantId);
  }
  return { legacyEvents: verifiedHashes.size, migrated, encryptedEvents: newData.size, recorded };
}
