/**
 * GuestChat's LivePerson Connector API adapter: the widget talks only to the brand's own broker
 * (src/broker), which holds the app credentials and relays to LivePerson. Visitor tokens, REST
 * calls and the broker's event stream over fetch. Loaded as its own chunk, only on pages
 * configured with `data-adapter="liveperson-connector"`; it imports nothing from the other vendors.
 */
import { GuestChatError } from '../../errors.ts';
import type { Clock, LivePersonConnectorConfig, Vendor, VendorConfig, VendorFactory } from '../types.ts';
import { createConnectorAuth } from './auth.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS, type FetchLike } from './http.ts';
import { createConnectorTransport, type TransportTimings } from './transport.ts';

/** Platform seams, for tests and the QA page; the browser's own by default. */
export interface ConnectorDeps {
  fetch?: FetchLike;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  localNow?: () => number;
  timings?: Partial<TransportTimings>;
}

export function createConnectorVendor(config: LivePersonConnectorConfig, clock: Clock, deps?: ConnectorDeps): Vendor;
/** The same, typed as the session's vendor factory; throws for a configuration of another vendor. */
export function createConnectorVendor(config: VendorConfig, clock: Clock, deps?: ConnectorDeps): Vendor;
export function createConnectorVendor(config: VendorConfig, clock: Clock, deps: ConnectorDeps = {}): Vendor {
  if (config.adapter !== 'liveperson-connector') {
    throw new GuestChatError('config-bad-adapter', 'Not a liveperson-connector configuration');
  }
  // Looked up at call time, not import time, so a page (or test) that patches fetch is honoured.
  const fetchFn: FetchLike = deps.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const brokerUrl = config.brokerUrl.replace(/\/+$/, '');
  const auth = createConnectorAuth({
    brokerUrl,
    clock,
    fetch: fetchFn,
    requestTimeoutMs: deps.timings?.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    localNow: deps.localNow,
  });
  // The seams not given stay undefined: the transport falls back to the browser's own.
  const transport = createConnectorTransport({ ...deps, brokerUrl, clock, fetch: fetchFn });
  return { auth, transport };
}

export { retryDelayMs } from '../backoff.ts';
export type { FetchLike } from './http.ts';
export type { TransportTimings } from './transport.ts';

/** The uniform entry the loader imports from every vendor chunk. */
export const createVendor: VendorFactory = (config, clock) => createConnectorVendor(config, clock);
