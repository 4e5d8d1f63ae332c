import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { canonicalJson } from '@reprise/audit-log/canonical-json';
import {
  leafHashOfParts,
  LEGACY_CHAIN_RULE,
  MIGRATED_RULE,
  type CanonicalLogEntry,
} from '@reprise/audit-log/leaf';
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
  type LegacyEventMigration,
  type MigratableEventStore,
} from '../event-store.port';
import { PollingSubscription } from '../polling-subscription';
import {
  canonicalFromColumns,
  EventIds,
  NO_STREAM_HEAD,
  placeEvents,
  PreparedEvent,
  prepareEvents,
  recordedFromColumns,
  recordedFromPlaced,
  LEAF_COLUMNS,
  STORED_COLUMNS,
  StoredColumns,
  StreamHead,
} from '../stored-event';

export interface SqliteEventStoreOptions {
  /** Path of the database file, or `:memory:` (unit tests only). */
  path: string;
  clock: Clock;
  /** How often a subscription looks for events appended by other processes (ms). */
  pollIntervalMs?: number;
  /**
   * `false` records no leaf hash: only for `npm run bench -- audit`, to measure what the log costs an
   * append. Such a store's events can never be verified.
   */
  leafHashes?: boolean;
}

const COLUMNS = STORED_COLUMNS;
type RawRow = StoredColumns;

interface PendingAppend {
  stream: string;
  expected: AppendOptions['expectedRevision'];
  events: PreparedEvent[];
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

type Outcome = { ok: true; result: AppendResult } | { ok: false; error: unknown };

/**
 * Embedded event store on one SQLite file (WAL, synchronous=FULL: an acknowledged append survives
 * a power cut). Several processes may open the same file: appends run in `BEGIN IMMEDIATE`
 * transactions and wait for the write lock (busy timeout). Appends that arrive in the same tick are
 * committed together in one transaction (group commit). Each append is validated and serialised
 * before the transaction and its expected revision is checked inside it, so one bad or conflicting
 * append fails alone and never fails its neighbours.
 *
 * Each row records its RFC 9162 leaf hash (`hash`, rule `hash_rule` NULL = `reprise-leaf/1`). A file
 * written before the log keeps its rows' per-stream chain hashes (`reprise-chain/0`) until
 * `migrateLegacyEvents` rewrites them once under `reprise-migrated/0`.
 */
export class SqliteEventStore implements EventStore, MigratableEventStore {
  readonly db: Database.Database;
  private readonly clock: Clock;
  private readonly pollIntervalMs: number;
  private readonly appended = new EventEmitter();
  private readonly ids = new EventIds();
  private pending: PendingAppend[] = [];
  private flushScheduled = false;
  private closed = false;
  private readonly subscriptions = new Set<PollingSubscription>();
  private readonly leafHashes: boolean;

  private readonly stmt: {
    head: Database.Statement<[string], { revision: number; hash: string }>;
    insert: Database.Statement<[string, string, number, string, string, string, string]>;
    readStream: Database.Statement<[string, number, number], RawRow>;
    readAll: Database.Statement<[number, number], RawRow>;
    readLeaves: Database.Statement<[number, number], RawRow>;
    headPosition: Database.Statement<[], { position: number | null }>;
    getCheckpoint: Database.Statement<[string], { position: number }>;
    saveCheckpoint: Database.Statement<[string, number, string]>;
  };
  private readonly commitBatch: Database.Transaction<(batch: PendingAppend[]) => Outcome[]>;

