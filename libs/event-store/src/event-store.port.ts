import type { CanonicalLogEntry, HashRule } from '@reprise/audit-log/leaf';

/**
 * The event store port: the only source of truth in Reprise. One interface, one adapter per
 * store (SQLite embedded by default, EventStoreDB for clusters), one contract suite for both.
 *
 * What the tenants' transparency logs (libs/audit-log) need from an adapter, and nothing more:
 * 1. at append, record `hash = leafHashOf(event)` (the RFC 9162 leaf hash of the event as written:
 *    id, stream, revision, type, canonical data and metadata) and return it with the event;
 * 2. `readAll` in one global order that never changes and never grows in the middle: once an event
 *    at position p is visible, every event before p is visible too (no late, lower positions);
 * 3. give back data and metadata exactly as appended (equal as canonical JSON).
 */

/** Who caused an event and why. Every event carries it. */
export interface EventMetadata {
  /** Who: a user e-mail, an API key id, or a system component (`system:worker`). */
  actor: string;
  /** Role of the actor: `admin`, `dr-manager`, `scheduler`, `auditor`, `system`. */
  role: string;
  /** Tenant the event belongs to (`platform` for platform-level events). */
  tenantId: string;
  /** The business flow this event is part of (e.g. an HTTP request id or an activation id). */
  correlationId: string;
  /** The command or event that directly caused this one. */
  causationId: string | null;
  /** HTTP request id when the event comes from a request. */
  requestId?: string | null;
  /** When the store recorded the event, from the Clock port (ISO-8601 UTC). */
  recordedAt: string;
}

export type MetadataInput = Omit<EventMetadata, 'recordedAt'> & { recordedAt?: string };

export interface NewEvent<Type extends string = string, Data = unknown> {
  type: Type;
  data: Data;
  /** Optional per-event override; normally the append's metadata applies to all events. */
  metadata?: Partial<MetadataInput>;
}

export interface RecordedEvent<Type extends string = string, Data = unknown> {
  /** Unique id of the event. */
  id: string;
  stream: string;
  /** 0-based revision inside its stream. */
  revision: number;
  /** Global position (strictly increasing over the whole store). */
  position: number;
  type: Type;
  data: Data;
  metadata: EventMetadata;
  /**
   * The hash recorded at append time: the event's RFC 9162 leaf hash (`leafHashOf`), or, for an
   * event written before the log (`hashRule: 'reprise-chain/0'`), its old per-stream chain hash.
   */
  hash: string;
  /** How `hash` was computed; absent means `reprise-leaf/1` (every event written today). */
  hashRule?: HashRule;
  /** Events written before the log only: the previous event's hash in the stream. */
  prevHash?: string;
}

/** `no-stream`: the stream must not exist; `any`: no check; a number: the stream's current revision must be exactly it. */
export type ExpectedRevision = 'no-stream' | 'any' | 'stream-exists' | number;

export interface AppendOptions {
  expectedRevision: ExpectedRevision;
  metadata: MetadataInput;
}

export interface AppendResult {
  /** Revision of the last event written (the stream's new current revision). */
  nextRevision: number;
  /** Global position of the last event written. */
  position: number;
  events: RecordedEvent[];
}

export interface ReadStreamOptions {
  fromRevision?: number;
  maxCount?: number;
}

export interface ReadAllOptions {
  /** Read events strictly after this global position (0 = from the start). */
  afterPosition?: number;
  maxCount?: number;
  /** Only streams whose name starts with one of these prefixes. */
  streamPrefixes?: string[];
}

export interface SubscriptionOptions {
  /** Durable checkpoint key: a restarted subscriber resumes after the last event it handled. */
  subscriberId: string;
  streamPrefixes?: string[];
  /** Handle one event. Throwing stops the checkpoint there; the event is retried after a pause. */
  handler: (event: RecordedEvent) => Promise<void> | void;
  /** Called when the subscription has caught up with everything stored so far. */
  onCaughtUp?: () => void;
  onError?: (error: unknown, event: RecordedEvent) => void;
  /** Where the durable checkpoint lives; defaults to the event store's own checkpoint table/stream. */
  checkpoints?: CheckpointStore;
}

