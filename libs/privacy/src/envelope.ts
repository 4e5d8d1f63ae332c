import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/**
 * A personal value as stored: `pii:v1:<subject id>:<base64url(iv | ciphertext | tag)>`,
 * AES-256-GCM under the subject's own key, the prefix and subject id as additional data. The
 * subject id is random: nothing in the envelope names the person.
 */
export const ENVELOPE_PREFIX = 'pii:v1:';
const ENVELOPE =
  /^pii:v1:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):([A-Za-z0-9_-]{38,})$/;

export function isEnvelope(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(ENVELOPE_PREFIX) && ENVELOPE.test(value);
}

/** The subject id of an envelope, or null when the value is not one. */
export function subjectOf(value: unknown): string | null {
  if (typeof value !== 'string' || !value.startsWith(ENVELOPE_PREFIX)) return null;
  return ENVELOPE.exec(value)?.[1] ?? null;
}

export function seal(subjectId: string, key: Buffer, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(`${ENVELOPE_PREFIX}${subjectId}`));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `${ENVELOPE_PREFIX}${subjectId}:${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
}

/** The plaintext of an envelope, or null when it does not decrypt with this key. */
export function unseal(envelope: string, key: Buffer): string | null {
  const match = ENVELOPE.exec(envelope);
  if (!match) return null;
  const raw = Buffer.from(match[2], 'base64url');
  if (raw.length < 28) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
    decipher.setAAD(Buffer.from(`${ENVELOPE_PREFIX}${match[1]}`));
    decipher.setAuthTag(raw.subarray(raw.length - 16));
    return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    return null;
  }
}
