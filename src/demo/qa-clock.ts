/**
 * The sandbox clock as the panel sees it: `GET /admin/clock` polled every few seconds and
 * extrapolated in between with the page's monotonic clock, so countdowns are right straight
 * after a clock jump (call `refresh()` after one) and tick smoothly.
 */
import type { SandboxClient } from './qa-client.ts';

const POLL_MS = 3_000;

export class SandboxClockView {
  /** Sandbox time at `anchorPerf` (performance.now()), once the sandbox has answered. */
  private anchor: { serverNow: number; perf: number; offsetMs: number } | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly client: SandboxClient) {}

  start(): void {
    void this.refresh();
    this.timer ??= setInterval(() => void this.refresh(), POLL_MS);
  }

  async refresh(): Promise<void> {
    const sent = performance.now();
    const result = await this.client.clock();
    if (!result.ok) return;
    const received = performance.now();
    // The server read its clock somewhere in the round trip: take the middle.
    this.anchor = { serverNow: result.data.now, perf: (sent + received) / 2, offsetMs: result.data.offsetMs };
  }

  /** Sandbox time now, or undefined if the sandbox has never answered. */
  now(): number | undefined {
    if (!this.anchor) return undefined;
    return this.anchor.serverNow + (performance.now() - this.anchor.perf);
  }

  /** How far the admin API has pushed the sandbox clock ahead of real time. */
  get jumpedMs(): number | undefined {
    return this.anchor?.offsetMs;
  }

  /** Sandbox minus this page's local clock. */
  get skewMs(): number | undefined {
    const now = this.now();
    return now === undefined ? undefined : Math.round(now - Date.now());
  }
}
