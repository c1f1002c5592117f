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

export class TypingIndicator {
  readonly #send: (on: boolean) => void;
  readonly #now: () => number;
  readonly #timings: TypingTimings;

  /** What the visitor is doing. */
  #wanted = false;
  /** What the server was last told. */
  #told = false;
  #lastRequestAt = Number.NEGATIVE_INFINITY;
  #idleTimer: ReturnType<typeof setTimeout> | undefined;
  #pumpTimer: ReturnType<typeof setTimeout> | undefined;
  #disposed = false;

  constructor(
    send: (on: boolean) => void,
    now: () => number = Date.now,
    timings: TypingTimings = TYPING_TIMINGS,
  ) {
    this.#send = send;
    this.#now = now;
    this.#timings = timings;
  }

  /** A keystroke. */
  keystroke(): void {
    if (this.#disposed) return;
    this.#wanted = true;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => this.stop(), this.#timings.idleMs);
    if (this.#told && this.#pumpTimer === undefined && this.#now() - this.#lastRequestAt >= this.#timings.repeatMs) {
      this.#request(true);
      return;
    }
    this.#pump();
  }

  /** The visitor stopped (cleared the field, sent, went idle). */
  stop(): void {
    if (this.#disposed) return;
    this.#wanted = false;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = undefined;
    this.#pump();
  }

  /** Forget the state without telling the server (the connection is gone). */
  dispose(): void {
    this.#disposed = true;
    clearTimeout(this.#idleTimer);
    clearTimeout(this.#pumpTimer);
    this.#idleTimer = undefined;
    this.#pumpTimer = undefined;
  }

  #pump(): void {
    if (this.#wanted === this.#told) {
      clearTimeout(this.#pumpTimer);
      this.#pumpTimer = undefined;
      return;
    }
    const wait = this.#lastRequestAt + this.#timings.minIntervalMs - this.#now();
    if (wait > 0) {
      this.#pumpTimer ??= setTimeout(() => {
        this.#pumpTimer = undefined;
        if (!this.#disposed) this.#pump();
      }, wait);
      return;
    }
    this.#request(this.#wanted);
  }

  #request(on: boolean): void {
    this.#told = on;
    this.#lastRequestAt = this.#now();
    this.#send(on);
  }
}
