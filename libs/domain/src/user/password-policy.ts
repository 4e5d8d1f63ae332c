/**
 * The password rule (NIST SP 800-63B, §3.1.1.2 "Password Verifiers"): length is what counts, not
 * composition. A password is 12 to 128 characters (Unicode code points after NFKC normalisation,
 * spaces allowed: passphrases are welcome), with no composition rule, and it is refused when it is
 * a known common password (or one decorated with digits and symbols), repetitive or sequential, or
 * built on the account's own e-mail, name or the product's name. The second factor (TOTP) is
 * mandatory, which is why 12 (not 15) is the minimum.
 */
export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;

export const PASSWORD_RULE =
  `a password is ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters (any characters, spaces welcome: ` +
  'a passphrase of several words is best), and is not a common or repetitive password, ' +
  'nor built on your e-mail, your name or the product name';

/**
 * Frequent passwords of 12 characters or more, from public breach corpora (lower case). Shorter
 * ones are already refused by the length rule.
 */
const COMMON = new Set([
  '123456789012',
  '1234567890123',
  '12345678901234',
  '123456789123',
  '123123123123',
  '111111111111',
  '000000000000',
  '123456654321',
  '987654321098',
  'qwertyuiop12',
  'qwertyuiopas',
  'qwertyuiopasdfghjkl',
  'qwertyuiopasdfghjklzxcvbnm',
  '1q2w3e4r5t6y',
  '1qaz2wsx3edc',
  '1qaz2wsx3edc4rfv',
  'zaq12wsxcde3',
  'qazwsxedcrfv',
  'asdfghjklzxc',
  'azertyuiop12',
  'password1234',
  'password123!',
  'passw0rd1234',
  'p@ssw0rd1234',
  'iloveyou1234',
  'letmein12345',
  'welcome12345',
  'changeme1234',
  'administrator',
  'administrator1',
  'trustno1trustno1',
  'correcthorsebatterystaple',
  'correct horse battery staple',
  'thequickbrownfox',
  'thequickbrownfoxjumpsoverthelazydog',
  'the quick brown fox jumps over the lazy dog',
  'abcdefghijklmnopqrstuvwxyz',
  'abc123abc123',
  'ilovemyfamily',
  'whatever1234',
  'superman1234',
  'starwars1234',
  'football1234',
  'baseball1234',
  'sunshine1234',
  'princess1234',
  'mypassword123',
  'password12345',
  'password123456',
  'motdepasse123',
  'passwort1234',
  'contrasena123',
]);

/** Words that, decorated with digits and symbols only (`Password2024!`), are still common. */
const COMMON_WORDS = new Set([
  'password',
  'passwort',
  'passw',
  'pass',
  'motdepasse',
  'contrasena',
  'qwerty',
  'qwertz',
  'azerty',
  'qwertyuiop',
  'asdfgh',
  'letmein',
  'welcome',
  'iloveyou',
  'admin',
  'administrator',
  'changeme',
  'secret',
  'monkey',
  'dragon',
  'master',
  'football',
  'baseball',
  'soccer',
  'sunshine',
  'princess',
  'superman',
  'batman',
  'starwars',
  'trustno',
  'whatever',
  'shadow',
  'michael',
  'jordan',
  'summer',
  'winter',
  'spring',
  'autumn',
  'january',
  'abc',
  'abcdef',
  'login',
  'user',
  'test',
  'default',
]);

/** Product and context words a password must not be built on (NIST: context-specific words). */
const CONTEXT_WORDS = ['reprise'];

const codePoints = (s: string) => Array.from(s);

/** `abcdef…`, `fedcba…`, `456789012…` (digits wrap around): one step, up or down. */
function isSequential(chars: string[]): boolean {
  if (chars.length < 2) return true;
  const digits = chars.every((c) => c >= '0' && c <= '9');
  const steps = new Set<number>();
  for (let i = 1; i < chars.length; i++) {
    const d = chars[i].codePointAt(0)! - chars[i - 1].codePointAt(0)!;
    steps.add(digits ? (d + 10) % 10 : d);
  }
  const [step] = steps;
  return steps.size === 1 && (digits ? step === 1 || step === 9 : Math.abs(step) <= 1);
}

/** `abcabcabcabc`, `123412341234`: a short unit repeated. */
function isRepeatedUnit(s: string): boolean {
  return /^(.{1,6}?)\1+$/su.test(s);
}

export interface PasswordContext {
  email: string;
  name: string;
}

/**
 * Why `password` is refused, in words, or null when it satisfies the rule. Pure: no hashing, no
 * I/O; the caller hashes only an accepted password.
 */
export function passwordProblem(password: unknown, context: PasswordContext): string | null {
  if (typeof password !== 'string') return 'must be a string';
  const normalised = password.normalize('NFKC');
  const chars = codePoints(normalised);
  if (chars.length < PASSWORD_MIN_LENGTH) return `must be at least ${PASSWORD_MIN_LENGTH} characters`;
  if (chars.length > PASSWORD_MAX_LENGTH) return `must be at most ${PASSWORD_MAX_LENGTH} characters`;
  const lower = normalised.toLowerCase();
  const compact = lower.replace(/\s+/gu, '');
  if (COMMON.has(lower) || COMMON.has(compact)) return 'is a common password';
  const letters = lower.replace(/[^\p{L}]/gu, '');
  if (COMMON_WORDS.has(letters)) return 'is a common word decorated with digits or symbols';
  if (new Set(codePoints(compact)).size < 5) return 'is too repetitive (fewer than 5 different characters)';
  if (isSequential(codePoints(compact))) return 'is a sequence';
  if (isRepeatedUnit(compact)) return 'is too repetitive (a short pattern repeated)';
  const email = context.email.trim().toLowerCase();
  const local = email.split('@')[0] ?? '';
  if (email && compact.includes(email.replace(/\s+/g, ''))) return 'must not contain your e-mail address';
  if (local.length >= 4 && compact.includes(local)) return 'must not contain your e-mail address';
  const localWords = local.split(/[^\p{L}\p{N}]+/u).filter((w) => w.length >= 4);
  const nameWords = context.name
    .normalize('NFKC')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length >= 4);
  if ([...localWords, ...nameWords].some((w) => compact.includes(w)))
    return 'must not contain your name or e-mail';
  if (CONTEXT_WORDS.some((w) => compact.includes(w))) return 'must not contain the product name';
  return null;
}
