/**
 * The composition root of the app side: clock, record store, token lifecycle, vendor and
 * session for one configured tenant.
 */
import type { AdapterName, Clock, Vendor, VendorConfig } from '../adapters/types.ts';
import { createClock, createRecordStore, TokenLifecycle } from '../auth/index.ts';
import type { Emit } from './events.ts';
import { createSession, type Session } from './session.ts';

export type VendorFactory = (config: VendorConfig, clock: Clock) => Vendor;

export interface BootOptions {
  config: VendorConfig;
  tenant: string;
  createVendor: VendorFactory;
  emit: Emit;
}

export interface Booted {
  session: Session;
  /** Erase every GuestChat database, key and cache in this browser. */
  forget(): Promise<void>;
}

export async function bootSession({ config, tenant, createVendor, emit }: BootOptions): Promise<Booted> {
  const store = createRecordStore((cause) => {
    emit('error', {
      reason: 'storage-unavailable',
      message: `Browser storage is unavailable; this chat lasts for this page only (${cause instanceof Error ? cause.name : 'error'})`,
    });
  });
  const stored = await store.load(tenant);
  const clock = createClock(stored?.skewMs ?? 0);
  const adapter: AdapterName = config.adapter;
  const vendor = createVendor(config, clock);
  const lifecycle = new TokenLifecycle({ adapter, tenant, auth: vendor.auth, store, clock });
  const session = createSession({ vendor, lifecycle, clock, emit });
  return {
    session,
    async forget() {
      session.dispose();
      await store.forgetAll();
    },
  };
}

