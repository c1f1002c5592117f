/**
 * Domain API service discovery (contract §2): where this account's IdP and messaging socket
 * live. Single-service form, `idp` and `asyncMessagingEnt` looked up in parallel.
 *
 * The last good answer per account is kept for the page lifetime: a re-lookup that fails (the
 * Domain API being down must not end a chat whose hosts we already know) falls back to it.
 */
import { GuestChatError } from '../../errors.ts';
import type { LivePersonConfig } from '../types.ts';
import { accountUrl, requestJson, type FetchLike } from './http.ts';
import { field } from './protocol.ts';

export interface LivePersonHosts {
  /** `https://host[:port]` of the IdP (http:// only against a local sandbox). */
  idp: string;
  /** `wss://host[:port]` of the messaging socket (ws:// only against a local sandbox). */
  messaging: string;
}

/** Plain http on a local sandbox (http://localhost or http://127.0.0.1). */
export const isLocalHttp = (url: URL): boolean =>
  url.protocol === 'http:' && (url.hostname === 'localhost' || url.hostname === '127.0.0.1');

/**
 * Discovered hosts carry no scheme: they inherit the Domain API's. Plain http is allowed only
 * for a local sandbox (the config validator already ensures that; checked again because a
 * downgrade to cleartext must never be silent). Returns `https://`/`wss://`, or `http://`/`ws://`.
 */
export function schemeOf(domainApi: string, scheme: 'http' | 'ws'): string {
  let url: URL | undefined;
  try {
    url = new URL(domainApi);
  } catch {
    // reported below
  }
  if (url?.protocol === 'https:') return scheme + 's://';
  if (url && isLocalHttp(url)) return scheme + '://';
  throw new GuestChatError('config-bad-domain-api', 'Domain API must be https (http on localhost only)');
}

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const BARE_HOST = new RegExp(`^(?:${LABEL}(?:\\.${LABEL})*|\\[[0-9A-Fa-f:.]+\\])(?::(\\d{1,5}))?$`);

/** A bare `host[:port]`: no scheme, path, query, credentials or whitespace. */
export function isBareHost(value: unknown): value is string {
  const match = typeof value === 'string' && value.length <= 253 + 6 && BARE_HOST.exec(value);
  const port = match && Number(match[1] ?? 1);
  return !!port && port <= 65535;
}

export interface DomainResolverOptions {
  fetch: FetchLike;
  /** Per request. */
  timeoutMs?: number;
  /** How long an answer is used without asking again. */
  freshForMs?: number;
  now?: () => number;
}

export interface DomainResolver {
  /** The hosts, from the page cache while fresh, else looked up (falling back to the last good answer). */
  resolve(): Promise<LivePersonHosts>;
  /** Ask again on the next resolve (e.g. the socket host did not answer). */
  markStale(): void;
}

/** Page-lifetime memory, shared by every resolver of the same Domain API + account. */
const lastGood = new Map<string, { hosts: LivePersonHosts; fetchedAt: number }>();
const inFlight = new Map<string, Promise<LivePersonHosts>>();

/** Forget every cached answer (tests). */
export function clearDomainCache(): void {
  lastGood.clear();
  inFlight.clear();
}

/** The origin of one service (`idp`, `asyncMessagingEnt`, `acCdnDomain`), with the Domain API's scheme. */
export async function discover(
  fetchFn: FetchLike,
  { domainApi, account }: Pick<LivePersonConfig, 'domainApi' | 'account'>,
  service: string,
  timeoutMs: number,
  scheme: 'http' | 'ws' = 'http',
): Promise<string> {
  const origin = schemeOf(domainApi, scheme);
  const failed = (what: string, details?: { cause?: unknown; status?: number; retryAfterSec?: number | undefined }) =>
    new GuestChatError('domain-lookup-failed', `Domain API lookup of ${service} ${what}`, details);
  // `service` is one of our own names: nothing to encode.
  const url = accountUrl(domainApi, account, `/service/${service}/baseURI.json?version=1.0`);
  const { status, body, retryAfterSec } = await requestJson(fetchFn, url, timeoutMs).catch((cause: unknown) => {
    throw failed('failed', { cause });
  });
  if (status !== 200) throw failed(`answered ${status}`, { status, retryAfterSec });
  const baseURI = field(body, 'baseURI');
  if (!isBareHost(baseURI)) throw failed('returned no usable host', { status });
  return origin + baseURI;
}

export function createDomainResolver(config: LivePersonConfig, options: DomainResolverOptions): DomainResolver {
  const { timeoutMs = 10_000, freshForMs = 30 * 60_000, now = Date.now } = options;
  const key = `${config.domainApi}|${config.account}`;

  async function lookUp(): Promise<LivePersonHosts> {
    const [idp, messaging] = await Promise.all([
      discover(options.fetch, config, 'idp', timeoutMs),
      discover(options.fetch, config, 'asyncMessagingEnt', timeoutMs, 'ws'),
    ]);
    return { idp, messaging };
  }

  return {
    resolve() {
      const cached = lastGood.get(key);
      if (cached && now() - cached.fetchedAt < freshForMs) return Promise.resolve(cached.hosts);
      let lookup = inFlight.get(key);
      if (!lookup) {
        lookup = lookUp()
          .then(
            (hosts) => {
              lastGood.set(key, { hosts, fetchedAt: now() });
              return hosts;
            },
            (error: unknown) => {
              const previous = lastGood.get(key);
              if (!previous || (error instanceof GuestChatError && error.reason === 'config-bad-domain-api')) throw error;
              return previous.hosts;
            },
          )
          .finally(() => inFlight.delete(key));
        inFlight.set(key, lookup);
      }
      return lookup;
    },
    markStale() {
      const cached = lastGood.get(key);
      if (cached) cached.fetchedAt = Number.NEGATIVE_INFINITY;
    },
  };
}
