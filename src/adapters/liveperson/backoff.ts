/** Reconnect delays after a transient drop (contract §5.7 [GC]): the last one is the cap. */
const STEPS_MS = [5_000, 10_000, 15_000, 120_000, 240_000, 480_000];

/** 5, 10, 15 s, then 2, 4, 8 min (cap), each ±20 % so many widgets do not reconnect in step. */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  // An attempt that is no whole number 0 or more (none should come) counts as the first.
  const base = STEPS_MS[Number.isInteger(attempt) && attempt >= 0 ? Math.min(attempt, 5) : 0] as number;
  return Math.round(base * (0.8 + 0.4 * random()));
}
