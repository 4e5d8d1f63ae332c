/**
 * The one rule for a time given by a user (a query such as `asOf`, a field such as
 * `scheduledFor`): an ISO-8601 / RFC 3339 date-time in the extended calendar form with seconds and
 * an explicit offset, e.g. `2027-01-05T09:00:00Z`, `2027-01-05T10:00:00.250+01:00`. Week dates
 * (`2027-W05-1`), ordinal dates (`2027-033`), the basic form (`20270105`), a date alone and a time
 * without an offset (local to whom?) are refused, and so is a date that does not exist
 * (`2027-02-30`).
 */
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|([+-])(\d{2}):(\d{2}))$/;

export const TIMESTAMP_EXAMPLE = '2027-01-05T09:00:00Z';
export const TIMESTAMP_RULE = `must be an ISO-8601 time with date, time and offset, such as ${TIMESTAMP_EXAMPLE}`;

/** Milliseconds since the epoch, or null when `value` breaks the rule above. */
export function parseTimestamp(value: unknown): number | null {
  if (typeof value !== 'string' || value.length > 40) return null;
  const m = TIMESTAMP.exec(value);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const offsetHours = m[10] === undefined ? 0 : Number(m[10]);
  const offsetMinutes = m[11] === undefined ? 0 : Number(m[11]);
  if (hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return null;
  const local = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(local);
  // Date.UTC rolls 2027-02-30 over to 2027-03-02: a date that does not exist is refused.
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day)
    return null;
  const fraction = m[7] ? Math.floor(Number(`0${m[7]}`) * 1000) : 0;
  const sign = m[9] === '-' ? -1 : 1;
  return local + fraction - sign * (offsetHours * 60 + offsetMinutes) * 60_000;
}

export const isTimestamp = (value: unknown): value is string => parseTimestamp(value) !== null;
