import type Database from 'better-sqlite3';
import { leafHashOf, type LogEntry } from './leaf';
import { fromHex } from './merkle';
import { MerkleTreeStore } from './tree-store';

const stores = new WeakMap<Database.Database, MerkleTreeStore>();

/** The tree store kept in a read-model database. */
export function treeStoreOf(db: Database.Database): MerkleTreeStore {
  let store = stores.get(db);
  if (!store) {
    store = new MerkleTreeStore(db);
    stores.set(db, store);
  }
  return store;
}

/**
 * The per-tenant Merkle trees as a projection (a ProjectionRunner read model): every event, as
 * stored (personal data as ciphertext), becomes the next leaf of its log, the leaf hash computed
 * from its content. `logOf` says which log a stream belongs to (null: none). `epoch` is the store's
 * migration count: when a migration rewrote events, the trees are rebuilt.
 */
export function merkleLogProjection(logOf: (stream: string) => string | null, epoch = 0) {
  return {
    name: 'audit-log-trees',
    version: 1 + epoch * 1000,
    setup(db: Database.Database) {
      MerkleTreeStore.setup(db);
    },
    reset(db: Database.Database) {
      MerkleTreeStore.reset(db);
      stores.delete(db);
    },
    apply(db: Database.Database, event: LogEntry) {
      const log = logOf(event.stream);
      if (log) treeStoreOf(db).append(log, event.position, fromHex(leafHashOf(event)));
    },
  };
}
