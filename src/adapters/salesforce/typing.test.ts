import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTypingIndicator, type TypingIndicator } from './typing.ts';

describe('TypingIndicator (W13)', () => {
  let sent: Array<[number, boolean]>;
  let indicator: TypingIndicator;

  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    sent = [];
    indicator = createTypingIndicator((on) => sent.push([Date.now(), on]), () => Date.now());
  });
  afterEach(() => {
    indicator.dispose();
    vi.useRealTimers();
  });

  it('starts on the first keystroke and stops after 5 s idle', () => {
    indicator.keystroke();
    vi.advanceTimersByTime(500);
    indicator.keystroke();
    expect(sent).toEqual([[0, true]]);
    vi.advanceTimersByTime(4_999);
    expect(sent).toEqual([[0, true]]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([[0, true], [5_500, false]]);
  });

  it('sends at most one request per 2 s: a quick stop waits, a restart before it cancels it', () => {
    indicator.keystroke();
    vi.advanceTimersByTime(300);
    indicator.stop();
    expect(sent).toEqual([[0, true]]);
    vi.advanceTimersByTime(1_700);
    expect(sent).toEqual([[0, true], [2_000, false]]);

    indicator.keystroke(); // 2 000: within 2 s of the stop → deferred
    vi.advanceTimersByTime(100);
    indicator.stop();
    indicator.keystroke();
    vi.advanceTimersByTime(1_900);
    expect(sent).toEqual([[0, true], [2_000, false], [4_000, true]]);
  });

  it('repeats "started" while typing goes on, never more than once per 2 s', () => {
    for (let t = 0; t <= 10_000; t += 250) {
      indicator.keystroke();
      vi.advanceTimersByTime(250);
    }
    const starts = sent.filter(([, on]) => on).map(([t]) => t);
    expect(starts.length).toBeGreaterThan(2);
    for (let i = 1; i < sent.length; i++) expect(sent[i]![0] - sent[i - 1]![0]).toBeGreaterThanOrEqual(2_000);
    expect(sent.every(([, on]) => on)).toBe(true);
  });

  it('does nothing on a stop when the server was never told', () => {
    indicator.stop();
    vi.advanceTimersByTime(10_000);
    expect(sent).toEqual([]);
  });

  it('is silent once disposed', () => {
    indicator.keystroke();
    indicator.dispose();
    vi.advanceTimersByTime(10_000);
    indicator.keystroke();
    expect(sent).toEqual([[0, true]]);
  });
});
