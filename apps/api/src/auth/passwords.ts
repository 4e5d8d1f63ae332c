import argon2 from 'argon2';

/**
 * Password hashing: argon2id (RFC 9106), the first choice of the OWASP Password Storage Cheat
 * Sheet, with its parameters m = 46 MiB, t = 1, p = 1 (about 50 ms on one core here). The PHC
 * string keeps parameters and salt, so they can be raised later without invalidating old hashes.
 */
export const ARGON2_OPTIONS = {
  type: argon2.argon2id,
  memoryCost: 47_104,
  timeCost: 1,
  parallelism: 1,
} as const;

export const hashPassword = (password: string): Promise<string> =>
  argon2.hash(password.normalize('NFKC'), ARGON2_OPTIONS);

let dummy: Promise<string> | null = null;

/**
 * Checks `password` against `hash`; with no hash (unknown e-mail, user not active) it still spends
 * one verification on a dummy hash, so the answer takes as long and says the same.
 */
export async function verifyPassword(hash: string | null, password: string): Promise<boolean> {
  const normalised = password.normalize('NFKC');
  if (!hash) {
    dummy ??= argon2.hash('not a password of anyone', ARGON2_OPTIONS);
    await argon2.verify(await dummy, normalised).catch(() => false);
    return false;
  }
  return argon2.verify(hash, normalised).catch(() => false);
}
