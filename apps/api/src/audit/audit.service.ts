import { Inject, Injectable } from '@nestjs/common';
import { leafHashOf, type HashRule } from '@reprise/audit-log/leaf';
import { toHex } from '@reprise/audit-log/merkle';
import { AUDIT_TREES, type MerkleTrees } from '@reprise/audit-log/merkle-trees';
import { tenantLogPrefixes } from '@reprise/domain/shared/streams';
import {
  EVENT_STORE,
  RAW_EVENT_STORE,
  type EventStore,
  type RecordedEvent,
} from '@reprise/event-store/event-store.port';
import { PersonalDataProtector } from '@reprise/privacy/personal-data-protector';
import { AuditLogService } from './audit-log.service';

/** One event of the tenant's history as the auditor sees it. */
export interface AuditEventItem {
  /** Global position in the store: strictly increasing, the paging cursor. */
  seq: number;
  stream: string;
  type: string;
  /** When the store recorded it (metadata.recordedAt). */
  at: string;
  /** Personal data shown in clear (or `erased`); the log hashes it encrypted (see the export). */
  data: unknown;
  /** The hash recorded when it was written: its leaf hash in the tenant's log (see `hashRule`). */
  hash: string;
  actor: string;
  role: string;
  requestId: string | null;
  correlationId: string;
  causationId: string | null;
  // extras
  id: string;
  /** 0-based revision inside its stream. */
  revision: number;
  /** How `hash` was computed (`reprise-leaf/1` unless written before the log). */
  hashRule: HashRule;
  /** Events written before the log, not migrated: the previous hash of their stream's chain. */
  prevHash?: string;
}

export interface AuditPage {
  items: AuditEventItem[];
  /** Pass as `after` for the next page; null when this page reached the end of the history. */
  nextAfter: number | null;
}

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;
/** Events read per page while exporting. */
export const EXPORT_PAGE = 500;
export const EXPORT_FORMAT = 'reprise-audit-export/2';

export function toAuditItem(e: RecordedEvent): AuditEventItem {
  const m = e.metadata;
  return {
    seq: e.position,
    stream: e.stream,
    type: e.type,
    at: m.recordedAt,
    data: e.data,
    hash: e.hash,
    actor: m.actor,
    role: m.role,
    requestId: m.requestId ?? null,
    correlationId: m.correlationId,
    causationId: m.causationId ?? null,
    id: e.id,
    revision: e.revision,
    hashRule: e.hashRule ?? 'reprise-leaf/1',
    ...(e.prevHash !== undefined ? { prevHash: e.prevHash } : {}),
  };
}

/**
 * The auditor's read-only view of the tenant's history: its events in global order (personal data
 * revealed), and the NDJSON export an offline verifier checks without the server (events as
 * stored, their leaves, the signed heads and the consistency proofs between them). Never appends.
 */
@Injectable()
export class AuditService {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(RAW_EVENT_STORE) private readonly raw: EventStore,
    @Inject(AUDIT_TREES) private readonly merkle: MerkleTrees,
    private readonly protector: PersonalDataProtector,
    private readonly log: AuditLogService,
  ) {}

  async events(tenantId: string, after: number, limit: number): Promise<AuditPage> {
    // One more than asked tells whether there is a next page without an extra round trip.
    const events = await this.store.readAll({
      afterPosition: after,
      maxCount: limit + 1,
      streamPrefixes: tenantLogPrefixes(tenantId),
    });
    const page = events.slice(0, limit);
    return {
      items: page.map(toAuditItem),
      nextAfter: events.length > limit ? page[page.length - 1].position : null,
    };
  }

  /**
   * The tenant's whole history as stored, page by page, up to the store's head when the export
   * started (a consistent cut: events appended meanwhile belong to the next export).
   */
  async *exportEvents(tenantId: string, pageSize = EXPORT_PAGE): AsyncGenerator<RecordedEvent> {
    const head = await this.raw.headPosition();
    const prefixes = tenantLogPrefixes(tenantId);
    let after = 0;
    for (;;) {
      const page = await this.raw.readAll({
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

  /**
   * The export, line by line (NDJSON): a header, every event as stored with its leaf index and leaf
   * hash (and its personal data in clear under `readable`), every signed tree head, the RFC 9162
   * consistency proof between each two heads, and an end line with the counts.
   */
  async *exportLines(tenantId: string): AsyncGenerator<Record<string, unknown>> {
    yield {
      kind: 'header',
      format: EXPORT_FORMAT,
      tenantId,
      leaf: 'RFC 9162 leaf hash: SHA-256(0x00 || canonical JSON of {data, id, metadata, revision, rule, stream, type})',
      signature: 'Ed25519 over the canonical JSON of {keyId, rootHash, tenantId, timestamp, treeSize}',
      publicKeys: this.log.publicKey().trustedKeys,
    };
    let leafIndex = 0;
    let last = 0;
    for await (const event of this.exportEvents(tenantId)) {
      const readable = await this.protector.reveal(event.data);
      yield {
        kind: 'event',
        seq: event.position,
        leafIndex: leafIndex++,
        stream: event.stream,
        revision: event.revision,
        id: event.id,
        type: event.type,
        at: event.metadata.recordedAt,
        data: event.data,
        metadata: event.metadata,
        hash: event.hash,
        hashRule: event.hashRule ?? 'reprise-leaf/1',
        ...(event.prevHash !== undefined ? { prevHash: event.prevHash } : {}),
        leafHash: leafHashOf(event),
        ...(readable !== event.data ? { readable } : {}),
      };
      last = event.position;
    }
    const heads = (await this.log.heads(tenantId)).filter((h) => h.seq <= last);
    for (const h of heads)
      yield { kind: 'tree-head', ...h.head, seq: h.seq, previousTreeSize: h.previousTreeSize };
    if (heads.length) await this.merkle.waitFor(last, 10_000);
    const trees = this.merkle.store;
    for (let i = 1; i < heads.length; i++) {
      const from = heads[i - 1].head.treeSize;
      const to = heads[i].head.treeSize;
      if (to > trees.size(tenantId)) break;
      yield { kind: 'consistency', from, to, proof: trees.consistencyProof(tenantId, from, to).map(toHex) };
    }
    const latest = heads.at(-1)?.head;
    yield {
      kind: 'end',
      events: leafIndex,
      treeSize: latest?.treeSize ?? 0,
      rootHash: latest?.rootHash ?? null,
    };
  }
}
