/**
 * The sandbox clock: real time plus an offset that the admin API can push forward, so tests and
 * QA can jump past token lifetimes without waiting. Everything time-based in the sandbox that a
 * vendor would judge by its own clock (JWT iat/exp, refresh windows, server timestamps) reads it.
 *
 * `at(epochMs, fn)` fires `fn` once when the sandbox clock reaches `epochMs`, whether that happens
 * by real time passing or by `advance()` jumping over it.
 */
export type ClockListener = (now: number) => void;

/** setTimeout's ceiling (about 24.8 days); longer waits re-arm when it fires. */
const MAX_TIMER_MS = 2_147_483_647;

export class SandboxClock {
  private offset = 0;
  private readonly listeners = new Set<ClockListener>();

  /** Epoch milliseconds on the sandbox clock. */
  now(): number {
    return Date.now() + this.offset;
  }

  get offsetMs(): number {
    return this.offset;
  }

  /** Moves the clock forward; listeners run synchronously, in subscription order. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('advance needs a finite, non-negative number of ms');
    this.offset += ms;
    this.notify();
  }

  /** Back to real time (admin reset). Listeners are told too: a jump back changes nothing they wait for. */
  reset(): void {
    this.offset = 0;
    this.notify();
  }

  /** Called after every advance/reset; returns the unsubscribe function. */
  onChange(listener: ClockListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs `fn` once when the sandbox clock reaches `epochMs`; returns a cancel function. */
  at(epochMs: number, fn: () => void): () => void {
    let done = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const fire = (): void => {
      if (done) return;
      done = true;
      cancel();
      fn();
    };
    const arm = (): void => {
      if (timer) clearTimeout(timer);
      const wait = epochMs - this.now();
      if (wait <= 0) {
        fire();
        return;
      }
      timer = setTimeout(arm, Math.min(wait, MAX_TIMER_MS));
      timer.unref?.();
    };
    const unsubscribe = this.onChange(() => arm());
    const cancel = (): void => {
      done = true;
      if (timer) clearTimeout(timer);
      unsubscribe();
    };
    arm();
    return cancel;
  }

  private notify(): void {
    const now = this.now();
    for (const listener of [...this.listeners]) listener(now);
  }
}
