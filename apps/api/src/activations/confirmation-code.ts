import { randomBytes, randomInt, scrypt as scryptCb, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCb) as (password: string, salt: Buffer, keylen: number) => Promise<Buffer>;
/** Crockford base32 without I, L, O, U: easy to read out and type from an SMS. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A one-time code like `7KQ2-M9XD` (40 bits of entropy). */
export function newConfirmationCode(): string {
  let code = '';
  for (let i = 0; i < 8; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

const normalise = (code: string) => code.toUpperCase().replace(/[^0-9A-Z]/g, '');

/** Salted scrypt hash `scrypt$<salt>$<hash>`: the only form in which a code is ever stored. */
export async function hashConfirmationCode(code: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(normalise(code), salt, 32);
  return `scrypt$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

export async function verifyConfirmationCode(code: string, stored: string): Promise<boolean> {
  const [scheme, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scrypt(normalise(code), Buffer.from(salt, 'base64url'), expected.length);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export interface RecipientCode {
  email: string;
  code: string;
  codeHash: string;
}

/** One code per recipient (hashed side by side): each person's code confirms only as them. */
export function newRecipientCodes(emails: string[]): Promise<RecipientCode[]> {
  return Promise.all(
    emails.map(async (email) => {
      const code = newConfirmationCode();
      return { email, code, codeHash: await hashConfirmationCode(code) };
    }),
  );
}