  constructor(options: SqliteEventStoreOptions) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 15000');
    this.db.pragma('foreign_keys = ON');
    this.clock = options.clock;
    this.pollIntervalMs = options.pollIntervalMs ?? 50;
    this.leafHashes = options.leafHashes ?? true;
    this.appended.setMaxListeners(0);
    this.migrate();
    this.stmt = {
      head: this.db.prepare(
        'SELECT revision, hash FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1',
      ),
      insert: this.db.prepare(
        "INSERT INTO events (id, stream, revision, type, data, metadata, prev_hash, hash, hash_rule) VALUES (?, ?, ?, ?, ?, ?, '', ?, NULL)",
      ),
      readStream: this.db
        .prepare<[string, number, number], RawRow>(
          `SELECT ${COLUMNS} FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?`,
        )
        .raw(true),
      readAll: this.db
        .prepare<[number, number], RawRow>(
          `SELECT ${COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
        )
        .raw(true),
      readLeaves: this.db
        .prepare<[number, number], RawRow>(
          `SELECT ${LEAF_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
        )
        .raw(true),
      headPosition: this.db.prepare('SELECT MAX(position) AS position FROM events'),
      getCheckpoint: this.db.prepare('SELECT position FROM checkpoints WHERE subscriber = ?'),
      saveCheckpoint: this.db.prepare(
        `INSERT INTO checkpoints (subscriber, position, updated_at) VALUES (?, ?, ?)
         ON CONFLICT(subscriber) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`,
      ),
    };
    this.commitBatch = this.db.transaction((batch: PendingAppend[]) => this.writeBatch(batch));
  }

