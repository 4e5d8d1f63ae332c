/**
 * The event store port: the only source of truth in Reprise. One interface, one adapter per
 * store (SQLite embedded by default, EventStoreDB for clusters), one contract suite for both.
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
  /** sha256(prevHash + type + data + metadata), see hash-chain.ts. */
  hash: string;
  prevHash: string;
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

export interface VerifyResult {
  valid: boolean;
  checkedEvents: number;
  firstInvalid?: { stream: string; revision: number; position: number; reason: string };
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
  /** Walk a stream's hash chain (or every stream when omitted) and report the first broken event. */
  verify(stream?: string, options?: { streamPrefixes?: string[] }): Promise<VerifyResult>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const EVENT_STORE = Symbol('EVENT_STORE');

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
