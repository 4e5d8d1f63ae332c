/** RFC 1123 host names: ≤ 253 characters, dot-separated labels of 1–63 `[a-z0-9-]`, no leading/trailing hyphen. Compared lowercased. */
export const HOSTNAME_MAX_LENGTH = 253;
const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function normaliseHostname(value: string): string {
  return value.trim().toLowerCase();
}

/** Returns why `hostname` (already normalised) is not a valid RFC 1123 name, or null when it is. */
export function hostnameProblem(hostname: string): string | null {
  if (!hostname) return 'must not be empty';
  if (hostname.length > HOSTNAME_MAX_LENGTH) return `must be at most ${HOSTNAME_MAX_LENGTH} characters`;
  for (const label of hostname.split('.')) {
    if (label.length === 0) return 'must not contain empty labels';
    if (label.length > 63) return 'each label must be at most 63 characters';
    if (!LABEL.test(label))
      return 'labels may only contain a-z, 0-9 and "-", and must not start or end with "-" (RFC 1123)';
  }
  return null;
}
