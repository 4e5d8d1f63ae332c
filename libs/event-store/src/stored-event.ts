import { randomUUID } from 'node:crypto';
import type { EventMetadata, MetadataInput, NewEvent, RecordedEvent, VerifyResult } from './event-store.port';
import { canonicalJson, chainHash, GENESIS_HASH } from './hash-chain';

/**
 * What the table-backed adapters (SQLite, PostgreSQL) share: turning an append into rows (validated,
 * canonical JSON, chained hashes) and walking stored rows to verify the chains. The hashing itself is
 * `hash-chain.ts`; this file is the only place that calls it for these adapters.
 */

/** The last event of a stream: what the next append chains onto. */
export interface StreamHead {
  revision: number;
  hash: string;
}

export const NO_STREAM_HEAD: StreamHead = { revision: -1, hash: GENESIS_HASH };

/** An event validated and serialised, waiting for its stream head. */
export interface PreparedEvent {
  id: string;
  type: string;
  data: unknown;
  dataJson: string;
  metadata: EventMetadata;
  metadataJson: string;
}

/** A prepared event placed on its stream: revision and hash chain known, position not yet. */
export interface ChainedEvent extends PreparedEvent {
  revision: number;
  prevHash: string;
  hash: string;
}

/** An event as a table stores it (JSON as text, exactly the bytes that were hashed). */
export interface StoredRow {
  position: number;
  id: string;
  stream: string;
  revision: number;
  type: string;
  data: string;
  metadata: string;
  prevHash: string;
  hash: string;
}

/** The columns the table adapters select, in this order, and a row of them as an array. */
export const STORED_COLUMNS = 'position, id, stream, revision, type, data, metadata, prev_hash, hash';
export type StoredColumns = [number, string, string, number, string, string, string, string, string];

export function storedRow(r: StoredColumns): StoredRow {
  return {
    position: r[0],
    id: r[1],
    stream: r[2],
    revision: r[3],
    type: r[4],
    data: r[5],
    metadata: r[6],
    prevHash: r[7],
    hash: r[8],
  };
}

/**
 * Validates and serialises the events of one append (throws on an empty type or on data that is not
 * plain JSON, so a bad append fails alone and before any write). Metadata is shared by the events
 * of an append unless one overrides it, so it is canonicalised once.
 */
export function prepareEvents(
  events: NewEvent[],
  input: MetadataInput,
  recordedAt: string,
  ids: EventIds,
): PreparedEvent[] {
  const shared = { requestId: null, ...input, recordedAt: input.recordedAt ?? recordedAt } as EventMetadata;
  const sharedJson = canonicalJson(shared);
  return events.map((event) => {
    if (!event.type || typeof event.type !== 'string') throw new Error('every event needs a type');
    const metadata = event.metadata
      ? ({
          ...shared,
          ...event.metadata,
          recordedAt: event.metadata.recordedAt ?? shared.recordedAt,
        } as EventMetadata)
      : shared;
    const data = event.data ?? {};
    return {
      id: ids.next(),
      type: event.type,
      data,
      dataJson: canonicalJson(data),
      metadata,
      metadataJson: event.metadata ? canonicalJson(metadata) : sharedJson,
    };
  });
}

/** Places prepared events after `head`: revisions and the hash chain. Returns them and the new head. */
export function chainEvents(
  events: PreparedEvent[],
  head: StreamHead,
): { events: ChainedEvent[]; head: StreamHead } {
  let { revision, hash: prevHash } = head;
  const chained = events.map((event): ChainedEvent => {
    revision += 1;
    const hash = chainHash(prevHash, event.type, event.dataJson, event.metadataJson);
    const link = {
      id: event.id,
      type: event.type,
      data: event.data,
      dataJson: event.dataJson,
      metadata: event.metadata,
      metadataJson: event.metadataJson,
      revision,
      prevHash,
      hash,
    };
    prevHash = hash;
    return link;
  });
  return { events: chained, head: { revision, hash: prevHash } };
}