export interface CheckpointStore {
  getCheckpoint(subscriberId: string): Promise<number>;
  saveCheckpoint(subscriberId: string, position: number): Promise<void>;
}

export interface Subscription {
  /** Resolves once the subscription has handled everything that was stored when it started. */
  readonly caughtUp: Promise<void>;
  /** Resolves once every event stored up to now has been handled. */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

export interface EventStore {
  append(stream: string, events: NewEvent[], options: AppendOptions): Promise<AppendResult>;
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  /** Current revision of a stream, or -1 when it does not exist. */
  streamRevision(stream: string): Promise<number>;
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;
  /** Position of the last event in the store (0 when empty). */
  headPosition(): Promise<number>;
  subscribe(options: SubscriptionOptions): Subscription;
  getCheckpoint(subscriberId: string): Promise<number>;
  saveCheckpoint(subscriberId: string, position: number): Promise<void>;
  /**
   * Optional fast path for verifying logs: the same events as `readAll`, with data and metadata as
   * the canonical JSON text the store holds (not parsed). Stores without it are read with `readAll`.
   */
  readAllCanonical?(options?: ReadAllOptions): Promise<CanonicalLogEntry[]>;
  /**
   * Optional fast path for keeping Merkle trees: the same as `readAllCanonical`, except that events
   * whose stored hash is their leaf (rule `reprise-leaf/1`) come without data and metadata
   * (empty strings): a tree needs only their hash. Never for verifying.
   */
  readAllLeaves?(options?: ReadAllOptions): Promise<CanonicalLogEntry[]>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** The event store as the domain uses it: personal data sealed on append, revealed on read (libs/privacy). */
export const EVENT_STORE = Symbol('EVENT_STORE');
/** The same events exactly as stored: personal data as ciphertext, as hashed into the tenants' logs. */
export const RAW_EVENT_STORE = Symbol('RAW_EVENT_STORE');

export class WrongExpectedVersionError extends Error {
  constructor(
    readonly stream: string,
    readonly expected: ExpectedRevision,
    readonly actual: number,
  ) {
    super(
      `stream ${stream}: expected revision ${String(expected)}, actual ${actual === -1 ? 'no-stream' : actual}`,
    );
    this.name = 'WrongExpectedVersionError';
  }
}

export function revisionMatches(expected: ExpectedRevision, actual: number): boolean {
  if (expected === 'any') return true;
  if (expected === 'no-stream') return actual === -1;
  if (expected === 'stream-exists') return actual >= 0;
  return expected === actual;
}

export function matchesPrefixes(stream: string, prefixes?: string[]): boolean {
  return !prefixes || prefixes.length === 0 || prefixes.some((p) => stream.startsWith(p));
}

/** Rewriting events written before the log, once (see MigratableEventStore). */
export interface LegacyEventMigration {
  /** position → stored hash, for every pre-log event whose chain the caller verified. */
  verifiedHashes: ReadonlyMap<number, string>;
  /** position → the data to store instead (personal data encrypted); others keep their data. */
  newData: ReadonlyMap<number, unknown>;
}

/**
 * Optional capability of stores whose events can be rewritten in place (SQLite): bring events
 * written before the log (rule `reprise-chain/0`) under it, in one transaction: apply `newData`,
 * hash each under `reprise-migrated/0`. Refuses (and changes nothing) when any of those events is not
 * exactly as verified. Returns how many events were migrated.
 */
export interface MigratableEventStore {
  legacyEventCount(): Promise<number>;
  /** How many times events were rewritten by a migration (read models of the log rebuild when it changes). */
  logEpoch(): Promise<number>;
  migrateLegacyEvents(migration: LegacyEventMigration): Promise<number>;
}

export function isMigratable(store: EventStore): store is EventStore & MigratableEventStore {
  return typeof (store as Partial<MigratableEventStore>).migrateLegacyEvents === 'function';
}

/** The store's log epoch (0 for stores never migrated, or that cannot be). */
export const logEpochOf = async (store: EventStore): Promise<number> =>
  isMigratable(store) ? store.logEpoch() : 0;
