import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { canonicalJson } from '@reprise/audit-log/canonical-json';
import {
  LEAF_RULE,
  leafHashOfParts,
  LEGACY_CHAIN_RULE,
  MIGRATED_RULE,
  type CanonicalLogEntry,
  type HashRule,
} from '@reprise/audit-log/leaf';
import type { Clock } from '@reprise/domain/shared/clock';
import {
  AppendOptions,
  AppendResult,
  EventMetadata,
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

const COLUMNS = 'position, id, stream, revision, type, data, metadata, prev_hash, hash, hash_rule';
type RawRow = [number, string, string, number, string, string, string, string, string, HashRule | null];

interface PendingAppend {
  stream: string;
  events: NewEvent[];
  options: AppendOptions;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

/**
 * Embedded event store on one SQLite file (WAL, synchronous=FULL: an acknowledged append survives
 * a power cut). Several processes may open the same file: appends run in `BEGIN IMMEDIATE`
 * transactions and wait for the write lock (busy timeout). Appends that arrive in the same tick are
 * committed together in one transaction (group commit); each keeps its own expected-revision check
 * through a savepoint, so one conflicting append never fails its neighbours.
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
  private pending: PendingAppend[] = [];
  private flushScheduled = false;
  private closed = false;
  private readonly subscriptions = new Set<PollingSubscription>();

  private readonly stmt: {
    head: Database.Statement<[string], { revision: number }>;
    insert: Database.Statement<[string, string, number, string, string, string, string]>;
    readStream: Database.Statement<[string, number, number], RawRow>;
    readAll: Database.Statement<[number, number], RawRow>;
    headPosition: Database.Statement<[], { position: number | null }>;
    getCheckpoint: Database.Statement<[string], { position: number }>;
    saveCheckpoint: Database.Statement<[string, number, string]>;
  };
  private readonly appendOne: (item: PendingAppend) => AppendResult;
  private readonly leafHashes: boolean;

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
      head: this.db.prepare('SELECT revision FROM events WHERE stream = ? ORDER BY revision DESC LIMIT 1'),
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
      headPosition: this.db.prepare('SELECT MAX(position) AS position FROM events'),
      getCheckpoint: this.db.prepare('SELECT position FROM checkpoints WHERE subscriber = ?'),
      saveCheckpoint: this.db.prepare(
        `INSERT INTO checkpoints (subscriber, position, updated_at) VALUES (?, ?, ?)
         ON CONFLICT(subscriber) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at`,
      ),
    };
    this.appendOne = this.db.transaction((item: PendingAppend) => this.appendSync(item));
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
    return new Promise<AppendResult>((resolve, reject) => {
      this.pending.push({ stream, events, options, resolve, reject });
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
    const outcomes: Array<{ ok: true; result: AppendResult } | { ok: false; error: unknown }> = [];
    try {
      this.db
        .transaction(() => {
          for (const item of batch) {
            try {
              outcomes.push({ ok: true, result: this.appendOne(item) });
            } catch (error) {
              outcomes.push({ ok: false, error });
            }
          }
        })
        .immediate();
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

  private appendSync(item: PendingAppend): AppendResult {
    const head = this.stmt.head.get(item.stream);
    const current = head ? head.revision : -1;
    if (!revisionMatches(item.options.expectedRevision, current)) {
      throw new WrongExpectedVersionError(item.stream, item.options.expectedRevision, current);
    }
    let revision = current;
    let position = 0;
    const recordedAt = this.clock.now().toISOString();
    const shared: EventMetadata = {
      requestId: null,
      ...item.options.metadata,
      recordedAt: item.options.metadata.recordedAt ?? recordedAt,
    } as EventMetadata;
    const sharedJson = canonicalJson(shared);
    const written: RecordedEvent[] = [];
    for (const event of item.events) {
      if (!event.type || typeof event.type !== 'string') throw new Error('every event needs a type');
      revision += 1;
      // Metadata is the same for every event of an append unless one overrides it: canonicalise once.
      const metadata: EventMetadata = event.metadata
        ? ({
            ...shared,
            ...event.metadata,
            recordedAt: event.metadata.recordedAt ?? shared.recordedAt,
          } as EventMetadata)
        : shared;
      const metadataJson = event.metadata ? canonicalJson(metadata) : sharedJson;
      const dataJson = canonicalJson(event.data ?? {});
      const id = this.nextId();
      const hash = this.leafHashes
        ? leafHashOfParts(LEAF_RULE, id, item.stream, revision, event.type, dataJson, metadataJson)
        : '';
      const info = this.stmt.insert.run(id, item.stream, revision, event.type, dataJson, metadataJson, hash);
      position = Number(info.lastInsertRowid);
      written.push({
        id,
        stream: item.stream,
        revision,
        position,
        type: event.type,
        data: event.data ?? {},
        metadata,
        hash,
      });
    }
    return { nextRevision: revision, position, events: written };
  }

  private idCounter = 0;
  private readonly idPrefix = randomUUID().replace(/-/g, '').slice(0, 12);

  /**
   * Time-ordered event ids (UUIDv7 layout: 48-bit ms timestamp, then a per-process random prefix and
   * counter), so the unique index grows at its end instead of at random pages.
   */
  private nextId(): string {
    const ms = Date.now().toString(16).padStart(12, '0');
    const counter = (this.idCounter++ & 0xfffffff).toString(16).padStart(7, '0');
    const hex = `${ms}7${this.idPrefix.slice(0, 3)}${(0x8 | (this.idCounter & 0x3)).toString(16)}${this.idPrefix.slice(3, 11)}${counter}`;
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  }

  private toRecorded(row: RawRow): RecordedEvent {
    const event: RecordedEvent = {
      id: row[1],
      stream: row[2],
      revision: row[3],
      position: row[0],
      type: row[4],
      data: JSON.parse(row[5]),
      metadata: JSON.parse(row[6]),
      hash: row[8],
    };
    if (row[9]) event.hashRule = row[9];
    if (row[9] === LEGACY_CHAIN_RULE) event.prevHash = row[7];
    return event;
  }

  private toCanonical(row: RawRow): CanonicalLogEntry {
    const entry: CanonicalLogEntry = {
      id: row[1],
      stream: row[2],
      revision: row[3],
      position: row[0],
      type: row[4],
      dataJson: row[5],
      metadataJson: row[6],
      hash: row[8],
    };
    if (row[9]) entry.hashRule = row[9];
    if (row[9] === LEGACY_CHAIN_RULE) entry.prevHash = row[7];
    return entry;
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
    return this.rawRows(options).map((row) => this.toCanonical(row));
  }

  private rawRows(options: ReadAllOptions): RawRow[] {
    const after = options.afterPosition ?? 0;
    const max = options.maxCount ?? -1;
    const prefixes = options.streamPrefixes?.filter(Boolean) ?? [];
    if (prefixes.length === 0) return this.stmt.readAll.all(after, max);
    const where = prefixes.map(() => 'substr(stream, 1, ?) = ?').join(' OR ');
    const params: (string | number)[] = [after];
    for (const p of prefixes) params.push(p.length, p);
    params.push(max);
    return this.db
      .prepare(`SELECT ${COLUMNS} FROM events WHERE position > ? AND (${where}) ORDER BY position LIMIT ?`)
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
        let migrated = 0;
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
          migrated += 1;
        }
        if (migrated)
          this.db.pragma(
            `user_version = ${(this.db.pragma('user_version', { simple: true }) as number) + 1}`,
          );
        return migrated;
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
