/**
 * Salesforce's side of the token lifecycle. A guest token is the identity: it cannot be
 * refreshed, and the messaging API takes it as is. It is opaque (§5.3): its lifetime is
 * Salesforce's documented default, and the real expiry is learnt from a 401.
 */
import { GuestChatError } from '../../errors.ts';
import type { AccessToken, AuthAdapter, Clock, Identity } from '../types.ts';
import { refusedAs } from '../http.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS, bodyOf, callApi, type FetchLike } from './http.ts';
import type { PageMemory } from './memory.ts';
import { guestTokenBody, newId, readTokenAnswer, routes, type Deployment } from './protocol.ts';

/** Channel Authorization Token Timeout, Salesforce's default for unauthenticated users (§1.3). */
export const GUEST_TOKEN_LIFETIME_MS = 3_600_000;

/** Sent as `context.clientVersion` with the guest token request. */
export const CLIENT_VERSION = '0.1.0';

export interface SalesforceAuthOptions {
  deployment: Deployment;
  clock: Clock;
  fetch: FetchLike;
  memory: PageMemory;
  /** CLIENT_VERSION by default. */
  clientVersion?: string | undefined;
  /** The transport's timings: the request time limit applies here too. */
  timings?: { requestTimeoutMs?: number } | undefined;
  /** Where a misconfigured deployment is reported (console.error by default). */
  logError?: (message: string) => void;
}

export function createSalesforceAuth(options: SalesforceAuthOptions): AuthAdapter {
  const { deployment, clock, memory } = options;

  return {
    async issue(): Promise<Identity> {
      // §2.1: no Authorization header; this call is how a guest gets a token.
      const answer = await callApi(options.fetch, routes(deployment).guestToken, {
        method: 'POST',
        json: guestTokenBody(deployment, options.clientVersion ?? CLIENT_VERSION),
        timeoutMs: options.timings?.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
        readBody: true,
      });
      const token = readTokenAnswer(bodyOf(answer, 'Guest token', refusedAs('token-issue-refused')));
      const type = token.deploymentType;
      if (type && type !== 'api') {
        // §5.2: the v2 API needs a Custom Client deployment; nothing else would work with it.
        const message = `GuestChat: Salesforce deployment "${deployment.esDeveloperName}" is of type "${type.slice(0, 40)}", not "api" (Custom Client)`;
        if (!memory.reported.has(deployment.esDeveloperName)) {
          memory.reported.add(deployment.esDeveloperName);
          (options.logError ?? console.error)(message);
        }
        throw new GuestChatError('config-bad-deployment', message);
      }
      memory.minted.set(token.token, token);
      const now = clock.now();
      const expiresAt = now + GUEST_TOKEN_LIFETIME_MS;
      return {
        token: token.token,
        // A local name for this identity: the token's claims are not ours to read (§5.3).
        subject: `sf:${newId()}`,
        issuedAt: now,
        expiresAt,
        // No refresh exists for guests: the identity ends with its token.
        windowEndsAt: expiresAt,
      };
    },

    async refresh(): Promise<Identity> {
      // The lifecycle then issues a new identity (the visitor is told the old chat is gone).
      throw new GuestChatError('token-refresh-refused', 'Guest tokens cannot be refreshed');
    },

    async exchange(identity: Identity): Promise<AccessToken> {
      // The messaging API takes the guest token itself.
      return {
        token: identity.token,
        subject: identity.subject ?? `sf:${newId()}`,
        issuedAt: identity.issuedAt,
        expiresAt: identity.expiresAt,
      };
    },
  };
}
