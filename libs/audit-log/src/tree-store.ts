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

/** Rows written by one INSERT statement when appending. */
const ROWS_PER_INSERT = 50;
const valuesOf = (rows: number) => Array.from({ length: rows }, () => '(?, ?, ?, ?)').join(', ');

/** A log's right edge while appending (see appendMany). */
interface RightEdge {
  logId: number;
  size: number;
  nodes: Hash[];
}

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
    insertNodes: Database.Statement<(number | Buffer)[]>;
    insertLeaves: Database.Statement<(number | Buffer)[]>;
    positionsBetween: Database.Statement<[number, number], number>;
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
      insertLeaf: db.prepare('INSERT INTO merkle_leaves (position, log_id, idx, hash) VALUES (?, ?, ?, ?)'),
      insertNodes: db.prepare(
        `INSERT INTO merkle_nodes (log_id, level, idx, hash) VALUES ${valuesOf(ROWS_PER_INSERT)}`,
      ),
      insertLeaves: db.prepare(
        `INSERT INTO merkle_leaves (position, log_id, idx, hash) VALUES ${valuesOf(ROWS_PER_INSERT)}`,
      ),
      positionsBetween: db
        .prepare<[number, number], number>(
          'SELECT position FROM merkle_leaves WHERE position >= ? AND position <= ?',
        )
        .pluck(),
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
   * Appends leaves in order (call inside a transaction: the write lock first when processes share
   * the file). An event already in the tree is not appended again, so two processes may share one
   * file. Each log's right edge (its complete subtrees, largest first) is read once per call and
   * kept in memory: a leaf costs about one interior hash, and rows are written many per statement.
   */
  appendMany(leaves: NewLeaf[]): void {
    if (leaves.length === 0) return;
    const present = this.presentPositions(leaves);
    const edges = new Map<string, RightEdge>();
    const leafRows: (number | Buffer)[] = [];
    const nodeRows: (number | Buffer)[] = [];
    for (const { log, position, leaf } of leaves) {
      if (present.has(position)) continue;
      present.add(position);
      let edge = edges.get(log);
      if (!edge) {
        edge = this.rightEdge(log);
        edges.set(log, edge);
      }
      const index = edge.size;
      leafRows.push(position, edge.logId, index, leaf);
      let h = leaf;
      let i = index;
      let level = 0;
      while (i % 2 === 1) {
        h = nodeHash(edge.nodes.pop() as Hash, h);
        level += 1;
        i = (i - 1) / 2;
        nodeRows.push(edge.logId, level, i, h);
      }
      edge.nodes.push(h);
      edge.size = index + 1;
    }
    this.insertRows(this.stmt.insertLeaves, this.stmt.insertLeaf, leafRows);
    this.insertRows(this.stmt.insertNodes, this.stmt.insertNode, nodeRows);
    for (const edge of edges.values()) this.stmt.setSize.run(edge.size, edge.logId);
  }

  /** Positions of `leaves` already in a tree (another process sharing the file applied them). */
  private presentPositions(leaves: NewLeaf[]): Set<number> {
    let min = leaves[0].position;
    let max = min;
    for (const { position } of leaves) {
      if (position < min) min = position;
      if (position > max) max = position;
    }
    return new Set(this.stmt.positionsBetween.all(min, max));
  }

  /** A log's complete subtrees along its right edge, largest first (created when new). */
  private rightEdge(log: string): RightEdge {
    let row = this.logRow(log);
    if (!row) {
      this.stmt.newLog.run(log);
      row = this.logRow(log) as { log_id: number; size: number };
    }
    const nodes: Hash[] = [];
    let level = 0;
    while (2 ** (level + 1) <= row.size) level += 1;
    for (let start = 0; start < row.size; level -= 1) {
      const width = 2 ** level;
      if (start + width > row.size) continue;
      const hash = this.complete(row.log_id, level, start / width);
      if (!hash) throw new Error(`merkle tree of ${log}: node ${level}/${start / width} is missing`);
      nodes.push(hash);
      start += width;
    }
    return { logId: row.log_id, size: row.size, nodes };
  }

  /** Rows of four values, ROWS_PER_INSERT per statement, the rest one by one. */
  private insertRows(
    many: Database.Statement<(number | Buffer)[]>,
    one: Database.Statement<[number, number, number, Buffer]>,
    values: (number | Buffer)[],
  ): void {
    const chunk = ROWS_PER_INSERT * 4;
    let at = 0;
    for (; at + chunk <= values.length; at += chunk) many.run(...values.slice(at, at + chunk));
    for (; at < values.length; at += 4)
      one.run(
        values[at] as number,
        values[at + 1] as number,
        values[at + 2] as number,
        values[at + 3] as Buffer,
      );
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
