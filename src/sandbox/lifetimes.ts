/**
 * Token lifetimes and connection timeouts the admin API can change at run time
 * (`POST /admin/lifetimes`, partial updates). All values are milliseconds.
 */
export interface Lifetimes {
  /** LivePerson external (anonymous) token lifetime. */
  lpTokenMs: number;
  /** LivePerson refresh window, counted from the identity's first issue. */
  lpRefreshWindowMs: number;
  /** LivePerson consumer JWT (authenticate?v=3.0) lifetime, capped at the window end. */
  lpInternalTokenMs: number;
  /** Salesforce guest access token lifetime (used by the Salesforce face). */
  sfTokenMs: number;
  /** Sandbox extra: time a new LP socket has to complete InitConnection (real time). */
  lpInitConnectionMs: number;
  /** Sandbox extra: LP socket idle time without a client frame before close 1000 (real time). */
  lpIdleMs: number;
  /** Sandbox extra: interval of Salesforce `ping` frames on an open event stream (real time). */
  sfPingMs: number;
  /** LivePerson Connector API: Sentinel AppJWT lifetime (documented: 1 h). */
  lpAppJwtMs: number;
  /** LivePerson Connector API: ConsumerJWS lifetime ([SB] undocumented; 24 h). */
  lpConsumerJwsMs: number;
}

export const DEFAULT_LIFETIMES: Readonly<Lifetimes> = Object.freeze({
  lpTokenMs: 10 * 60_000,
  lpRefreshWindowMs: 730 * 3_600_000,
  lpInternalTokenMs: 60 * 60_000,
  sfTokenMs: 60 * 60_000,
  lpInitConnectionMs: 5_000,
  lpIdleMs: 60_000,
  sfPingMs: 15_000,
  lpAppJwtMs: 60 * 60_000,
  lpConsumerJwsMs: 24 * 3_600_000,
});

export const LIFETIME_KEYS = Object.keys(DEFAULT_LIFETIMES) as (keyof Lifetimes)[];

function isLifetimeKey(key: string): key is keyof Lifetimes {
  return (LIFETIME_KEYS as string[]).includes(key);
}

/**
 * Validates a partial update: only known keys, each a positive finite number of ms.
 * Returns the error text, or the update.
 */
export function parseLifetimesUpdate(input: unknown): Partial<Lifetimes> | string {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return 'body must be a JSON object';
  const update: Partial<Lifetimes> = {};
  for (const [key, value] of Object.entries(input)) {
    if (!isLifetimeKey(key)) return `unknown lifetime "${key}" (known: ${LIFETIME_KEYS.join(', ')})`;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
      return `${key} must be a positive number of milliseconds`;
    }
    update[key] = Math.round(value);
  }
  return update;
}
