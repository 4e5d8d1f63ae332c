import { Inject, Injectable } from '@nestjs/common';
import { streams } from '@reprise/domain/shared/streams';
import { EVENT_STORE, type EventStore, type RecordedEvent } from '@reprise/event-store/event-store.port';

/** One event of the tenant's history as the auditor sees it. */
export interface AuditEventItem {
  /** Global position in the store: strictly increasing, the paging cursor. */
  seq: number;
  stream: string;
  type: string;
  /** When the store recorded it (metadata.recordedAt). */
  at: string;
  data: unknown;
  hash: string;
  prevHash: string;
  actor: string;
  role: string;
  requestId: string | null;
  correlationId: string;
  causationId: string | null;
  // extras
  id: string;
  /** 0-based revision inside its stream. */
  revision: number;
}

export interface AuditPage {
  items: AuditEventItem[];
  /** Pass as `after` for the next page; null when this page reached the end of the history. */
  nextAfter: number | null;
}

export interface AuditVerification {
  valid: boolean;
  checkedEvents: number;
  firstInvalidSeq?: number;
  stream?: string;
  reason?: string;
  // extra
  revision?: number;
}

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;
/** Events read per page while exporting. */
export const EXPORT_PAGE = 500;

/**
 * A tenant's whole history: every `tenant/<id>/...` stream (estate, plan, activations, schedules,
 * notifications) and the tenant's own platform stream (`platform/tenant/<id>`: customer number,
 * domain, settings). Tenant ids are uuids, so neither prefix can match another tenant.
 */
export const tenantHistoryPrefixes = (tenantId: string): string[] => [
  streams.tenantPrefix(tenantId),
  streams.tenant(tenantId),
];

export function toAuditItem(e: RecordedEvent): AuditEventItem {
  const m = e.metadata;
  return {
    seq: e.position,
    stream: e.stream,
    type: e.type,
    at: m.recordedAt,
    data: e.data,
    hash: e.hash,
    prevHash: e.prevHash,
    actor: m.actor,
    role: m.role,
    requestId: m.requestId ?? null,
    correlationId: m.correlationId,
    causationId: m.causationId ?? null,
    id: e.id,
    revision: e.revision,
  };
}

/**
 * The auditor's read-only view of the event store: the tenant's history in global order, the hash
 * chain check, and the NDJSON export. Reads only; never appends.
 */
@Injectable()
export class AuditService {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async events(tenantId: string, after: number, limit: number): Promise<AuditPage> {
    // One more than asked tells whether there is a next page without an extra round trip.
    const events = await this.store.readAll({
      afterPosition: after,
      maxCount: limit + 1,
      streamPrefixes: tenantHistoryPrefixes(tenantId),
    });
    const page = events.slice(0, limit);
    return {
      items: page.map(toAuditItem),
      nextAfter: events.length > limit ? page[page.length - 1].position : null,
    };
  }

  async verify(tenantId: string): Promise<AuditVerification> {
    const result = await this.store.verify(undefined, { streamPrefixes: tenantHistoryPrefixes(tenantId) });
    if (result.valid || !result.firstInvalid)
      return { valid: result.valid, checkedEvents: result.checkedEvents };
    const bad = result.firstInvalid;
    return {
      valid: false,
      checkedEvents: result.checkedEvents,
      firstInvalidSeq: bad.position,
      stream: bad.stream,
      reason: bad.reason,
      revision: bad.revision,
    };
  }

  /**
   * The tenant's whole history, page by page, up to the store's head when the export started (a
   * consistent cut: events appended meanwhile belong to the next export).
   */
  async *exportEvents(tenantId: string, pageSize = EXPORT_PAGE): AsyncGenerator<RecordedEvent> {
    const head = await this.store.headPosition();
    const prefixes = tenantHistoryPrefixes(tenantId);
    let after = 0;
    for (;;) {
      const page = await this.store.readAll({
        afterPosition: after,
        maxCount: pageSize,
        streamPrefixes: prefixes,
      });
      for (const event of page) {
        if (event.position > head) return;
        yield event;
      }
      if (page.length < pageSize) return;
      after = page[page.length - 1].position;
    }
  }
}
