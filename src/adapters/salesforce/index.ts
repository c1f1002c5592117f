/**
 * GuestChat's Salesforce adapter: Messaging for In-App and Web v2 with a guest token — REST
 * calls and the event stream over fetch. Loaded as its own chunk, only on pages configured for
 * Salesforce.
 */
import { GuestChatError } from '../../errors.ts';
import type { Clock, SalesforceConfig, Vendor, VendorConfig, VendorFactory } from '../types.ts';
import { createSalesforceAuth } from './auth.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS, type FetchLike } from './http.ts';
import { pageMemory, type PageMemory } from './memory.ts';
import { deploymentOf } from './protocol.ts';
import { createSalesforceTransport, type TransportTimings } from './transport.ts';

/** Sent as `context.clientVersion` with the guest token request. */
export const CLIENT_VERSION = '0.1.0';

/** Platform seams, for tests and the QA page; the browser's own by default. */
export interface SalesforceDeps {
  fetch?: FetchLike;
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** What this page remembers about tokens (minted here, continuations); the page's own by default. */
  memory?: PageMemory;
  clientVersion?: string;
  timings?: Partial<TransportTimings>;
  logError?: (message: string) => void;
}

export function createSalesforceVendor(config: SalesforceConfig, clock: Clock, deps?: SalesforceDeps): Vendor;
/** The same, typed as the session's vendor factory; throws for a configuration of another vendor. */
export function createSalesforceVendor(config: VendorConfig, clock: Clock, deps?: SalesforceDeps): Vendor;
export function createSalesforceVendor(config: VendorConfig, clock: Clock, deps: SalesforceDeps = {}): Vendor {
  if (config.adapter !== 'salesforce') {
    throw new GuestChatError('config-bad-adapter', 'Not a Salesforce configuration');
  }
  // Looked up at call time, not import time, so a page (or test) that patches fetch is honoured.
  const fetchFn: FetchLike = deps.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const deployment = deploymentOf(config);
  const memory = deps.memory ?? pageMemory;
  const auth = createSalesforceAuth({
    deployment,
    clock,
    fetch: fetchFn,
    memory,
    clientVersion: deps.clientVersion ?? CLIENT_VERSION,
    requestTimeoutMs: deps.timings?.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    logError: deps.logError,
  });
  const transport = createSalesforceTransport({ ...deps, deployment, clock, fetch: fetchFn, memory });
  return { auth, transport };
}

export { retryDelayMs } from '../backoff.ts';
export { createPageMemory, type PageMemory } from './memory.ts';
export type { FetchLike } from './http.ts';
export type { TransportTimings } from './transport.ts';

/** The uniform entry the loader imports from every vendor chunk. */
export const createVendor: VendorFactory = createSalesforceVendor;
