import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

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
