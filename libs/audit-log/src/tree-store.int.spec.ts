import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { consistencyProof, inclusionProof, leafHash, MemoryTree, rootOf, toHex } from './merkle';
import { MerkleTreeStore } from './tree-store';

describe('persisted Merkle trees (SQLite file)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'reprise-trees-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('give the same roots and proofs as the RFC definition, for every size, across pages and logs', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(300), { minLength: 1, maxLength: 6 }), (pages) => {
        const db = new Database(join(dir, `t-${Math.random()}.db`));
        const store = new MerkleTreeStore(db);
        const memory = { a: [] as Buffer[], b: [] as Buffer[] };
        let position = 0;
        for (const size of pages) {
          const leaves = Array.from({ length: size }, () => {
            position += 1;
            const log = position % 3 === 0 ? 'b' : 'a';
            const leaf = leafHash(Buffer.from(`event ${position}`));
            memory[log].push(leaf);
            return { log, position, leaf };
          });
          db.transaction(() => store.appendMany(leaves))();
        }
        for (const log of ['a', 'b'] as const) {
          const tree = new MemoryTree(memory[log]);
          const n = memory[log].length;
          expect(store.size(log)).toBe(n);
          for (const size of [0, 1, Math.floor(n / 2), n].filter((s) => s <= n)) {
            expect(store.rootHex(log, size)).toBe(toHex(rootOf(tree, size)));
            if (size > 0) {
              const index = size - 1;
              expect(store.inclusionProof(log, index, size).map(toHex)).toEqual(
                inclusionProof(tree, index, size).map(toHex),
              );
              expect(store.consistencyProof(log, Math.ceil(size / 3), size).map(toHex)).toEqual(
                consistencyProof(tree, Math.ceil(size / 3), size).map(toHex),
              );
            }
          }
        }
        db.close();
      }),
      { numRuns: 25 },
    );
  });

  it('two processes sharing one file: a leaf already there is not appended again', () => {
    const path = join(dir, 'shared.db');
    const one = new Database(path);
    const two = new Database(path);
    const a = new MerkleTreeStore(one);
    const b = new MerkleTreeStore(two);
    const leaves = Array.from({ length: 50 }, (_, i) => ({
      log: 't',
      position: i + 1,
      leaf: leafHash(Buffer.from(`e${i}`)),
    }));
    one.transaction(() => a.appendMany(leaves.slice(0, 30)))();
    two.transaction(() => b.appendMany(leaves.slice(0, 40)))();
    one.transaction(() => a.appendMany(leaves))();
    expect(a.size('t')).toBe(50);
    expect(b.rootHex('t')).toBe(toHex(rootOf(new MemoryTree(leaves.map((l) => l.leaf)))));
    expect(a.leafOf(17)).toEqual({ log: 't', index: 16 });
    expect(a.positionOf('t', 16)).toBe(17);
    one.close();
    two.close();
  });
});
