import { randomUUID } from 'node:crypto';
import { canonicalJson } from '@reprise/audit-log/canonical-json';
import {
  LEAF_RULE,
  leafHashOfParts,
  LEGACY_CHAIN_RULE,
  type CanonicalLogEntry,
  type HashRule,
} from '@reprise/audit-log/leaf';
import type { EventMetadata, MetadataInput, NewEvent, RecordedEvent } from './event-store.port';

/**
 * What the table-backed adapters (SQLite, PostgreSQL) share: turning an append into rows (validated,
 * canonical JSON, revisions and the leaf hash of the audit log) and rows back into events. The leaf
 * hash itself is `libs/audit-log`'s; this file is the only place that calls it for these adapters.
 */

/** The last event of a stream: what the next append follows. */
export interface StreamHead {
  revision: number;
  hash: string;
}

export const NO_STREAM_HEAD: StreamHead = { revision: -1, hash: '' };

/** An event validated and serialised, waiting for its stream head. */
export interface PreparedEvent {
  id: string;
  type: string;
  data: unknown;
  dataJson: string;
  metadata: EventMetadata;
  metadataJson: string;
}

/** A prepared event placed on its stream: revision and leaf hash known, position not yet. */
export interface PlacedEvent extends PreparedEvent {
  revision: number;
  /** Always '' (the per-stream chain of events written before the log is not continued). */
  prevHash: string;
  hash: string;
}

/**
 * The columns the table adapters select, in this order, and a row of them as an array. `hash_rule`
 * is null for events written with the log (`reprise-leaf/1`); `prev_hash` is only set on events
 * written before it (`reprise-chain/0`).
 */
export const STORED_COLUMNS =
  'position, id, stream, revision, type, data, metadata, prev_hash, hash, hash_rule';
/**
 * The same columns for `readAllLeaves`: events whose stored hash is their leaf (`hash_rule` NULL)
 * without their data and metadata, which a Merkle tree does not need (less read, less decoded).
 */
export const LEAF_COLUMNS =
  "position, id, stream, revision, type, CASE WHEN hash_rule IS NULL THEN '' ELSE data END, " +
  "CASE WHEN hash_rule IS NULL THEN '' ELSE metadata END, prev_hash, hash, hash_rule";
export type StoredColumns = [
  number,
  string,
  string,
  number,
  string,
  string,
  string,
  string,
  string,
  HashRule | null,
];

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

/**
 * Places prepared events after `head`: their revisions and leaf hashes (the leaf covers the stream,
 * so it is computed here). `leafHashes: false` is the benchmark's baseline only.
 */
export function placeEvents(
  stream: string,
  events: PreparedEvent[],
  head: StreamHead,
  leafHashes = true,
): { events: PlacedEvent[]; head: StreamHead } {
  let revision = head.revision;
  const placed = events.map((event): PlacedEvent => {
    revision += 1;
    return {
      ...event,
      revision,
      prevHash: '',
      hash: leafHashes
        ? leafHashOfParts(
            LEAF_RULE,
            event.id,
            stream,
            revision,
            event.type,
            event.dataJson,
            event.metadataJson,
          )
        : '',
    };
  });
  return { events: placed, head: { revision, hash: placed[placed.length - 1]?.hash ?? head.hash } };
}

export function recordedFromPlaced(stream: string, event: PlacedEvent, position: number): RecordedEvent {
  return {
    id: event.id,
    stream,
    revision: event.revision,
    position,
    type: event.type,
    data: event.data,
    metadata: event.metadata,
    hash: event.hash,
  };
}

/** The rule and, for events written before the log, the previous hash of their chain. */
function ruleFields(r: StoredColumns): { hashRule?: HashRule; prevHash?: string } {
  if (!r[9]) return {};
  return r[9] === LEGACY_CHAIN_RULE ? { hashRule: r[9], prevHash: r[7] } : { hashRule: r[9] };
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
    ...ruleFields(r),
  };
}

/** The same row for the audit log's verifier: data and metadata as the stored canonical text. */
export function canonicalFromColumns(r: StoredColumns): CanonicalLogEntry {
  return {
    id: r[1],
    stream: r[2],
    revision: r[3],
    position: r[0],
    type: r[4],
    dataJson: r[5],
    metadataJson: r[6],
    hash: r[8],
    ...ruleFields(r),
  };
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