export function recordedFromChained(stream: string, event: ChainedEvent, position: number): RecordedEvent {
  return {
    id: event.id,
    stream,
    revision: event.revision,
    position,
    type: event.type,
    data: event.data,
    metadata: event.metadata,
    hash: event.hash,
    prevHash: event.prevHash,
  };
}

export function recordedFromColumns(r: StoredColumns): RecordedEvent {
  return {
    id: r[1],
    stream: r[2],
    revision: r[3],
    position: r[0],
    type: r[4],
    data: JSON.parse(r[5]),
    metadata: JSON.parse(r[6]),
    hash: r[8],
    prevHash: r[7],
  };
}

/**
 * Walks stored rows (in position order, or one stream in revision order) and reports the first one
 * whose chain is broken: a missing revision, a broken previous-hash link, or content that no longer
 * matches its hash (recomputed from the stored JSON text).
 */
export class ChainVerifier {
  private readonly heads = new Map<string, StreamHead>();
  checked = 0;

  constructor(private readonly prefixes: string[] = []) {}

  /** Returns the problem with `row`, or undefined when it links correctly (or is filtered out). */
  check(row: StoredRow): VerifyResult['firstInvalid'] | undefined {
    if (this.prefixes.length && !this.prefixes.some((p) => row.stream.startsWith(p))) return undefined;
    this.checked += 1;
    const head = this.heads.get(row.stream) ?? NO_STREAM_HEAD;
    let reason: string | undefined;
    if (row.revision !== head.revision + 1)
      reason = `revision ${head.revision + 1} is missing (an event was removed)`;
    else if (row.prevHash !== head.hash)
      reason = 'previous-hash link broken (an event was removed or reordered)';
    else if (chainHash(row.prevHash, row.type, row.data, row.metadata) !== row.hash)
      reason = 'hash does not match the event content (data or metadata changed)';
    if (reason) return { stream: row.stream, revision: row.revision, position: row.position, reason };
    this.heads.set(row.stream, { revision: row.revision, hash: row.hash });
    return undefined;
  }

  result(firstInvalid?: VerifyResult['firstInvalid']): VerifyResult {
    return firstInvalid
      ? { valid: false, checkedEvents: this.checked, firstInvalid }
      : { valid: true, checkedEvents: this.checked };
  }
}

/**
 * Time-ordered event ids (UUIDv7 layout: 48-bit ms timestamp, then a per-process random prefix and
 * counter), so a unique index on ids grows at its end instead of at random pages.
 */
export class EventIds {
  private counter = 0;
  private readonly random = randomUUID().replace(/-/g, '');
  private lastMs = -1;
  /** `tttttttt-tttt-7rrr-` for the current millisecond, built once per millisecond. */
  private head = '';

  next(): string {
    const ms = Date.now();
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      const t = ms.toString(16).padStart(12, '0');
      this.head = `${t.slice(0, 8)}-${t.slice(8, 12)}-7${this.random.slice(0, 3)}-`;
    }
    const counter = this.counter++ & 0xfffffff;
    // Variant bits 10xx, then 8 random hex digits and a 7-digit counter: unique within the process.
    return `${this.head}${(0x8 | (counter & 0x3)).toString(16)}${this.random.slice(3, 6)}-${this.random.slice(6, 11)}${counter.toString(16).padStart(7, '0')}`;
  }
}

/** Stream heads this process has seen (bounded; oldest dropped first). A hint, always re-checked. */
export class StreamHeadCache {
  private readonly heads = new Map<string, StreamHead>();

  constructor(private readonly capacity = 10_000) {}

  get(stream: string): StreamHead | undefined {
    return this.heads.get(stream);
  }

  set(stream: string, head: StreamHead): void {
    this.heads.delete(stream);
    this.heads.set(stream, head);
    if (this.heads.size > this.capacity) this.heads.delete(this.heads.keys().next().value as string);
  }

  delete(stream: string): void {
    this.heads.delete(stream);
  }
}
