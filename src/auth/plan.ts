/**
 * The token lifecycle policy: given what is stored and the time, what to do next. Pure and
 * vendor-neutral — adapters only know how, this decides when.
 *
 * It decides on the access token (the one the messaging API takes) and the refresh window of the
 * identity behind it:
 *   no record, or an unreadable one            -> issue
 *   access token valid beyond the safety margin -> reuse   (a returning visitor makes no token call)
 *   otherwise, while now < windowEndsAt         -> renew   (exchange the identity token again), or
 *                                                  refresh (the identity token is about to expire
 *                                                  too: refresh it first, then exchange)
 *   at or past the window end                   -> replace (issue a new identity; the old chat is lost)
 */
import type { TokenRecord } from './record.ts';

/** Renew this long before the access token expires, so no request goes out with a dying token. */
export const ACCESS_SAFETY_MARGIN_MS = 60_000;
/**
 * An identity token this close to its expiry is refreshed before it is exchanged. The same
 * margin as the access token's: where the access token is the identity token itself (Salesforce,
 * the LivePerson connector's visitor token), a renewal that comes due must refresh it, not hand
 * the same dying token back.
 */
export const IDENTITY_SAFETY_MARGIN_MS = ACCESS_SAFETY_MARGIN_MS;

export type Plan = 'issue' | 'reuse' | 'renew' | 'refresh' | 'replace';

export function plan(record: TokenRecord | undefined, now: number): Plan {
  if (!record) return 'issue';
  const { identity } = record;
  if (now >= identity.windowEndsAt) return 'replace';
  const until = renewAt(record);
  if (until !== undefined && now < until) return 'reuse';
  return now >= identity.expiresAt - IDENTITY_SAFETY_MARGIN_MS ? 'refresh' : 'renew';
}

/**
 * Until when the stored access token is used as is, and so when to renew proactively: the instant
 * the reuse decision stops holding. Normally up to the safety margin before its expiry; but an
 * access token that already lives to the end of the identity's window (a Salesforce guest token,
 * whose window ends with it; a LivePerson token capped at the window end) cannot be bettered by a
 * renewal, so it is used to the end.
 */
export function renewAt({ access, identity }: TokenRecord): number | undefined {
  if (!access) return undefined;
  return access.expiresAt >= identity.windowEndsAt ? identity.windowEndsAt : access.expiresAt - ACCESS_SAFETY_MARGIN_MS;
}
