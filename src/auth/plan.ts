/**
 * The token lifecycle policy: given what is stored and the time, what to do next. Pure and
 * vendor-neutral — adapters only know how, this decides when.
 *
 * It decides on the access token (the one the messaging API takes) and the refresh window of the
 * identity behind it:
 *   no record, or an unreadable one            -> issue
 *   access token valid beyond the safety margin -> reuse   (a returning visitor makes no token call)
 *   otherwise, while now < windowEndsAt         -> renew   (refresh the identity if needed, exchange)
 *   at or past the window end                   -> replace (issue a new identity; the old chat is lost)
 */
import type { TokenRecord } from './record.ts';

/** Renew this long before the access token expires, so no request goes out with a dying token. */
export const ACCESS_SAFETY_MARGIN_MS = 60_000;
/** An external token this close to its expiry is refreshed before it is exchanged. */
export const IDENTITY_SAFETY_MARGIN_MS = 30_000;

export type Plan =
  | { action: 'issue' }
  | { action: 'reuse' }
  /** `refreshIdentity`: the external token must be refreshed before the exchange. */
  | { action: 'renew'; refreshIdentity: boolean }
  | { action: 'replace' };

export function plan(record: TokenRecord | undefined, now: number): Plan {
  if (!record) return { action: 'issue' };
  const { identity, access } = record;
  if (access && now < access.expiresAt - ACCESS_SAFETY_MARGIN_MS) return { action: 'reuse' };
  if (now >= identity.windowEndsAt) return { action: 'replace' };
  return { action: 'renew', refreshIdentity: now >= identity.expiresAt - IDENTITY_SAFETY_MARGIN_MS };
}

/** When to renew proactively: the instant the reuse decision stops holding. */
export function renewAt(record: TokenRecord): number | undefined {
  return record.access ? record.access.expiresAt - ACCESS_SAFETY_MARGIN_MS : undefined;
}
