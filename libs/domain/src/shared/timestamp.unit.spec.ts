import fc from 'fast-check';
import { isTimestamp, parseTimestamp } from './timestamp';

describe('the one timestamp rule', () => {
  const dates = fc.date({
    min: new Date('1000-01-01T00:00:00Z'),
    max: new Date('9998-12-31T23:59:59Z'),
    noInvalidDate: true,
  });

  it('accepts what toISOString writes, to the millisecond', () => {
    fc.assert(fc.property(dates, (d) => expect(parseTimestamp(d.toISOString())).toBe(d.getTime())));
  });

  it('reads an offset as the same moment as its UTC form', () => {
    fc.assert(
      fc.property(dates, fc.integer({ min: -14 * 60, max: 14 * 60 }), (d, offsetMinutes) => {
        const whole = new Date(Math.floor(d.getTime() / 1000) * 1000);
        const local = new Date(whole.getTime() + offsetMinutes * 60_000).toISOString().slice(0, 19);
        const sign = offsetMinutes < 0 ? '-' : '+';
        const abs = Math.abs(offsetMinutes);
        const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
        expect(parseTimestamp(`${local}${offset}`)).toBe(whole.getTime());
      }),
    );
  });

  it.each([
    '2027-W05-1', // week date
    '2027-033', // ordinal date
    '20270105', // basic form
    '20270105T090000Z',
    '2027-01-05', // a date is not a time
    '2027-01-05T09:00:00', // local to whom?
    '2027-01-05T09:00Z', // no seconds
    '2027-02-30T09:00:00Z', // no such day
    '2027-02-29T09:00:00Z',
    '2027-13-01T09:00:00Z',
    '2027-01-05T24:00:00Z',
    '2027-01-05T09:60:00Z',
    '2027-01-05T09:00:60Z',
    '2027-01-05T09:00:00+24:00',
    '2027-01-05 09:00:00Z',
    '+002027-01-05T09:00:00Z',
    ' 2027-01-05T09:00:00Z',
    'yesterday',
    '',
  ])('refuses %j', (value) => {
    expect(parseTimestamp(value)).toBeNull();
  });

  it('accepts leap days, fractions and lower-case separators', () => {
    expect(parseTimestamp('2028-02-29T09:00:00Z')).toBe(Date.parse('2028-02-29T09:00:00Z'));
    expect(parseTimestamp('2027-01-05T09:00:00.5Z')).toBe(Date.parse('2027-01-05T09:00:00.500Z'));
    expect(parseTimestamp('2027-01-05t09:00:00z')).toBe(Date.parse('2027-01-05T09:00:00Z'));
  });

  it('refuses whatever is not a string, and never throws', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        if (typeof value !== 'string') expect(isTimestamp(value)).toBe(false);
      }),
    );
    fc.assert(fc.property(fc.string(), (value) => expect(() => parseTimestamp(value)).not.toThrow()));
  });
});
