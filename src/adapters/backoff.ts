/** Reconnect and retry delays for the HTTP-stream vendors (Salesforce §3.6, the broker). */

/**
 * 1 s × 1.5ⁿ capped at 30 s, plus up to 20 % jitter (so many widgets do not retry in step).
 * `attempt` counts from 0; a negative one counts as 0.
 */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  return Math.round(Math.min(30_000, 1_000 * 1.5 ** Math.max(0, attempt)) * (1 + 0.2 * random()));
}
