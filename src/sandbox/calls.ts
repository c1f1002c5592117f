/**
 * Counts calls per stable name (`lp.domain`, `lp.ws.InitConnection`, ...) since the last reset,
 * for `GET /admin/calls`. Agent and admin calls are not counted.
 */
export class CallCounter {
  private counts = new Map<string, number>();

  count(call: string): void {
    this.counts.set(call, (this.counts.get(call) ?? 0) + 1);
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counts].sort(([a], [b]) => a.localeCompare(b)));
  }

  reset(): void {
    this.counts.clear();
  }
}
