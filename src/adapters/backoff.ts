/** Reconnect and retry delays for the HTTP-stream vendors (Salesforce §3.6, the broker). */
const BASE_MS = 1_000;
const FACTOR = 1.5;
const CAP_MS = 30_000;
/** Up to this share of the delay is added at random, so many widgets do not retry in step. */
const JITTER = 0.2;

/** 1 s × 1.5ⁿ capped at 30 s, plus up to 20 % jitter. */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const n = Number.isInteger(attempt) && attempt >= 0 ? attempt : 0;
  const base = Math.min(CAP_MS, BASE_MS * FACTOR ** n);
  return Math.round(base * (1 + JITTER * random()));
}
