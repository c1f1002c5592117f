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
  url.protocol === 'http:' && ['localhost', '127.0.0.1'].includes(url.hostname);

/**
 * Discovered hosts carry no scheme: they inherit the Domain API's. Plain http is allowed only
 * for a local sandbox (the config validator already ensures that; checked again because a
 * downgrade to cleartext must never be silent). Returns `https://`/`wss://`, or `http://`/`ws://`.
 */
export function schemeOf(domainApi: string, scheme: 'http' | 'ws'): string {
  try {
    const url = new URL(domainApi);
    if (url.protocol === 'https:') return scheme + 's://';
    if (isLocalHttp(url)) return scheme + '://';
  } catch {
    // reported below
  }
  throw new GuestChatError('config-bad-domain-api', 'Domain API not https');
}

/** Labels of letters, digits and inner hyphens, or an IPv6 literal; an optional port (range checked below). */
const BARE_HOST = /^(?:[a-z\d](?:[a-z\d-]{0,61}[a-z\d])?(?:\.[a-z\d](?:[a-z\d-]{0,61}[a-z\d])?)*|\[[\da-f:.]+\])(?::(\d{1,5}))?$/i;

/** A bare `host[:port]`: no scheme, path, query, credentials or whitespace. */
export function isBareHost(value: unknown): value is string {
  const match = typeof value === 'string' && value.length <= 253 + 6 && BARE_HOST.exec(value);
  const port = match && Number(match[1] ?? 1);
  return !!port && port <= 65535;
}

export interface DomainResolverOptions {
  fetch: FetchLike;
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

/**
 * Page-lifetime memory, shared by every resolver of the same Domain API + account: the last good
 * answer (`hosts`, taken at `at`) and the lookup under way.
 */
interface Cached {
  hosts?: LivePersonHosts;
  at: number;
  lookup?: Promise<LivePersonHosts> | undefined;
}
const cache = new Map<string, Cached>();

/** Forget every cached answer (tests). */
export const clearDomainCache = (): void => cache.clear();

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
    new GuestChatError('domain-lookup-failed', `Domain API ${service}: ${what}`, details);
  // `service` is one of our own names: nothing to encode.
  const url = accountUrl(domainApi, account, `/service/${service}/baseURI.json?version=1.0`);
  const answer = await requestJson(fetchFn, url, timeoutMs).catch((cause: unknown) => {
    throw failed('failed', { cause });
  });
  // The answer carries the status and Retry-After the session acts on.
  if (answer.status !== 200) throw failed(`answered ${answer.status}`, answer);
  const baseURI = field(answer.body, 'baseURI');
  if (!isBareHost(baseURI)) throw failed('bad host', { status: 200 });
  return origin + baseURI;
}

export function createDomainResolver(config: LivePersonConfig, options: DomainResolverOptions): DomainResolver {
  const { freshForMs = 30 * 60_000, now = Date.now } = options;
  const key = `${config.domainApi}|${config.account}`;
  const entry = cache.get(key) ?? { at: -Infinity };
  cache.set(key, entry);
  const lookUp = (service: string, scheme?: 'ws') => discover(options.fetch, config, service, 10_000, scheme); // 10 s per request

  return {
    resolve() {
      if (now() - entry.at < freshForMs) return Promise.resolve(entry.hosts as LivePersonHosts);
      return (entry.lookup ??= Promise.all([lookUp('idp'), lookUp('asyncMessagingEnt', 'ws')])
        .then(
          ([idp, messaging]) => {
            entry.at = now();
            return (entry.hosts = { idp, messaging });
          },
          (error: unknown) => {
            // With a last good answer the Domain API itself was fine (the key includes it), so
            // only the lookup failed: the hosts we know are still the best guess.
            if (!entry.hosts) throw error;
            return entry.hosts;
          },
        )
        .finally(() => (entry.lookup = undefined)));
    },
    markStale() {
      entry.at = -Infinity;
    },
  };
}
