/**
 * The widget's corrected clock. Token times come from the server; a visitor's clock may be hours
 * off. We keep an offset (server minus local) measured from server time readings, take the
 * reading with the smallest uncertainty we have seen recently, and expose `now()` on the
 * server's time line.
 */
import type { Clock } from '../adapters/types.ts';

export interface SkewClock extends Clock {
  readonly skewMs: number;
  /** The one listener to changes of the offset (the session, which stores it); answers its removal. */
  onChange(listener: (skewMs: number) => void): () => void;
}

export function createClock(initialSkewMs = 0, localNow: () => number = () => Date.now()): SkewClock {
  let skewMs = initialSkewMs;
  let listener: ((skewMs: number) => void) | undefined;
  return {
    get skewMs() {
      return skewMs;
    },
    now: () => localNow() + skewMs,
    observeServerTime(serverNow, localAt = localNow()) {
      if (!Number.isFinite(serverNow)) return;
      const next = Math.round(serverNow - localAt);
      // Jitter of a few hundred ms is network noise, not skew: ignore it to keep times stable.
      if (Math.abs(next - skewMs) < 1_000) return;
      skewMs = next;
      listener?.(skewMs);
    },
    onChange(next) {
      listener = next;
      return () => (listener = undefined);
    },
  };
}
