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

/** One leaf to append: its log, its event's global position, its leaf hash. */
export interface NewLeaf {
  log: string;
  position: number;
  leaf: Hash;
}

/**
 * Persisted Merkle trees, one per log (tenant), in a local SQLite file: the leaves (with their
 * event's position) and every complete aligned subtree above them, stored once, so a root or a proof
 * over a tree of any size needs O(log n) lookups. Appending a page of leaves costs one row per leaf
 * and about one per interior node. It is a read model: rebuilt from the events whenever it is lost.
 */
export class MerkleTreeStore {
  static setup(db: Database.Database): void {
    db.exec(`
      CREATE TABLE IF NOT EXISTS merkle_logs (log_id INTEGER PRIMARY KEY, log TEXT NOT NULL UNIQUE, size INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS merkle_leaves (
        position INTEGER PRIMARY KEY, log_id INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL
      );
      CREATE UNIQUE INDEX IF NOT EXISTS merkle_leaves_by_index ON merkle_leaves (log_id, idx);
      CREATE TABLE IF NOT EXISTS merkle_nodes (
        log_id INTEGER NOT NULL, level INTEGER NOT NULL, idx INTEGER NOT NULL, hash BLOB NOT NULL,
        PRIMARY KEY (log_id, level, idx)
      ) WITHOUT ROWID;
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
    leaf: Database.Statement<[number, number], { hash: Buffer; position: number }>;
    insertNode: Database.Statement<[number, number, number, Buffer]>;
    insertLeaf: Database.Statement<[number, number, number, Buffer]>;
    leafByPosition: Database.Statement<[number], { log: string; idx: number }>;
    leaves: Database.Statement<[number, number, number], { hash: Buffer }>;
    logs: Database.Statement<[], { log: string; size: number }>;
  };

  constructor(private readonly db: Database.Database) {
    MerkleTreeStore.setup(db);
    this.stmt = {
      log: db.prepare('SELECT log_id, size FROM merkle_logs WHERE log = ?'),
      newLog: db.prepare('INSERT INTO merkle_logs (log, size) VALUES (?, 0)'),
      setSize: db.prepare('UPDATE merkle_logs SET size = ? WHERE log_id = ?'),
      node: db.prepare('SELECT hash FROM merkle_nodes WHERE log_id = ? AND level = ? AND idx = ?'),
      leaf: db.prepare('SELECT hash, position FROM merkle_leaves WHERE log_id = ? AND idx = ?'),
      insertNode: db.prepare('INSERT INTO merkle_nodes (log_id, level, idx, hash) VALUES (?, ?, ?, ?)'),
      insertLeaf: db.prepare(
        'INSERT OR IGNORE INTO merkle_leaves (position, log_id, idx, hash) VALUES (?, ?, ?, ?)',
      ),
      leafByPosition: db.prepare(
        'SELECT l.log AS log, m.idx AS idx FROM merkle_leaves m JOIN merkle_logs l ON l.log_id = m.log_id WHERE m.position = ?',
      ),
      leaves: db.prepare(
        'SELECT hash FROM merkle_leaves WHERE log_id = ? AND idx >= ? AND idx < ? ORDER BY idx',
      ),
      logs: db.prepare('SELECT log, size FROM merkle_logs ORDER BY log'),
    };
  }

  private logRow(log: string): { log_id: number; size: number } | undefined {
    return this.stmt.log.get(log);
  }

  /** A complete subtree's hash (level 0: a leaf). */
  private complete(logId: number, level: number, index: number): Hash | undefined {
    return level === 0
      ? this.stmt.leaf.get(logId, index)?.hash
      : this.stmt.node.get(logId, level, index)?.hash;
  }

  /**
   * Appends leaves in order (call inside a transaction for speed). An event already in the tree is
   * not appended again, so two processes may share one file.
   */
  appendMany(leaves: NewLeaf[]): void {
    const logs = new Map<string, { log_id: number; size: number }>();
    // Nodes made in this call: the left siblings the next leaves need, without a lookup.
    const made = new Map<string, Hash>();
    for (const { log, position, leaf } of leaves) {
      let row = logs.get(log) ?? this.logRow(log);
      if (!row) {
        this.stmt.newLog.run(log);
        row = this.logRow(log) as { log_id: number; size: number };
      }
      logs.set(log, row);
      const index = row.size;
      if (this.stmt.insertLeaf.run(position, row.log_id, index, leaf).changes === 0) continue;
      made.set(`${row.log_id}:0:${index}`, leaf);
      let h = leaf;
      let i = index;
      let level = 0;
      while (i % 2 === 1) {
        const key = `${row.log_id}:${level}:${i - 1}`;
        const left = made.get(key) ?? this.complete(row.log_id, level, i - 1);
        if (!left) throw new Error(`merkle tree of ${log}: node ${level}/${i - 1} is missing`);
        h = nodeHash(left, h);
        level += 1;
        i = Math.floor(i / 2);
        this.stmt.insertNode.run(row.log_id, level, i, h);
        made.set(`${row.log_id}:${level}:${i}`, h);
      }
      row.size = index + 1;
    }
    for (const row of logs.values()) this.stmt.setSize.run(row.size, row.log_id);
  }

  /** Appends one leaf; returns its leaf index. */
  append(log: string, position: number, leaf: Hash): number {
    this.appendMany([{ log, position, leaf }]);
    return (this.leafOf(position) as { index: number }).index;
  }

  size(log: string): number {
    return this.logRow(log)?.size ?? 0;
  }

  /** Every log with its size. */
  logs(): { log: string; size: number }[] {
    return this.stmt.logs.all();
  }

  /** The tree of one log as it is now (or as it was at `size`). */
  tree(log: string): SubtreeSource {
    const row = this.logRow(log);
    const logId = row?.log_id ?? -1;
    const complete = (level: number, index: number): Hash => {
      const hash = this.complete(logId, level, index);
      if (!hash) throw new Error(`merkle tree of ${log}: node ${level}/${index} is missing`);
      return hash;
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
    return row ? (this.stmt.leaf.get(row.log_id, index)?.position ?? null) : null;
  }

  leafHash(log: string, index: number): Hash | null {
    const row = this.logRow(log);
    return row ? (this.stmt.leaf.get(row.log_id, index)?.hash ?? null) : null;
  }

  /** Leaf hashes [from, to) concatenated. */
  leafHashes(log: string, from: number, to: number): Buffer {
    const row = this.logRow(log);
    if (!row) return Buffer.alloc(0);
    return Buffer.concat(this.stmt.leaves.all(row.log_id, from, to).map((r) => r.hash));
  }
}
