import { ruleViolation } from '@reprise/domain/shared/errors';
import type { ActivationWindow } from './activation.types';
import { toIso, toMillis } from './time';

/**
 * The activation window: `business-hours` is 08:00-18:00 local time, Monday to Friday, in the
 * tenant's IANA time zone; `24x7` is always open. Pure: the time is an argument; local time comes
 * from `Intl.DateTimeFormat`, so daylight-saving changes are handled by the platform's tz data.
 * Public holidays are not modelled (no calendar in the tenant's settings).
 */
export const WINDOW_OPENS_AT_HOUR = 8;
export const WINDOW_CLOSES_AT_HOUR = 18;

interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 1 = Monday … 7 = Sunday. */
  isoWeekday: number;
}

const WEEKDAYS: Record<string, number> = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        weekday: 'short',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch {
      throw ruleViolation('invalid-time-zone', `unknown time zone ${timeZone}`, { timeZone });
    }
    formatters.set(timeZone, f);
  }
  return f;
}

function localTime(ms: number, timeZone: string): LocalTime {
  const parts: Record<string, string> = {};
  for (const p of formatter(timeZone).formatToParts(ms)) parts[p.type] = p.value;
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour) % 24,
    minute: Number(parts.minute),
    second: Number(parts.second),
    isoWeekday: WEEKDAYS[parts.weekday],
  };
}

/** UTC offset (ms) of `timeZone` at instant `ms`. */
function offsetAt(ms: number, timeZone: string): number {
  const l = localTime(ms, timeZone);
  const asUtc = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second);
  return asUtc - (ms - (ms % 1000));
}

/** The instant at which the local wall time `y-m-d h:00` occurs in `timeZone` (first one if ambiguous). */
function instantOfLocal(year: number, month: number, day: number, hour: number, timeZone: string): number {
  const wall = Date.UTC(year, month - 1, day, hour);
  let guess = wall - offsetAt(wall, timeZone);
  guess = wall - offsetAt(guess, timeZone);
  return guess;
}

const isWorkingDay = (l: LocalTime) => l.isoWeekday <= 5;

/** Is `at` inside the tenant's activation window? */
export function isWithinWindow(at: string, window: ActivationWindow): boolean {
  if (window.activationWindow === '24x7') return true;
  const l = localTime(toMillis(at), window.timeZone);
  return isWorkingDay(l) && l.hour >= WINDOW_OPENS_AT_HOUR && l.hour < WINDOW_CLOSES_AT_HOUR;
}

/**
 * When the window is (next) open: `at` itself when it is open, else the next 08:00 local on a
 * working day, as an ISO-8601 UTC time.
 */
export function nextWindowOpening(at: string, window: ActivationWindow): string {
  const ms = toMillis(at);
  if (isWithinWindow(at, window)) return toIso(ms);
  const l = localTime(ms, window.timeZone);
  // Walk local calendar days (noon UTC of the local date avoids any DST edge) until a working day
  // whose 08:00 is still ahead.
  let day = Date.UTC(l.year, l.month - 1, l.day, 12);
  for (let i = 0; i < 8; i++, day += 86_400_000) {
    const d = new Date(day);
    const isoWeekday = ((d.getUTCDay() + 6) % 7) + 1;
    if (isoWeekday > 5) continue;
    const opening = instantOfLocal(
      d.getUTCFullYear(),
      d.getUTCMonth() + 1,
      d.getUTCDate(),
      WINDOW_OPENS_AT_HOUR,
      window.timeZone,
    );
    if (opening > ms) return toIso(opening);
  }
  /* istanbul ignore next: a working day always comes within 8 days */
  throw new Error('no window opening found');
}
