/**
 * GuestChat's Salesforce adapter: Messaging for In-App and Web v2 with a guest token — REST
 * calls and the event stream over fetch. Loaded as its own chunk, only on pages configured for
 * Salesforce.
 */
import { GuestChatError } from '../../errors.ts';
import type { Clock, SalesforceConfig, Vendor, VendorConfig, VendorFactory } from '../types.ts';
import { createSalesforceAuth } from './auth.ts';
import type { FetchLike } from './http.ts';
import { pageMemory, type PageMemory } from './memory.ts';
import { deploymentOf } from './protocol.ts';
import { createSalesforceTransport, type TransportTimings } from './transport.ts';

export { CLIENT_VERSION } from './auth.ts';

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
  const options = {
    ...deps,
    deployment: deploymentOf(config),
    clock,
    // Looked up at call time, not import time, so a page (or test) that patches fetch is honoured.
    fetch: deps.fetch ?? ((input: string, init?: RequestInit) => globalThis.fetch(input, init)),
    memory: deps.memory ?? pageMemory,
  };
  return { auth: createSalesforceAuth(options), transport: createSalesforceTransport(options) };
}

export { retryDelayMs } from '../backoff.ts';
export { createPageMemory, type PageMemory } from './memory.ts';
export type { FetchLike } from './http.ts';
export type { TransportTimings } from './transport.ts';

/** The uniform entry the loader imports from every vendor chunk. */
export const createVendor: VendorFactory = createSalesforceVendor;
