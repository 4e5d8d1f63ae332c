import { verify } from 'node:crypto';
import fc from 'fast-check';
import { canonicalJson } from './canonical-json';
import { leafEntryText, leafHashOf, leafHashOfParts, LEAF_RULE } from './leaf';
import { leafHash, toHex } from './merkle';
import {
  generateSigningKey,
  headSignatureProblem,
  parsePublicKey,
  publicKeyPem,
  signedPayload,
  signTreeHead,
  treeHeadShapeProblems,
  trustedKeys,
} from './tree-head';

const string = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }));

describe('leaves', () => {
  it('the entry text is exactly the canonical JSON of {data, id, metadata, revision, rule, stream, type}', () => {
    fc.assert(
      fc.property(
        string,
        string,
        string,
        fc.nat(),
        fc.jsonValue().filter((v) => v !== null),
        fc.dictionary(string, string),
        (id, stream, type, revision, data, metadata) => {
          const expected = canonicalJson({ data, id, metadata, revision, rule: LEAF_RULE, stream, type });
          expect(
            leafEntryText(
              LEAF_RULE,
              id,
              stream,
              revision,
              type,
              canonicalJson(data),
              canonicalJson(metadata),
            ),
          ).toBe(expected);
          // ...and the leaf hash is RFC 9162's over those bytes.
          expect(leafHashOf({ id, stream, revision, type, data, metadata })).toBe(
            toHex(leafHash(Buffer.from(expected, 'utf8'))),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('binds the rule, the stream, the revision, the type, the data and the metadata', () => {
    const base = ['reprise-leaf/1', 'id-1', 'tenant/t/plan', 3, 'A', '{"v":1}', '{"tenantId":"t"}'] as const;
    const hash = leafHashOfParts(...base);
    const variants = [
      leafHashOfParts('reprise-migrated/0', base[1], base[2], base[3], base[4], base[5], base[6]),
      leafHashOfParts(base[0], 'id-2', base[2], base[3], base[4], base[5], base[6]),
      leafHashOfParts(base[0], base[1], 'tenant/u/plan', base[3], base[4], base[5], base[6]),
      leafHashOfParts(base[0], base[1], base[2], 4, base[4], base[5], base[6]),
      leafHashOfParts(base[0], base[1], base[2], base[3], 'B', base[5], base[6]),
      leafHashOfParts(base[0], base[1], base[2], base[3], base[4], '{"v":2}', base[6]),
      leafHashOfParts(base[0], base[1], base[2], base[3], base[4], base[5], '{"tenantId":"u"}'),
    ];
    expect(new Set([hash, ...variants]).size).toBe(8);
    expect(() => leafHashOfParts(base[0], base[1], base[2], 1.5, base[4], base[5], base[6])).toThrow(
      /integer/,
    );
  });
});

describe('signed tree heads', () => {
  const key = generateSigningKey();
  const head = signTreeHead(
    { tenantId: 't-1', treeSize: 42, rootHash: 'ab'.repeat(32), timestamp: '2026-03-01T10:00:00.000Z' },
    key,
  );

  it('sign the canonical JSON of {keyId, rootHash, tenantId, timestamp, treeSize} with Ed25519, base64', () => {
    const payload = `{"keyId":"${key.keyId}","rootHash":"${'ab'.repeat(32)}","tenantId":"t-1","timestamp":"2026-03-01T10:00:00.000Z","treeSize":42}`;
    expect(signedPayload(head).toString('utf8')).toBe(payload);
    const publicKey = parsePublicKey(publicKeyPem(key.publicKey));
    expect(verify(null, Buffer.from(payload), publicKey, Buffer.from(head.signature, 'base64'))).toBe(true);
    expect(head.signature).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    expect(treeHeadShapeProblems(head)).toEqual([]);
  });

  it('verify with trusted keys only, and not once any field changed', () => {
    const keys = trustedKeys([key.publicKey]);
    expect(headSignatureProblem(head, keys)).toBeNull();
    expect(headSignatureProblem(head, trustedKeys([generateSigningKey().publicKey]))).toMatch(
      /not a trusted key/,
    );
    for (const changed of [
      { ...head, treeSize: 43 },
      { ...head, rootHash: 'cd'.repeat(32) },
      { ...head, tenantId: 't-2' },
      { ...head, timestamp: '2026-03-01T10:00:01.000Z' },
      { ...head, signature: `A${head.signature.slice(1)}` },
    ])
      expect(headSignatureProblem(changed, keys)).toMatch(/does not verify/);
    const forged = signTreeHead({ ...head, treeSize: 43 }, generateSigningKey());
    expect(headSignatureProblem({ ...forged, keyId: key.keyId }, keys)).toMatch(/does not verify/);
  });

  it('shape problems name each bad field', () => {
    expect(treeHeadShapeProblems(null)).toEqual([{ field: 'body', message: expect.any(String) }]);
    const fields = treeHeadShapeProblems({
      treeSize: -1,
      rootHash: 'xyz',
      timestamp: 'never',
      keyId: 'k',
      signature: 's',
    }).map((e) => e.field);
    expect(fields.sort()).toEqual(['keyId', 'rootHash', 'signature', 'timestamp', 'treeSize']);
  });
});
