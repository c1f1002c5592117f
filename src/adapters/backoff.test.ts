import { describe, expect, it } from 'vitest';
import { retryDelayMs } from './backoff.ts';

describe('retryDelayMs (§3.6)', () => {
  it('grows 1 s × 1.5ⁿ and caps at 30 s', () => {
    const none = () => 0;
    expect([0, 1, 2, 3].map((n) => retryDelayMs(n, none))).toEqual([1000, 1500, 2250, 3375]);
    expect(retryDelayMs(20, none)).toBe(30_000);
    expect(retryDelayMs(-1, none)).toBe(1000);
  });

  it('adds up to 20 % jitter', () => {
    expect(retryDelayMs(0, () => 0.999)).toBeLessThanOrEqual(1200);
    expect(retryDelayMs(20, () => 1)).toBe(36_000);
    const spread = new Set(Array.from({ length: 20 }, () => retryDelayMs(2)));
    expect(spread.size).toBeGreaterThan(1);
  });
});
