import type Database from 'better-sqlite3';
import {
  consistencyProof,
  inclusionProof,
  nodeHash,
  subtreeByRecursion,
  toHex,
  type Hash,
  type SubtreeSource,
} from './merkle';

/**
 * Persisted Merkle trees, one per log (tenant), in a local SQLite file: every complete aligned
 * subtree (level 0 = leaves) is stored once, so a root or a proof over a tree of any size needs
 * O(log n) lookups. It is a read model: rebuilt from the events whenever it is lost.
 */
export class MerkleTreeStore {
  static setup(db: Database.Database): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS merkle_logs (log_id INTEGER PRIMARY KEY, log TEXT NOT NULL UNIQUE, size INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS merkle_nodes (
        log_id INTEGER NOT NULL, level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
        PRIMARY KEY (log_id, level, idx)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS merkle_leaves (position INTEGER PRIMARY KEY, log_id INTEGER NOT NULL, idx INTEGER NOT NULL);
      CREATE UNIQUE INDEX IF NOT EXISTS merkle_leaves_by_index ON merkle_leaves (log_id, idx);
    `);
  }

  static reset(db: Database.Database): void {
    db.exec(
      'DROP TABLE IF EXISTS merkle_leaves; DROP TABLE IF EXISTS merkle_nodes; DROP TABLE IF EXISTS merkle_logs;',
    );
  }

  private readonly stmt: {
    log: Database.Statement<[string], { log_id: number; size: number }>;
    newLog: Database.Statement<[string]>;
    setSize: Database.Statement<[number, number]>;
    node: Database.Statement<[number, number, number], { hash: Buffer }>;
    insertNode: Database.Statement<[number, number, number, Buffer]>;
    insertLeaf: Database.Statement<[number, number, number]>;
    leafByPosition: Database.Statement<[number], { log: string; idx: number }>;
    positionOf: Database.Statement<[number, number], { position: number }>;
    leaves: Database.Statement<[number, number, number], { hash: Buffer }>;
  };

  constructor(private readonly db: Database.Database) {
    MerkleTreeStore.setup(db);
    this.stmt = {
      log: db.prepare('SELECT log_id, size FROM merkle_logs WHERE log = ?'),
      newLog: db.prepare('INSERT INTO merkle_logs (log, size) VALUES (?, 0)'),
      setSize: db.prepare('UPDATE merkle_logs SET size = ? WHERE log_id = ?'),
      node: db.prepare('SELECT hash FROM merkle_nodes WHERE log_id = ? AND level = ? AND idx = ?'),
      insertNode: db.prepare('INSERT INTO merkle_nodes (log_id, level, idx, hash) VALUES (?, ?, ?, ?)'),
      insertLeaf: db.prepare('INSERT INTO merkle_leaves (position, log_id, idx) VALUES (?, ?, ?)'),
      leafByPosition: db.prepare(
        'SELECT l.log AS log, m.idx AS idx FROM merkle_leaves m JOIN merkle_logs l ON l.log_id = m.log_id WHERE m.position = ?',
      ),
      positionOf: db.prepare('SELECT position FROM merkle_leaves WHERE log_id = ? AND idx = ?'),
      leaves: db.prepare(
        'SELECT hash FROM merkle_nodes WHERE log_id = ? AND level = 0 AND idx >= ? AND idx < ? ORDER BY idx',
      ),
    };
  }

  private logRow(log: string): { log_id: number; size: number } | undefined {
    return this.stmt.log.get(log);
  }

  /**
   * Appends one leaf (its event's global position and leaf hash); returns its leaf index. An event
   * already in the tree is not appended again (two processes may share one file).
   */
  append(log: string, position: number, leaf: Hash): number {
    const known = this.leafOf(position);
    if (known) return known.index;
    let row = this.logRow(log);
    if (!row) {
      this.stmt.newLog.run(log);
      row = this.logRow(log) as { log_id: number; size: number };
    }
    const index = row.size;
    this.stmt.insertNode.run(row.log_id, 0, index, leaf);
    let h = leaf;
    let i = index;
    let level = 0;
    while (i % 2 === 1) {
      const left = this.stmt.node.get(row.log_id, level, i - 1) as { hash: Buffer };
      h = nodeHash(left.hash, h);
      level += 1;
      i = Math.floor(i / 2);
      this.stmt.insertNode.run(row.log_id, level, i, h);
    }
    this.stmt.insertLeaf.run(position, row.log_id, index);
    this.stmt.setSize.run(index + 1, row.log_id);
    return index;
  }

  size(log: string): number {
    return this.logRow(log)?.size ?? 0;
  }

  /** Every log with its size. */
  logs(): { log: string; size: number }[] {
    return this.db
      .prepare<[], { log: string; size: number }>('SELECT log, size FROM merkle_logs ORDER BY log')
      .all();
  }

  /** The tree of one log as it is now (or as it was at `size`). */
  tree(log: string): SubtreeSource {
    const row = this.logRow(log);
    const logId = row?.log_id ?? -1;
    const complete = (level: number, index: number): Hash => {
      const node = this.stmt.node.get(logId, level, index);
      if (!node) throw new Error(`merkle tree of ${log}: node ${level}/${index} is missing`);
      return node.hash;
    };
    return { size: row?.size ?? 0, subtree: (start, end) => subtreeByRecursion(start, end, complete) };
  }

  rootHex(log: string, size = this.size(log)): string {
    return toHex(this.tree(log).subtree(0, size));
  }

  inclusionProof(log: string, index: number, size: number): Hash[] {
    return inclusionProof(this.tree(log), index, size);
  }

  consistencyProof(log: string, from: number, to: number): Hash[] {
    return consistencyProof(this.tree(log), from, to);
  }

  /** Which log, and which leaf in it, the event at a global position is. */
  leafOf(position: number): { log: string; index: number } | null {
    const row = this.stmt.leafByPosition.get(position);
    return row ? { log: row.log, index: row.idx } : null;
  }

  positionOf(log: string, index: number): number | null {
    const row = this.logRow(log);
    return row ? (this.stmt.positionOf.get(row.log_id, index)?.position ?? null) : null;
  }

  leafHash(log: string, index: number): Hash | null {
    const row = this.logRow(log);
    return row ? (this.stmt.node.get(row.log_id, 0, index)?.hash ?? null) : null;
  }

  /** Leaf hashes [from, to) concatenated. */
  leafHashes(log: string, from: number, to: number): Buffer {
    const row = this.logRow(log);
    if (!row) return Buffer.alloc(0);
    return Buffer.concat(this.stmt.leaves.all(row.log_id, from, to).map((r) => r.hash));
  }
}
