import { formatMicroTime, parseMicroTime } from '../../../lib/kube/micro-time';

describe('MicroTime', () => {
  it('formats RFC 3339 UTC with exactly six fractional digits', () => {
    expect(formatMicroTime(Date.UTC(2026, 11, 4, 20, 47, 14, 123))).toBe('2026-12-04T20:47:14.123000Z');
    expect(formatMicroTime(0)).toBe('1970-01-01T00:00:00.000000Z');
  });

  it('round-trips, and parses what the apiserver sends', () => {
    const t = Date.UTC(2030, 0, 2, 3, 4, 5, 6);
    expect(parseMicroTime(formatMicroTime(t))).toBe(t);
    expect(parseMicroTime('2026-12-04T20:47:14.123456Z')).toBe(Date.UTC(2026, 11, 4, 20, 47, 14, 123));
    expect(parseMicroTime(undefined)).toBe(0);
    expect(parseMicroTime('garbage')).toBe(0);
  });

  it('refuses a non-time', () => {
    expect(() => formatMicroTime(Number.NaN)).toThrow('MicroTime: NaN is not a time');
  });
});