  private migrate(): void {
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS events (
        position  INTEGER PRIMARY KEY,
        id        TEXT NOT NULL UNIQUE,
        stream    TEXT NOT NULL,
        revision  INTEGER NOT NULL,
        type      TEXT NOT NULL,
        data      TEXT NOT NULL,
        metadata  TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash      TEXT NOT NULL,
        hash_rule TEXT,
        UNIQUE (stream, revision)
      );
      CREATE TABLE IF NOT EXISTS checkpoints (
        subscriber TEXT PRIMARY KEY,
        position   INTEGER NOT NULL,
        updated_at TEXT NOT NULL
      );
    `);
    // A file written before the log: its rows are per-stream chain hashes (rule reprise-chain/0).
    const columns = this.db.prepare('PRAGMA table_info(events)').all() as { name: string }[];
    if (!columns.some((c) => c.name === 'hash_rule'))
      this.db.exec(`ALTER TABLE events ADD COLUMN hash_rule TEXT DEFAULT '${LEGACY_CHAIN_RULE}'`);
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
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits every append queued so far in one transaction. */
  private flush(): void {
    this.flushScheduled = false;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    let outcomes: Outcome[];
    try {
      outcomes = this.commitBatch.immediate(batch);
    } catch (error) {
      for (const item of batch) item.reject(error);
      return;
    }
    batch.forEach((item, i) => {
      const outcome = outcomes[i];
      if (outcome.ok) item.resolve(outcome.result);
      else item.reject(outcome.error);
    });
    if (outcomes.some((o) => o.ok)) this.appended.emit('appended');
  }

  /** Inside the write transaction: checks each append against its stream head, places and inserts it. */
  private writeBatch(batch: PendingAppend[]): Outcome[] {
    const heads = new Map<string, StreamHead>();
    return batch.map((item): Outcome => {
      const head = heads.get(item.stream) ?? this.stmt.head.get(item.stream) ?? NO_STREAM_HEAD;
      if (!revisionMatches(item.expected, head.revision))
        return {
          ok: false,
          error: new WrongExpectedVersionError(item.stream, item.expected, head.revision),
        };
      const placed = placeEvents(item.stream, item.events, head, this.leafHashes);
      const events = placed.events.map((e) => {
        const info = this.stmt.insert.run(
          e.id,
          item.stream,
          e.revision,
          e.type,
          e.dataJson,
          e.metadataJson,
          e.hash,
        );
        return recordedFromPlaced(item.stream, e, Number(info.lastInsertRowid));
      });
      heads.set(item.stream, placed.head);
      const last = events[events.length - 1];
      return { ok: true, result: { nextRevision: last.revision, position: last.position, events } };
    });
  }

  private toRecorded(row: RawRow): RecordedEvent {
    return recordedFromColumns(row);
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    return this.readStreamSync(stream, options);
  }

  readStreamSync(stream: string, options: ReadStreamOptions = {}): RecordedEvent[] {
    return this.stmt.readStream
      .all(stream, options.fromRevision ?? 0, options.maxCount ?? -1)
      .map((row) => this.toRecorded(row));
  }

  async streamRevision(stream: string): Promise<number> {
    return this.stmt.head.get(stream)?.revision ?? -1;
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return this.readAllSync(options);
  }

  readAllSync(options: ReadAllOptions = {}): RecordedEvent[] {
    return this.rawRows(options).map((row) => this.toRecorded(row));
  }

  async readAllCanonical(options: ReadAllOptions = {}): Promise<CanonicalLogEntry[]> {
    return this.rawRows(options).map(canonicalFromColumns);
  }

  async readAllLeaves(options: ReadAllOptions = {}): Promise<CanonicalLogEntry[]> {
    return this.rawRows(options, true).map(canonicalFromColumns);
  }

  private rawRows(options: ReadAllOptions, leavesOnly = false): RawRow[] {
    const after = options.afterPosition ?? 0;
    const max = options.maxCount ?? -1;
    const prefixes = options.streamPrefixes?.filter(Boolean) ?? [];
    if (prefixes.length === 0) return (leavesOnly ? this.stmt.readLeaves : this.stmt.readAll).all(after, max);
    const where = prefixes.map(() => 'substr(stream, 1, ?) = ?').join(' OR ');
    const params: (string | number)[] = [after];
    for (const p of prefixes) params.push(p.length, p);
    params.push(max);
    return this.db
      .prepare(
        `SELECT ${leavesOnly ? LEAF_COLUMNS : COLUMNS} FROM events WHERE position > ? AND (${where}) ORDER BY position LIMIT ?`,
      )
      .raw(true)
      .all(...params) as RawRow[];
  }

  async headPosition(): Promise<number> {
    return this.stmt.headPosition.get()?.position ?? 0;
  }

  async getCheckpoint(subscriberId: string): Promise<number> {
    return this.stmt.getCheckpoint.get(subscriberId)?.position ?? 0;
  }

  async saveCheckpoint(subscriberId: string, position: number): Promise<void> {
    this.stmt.saveCheckpoint.run(subscriberId, position, this.clock.now().toISOString());
  }

  subscribe(options: SubscriptionOptions): Subscription {
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

  async legacyEventCount(): Promise<number> {
    return (
      this.db.prepare('SELECT COUNT(*) AS n FROM events WHERE hash_rule = ?').get(LEGACY_CHAIN_RULE) as {
        n: number;
      }
    ).n;
  }

  async logEpoch(): Promise<number> {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  async migrateLegacyEvents(migration: LegacyEventMigration): Promise<number> {
    const legacy = this.db
      .prepare(`SELECT ${COLUMNS} FROM events WHERE hash_rule = ? ORDER BY position`)
      .raw(true);
    const update = this.db.prepare(
      "UPDATE events SET data = ?, hash = ?, prev_hash = '', hash_rule = ? WHERE position = ? AND hash = ?",
    );
    // What the rewrite replaces (personal data in clear) must not linger in free pages or the WAL.
    this.db.pragma('secure_delete = ON');
    const migrated = this.db
      .transaction(() => {
        let count = 0;
        for (const row of legacy.all(LEGACY_CHAIN_RULE) as RawRow[]) {
          const [position, id, stream, revision, type, data, metadata, , hash] = row;
          if (migration.verifiedHashes.get(position) !== hash)
            throw new Error(
              `event ${position} changed since its pre-log chain was verified: migration aborted`,
            );
          const newData = migration.newData.has(position)
            ? canonicalJson(migration.newData.get(position))
            : data;
          const leaf = leafHashOfParts(MIGRATED_RULE, id, stream, revision, type, newData, metadata);
          update.run(newData, leaf, MIGRATED_RULE, position, hash);
          count += 1;
        }
        if (count)
          this.db.pragma(
            `user_version = ${(this.db.pragma('user_version', { simple: true }) as number) + 1}`,
          );
        return count;
      })
      .immediate();
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    return migrated;
  }

  async ping(): Promise<void> {
    this.db.prepare('SELECT 1').get();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.pending.length) this.flush();
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    this.closed = true;
    this.db.close();
  }
}
