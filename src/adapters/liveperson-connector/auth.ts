/**
 * The broker's side of the token lifecycle. The broker gives each anonymous visitor an opaque,
 * signed visitor token of its own (`POST /v1/visitors`), refreshable with the previous one —
 * expired or not — until the identity's window ends (`POST /v1/visitors/refresh`). The broker
 * takes that token itself on every route, so there is no exchange call: the access token is the
 * visitor token. The LivePerson credentials (AppJWT, ConsumerJWS, the app secret) stay in the broker.
 */
import { GuestChatError } from '../../errors.ts';
import type { AccessToken, AuthAdapter, Clock, Identity } from '../types.ts';
import { badData, refusedAs } from '../http.ts';
import { answerError, callBroker, isSuccess, type FetchLike } from './http.ts';
import { readIdentity, routes } from './protocol.ts';

export interface ConnectorAuthOptions {
  brokerUrl: string;
  clock: Clock;
  fetch: FetchLike;
  requestTimeoutMs: number;
  /** Local wall clock, for the round trip of the issue call. */
  localNow?: () => number;
}

export function createConnectorAuth(options: ConnectorAuthOptions): AuthAdapter {
  const { clock } = options;
  const to = routes(options.brokerUrl);
  const localNow = options.localNow ?? Date.now;

  return {
    async issue(): Promise<Identity> {
      const sentAt = localNow();
      const answer = await callBroker(options.fetch, to.visitors, { method: 'POST', timeoutMs: options.requestTimeoutMs });
      if (!isSuccess(answer.status)) {
        // 403: this page's origin is not on the broker's BROKER_ALLOWED_ORIGINS.
        throw answerError(answer, 'Visitor request', refusedAs('token-issue-refused'));
      }
      const identity = readIdentity(answer.body);
      if (identity === undefined) throw badData('Bad visitor answer');
      // A new identity's issuedAt is the broker's clock at the answer: our skew reading.
      const receivedAt = localNow();
      clock.observeServerTime(identity.issuedAt, sentAt + (receivedAt - sentAt) / 2);
      return identity;
    },

    async refresh(identity: Identity): Promise<Identity> {
      const answer = await callBroker(options.fetch, to.refresh, {
        method: 'POST',
        token: identity.token,
        timeoutMs: options.requestTimeoutMs,
      });
      if (!isSuccess(answer.status)) {
        // 401 refresh-window-ended / visitor-token-invalid: this identity is over, a new one follows.
        throw answerError(answer, 'Visitor refresh', refusedAs('token-refresh-refused'));
      }
      const next = readIdentity(answer.body);
      if (next === undefined) throw badData('Bad refresh answer');
      if (identity.subject !== undefined && next.subject !== identity.subject) {
        throw badData('Refresh answer for another visitor');
      }
      return next;
    },

    exchange(identity: Identity): Promise<AccessToken> {
      if (identity.subject === undefined) {
        return Promise.reject(new GuestChatError('token-exchange-refused', 'No visitor id'));
      }
      // The broker takes the visitor token itself; when it comes due, the lifecycle's policy
      // refreshes it first (auth/plan.ts: identity and access margins are the same).
      return Promise.resolve({ token: identity.token, subject: identity.subject, issuedAt: identity.issuedAt, expiresAt: identity.expiresAt });
    },
  };
}
