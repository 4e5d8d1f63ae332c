import { EventEmitter } from 'node:events';
import { Client, Pool, types, type CustomTypesConfig, type QueryArrayConfig, type QueryConfig } from 'pg';
import type { Clock } from '@reprise/domain/shared/clock';
import {
  AppendOptions,
  AppendResult,
  EventStore,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  revisionMatches,
  Subscription,
  SubscriptionOptions,
  WrongExpectedVersionError,
} from '../event-store.port';
import { PollingSubscription } from '../polling-subscription';
import type { CanonicalLogEntry } from '@reprise/audit-log/leaf';
import {
  canonicalFromColumns,
  EventIds,
  NO_STREAM_HEAD,
  placeEvents,
  PlacedEvent,
  PreparedEvent,
  prepareEvents,
  recordedFromColumns,
  recordedFromPlaced,
  LEAF_COLUMNS,
  STORED_COLUMNS,
  StoredColumns,
  StreamHead,
  StreamHeadCache,
} from '../stored-event';
import { assertSchemaName, migrationSql, notifyChannel } from './postgres-schema';

export interface PostgresEventStoreOptions {
  /** `postgres://user@host:5432/database` */
  connectionString: string;
  /** Schema holding the store's tables (default `reprise`). */
  schema?: string;
  clock: Clock;
  /** Connections in the pool (default 5). Appends use one at a time; reads share the rest. */
  poolSize?: number;
  /** Safety-net poll of subscriptions; they are woken by NOTIFY (default 1000 ms). */
  pollIntervalMs?: number;
}

/** Appends committed together at most (bounds the time the log head stays locked). */
const MAX_APPENDS_PER_COMMIT = 1_000;
/** Rounds of one group commit when other processes keep moving the same streams. */
const MAX_ROUNDS = 20;
const LISTEN_RETRY_MS = 1_000;
const COLUMNS = STORED_COLUMNS;
type RawRow = StoredColumns;

// bigint columns (positions) as numbers: positions stay far below 2^53.
const INT8_OID = 20;
const TYPES: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? Number : types.getTypeParser(oid, format)) as CustomTypesConfig['getTypeParser'],
};

interface PendingAppend {
  stream: string;
  expected: AppendOptions['expectedRevision'];
  events: PreparedEvent[];
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

type Decision =
  | { item: PendingAppend; conflict: number }
  | { item: PendingAppend; placed: PlacedEvent[]; head: StreamHead };

/**
 * PostgreSQL adapter (`pg`). Same port and contract as the SQLite store, for several api and worker
 * processes on several machines:
 * - group commit: appends arriving while a commit is in flight are committed together in the next one,
 *   through ONE call of the schema's `append_events` function (one round trip, one fsync);
 * - global order without gaps (see postgres-schema.ts): positions are assigned and become visible in
 *   commit order, so readers and subscribers never skip an event committed late;
 * - expected revisions are decided here against the stream heads this process knows (or reads), and
 *   `append_events` re-checks those heads under the log lock: a stale head only costs another round;
 * - subscriptions catch up, then are woken by LISTEN/NOTIFY (and a slow poll as a safety net);
 * - checkpoints live in the `checkpoints` table, committed synchronously.
 */
export class PostgresEventStore implements EventStore {
  readonly pool: Pool;
  readonly schema: string;
  /** Resolves once the schema exists (every operation waits for it). */
  readonly ready: Promise<void>;
  private readonly clock: Clock;
  private readonly pollIntervalMs: number;
  private readonly ids = new EventIds();
  private readonly heads = new StreamHeadCache();
  private readonly appended = new EventEmitter();
  private readonly subscriptions = new Set<PollingSubscription>();
  private readonly sql: Record<
    'append' | 'heads' | 'readStream' | 'readAll' | 'readAllPrefixed' | 'readLeaves' | 'readLeavesPrefixed',
    string
  >;
  private pending: PendingAppend[] = [];
  private flushScheduled = false;
  private flushing: Promise<void> | null = null;
  private listener: Client | null = null;
  private listenRetry: NodeJS.Timeout | null = null;
  private closed = false;

