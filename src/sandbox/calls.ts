/**
 * Counts calls per stable name (`lp.domain`, `lp.ws.InitConnection`, ...) since the last reset,
 * for `GET /admin/calls`, and keeps a log of when each happened (`GET /admin/calls/log`: sandbox
 * clock and real time), so a test can check the spacing of retries. Agent and admin calls are
 * not counted.
 */
export interface CallLogEntry {
  call: string;
  /** Sandbox clock (ms since the epoch, admin clock jumps included). */
  at: number;
  /** Real time (ms since the epoch). */
  wallAt: number;
}

/** The log keeps the newest calls only. */
const LOG_LIMIT = 2_000;

export class CallCounter {
  private counts = new Map<string, number>();
  private log: CallLogEntry[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  count(call: string): void {
    this.counts.set(call, (this.counts.get(call) ?? 0) + 1);
    this.log.push({ call, at: this.now(), wallAt: Date.now() });
    if (this.log.length > LOG_LIMIT) this.log.splice(0, this.log.length - LOG_LIMIT);
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Calls in order, optionally of one name. */
  entries(call?: string): CallLogEntry[] {
    return this.log.filter((e) => call === undefined || e.call === call).map((e) => ({ ...e }));
  }

  reset(): void {
    this.counts.clear();
    this.log = [];
  }
}
