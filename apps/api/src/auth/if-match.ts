import { validationError } from '@reprise/domain/shared/errors';

/** `If-Match: 3`, `"3"` or `W/"3"` → 3; absent → undefined; anything else → 400. */
export function ifMatchVersion(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return undefined;
  const raw = (Array.isArray(header) ? header[0] : header).trim();
  const m = /^(?:W\/)?"?(-?\d{1,15})"?$/.exec(raw);
  if (!m)
    throw validationError('invalid-if-match', 'If-Match must be a resource version', [
      { field: 'If-Match', message: 'must be a version number such as 3' },
    ]);
  return Number(m[1]);
}
