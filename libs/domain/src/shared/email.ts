/** E-mail addresses: one shape rule and one comparison for the whole domain. */
export const EMAIL_PATTERN = /^[^\s@]{1,64}@[^\s@]+\.[^\s@]{2,}$/;

export const isEmailAddress = (value: unknown): value is string =>
  typeof value === 'string' && value.length <= 254 && EMAIL_PATTERN.test(value);

/** The form e-mails are stored and compared in: trimmed, lower case. */
export const normaliseEmail = (email: string): string => email.trim().toLowerCase();

export const sameEmail = (a: string, b: string): boolean => normaliseEmail(a) === normaliseEmail(b);
