/**
 * Domain API service discovery (contract §2): where this account's IdP and messaging socket
 * live. Single-service form, `idp` and `asyncMessagingEnt` looked up in parallel.
 *
 * The last good answer per account is kept for the page lifetime: a re-lookup that fails (the
 * Domain API being down must not end a chat whose hosts we already know) falls back to it.
 */
import { GuestChatError } from '../../errors.ts';
import type { LivePersonConfig } from '../types.ts';
import { requestJson, type FetchLike } from './http.ts';

export interface LivePersonHosts {
  /** `https://host[:port]` of the IdP (http:// only against a local sandbox). */
  idp: string;
  /** `wss://host[:port]` of the messaging socket (ws:// only against a local sandbox). */
  messaging: string;
}

export interface Schemes {
  http: 'https://' | 'http://';
  ws: 'wss://' | 'ws://';
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1']);

/**
 * Discovered hosts carry no scheme: they inherit the Domain API's. Plain http is allowed only
 * for a local sandbox (the config validator already ensures that; checked again because a
 * downgrade to cleartext must never be silent).
 */
export function schemesFor(domainApi: string): Schemes {
  let url: URL;
  try {
    url = new URL(domainApi);
  } catch {
    throw new GuestChatError('config-bad-domain-api', 'The Domain API address is not a URL');
  }
  if (url.protocol === 'https:') return { http: 'https://', ws: 'wss://' };
  if (url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname)) return { http: 'http://', ws: 'ws://' };
  throw new GuestChatError('config-bad-domain-api', 'The Domain API must use https (http only for localhost)');
}

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
const BARE_HOST = new RegExp(`^(?:${LABEL}(?:\\.${LABEL})*|\\[[0-9A-Fa-f:.]+\\])(?::(\\d{1,5}))?$`);

/** A bare `host[:port]`: no scheme, path, query, credentials or whitespace. */
export function isBareHost(value: unknown): value is string {
  if (typeof value !== 'string' || value.length > 253 + 6) return false;
  const match = BARE_HOST.exec(value);
  if (match === null) return false;
  const port = match[1];
  return port === undefined || (Number(port) > 0 && Number(port) <= 65535);
}

export const DOMAIN_SERVICES = { idp: 'idp', messaging: 'asyncMessagingEnt', cdn: 'acCdnDomain' } as const;

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

interface CacheEntry {
  hosts: LivePersonHosts;
  fetchedAt: number;
  stale: boolean;
}

/** Page-lifetime memory, shared by every resolver of the same Domain API + account. */
const lastGood = new Map<string, CacheEntry>();
const inFlight = new Map<string, Promise<LivePersonHosts>>();

/** Forget every cached answer (tests). */
export function clearDomainCache(): void {
  lastGood.clear();
  inFlight.clear();
}

export async function lookUpService(
  fetchFn: FetchLike,
  domainApi: string,
  account: string,
  service: string,
  timeoutMs: number,
): Promise<string> {
  const url = `${domainApi}/api/account/${encodeURIComponent(account)}/service/${encodeURIComponent(service)}/baseURI.json?version=1.0`;
  let answer;
  try {
    answer = await requestJson(fetchFn, url, { method: 'GET', timeoutMs });
  } catch (cause) {
    throw new GuestChatError('domain-lookup-failed', `Service discovery for ${service} failed`, { cause });
  }
  if (answer.status !== 200) {
    throw new GuestChatError('domain-lookup-failed', `Service discovery for ${service} answered ${answer.status}`, {
      status: answer.status,
      retryAfterSec: answer.retryAfterSec,
    });
  }
  const baseURI =
    typeof answer.body === 'object' && answer.body !== null
      ? (answer.body as Record<string, unknown>)['baseURI']
      : undefined;
  if (!isBareHost(baseURI)) {
    throw new GuestChatError('domain-lookup-failed', `Service discovery for ${service} returned no usable host`, {
      status: answer.status,
    });
  }
  return baseURI;
}

export function createDomainResolver(config: LivePersonConfig, options: DomainResolverOptions): DomainResolver {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const freshForMs = options.freshForMs ?? 30 * 60_000;
  const now = options.now ?? Date.now;
  const key = `${config.domainApi}|${config.account}`;

  async function lookUp(): Promise<LivePersonHosts> {
    const schemes = schemesFor(config.domainApi);
    const [idp, messaging] = await Promise.all([
      lookUpService(options.fetch, config.domainApi, config.account, DOMAIN_SERVICES.idp, timeoutMs),
      lookUpService(options.fetch, config.domainApi, config.account, DOMAIN_SERVICES.messaging, timeoutMs),
    ]);
    return { idp: schemes.http + idp, messaging: schemes.ws + messaging };
  }

  return {
    resolve() {
      const cached = lastGood.get(key);
      if (cached !== undefined && !cached.stale && now() - cached.fetchedAt < freshForMs) {
        return Promise.resolve(cached.hosts);
      }
      const running = inFlight.get(key);
      if (running !== undefined) return running;
      const lookup = lookUp()
        .then((hosts) => {
          lastGood.set(key, { hosts, fetchedAt: now(), stale: false });
          return hosts;
        })
        .catch((error: unknown) => {
          const previous = lastGood.get(key);
          if (previous !== undefined && !(error instanceof GuestChatError && error.reason === 'config-bad-domain-api')) {
            return previous.hosts;
          }
          throw error;
        })
        .finally(() => inFlight.delete(key));
      inFlight.set(key, lookup);
      return lookup;
    },
    markStale() {
      const cached = lastGood.get(key);
      if (cached !== undefined) cached.stale = true;
    },
  };
}
