import { describe, expect, it } from 'vitest';
import { reconnectDelayMs } from './backoff.ts';

describe('reconnectDelayMs (§5.7)', () => {
  const middle = () => 0.5;

  it('waits 5, 10, 15 s, then 2, 4, 8 min, and stays at the cap', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 50].map((n) => reconnectDelayMs(n, middle))).toEqual([
      5_000, 10_000, 15_000, 120_000, 240_000, 480_000, 480_000, 480_000,
    ]);
  });

  it('spreads each wait ±20 %', () => {
    expect(reconnectDelayMs(0, () => 0)).toBe(4_000);
    expect(reconnectDelayMs(0, () => 1)).toBe(6_000);
  });

  it('takes an attempt that is no whole number 0 or more as the first', () => {
    expect([-1, 2.5, Number.NaN].map((n) => reconnectDelayMs(n, middle))).toEqual([5_000, 5_000, 5_000]);
  });
});
