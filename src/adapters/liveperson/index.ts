/**
 * GuestChat's LivePerson adapter: Domain API discovery, the anonymous IdP and the Messaging
 * Window WebSocket. Loaded as its own chunk, only on pages configured for LivePerson.
 */
import type { Clock, LivePersonConfig, Vendor, VendorFactory } from '../types.ts';
import { createLivePersonAuth } from './auth.ts';
import { createDomainResolver } from './domain.ts';
import type { FetchLike } from './http.ts';
import { createIdpClient } from './idp.ts';
import { createAgentProfiles } from './profile.ts';
import type { WebSocketFactory, WebSocketLike } from './socket.ts';
import { createLivePersonTransport } from './transport.ts';

/** Platform seams, for tests and the QA page; the browser's own by default. */
export interface LivePersonDeps {
  fetch?: FetchLike;
  createSocket?: WebSocketFactory;
  random?: () => number;
  userAgent?: string;
}

export function createLivePersonVendor(config: LivePersonConfig, clock: Clock, deps: LivePersonDeps = {}): Vendor {
  // Looked up at call time, not import time, so a page (or test) that patches fetch is honoured.
  const fetchFn: FetchLike = deps.fetch ?? ((input, init) => fetch(input, init));
  const hosts = createDomainResolver(config, { fetch: fetchFn });
  const idp = createIdpClient({
    ...config, // account and connectorId
    idpOrigin: async () => (await hosts.resolve()).idp,
    fetch: fetchFn,
  });
  return {
    auth: createLivePersonAuth(idp, clock),
    transport: createLivePersonTransport({
      account: config.account,
      clock,
      hosts,
      // The DOM WebSocket's handler properties are typed with DOM events; ours read only `data`/`code`/`reason`.
      createSocket: deps.createSocket ?? ((url) => new WebSocket(url) as unknown as WebSocketLike),
      random: deps.random,
      // Looked up lazily, when an agent joins; one answer per agent for the page.
      profiles: createAgentProfiles(config, { fetch: fetchFn }),
      userAgent: deps.userAgent ?? globalThis.navigator?.userAgent,
    }),
  };
}

export { reconnectDelayMs } from './backoff.ts';
export type { WebSocketFactory, WebSocketLike } from './socket.ts';
export type { FetchLike } from './http.ts';

/**
 * The uniform entry the loader imports from every vendor chunk. The loader picks the chunk by the
 * configuration's adapter, so the configuration it passes here is a LivePerson one; it passes no
 * deps, so the browser's own are used.
 */
export const createVendor = createLivePersonVendor as VendorFactory;
