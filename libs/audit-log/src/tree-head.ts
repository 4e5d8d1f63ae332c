import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  hash,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { canonicalJson } from './canonical-json';

/**
 * A signed tree head (STH): the platform's signature over one tenant's log at one size. The
 * signature is Ed25519 (RFC 8032) over the UTF-8 bytes of the canonical JSON (sorted keys, no
 * spaces) of `{keyId, rootHash, tenantId, timestamp, treeSize}`, base64-encoded; `rootHash` is hex.
 */
export interface TreeHead {
  tenantId: string;
  treeSize: number;
  rootHash: string;
  timestamp: string;
  keyId: string;
  signature: string;
}

export type UnsignedTreeHead = Omit<TreeHead, 'keyId' | 'signature'>;

export interface SigningKey {
  keyId: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** The exact bytes signed. */
export function signedPayload(head: Omit<TreeHead, 'signature'>): Buffer {
  return Buffer.from(
    canonicalJson({
      keyId: head.keyId,
      rootHash: head.rootHash,
      tenantId: head.tenantId,
      timestamp: head.timestamp,
      treeSize: head.treeSize,
    }),
    'utf8',
  );
}

const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function requireEd25519(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${what} is not an Ed25519 key`);
  return key;
}

/** Key id: the first 16 hex digits of SHA-256 over the public key's SPKI DER encoding. */
export function keyIdOf(publicKey: KeyObject): string {
  return hash('sha256', publicKey.export({ format: 'der', type: 'spki' }), 'hex').slice(0, 16);
}

/** A private key as PKCS#8 PEM, base64 PKCS#8 DER, or the base64 32-byte Ed25519 seed. */
export function parsePrivateKey(text: string): KeyObject {
  const t = text.trim();
  if (t.startsWith('-----BEGIN')) return requireEd25519(createPrivateKey(t), 'the signing key');
  const der = Buffer.from(t, 'base64');
  const key =
    der.length === 32
      ? createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, der]), format: 'der', type: 'pkcs8' })
      : createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  return requireEd25519(key, 'the signing key');
}

/** A public key as SPKI PEM, base64 SPKI DER, or the base64 raw 32 bytes. */
export function parsePublicKey(text: string): KeyObject {
  const t = text.trim();
  if (t.startsWith('-----BEGIN')) return requireEd25519(createPublicKey(t), 'the public key');
  const der = Buffer.from(t, 'base64');
  const key =
    der.length === 32
      ? createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, der]), format: 'der', type: 'spki' })
      : createPublicKey({ key: der, format: 'der', type: 'spki' });
  return requireEd25519(key, 'the public key');
}

export function signingKeyFrom(privateKey: KeyObject): SigningKey {
  const publicKey = createPublicKey(privateKey);
  return { keyId: keyIdOf(publicKey), privateKey, publicKey };
}

export function generateSigningKey(): SigningKey {
  return signingKeyFrom(generateKeyPairSync('ed25519').privateKey);
}

export const privateKeyPem = (key: SigningKey): string =>
  key.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
export const publicKeyPem = (publicKey: KeyObject): string =>
  publicKey.export({ format: 'pem', type: 'spki' }).toString();

export function signTreeHead(head: UnsignedTreeHead, key: SigningKey): TreeHead {
  const withKey = { ...head, keyId: key.keyId };
  return { ...withKey, signature: sign(null, signedPayload(withKey), key.privateKey).toString('base64') };
}

/** Trusted public keys by key id (the current key and any earlier ones still trusted). */
export type TrustedKeys = ReadonlyMap<string, KeyObject>;

export function trustedKeys(keys: KeyObject[]): TrustedKeys {
  return new Map(keys.map((k) => [keyIdOf(k), k]));
}

/** Why a head's signature cannot be trusted, or null when it verifies with a trusted key. */
export function headSignatureProblem(head: TreeHead, keys: TrustedKeys): string | null {
  const key = keys.get(head.keyId);
  if (!key)
    return `tree head of size ${head.treeSize} is signed with key ${head.keyId}, which is not a trusted key (was the signing key replaced?)`;
  let ok = false;
  try {
    ok = verify(null, signedPayload(head), key, Buffer.from(head.signature, 'base64'));
  } catch {
    ok = false;
  }
  return ok ? null : `the signature of the tree head of size ${head.treeSize} does not verify`;
}

/** Field-level shape problems of a tree head given by a client (`[]` when well-formed). */
export function treeHeadShapeProblems(value: unknown): { field: string; message: string }[] {
  const errors: { field: string; message: string }[] = [];
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return [{ field: 'body', message: 'must be a tree head object' }];
  const h = value as Record<string, unknown>;
  if (!Number.isSafeInteger(h.treeSize) || (h.treeSize as number) < 0)
    errors.push({ field: 'treeSize', message: 'must be a non-negative integer' });
  if (typeof h.rootHash !== 'string' || !/^[0-9a-f]{64}$/.test(h.rootHash))
    errors.push({ field: 'rootHash', message: 'must be 64 lower-case hex digits' });
  if (typeof h.timestamp !== 'string' || h.timestamp.length > 40 || Number.isNaN(Date.parse(h.timestamp)))
    errors.push({ field: 'timestamp', message: 'must be an ISO-8601 time' });
  if (typeof h.keyId !== 'string' || !/^[0-9a-f]{16}$/.test(h.keyId))
    errors.push({ field: 'keyId', message: 'must be 16 lower-case hex digits' });
  if (typeof h.signature !== 'string' || !/^[A-Za-z0-9+/]{86}==$/.test(h.signature))
    errors.push({ field: 'signature', message: 'must be a base64 Ed25519 signature (88 characters)' });
  if (h.tenantId !== undefined && (typeof h.tenantId !== 'string' || h.tenantId.length > 100))
    errors.push({ field: 'tenantId', message: 'must be a tenant id' });
  return errors;
}
