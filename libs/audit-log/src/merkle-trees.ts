import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { leafHashOf, leafHashOfCanonical, type CanonicalLogEntry, type LogEntry } from './leaf';
import type { LogSource } from './log-source';
import { fromHex } from './merkle';
import { MerkleTreeStore, type NewLeaf } from './tree-store';

/** The layout of the trees file; a file of another layout is rebuilt. */
const TREES_SCHEMA = 2;

/** Injection token of a process's MerkleTrees. */
export const AUDIT_TREES = Symbol('AUDIT_TREES');

export type TreeSource = LogSource;

export interface MerkleTreesOptions {
  /** The SQLite file of the trees (a read model: rebuilt from the events whenever it is lost). */
  path: string;
  /** The log a stream belongs to (a tenant id), or null. */
  logOf: (stream: string) => string | null;
  /** The store's migration count: the trees are rebuilt when it changes. */
  epoch?: number;
  /** Events applied per transaction. */
  pageSize?: number;
}

/**
 * The tenants' Merkle trees, brought up to date from the store when they are needed (a proof, a
 * report, a head to sign): pages of events are applied in one transaction each, with the position
 * reached, so keeping the trees costs an append nothing at the time it is made. A leaf written under
 * `reprise-leaf/1` is the hash recorded at append; others are hashed from their content. Several
 * processes may share one file: an event already in its tree is not applied again.
 */
export class MerkleTrees {
  readonly db: Database.Database;
  readonly store: MerkleTreeStore;
  private position = 0;
  private syncing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly pageSize: number;

  constructor(
    private readonly source: TreeSource,
    private readonly options: MerkleTreesOptions,
  ) {
    if (options.path !== ':memory:') mkdirSync(dirname(options.path), { recursive: true });
    this.db = new Database(options.path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 15000');
    this.pageSize = options.pageSize ?? 2000;
    this.db.exec(
      'CREATE TABLE IF NOT EXISTS merkle_state (id INTEGER PRIMARY KEY CHECK (id = 1), position INTEGER NOT NULL, epoch INTEGER NOT NULL)',
    );
    const epoch = options.epoch ?? 0;
    const state = this.db.prepare('SELECT position, epoch FROM merkle_state').get() as
      { position: number; epoch: number } | undefined;
    const schema = this.db.pragma('user_version', { simple: true }) as number;
    const current = !!state && state.epoch === epoch && schema === TREES_SCHEMA;
    if (!current) {
      this.db.transaction(() => {
        MerkleTreeStore.reset(this.db);
        this.db
          .prepare('INSERT OR REPLACE INTO merkle_state (id, position, epoch) VALUES (1, 0, ?)')
          .run(epoch);
        this.db.pragma(`user_version = ${TREES_SCHEMA}`);
      })();
    }
    this.store = new MerkleTreeStore(this.db);
    this.position = current ? (state as { position: number }).position : 0;
  }

  /** Applies everything stored now (one catch-up at a time; callers share it). */
  sync(): Promise<void> {
    this.syncing ??= this.catchUp().finally(() => (this.syncing = null));
    return this.syncing;
  }

  private readonly applyPage = (page: Array<LogEntry | CanonicalLogEntry>): void => {
    const leaves: NewLeaf[] = [];
    for (const entry of page) {
      const log = this.options.logOf(entry.stream);
      if (!log) continue;
      // Under the leaf rule the hash recorded at append is the leaf: verification checks it against the content.
      const leaf = !entry.hashRule
        ? entry.hash
        : 'dataJson' in entry
          ? leafHashOfCanonical(entry)
          : leafHashOf(entry);
      leaves.push({ log, position: entry.position, leaf: fromHex(leaf) });
    }
    // Immediate: the write lock first, so the sizes read are current when processes share the file.
    this.db
      .transaction(() => {
        this.store.appendMany(leaves);
        this.db
          .prepare('UPDATE merkle_state SET position = MAX(position, ?) WHERE id = 1')
          .run(page[page.length - 1].position);
      })
      .immediate();
  };

  private async catchUp(): Promise<void> {
    for (;;) {
      const query = { afterPosition: this.position, maxCount: this.pageSize };
      // A leaf written under reprise-leaf/1 is its stored hash: its content need not be read.
      const page = this.source.readAllLeaves
        ? await this.source.readAllLeaves(query)
        : this.source.readAllCanonical
          ? await this.source.readAllCanonical(query)
          : await this.source.readAll(query);
      // Every event is read (the logs are told apart here), so an empty page is the end: never jump
      // ahead to a head position, an event committed in between would be skipped.
      if (page.length === 0) return;
      this.applyPage(page);
      this.position = page[page.length - 1].position;
      if (page.length < this.pageSize) return;
    }
  }

  /**
   * Keeps syncing every `everyMs` (the signer: the sooner an event is in its tree, the shorter the
   * time it could be changed unseen before a head covers it).
   */
  follow(everyMs: number, onError: (error: unknown) => void): void {
    this.timer ??= setInterval(() => void this.sync().catch(onError), everyMs);
  }

  /** Brings the trees up to `position` at least; false when they could not within `timeoutMs`. */
  async waitFor(position: number, timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.position < position) {
      await this.sync();
      if (this.position >= position) break;
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }

  /** The position the trees reached. */
  get reached(): number {
    return this.position;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.syncing?.catch(() => undefined);
    if (this.db.open) this.db.close();
  }
}