  constructor(options: PostgresEventStoreOptions) {
    this.schema = options.schema ?? 'reprise';
    assertSchemaName(this.schema);
    this.clock = options.clock;
    this.pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.appended.setMaxListeners(0);
    this.pool = new Pool({
      connectionString: options.connectionString,
      max: options.poolSize ?? 5,
      types: TYPES,
      // An acknowledged append is on disk whatever the server's default.
      options: '-c synchronous_commit=on',
    });
    // A broken idle connection is dropped by the pool and replaced on the next query; the queries that
    // were running on it fail on their own.
    this.pool.on('error', () => undefined);
    const t = (name: string) => `"${this.schema}".${name}`;
    this.sql = {
      append: `SELECT * FROM ${t('append_events')}($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
      heads: `SELECT DISTINCT ON (stream) stream, revision, hash FROM ${t('events')}
              WHERE stream = ANY($1) ORDER BY stream, revision DESC`,
      readStream: `SELECT ${COLUMNS} FROM ${t('events')} WHERE stream = $1 AND revision >= $2
                   ORDER BY revision LIMIT $3`,
      readAll: `SELECT ${COLUMNS} FROM ${t('events')} WHERE position > $1 ORDER BY position LIMIT $2`,
      readAllPrefixed: `SELECT ${COLUMNS} FROM ${t('events')} WHERE position > $1
                        AND EXISTS (SELECT 1 FROM unnest($3::text[]) p(prefix) WHERE starts_with(stream, p.prefix))
                        ORDER BY position LIMIT $2`,
      readLeaves: `SELECT ${LEAF_COLUMNS} FROM ${t('events')} WHERE position > $1 ORDER BY position LIMIT $2`,
      readLeavesPrefixed: `SELECT ${LEAF_COLUMNS} FROM ${t('events')} WHERE position > $1
                        AND EXISTS (SELECT 1 FROM unnest($3::text[]) p(prefix) WHERE starts_with(stream, p.prefix))
                        ORDER BY position LIMIT $2`,
    };
    this.ready = this.migrate();
    this.ready.catch(() => undefined);
  }

  private async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Several processes may start at once: one creates the schema, the others wait and find it.
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`reprise-migrate:${this.schema}`]);
      await client.query(migrationSql(this.schema));
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  private query<Row>(config: QueryConfig | QueryArrayConfig): Promise<Row[]> {
    return this.ready.then(() => this.pool.query(config as QueryConfig)).then((r) => r.rows as Row[]);
  }

  private rows(name: string, text: string, values: unknown[]): Promise<RawRow[]> {
    return this.query<RawRow>({ name: `${this.schema}:${name}`, text, values, rowMode: 'array' });
  }

  append(stream: string, events: NewEvent[], options: AppendOptions): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new Error('event store is closed'));
    if (!stream) return Promise.reject(new Error('stream name is required'));
    if (events.length === 0) return Promise.reject(new Error('append needs at least one event'));
    let prepared: PreparedEvent[];
    try {
      prepared = prepareEvents(events, options.metadata, this.clock.now().toISOString(), this.ids);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<AppendResult>((resolve, reject) => {
      this.pending.push({ stream, expected: options.expectedRevision, events: prepared, resolve, reject });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.flushing) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flushing = this.flush().finally(() => {
        this.flushing = null;
        if (this.pending.length) this.scheduleFlush();
      });
    });
  }

  /** Commits everything queued, one group commit at a time; what arrives meanwhile joins the next. */
  private async flush(): Promise<void> {
    while (this.pending.length) {
      const batch = this.pending.splice(0, MAX_APPENDS_PER_COMMIT);
      try {
        await this.ready;
        await this.commit(batch);
      } catch (error) {
        for (const item of batch) item.reject(error);
      }
    }
  }

  /**
   * One group commit, in rounds: decide every append against the heads we believe, send the events
   * and those beliefs in one call; streams whose head had moved come back with their real head and
   * are decided again in the next round. Each append is settled exactly once.
   */
  private async commit(batch: PendingAppend[]): Promise<void> {
    let round = batch;
    for (let attempt = 1; round.length; attempt++) {
      if (attempt > MAX_ROUNDS) {
        const error = new Error(`append gave up after ${MAX_ROUNDS} rounds of concurrent writes`);
        for (const item of round) item.reject(error);
        return;
      }
      const bases = await this.assumedHeads(round);
      const working = new Map(bases);
      const decisions: Decision[] = round.map((item) => {
        const head = working.get(item.stream) as StreamHead;
        if (!revisionMatches(item.expected, head.revision)) return { item, conflict: head.revision };
        const placed = placeEvents(item.stream, item.events, head);
        working.set(item.stream, placed.head);
        return { item, placed: placed.events, head: placed.head };
      });
      const [result] = await this.query<{
        first_position: number;
        stale_streams: string[];
        stale_revisions: number[];
        stale_hashes: string[];
      }>({
        name: `${this.schema}:append`,
        text: this.sql.append,
        values: appendParameters(bases, decisions),
      });
      const stale = new Set(result.stale_streams);
      result.stale_streams.forEach((stream, i) => {
        const revision = result.stale_revisions[i];
        this.heads.set(stream, revision < 0 ? NO_STREAM_HEAD : { revision, hash: result.stale_hashes[i] });
      });
      let position = result.first_position;
      const next: PendingAppend[] = [];
      let wrote = false;
      for (const decision of decisions) {
        const { item } = decision;
        if (stale.has(item.stream)) {
          next.push(item);
        } else if ('conflict' in decision) {
          item.reject(new WrongExpectedVersionError(item.stream, item.expected, decision.conflict));
        } else {
          const events = decision.placed.map((e) => recordedFromPlaced(item.stream, e, position++));
          this.heads.set(item.stream, decision.head);
          item.resolve({ nextRevision: decision.head.revision, position: position - 1, events });
          wrote = true;
        }
      }
      if (wrote) this.appended.emit('appended');
      round = next;
    }
  }

  /**
   * The head each stream of the round is assumed to have: the one this process last saw, or none for
   * a `no-stream` append; the others are read (one query). All are re-checked under the log lock.
   */
  private async assumedHeads(round: PendingAppend[]): Promise<Map<string, StreamHead>> {
    const bases = new Map<string, StreamHead>();
    const unknown: string[] = [];
    for (const item of round) {
      if (bases.has(item.stream) || unknown.includes(item.stream)) continue;
      const cached = this.heads.get(item.stream);
      if (cached) bases.set(item.stream, cached);
      else if (item.expected === 'no-stream') bases.set(item.stream, NO_STREAM_HEAD);
      else unknown.push(item.stream);
    }
    if (unknown.length) {
      for (const stream of unknown) bases.set(stream, NO_STREAM_HEAD);
      const rows = await this.query<{ stream: string; revision: number; hash: string }>({
        name: `${this.schema}:heads`,
        text: this.sql.heads,
        values: [unknown],
      });
      for (const row of rows) bases.set(row.stream, { revision: row.revision, hash: row.hash });
    }
    return bases;
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const rows = await this.rows('readStream', this.sql.readStream, [
      stream,
      options.fromRevision ?? 0,
      options.maxCount ?? null,
    ]);
    const events = rows.map(recordedFromColumns);
    const last = events[events.length - 1];
    if (last && (options.maxCount === undefined || events.length < options.maxCount))
      this.heads.set(stream, { revision: last.revision, hash: last.hash });
    return events;
  }

  async streamRevision(stream: string): Promise<number> {
    const rows = await this.query<{ revision: number; hash: string }>({
      name: `${this.schema}:heads`,
      text: this.sql.heads,
      values: [[stream]],
    });
    if (rows[0]) this.heads.set(stream, { revision: rows[0].revision, hash: rows[0].hash });
    return rows[0]?.revision ?? -1;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return (await this.readAllRows(options)).map(recordedFromColumns);
  }

  /** The audit log's fast path: the same rows, data and metadata as the canonical text stored. */
  async readAllCanonical(options: ReadAllOptions = {}): Promise<CanonicalLogEntry[]> {
    return (await this.readAllRows(options)).map(canonicalFromColumns);
  }

  async readAllLeaves(options: ReadAllOptions = {}): Promise<CanonicalLogEntry[]> {
    return (await this.readAllRows(options, true)).map(canonicalFromColumns);
  }

  private readAllRows(options: ReadAllOptions, leavesOnly = false): Promise<RawRow[]> {
    const after = options.afterPosition ?? 0;
    const max = options.maxCount ?? null;
    const prefixes = options.streamPrefixes?.filter(Boolean) ?? [];
    const [all, prefixed] = leavesOnly
      ? (['readLeaves', 'readLeavesPrefixed'] as const)
      : (['readAll', 'readAllPrefixed'] as const);
    return prefixes.length
      ? this.rows(prefixed, this.sql[prefixed], [after, max, prefixes])
      : this.rows(all, this.sql[all], [after, max]);
  }

  async headPosition(): Promise<number> {
    const [row] = await this.query<{ position: number }>({
      text: `SELECT position FROM "${this.schema}".log_head`,
    });
    return row?.position ?? 0;
  }

  async getCheckpoint(subscriberId: string): Promise<number> {
    const [row] = await this.query<{ position: number }>({
      name: `${this.schema}:getCheckpoint`,
      text: `SELECT position FROM "${this.schema}".checkpoints WHERE subscriber = $1`,
      values: [subscriberId],
    });
    return row?.position ?? 0;
  }

  async saveCheckpoint(subscriberId: string, position: number): Promise<void> {
    await this.query({
      name: `${this.schema}:saveCheckpoint`,
      text: `INSERT INTO "${this.schema}".checkpoints (subscriber, position, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (subscriber) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`,
      values: [subscriberId, position, this.clock.now().toISOString()],
    });
  }

  subscribe(options: SubscriptionOptions): Subscription {
    void this.listen();
    const subscription = new PollingSubscription(this, options, {
      pollIntervalMs: this.pollIntervalMs,
      wakeUp: (listener) => {
        this.appended.on('appended', listener);
        return () => this.appended.off('appended', listener);
      },
    });
    this.subscriptions.add(subscription);
    subscription.start().finally(() => this.subscriptions.delete(subscription));
    return subscription;
  }

  /** One LISTEN connection per store, opened with the first subscription, reopened when it breaks. */
  private async listen(): Promise<void> {
    if (this.listener || this.listenRetry || this.closed) return;
    const client = new Client({ connectionString: this.pool.options.connectionString });
    this.listener = client;
    const retry = () => {
      if (this.listener !== client) return;
      this.listener = null;
      client.end().catch(() => undefined);
      if (this.closed) return;
      this.listenRetry = setTimeout(() => {
        this.listenRetry = null;
        void this.listen();
      }, LISTEN_RETRY_MS);
      this.listenRetry.unref();
    };
    client.on('error', retry);
    client.on('end', retry);
    client.on('notification', () => this.appended.emit('appended'));
    try {
      await this.ready;
      await client.connect();
      await client.query(`LISTEN "${notifyChannel(this.schema)}"`);
      // Anything committed while we were not listening.
      this.appended.emit('appended');
    } catch {
      retry();
    }
  }

  async ping(): Promise<void> {
    await this.query({ text: 'SELECT 1' });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    while (this.flushing || this.pending.length) {
      if (!this.flushing) this.scheduleFlush();
      await (this.flushing ?? new Promise((r) => setImmediate(r)));
    }
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    this.closed = true;
    if (this.listenRetry) clearTimeout(this.listenRetry);
    const listener = this.listener;
    this.listener = null;
    await listener?.end().catch(() => undefined);
    await this.pool.end();
  }
}

/** The arguments of `append_events`: the assumed heads, then the events as parallel arrays. */
function appendParameters(bases: Map<string, StreamHead>, decisions: Decision[]): unknown[] {
  const written = new Set<string>();
  for (const decision of decisions) if (!('conflict' in decision)) written.add(decision.item.stream);
  const checkStreams: string[] = [];
  const checkRevisions: number[] = [];
  const checkWritten: boolean[] = [];
  for (const [stream, head] of bases) {
    checkStreams.push(stream);
    checkRevisions.push(head.revision);
    checkWritten.push(written.has(stream));
  }
  const streams: string[] = [];
  const revisions: number[] = [];
  const ids: string[] = [];
  const typeNames: string[] = [];
  const data: string[] = [];
  const metadataIndex: number[] = [];
  const prevHashes: string[] = [];
  const hashes: string[] = [];
  const metadata: string[] = [];
  const metadataSeen = new Map<string, number>();
  for (const decision of decisions) {
    if ('conflict' in decision) continue;
    for (const e of decision.placed) {
      let index = metadataSeen.get(e.metadataJson);
      if (index === undefined) {
        index = metadata.push(e.metadataJson);
        metadataSeen.set(e.metadataJson, index);
      }
      streams.push(decision.item.stream);
      revisions.push(e.revision);
      ids.push(e.id);
      typeNames.push(e.type);
      data.push(e.dataJson);
      metadataIndex.push(index);
      prevHashes.push(e.prevHash);
      hashes.push(e.hash);
    }
  }
  return [
    checkStreams,
    checkRevisions,
    checkWritten,
    streams,
    revisions,
    ids,
    typeNames,
    data,
    metadataIndex,
    prevHashes,
    hashes,
    metadata,
  ];
}
