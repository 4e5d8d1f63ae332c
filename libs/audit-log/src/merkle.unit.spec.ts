import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  CompactRange,
  consistencyProof,
  EMPTY_ROOT,
  fromHex,
  inclusionProof,
  leafHash,
  MemoryTree,
  rootOf,
  toHex,
  verifyConsistency,
  verifyInclusion,
  type Hash,
} from './merkle';

// RFC 9162 §2.1 taken literally, as lists: the reference the implementation is checked against.
const sha = (...parts: Buffer[]) => createHash('sha256').update(Buffer.concat(parts)).digest();
const k = (n: number) => 2 ** Math.ceil(Math.log2(n) - 1);
function mth(d: Hash[]): Hash {
  if (d.length === 0) return sha();
  if (d.length === 1) return d[0];
  return sha(Buffer.from([1]), mth(d.slice(0, k(d.length))), mth(d.slice(k(d.length))));
}
function path(m: number, d: Hash[]): Hash[] {
  if (d.length === 1) return [];
  const s = k(d.length);
  return m < s
    ? [...path(m, d.slice(0, s)), mth(d.slice(s))]
    : [...path(m - s, d.slice(s)), mth(d.slice(0, s))];
}
function subproof(m: number, d: Hash[], b: boolean): Hash[] {
  if (m === d.length) return b ? [] : [mth(d)];
  const s = k(d.length);
  return m <= s
    ? [...subproof(m, d.slice(0, s), b), mth(d.slice(s))]
    : [...subproof(m - s, d.slice(s), false), mth(d.slice(0, s))];
}

