/** Reconnect delays after a transient drop (contract §5.7 [GC]). */
const STEPS_MS = [5_000, 10_000, 15_000, 120_000, 240_000, 480_000] as const;
const CAP_MS = 480_000;

/** 5, 10, 15 s, then 2, 4, 8 min (cap), each ±20 % so many widgets do not reconnect in step. */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  const step = Number.isInteger(attempt) && attempt >= 0 ? Math.min(attempt, STEPS_MS.length - 1) : 0;
  const base = STEPS_MS[step] ?? CAP_MS;
  return Math.round(base * (0.8 + 0.4 * random()));
}
