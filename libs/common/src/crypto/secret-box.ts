import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ConfigurationError, type Environment } from '../config/environment';

const ALGORITHM = 'aes-256-gcm';
const PREFIX = `${ALGORITHM}:`;

/** `REPRISE_ENCRYPTION_KEY` as 32 bytes: 64 hex characters or standard/url-safe base64. */
export function parseEncryptionKey(value: string): Buffer | null {
  const trimmed = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(trimmed)) return Buffer.from(trimmed, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)) {
    const key = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    return key.length === 32 ? key : null;
  }
  return null;
}

/**
 * Encrypts the secrets Reprise must keep and use again (TOTP secrets) before they go into an event:
 * AES-256-GCM with a random 96-bit nonce, authenticated together with a context string (e.g.
 * `totp:<userId>`) so that a ciphertext cannot be moved to another user. The stored form names the
 * key by a short id (`aes-256-gcm:<keyId>:<iv>:<ciphertext>:<tag>`), so a key can be rotated later.
 */
export class SecretBox {
  readonly keyId: string;

  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('the encryption key must be 32 bytes');
    this.keyId = createHash('sha256').update(key).digest('hex').slice(0, 8);
  }

  static isSealed(value: string): boolean {
    return value.startsWith(PREFIX);
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv(ALGORITHM, this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const parts = [iv, ciphertext, cipher.getAuthTag()].map((b) => b.toString('base64url'));
    return `${PREFIX}${this.keyId}:${parts.join(':')}`;
  }

  /** Throws when the value was sealed with another key or context, or was altered. */
  open(sealed: string, context: string): string {
    const [algorithm, keyId, iv, ciphertext, tag] = sealed.split(':');
    if (`${algorithm}:` !== PREFIX || !iv || !ciphertext || !tag) throw new Error('not a sealed secret');
    if (keyId !== this.keyId)
      throw new Error(`secret sealed with key ${keyId}, the configured key is ${this.keyId}`);
    const decipher = createDecipheriv(ALGORITHM, this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  }
}

export const SECRET_BOX = Symbol('SECRET_BOX');

/** Where development and test keep the key they generate on first start (next to the event store). */
export const generatedKeyPath = (env: Environment) => join(dirname(env.SQLITE_PATH), 'encryption.key');

/**
 * The configured key (`REPRISE_ENCRYPTION_KEY`, validated at start-up). Production requires it. In
 * development and test a key is generated on first start and kept (mode 0600) next to the event
 * store, so that secrets sealed before a restart can still be opened; processes sharing the data
 * folder share it (the first writer wins, the others read it).
 */
export function loadSecretBox(env: Environment): SecretBox {
  if (env.REPRISE_ENCRYPTION_KEY) return new SecretBox(parseEncryptionKey(env.REPRISE_ENCRYPTION_KEY)!);
  if (env.NODE_ENV === 'production')
    throw new ConfigurationError([
      'REPRISE_ENCRYPTION_KEY: is required in production (32 random bytes: openssl rand -hex 32) (not set)',
    ]);
  const path = generatedKeyPath(env);
  mkdirSync(dirname(path), { recursive: true });
  // Written aside, then linked into place: a process starting at the same time never reads half a key.
  const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(draft, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
  try {
    linkSync(draft, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(draft, { force: true });
  }
  const key = parseEncryptionKey(readFileSync(path, 'utf8'));
  if (!key) throw new ConfigurationError([`${path}: is not a 32-byte key (64 hex characters)`]);
  return new SecretBox(key);
}
