import { describe, expect, it, vi } from 'vitest';
import { SandboxClock } from './clock.ts';

describe('SandboxClock', () => {
  it('adds the advanced offset to real time and resets it', () => {
    const clock = new SandboxClock();
    const before = Date.now();
    clock.advance(60_000);
    expect(clock.now()).toBeGreaterThanOrEqual(before + 60_000);
    expect(clock.offsetMs).toBe(60_000);
    clock.reset();
    expect(clock.offsetMs).toBe(0);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });

  it('fires at() when an advance jumps past the instant', () => {
    const clock = new SandboxClock();
    const fn = vi.fn();
    clock.at(clock.now() + 3_600_000, fn);
    clock.advance(1_000);
    expect(fn).not.toHaveBeenCalled();
    clock.advance(3_600_000);
    expect(fn).toHaveBeenCalledTimes(1);
    clock.advance(3_600_000);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('fires at() by real time and can be cancelled', async () => {
    const clock = new SandboxClock();
    const fired = vi.fn();
    const cancelled = vi.fn();
    clock.at(clock.now() + 30, fired);
    const cancel = clock.at(clock.now() + 30, cancelled);
    cancel();
    await new Promise((r) => setTimeout(r, 80));
    expect(fired).toHaveBeenCalledTimes(1);
    expect(cancelled).not.toHaveBeenCalled();
  });
});