// The Certificate Transparency reference leaves and tree heads (RFC 6962 / RFC 9162 test vectors,
// as published with the CT reference implementation): data only.
const VECTOR_ENTRIES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((h) => Buffer.from(h, 'hex'));
const VECTOR_ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const VECTOR_INCLUSION = [
  {
    index: 0,
    size: 8,
    path: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    path: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];
const VECTOR_CONSISTENCY = [
  {
    from: 2,
    to: 8,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    from: 6,
    to: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    from: 2,
    to: 5,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];

const leavesArb = (min: number, max: number) =>
  fc
    .array(fc.uint8Array({ maxLength: 24 }), { minLength: min, maxLength: max })
    .map((entries) => entries.map((e) => leafHash(e)));
const flipBit = (h: Hash, bit: number): Hash => {
  const copy = Buffer.from(h);
  copy[Math.floor(bit / 8) % copy.length] ^= 1 << (bit % 8);
  return copy;
};

describe('Merkle tree (RFC 9162 §2.1)', () => {
  const vectorLeaves = VECTOR_ENTRIES.map((e) => leafHash(e));
  const vectorTree = new MemoryTree(vectorLeaves);

  it('gives the reference tree heads for every size 0..8', () => {
    expect(toHex(EMPTY_ROOT)).toBe(VECTOR_ROOTS[0]);
    for (let n = 0; n <= 8; n++) expect(toHex(rootOf(vectorTree, n))).toBe(VECTOR_ROOTS[n]);
  });

  it('gives and accepts the reference inclusion proofs', () => {
    for (const v of VECTOR_INCLUSION) {
      const proof = inclusionProof(vectorTree, v.index, v.size);
      expect(proof.map(toHex)).toEqual(v.path);
      expect(
        verifyInclusion(vectorLeaves[v.index], v.index, v.size, proof, fromHex(VECTOR_ROOTS[v.size])),
      ).toBe(true);
    }
  });

  it('gives and accepts the reference consistency proofs', () => {
    for (const v of VECTOR_CONSISTENCY) {
      const proof = consistencyProof(vectorTree, v.from, v.to);
      expect(proof.map(toHex)).toEqual(v.proof);
      expect(
        verifyConsistency(v.from, v.to, fromHex(VECTOR_ROOTS[v.from]), fromHex(VECTOR_ROOTS[v.to]), proof),
      ).toBe(true);
    }
  });

  it('computes MTH exactly as the recursive definition, incrementally too', () => {
    fc.assert(
      fc.property(leavesArb(0, 300), (leaves) => {
        const tree = new MemoryTree([...leaves]);
        const range = new CompactRange();
        for (let n = 0; n <= leaves.length; n++) {
          const expected = mth(leaves.slice(0, n));
          expect(rootOf(tree, n).equals(expected)).toBe(true);
          expect(range.root().equals(expected)).toBe(true);
          if (n < leaves.length) range.append(leaves[n]);
        }
      }),
      { numRuns: 40 },
    );
  });

  it('inclusion proofs are PATH(m, D[n]), verify, and fail for any other leaf, index, root or path', () => {
    fc.assert(
      fc.property(
        leavesArb(1, 200).chain((leaves) =>
          fc.tuple(
            fc.constant(leaves),
            fc
              .integer({ min: 1, max: leaves.length })
              .chain((n) => fc.tuple(fc.constant(n), fc.integer({ min: 0, max: n - 1 }))),
            fc.nat(255),
          ),
        ),
        ([leaves, [n, m], bit]) => {
          const tree = new MemoryTree(leaves);
          const root = rootOf(tree, n);
          const proof = inclusionProof(tree, m, n);
          expect(proof.map(toHex)).toEqual(path(m, leaves.slice(0, n)).map(toHex));
          expect(verifyInclusion(leaves[m], m, n, proof, root)).toBe(true);
          expect(verifyInclusion(flipBit(leaves[m], bit), m, n, proof, root)).toBe(false);
          expect(verifyInclusion(leaves[m], m, n, proof, flipBit(root, bit))).toBe(false);
          if (n > 1) {
            const other = (m + 1) % n;
            if (!leaves[other].equals(leaves[m]))
              expect(verifyInclusion(leaves[m], other, n, proof, root)).toBe(false);
            expect(verifyInclusion(leaves[m], m, n, proof.slice(0, -1), root)).toBe(false);
            expect(verifyInclusion(leaves[m], m, n, [...proof, proof[0]], root)).toBe(false);
            const i = bit % proof.length;
            const tampered = proof.map((p, j) => (j === i ? flipBit(p, bit) : p));
            expect(verifyInclusion(leaves[m], m, n, tampered, root)).toBe(false);
          }
          expect(verifyInclusion(leaves[m], n, n, proof, root)).toBe(false);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('consistency proofs are PROOF(m, D[n]), verify, and fail for any other size, root or proof', () => {
    fc.assert(
      fc.property(
        leavesArb(1, 200).chain((leaves) =>
          fc.tuple(
            fc.constant(leaves),
            fc
              .integer({ min: 1, max: leaves.length })
              .chain((n) => fc.tuple(fc.integer({ min: 1, max: n }), fc.constant(n))),
            fc.nat(255),
          ),
        ),
        ([leaves, [m, n], bit]) => {
          const tree = new MemoryTree(leaves);
          const oldRoot = rootOf(tree, m);
          const newRoot = rootOf(tree, n);
          const proof = consistencyProof(tree, m, n);
          const expected = m === n ? [] : subproof(m, leaves.slice(0, n), true);
          expect(proof.map(toHex)).toEqual(expected.map(toHex));
          expect(verifyConsistency(m, n, oldRoot, newRoot, proof)).toBe(true);
          if (m < n) {
            expect(verifyConsistency(m, n, flipBit(oldRoot, bit), newRoot, proof)).toBe(false);
            expect(verifyConsistency(m, n, oldRoot, flipBit(newRoot, bit), proof)).toBe(false);
            const i = bit % proof.length;
            const tampered = proof.map((p, j) => (j === i ? flipBit(p, bit) : p));
            expect(verifyConsistency(m, n, oldRoot, newRoot, tampered)).toBe(false);
            expect(verifyConsistency(m, n, oldRoot, newRoot, proof.slice(0, -1))).toBe(false);
            if (n + 1 <= leaves.length)
              expect(verifyConsistency(m, n + 1, oldRoot, rootOf(tree, n + 1), proof)).toBe(false);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('a rewritten history cannot be proved consistent with the head signed before it', () => {
    fc.assert(
      fc.property(leavesArb(2, 120), fc.nat(), fc.nat(255), (leaves, pick, bit) => {
        const m = 1 + (pick % (leaves.length - 1));
        const original = new MemoryTree([...leaves]);
        const oldRoot = rootOf(original, m);
        const changed = [...leaves];
        const victim = pick % m;
        changed[victim] = flipBit(changed[victim], bit);
        const rewritten = new MemoryTree(changed);
        const proof = consistencyProof(rewritten, m, leaves.length);
        expect(verifyConsistency(m, leaves.length, oldRoot, rootOf(rewritten), proof)).toBe(false);
      }),
      { numRuns: 100 },
    );
  });
});
