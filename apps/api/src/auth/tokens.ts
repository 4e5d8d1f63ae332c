import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { normaliseEmail } from '@reprise/domain/shared/email';

/** 256 random bits; only the sha256 is stored (a high-entropy token needs no slow hash). */
export function newApiToken(): string {
  return `rpk_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function sameSecret(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

/** Key of a sign-in e-mail's stream: the sha256 of the normalised address (no e-mail in a key). */
export const emailKeyOf = (email: string): string => hashToken(normaliseEmail(email));

/**
 * A one-time invitation token `rpi_<e-mail key>.<256 random bits>`: the key finds the user's stream
 * on any replica at once (no read model to wait for); only the token's sha256 is recorded.
 */
export function newInvitationToken(emailKey: string): string {
  return `rpi_${emailKey}.${randomBytes(32).toString('base64url')}`;
}

export function invitationEmailKey(token: string): string | null {
  return /^rpi_([0-9a-f]{64})\.[A-Za-z0-9_-]{43}$/.exec(token)?.[1] ?? null;
}
