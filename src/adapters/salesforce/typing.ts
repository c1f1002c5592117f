/**
 * The visitor's typing indicator (W13): started on the first keystroke after idle, stopped
 * after 5 s without a keystroke or on send, and never more than one request per 2 s. While the
 * visitor keeps typing, "started" is repeated now and then so the agent's side, which hides a
 * silent indicator, keeps showing it.
 */
export interface TypingTimings {
  /** At most one request per this many ms. */
  minIntervalMs: number;
  /** Stop after this long without a keystroke. */
  idleMs: number;
  /** Repeat "started" on a keystroke once this long has passed since the last request. */
  repeatMs: number;
}

export const TYPING_TIMINGS: TypingTimings = { minIntervalMs: 2_000, idleMs: 5_000, repeatMs: 3_000 };

export interface TypingIndicator {
  /** A keystroke. */
  keystroke(): void;
  /** The visitor stopped (cleared the field, sent, went idle). */
  stop(): void;
  /** Forget the state without telling the server (the connection is gone). */
  dispose(): void;
}

export function createTypingIndicator(
  send: (on: boolean) => void,
  now: () => number = Date.now,
  { minIntervalMs, idleMs, repeatMs }: TypingTimings = TYPING_TIMINGS,
): TypingIndicator {
  /** What the visitor is doing. */
  let wanted = false;
  /** What the server was last told. */
  let told = false;
  let lastRequestAt = Number.NEGATIVE_INFINITY;
  let idleTimer: ReturnType<typeof setTimeout> | undefined;
  let pumpTimer: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;

  const request = (on: boolean): void => {
    told = on;
    lastRequestAt = now();
    send(on);
  };
  const pump = (): void => {
    if (wanted === told) {
      clearTimeout(pumpTimer);
      pumpTimer = undefined;
      return;
    }
    const wait = lastRequestAt + minIntervalMs - now();
    if (wait <= 0) request(wanted);
    else
      pumpTimer ??= setTimeout(() => {
        pumpTimer = undefined;
        pump();
      }, wait);
  };
  const stop = (): void => {
    if (disposed) return;
    wanted = false;
    clearTimeout(idleTimer);
    pump();
  };

  return {
    keystroke() {
      if (disposed) return;
      wanted = true;
      clearTimeout(idleTimer);
      idleTimer = setTimeout(stop, idleMs);
      if (told && pumpTimer === undefined && now() - lastRequestAt >= repeatMs) request(true);
      else pump();
    },
    stop,
    dispose() {
      // Every entry point checks `disposed`; the timers are cancelled.
      disposed = true;
      clearTimeout(idleTimer);
      clearTimeout(pumpTimer);
    },
  };
}
