import { isWithinWindow, nextWindowOpening } from './window';

const paris = { activationWindow: 'business-hours', timeZone: 'Europe/Paris' } as const;
const newYork = { activationWindow: 'business-hours', timeZone: 'America/New_York' } as const;

describe('activation window (Europe/Paris business hours)', () => {
  it.each([
    ['2024-06-03T06:00:00.000Z', true, 'Monday 08:00 CEST opens'],
    ['2024-06-03T05:59:59.000Z', false, 'Monday 07:59:59 CEST'],
    ['2024-06-03T15:59:00.000Z', true, 'Monday 17:59 CEST'],
    ['2024-06-03T16:00:00.000Z', false, 'Monday 18:00 CEST closes'],
    ['2024-01-08T07:00:00.000Z', true, 'winter Monday 08:00 CET'],
    ['2024-01-08T06:30:00.000Z', false, 'winter Monday 07:30 CET'],
    ['2024-01-08T16:59:00.000Z', true, 'winter Monday 17:59 CET'],
    ['2024-06-08T10:00:00.000Z', false, 'Saturday noon'],
    ['2024-06-09T10:00:00.000Z', false, 'Sunday noon'],
    ['2024-06-07T21:30:00.000Z', false, 'Friday 23:30 CEST'],
    ['2024-06-09T22:30:00.000Z', false, 'Monday 00:30 CEST, still Sunday in UTC'],
  ])('%s → %s (%s)', (at, expected) => {
    expect(isWithinWindow(at, paris)).toBe(expected);
  });

  it('24x7 is always open', () => {
    expect(
      isWithinWindow('2024-06-09T02:00:00.000Z', { activationWindow: '24x7', timeZone: 'Europe/Paris' }),
    ).toBe(true);
    expect(
      nextWindowOpening('2024-06-09T02:00:00.000Z', { activationWindow: '24x7', timeZone: 'Europe/Paris' }),
    ).toBe('2024-06-09T02:00:00.000Z');
  });

  it.each([
    ['2024-06-03T10:00:00.000Z', '2024-06-03T10:00:00.000Z', 'inside: now'],
    ['2024-06-03T04:00:00.000Z', '2024-06-03T06:00:00.000Z', 'Monday early morning: same day 08:00'],
    ['2024-06-03T17:00:00.000Z', '2024-06-04T06:00:00.000Z', 'Monday evening: Tuesday 08:00'],
    ['2024-06-07T17:00:00.000Z', '2024-06-10T06:00:00.000Z', 'Friday evening: Monday 08:00'],
    ['2024-06-08T12:00:00.000Z', '2024-06-10T06:00:00.000Z', 'Saturday: Monday 08:00'],
    ['2024-06-09T22:30:00.000Z', '2024-06-10T06:00:00.000Z', 'Monday 00:30 local: Monday 08:00'],
    [
      '2024-03-29T19:00:00.000Z',
      '2024-04-01T06:00:00.000Z',
      'Friday CET → Monday CEST (spring forward on Sunday 31 March)',
    ],
    ['2024-03-31T01:30:00.000Z', '2024-04-01T06:00:00.000Z', 'during the spring-forward night'],
    [
      '2024-10-25T18:00:00.000Z',
      '2024-10-28T07:00:00.000Z',
      'Friday CEST → Monday CET (fall back on Sunday 27 October)',
    ],
    ['2024-10-27T00:30:00.000Z', '2024-10-28T07:00:00.000Z', 'during the fall-back night (02:30 CEST)'],
    ['2024-10-27T01:30:00.000Z', '2024-10-28T07:00:00.000Z', 'during the repeated hour (02:30 CET)'],
  ])('next opening after %s is %s (%s)', (at, expected) => {
    expect(nextWindowOpening(at, paris)).toBe(expected);
    expect(isWithinWindow(nextWindowOpening(at, paris), paris)).toBe(true);
  });

  it('works in another time zone (New York, its own DST dates)', () => {
    // US DST starts on 10 March 2024: Friday 8 March 19:00 EST → Monday 11 March 08:00 EDT = 12:00Z.
    expect(nextWindowOpening('2024-03-09T00:00:00.000Z', newYork)).toBe('2024-03-11T12:00:00.000Z');
    expect(isWithinWindow('2024-03-11T12:00:00.000Z', newYork)).toBe(true);
    expect(isWithinWindow('2024-03-11T11:59:00.000Z', newYork)).toBe(false);
  });

  it('refuses an unknown time zone (422)', () => {
    expect(() =>
      isWithinWindow('2024-06-03T10:00:00.000Z', {
        activationWindow: 'business-hours',
        timeZone: 'Mars/Olympus',
      }),
    ).toThrow(expect.objectContaining({ kind: 'rule', code: 'invalid-time-zone' }));
  });
});
