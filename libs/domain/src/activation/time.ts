import { validationError } from '@reprise/domain/shared/errors';

/** Milliseconds since the epoch of an ISO-8601 time; a malformed time is a 400 naming `field`. */
export function toMillis(iso: string, field = 'at'): number {
  const ms = typeof iso === 'string' ? Date.parse(iso) : NaN;
  if (Number.isNaN(ms))
    throw validationError('invalid-time', `${field} is not an ISO-8601 time`, [
      { field, message: 'must be an ISO-8601 time' },
    ]);
  return ms;
}

export const toIso = (ms: number): string => new Date(ms).toISOString();

export const addMinutes = (iso: string, minutes: number): string => toIso(toMillis(iso) + minutes * 60_000);

/** Minutes rounded to one decimal, as every duration in reports. */
export const round1 = (minutes: number): number => Math.round(minutes * 10) / 10;

/** `to - from` in minutes, one decimal. */
export const minutesBetween = (from: string, to: string): number =>
  round1((toMillis(to) - toMillis(from)) / 60_000);

export const isAtOrAfter = (a: string, b: string): boolean => toMillis(a) >= toMillis(b);
