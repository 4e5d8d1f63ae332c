import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { CheckpointStore, EventStore, RecordedEvent, Subscription } from '../event-store.port';

/**
 * A read model fed by the event store subscription. `apply` runs inside a read-model transaction
 * together with the projection's checkpoint, so an event is applied exactly once even across crashes.
 * Bump `version` when the shape changes: the runner drops and rebuilds it from the events.
 */
export interface Projection {
  readonly name: string;
  readonly version: number;
  readonly streamPrefixes?: string[];
  setup(db: Database.Database): void;
  reset(db: Database.Database): void;
  apply(db: Database.Database, event: RecordedEvent): void;
}

export interface ProjectionRunnerOptions {
  /** SQLite file of the read models (rebuildable at any time from the event store). */
  path: string;
  onError?: (projection: string, error: unknown, event: RecordedEvent) => void;
}

/**
 * Runs projections into a local SQLite read-model database, each with a durable checkpoint.
 * `waitFor(position)` lets a write return only once its own events are visible in the read models.
 */
export class ProjectionRunner {
  readonly db: Database.Database;
  private readonly positions = new Map<string, number>();
  private readonly subscriptions = new Map<string, Subscription>();
  private waiters: Array<{ position: number; resolve: () => void }> = [];

  constructor(
    private readonly store: EventStore,
    private readonly projections: Projection[],
    private readonly options: ProjectionRunnerOptions,
  ) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 15000');
    this.db.exec(
      `CREATE TABLE IF NOT EXISTS projection_state (name TEXT PRIMARY KEY, version INTEGER NOT NULL, position INTEGER NOT NULL)`,
    );
  }

  private checkpointsFor(projection: Projection): CheckpointStore {
    const get = this.db.prepare<[string], { position: number }>(
      'SELECT position FROM projection_state WHERE name = ?',
    );
    const save = this.db.prepare('UPDATE projection_state SET position = ? WHERE name = ? AND position < ?');
    return {
      getCheckpoint: async (name) => get.get(name)?.position ?? 0,
      saveCheckpoint: async (name, position) => {
        save.run(position, name, position);
        this.advance(projection.name, position);
      },
    };
  }

  private advance(name: string, position: number): void {
    if ((this.positions.get(name) ?? 0) >= position) return;
    this.positions.set(name, position);
    const lowest = this.lowestPosition();
    this.waiters = this.waiters.filter((w) => (lowest >= w.position ? (w.resolve(), false) : true));
  }

  private lowestPosition(): number {
    let lowest = Number.MAX_SAFE_INTEGER;
    for (const p of this.projections) lowest = Math.min(lowest, this.positions.get(p.name) ?? 0);
    return lowest;
  }

  /** Sets up tables, rebuilds projections whose version changed, subscribes all; resolves once caught up. */
  async start(): Promise<void> {
    for (const projection of this.projections) {
      const row = this.db
        .prepare<[string], { version: number; position: number }>(
          'SELECT version, position FROM projection_state WHERE name = ?',
        )
        .get(projection.name);
      this.db.transaction(() => {
        if (!row || row.version !== projection.version) {
          projection.reset(this.db);
          projection.setup(this.db);
          this.db
            .prepare(
              'INSERT INTO projection_state (name, version, position) VALUES (?, ?, 0) ON CONFLICT(name) DO UPDATE SET version = excluded.version, position = 0',
            )
            .run(projection.name, projection.version);
        } else {
          projection.setup(this.db);
        }
      })();
      this.positions.set(projection.name, row && row.version === projection.version ? row.position : 0);
      this.subscribe(projection);
    }
    await Promise.all([...this.subscriptions.values()].map((s) => s.caughtUp));
  }

  private subscribe(projection: Projection): void {
    const saveWithEvent = this.db.prepare('UPDATE projection_state SET position = ? WHERE name = ?');
    const applyOne = this.db.transaction((event: RecordedEvent) => {
      projection.apply(this.db, event);
      saveWithEvent.run(event.position, projection.name);
    });
    const subscription = this.store.subscribe({
      subscriberId: projection.name,
      streamPrefixes: projection.streamPrefixes,
      checkpoints: this.checkpointsFor(projection),
      handler: (event) => {
        if (event.position <= (this.positions.get(projection.name) ?? 0)) return;
        applyOne(event);
        this.advance(projection.name, event.position);
      },
      onError: (error, event) => this.options.onError?.(projection.name, error, event),
    });
    this.subscriptions.set(projection.name, subscription);
  }

  /** Resolves once every projection has handled the event at `position` (or timeout, whichever first). */
  waitFor(position: number, timeoutMs = 5000): Promise<boolean> {
    if (this.lowestPosition() >= position) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      const waiter = {
        position,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Drops one projection's read model and replays every event into it. */
  async rebuild(name: string): Promise<void> {
    const projection = this.projections.find((p) => p.name === name);
    if (!projection) throw new Error(`unknown projection ${name}`);
    await this.subscriptions.get(name)?.stop();
    this.db.transaction(() => {
      projection.reset(this.db);
      projection.setup(this.db);
      this.db.prepare('UPDATE projection_state SET position = 0 WHERE name = ?').run(name);
    })();
    this.positions.set(name, 0);
    this.subscribe(projection);
    await this.subscriptions.get(name)?.caughtUp;
    await this.subscriptions.get(name)?.drain();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.subscriptions.values()].map((s) => s.stop()));
    this.subscriptions.clear();
    if (this.db.open) this.db.close();
  }
}
