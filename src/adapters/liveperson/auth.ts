/**
 * LivePerson's side of the token lifecycle. The external token is opaque (its claims are not
 * public), so its times come from the documented defaults counted on our corrected clock; the
 * consumer JWT's times come from its own `iat`/`exp`.
 */
import type { AccessToken, AuthAdapter, Clock, Identity } from '../types.ts';
import type { IdpClient } from './idp.ts';
import { readConsumerClaims } from './jwt.ts';

/** Documented default lifetime of the external token. */
export const EXTERNAL_TOKEN_LIFETIME_MS = 10 * 60_000;
/** Documented default refresh window of an anonymous identity, counted from its first issue. */
export const REFRESH_WINDOW_MS = 730 * 3_600_000;

/** Below this, a gap between the token's `iat` and our clock is left to GetClock to measure. */
const COARSE_SKEW_MS = 30_000;

export function createLivePersonAuth(idp: IdpClient, clock: Clock): AuthAdapter {
  return {
    async issue(): Promise<Identity> {
      const token = await idp.issue();
      const issuedAt = clock.now();
      return {
        token,
        issuedAt,
        expiresAt: issuedAt + EXTERNAL_TOKEN_LIFETIME_MS,
        windowEndsAt: issuedAt + REFRESH_WINDOW_MS,
      };
    },

    async refresh(identity: Identity): Promise<Identity> {
      const token = await idp.refresh(identity.token);
      // Same identity: the window still counts from the first issue, the subject stays.
      return { ...identity, token, expiresAt: clock.now() + EXTERNAL_TOKEN_LIFETIME_MS };
    },

    async exchange(identity: Identity): Promise<AccessToken> {
      const token = await idp.authenticate(identity.token);
      const { sub, iat, exp } = readConsumerClaims(token);
      /*
       * A consumer JWT was just minted: its `iat` is a reading of the server's clock, taken before
       * the first GetClock can be. A visitor whose clock is an hour off would otherwise see the
       * fresh token as expired (or as living an hour too long) and renew it at once. Only a coarse
       * gap is taken (`iat` has 1 s resolution and a server may backdate it a little); GetClock
       * refines it.
       */
      const issuedAt = iat === undefined ? clock.now() : iat * 1000;
      if (iat !== undefined && Math.abs(issuedAt + 500 - clock.now()) > COARSE_SKEW_MS) clock.observeServerTime(issuedAt + 500);
      return { token, subject: sub, issuedAt, expiresAt: exp * 1000 };
    },
  };
}
