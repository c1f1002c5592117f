import { describe, expect, it } from 'vitest';
import { formatCountdown, formatDuration, formatOffset, safeJson } from './format.ts';

describe('demo formatting', () => {
  it('keeps the two most significant units', () => {
    expect(formatDuration(45_000)).toBe('45 s');
    expect(formatDuration(9 * 60_000 + 12_000)).toBe('9 min 12 s');
    expect(formatDuration(3 * 60_000)).toBe('3 min');
    expect(formatDuration(5 * 3_600_000 + 3 * 60_000 + 59_000)).toBe('5 h 3 min');
    expect(formatDuration(730 * 3_600_000)).toBe('30 d 10 h');
  });

  it('counts down, then says how long ago it expired', () => {
    expect(formatCountdown(10_000 + 600_000, 10_000)).toEqual({ text: 'in 10 min', urgency: 'ok' });
    expect(formatCountdown(30_000, 0)).toEqual({ text: 'in 30 s', urgency: 'soon' });
    expect(formatCountdown(0, 180_000)).toEqual({ text: 'expired 3 min ago', urgency: 'past' });
    expect(formatCountdown(0, 180_000, 'ended').text).toBe('ended 3 min ago');
  });

  it('signs offsets', () => {
    expect(formatOffset(0)).toBe('0');
    expect(formatOffset(-350)).toBe('−350 ms');
    expect(formatOffset(11 * 60_000)).toBe('+11 min');
  });

  it('never prints a token', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';
    const text = safeJson({ subject: 'abc', token: 'opaque', nested: { value: jwt } });
    expect(text).toContain('abc');
    expect(text).not.toContain('opaque');
    expect(text).not.toContain(jwt);
  });
});
