/**
 * The composition root of the app side: clock, record store, token lifecycle, vendor and
 * session for one configured tenant.
 */
import type { AdapterName, VendorConfig, VendorFactory } from '../adapters/types.ts';
import { createClock, createLocalStore, createRecordStore, TokenLifecycle } from '../auth/index.ts';
import type { Emit } from './events.ts';
import { Outbox } from './outbox.ts';
import { createSession, type Session } from './session.ts';
import { openTabChannel } from './tabs.ts';

export type { VendorFactory };

export interface BootOptions {
  config: VendorConfig;
  tenant: string;
  createVendor: VendorFactory;
  emit: Emit;
  /** Another tab erased GuestChat's data (forget()): tear this one down too. */
  onForgottenElsewhere?: () => void;
}

export interface Booted {
  session: Session;
  /** Erase every GuestChat database, key and cache in this browser. */
  forget(): Promise<void>;
  /**
   * A readable stored conversation or unsent messages: worth connecting before the visitor acts.
   * (A corrupted or foreign record was discarded on load, so it never counts.)
   */
  resumable: boolean;
}

export async function bootSession({ config, tenant, createVendor, emit, onForgottenElsewhere }: BootOptions): Promise<Booted> {
  const local = createLocalStore((cause) => {
    emit('error', {
      reason: 'storage-unavailable',
      message: `Browser storage is unavailable; this chat lasts for this page only (${cause instanceof Error ? cause.name : 'error'})`,
    });
  });
  const store = createRecordStore(local);
  const stored = await store.load(tenant);
  const clock = createClock(stored?.skewMs ?? 0);
  const adapter: AdapterName = config.adapter;
  const vendor = createVendor(config, clock);
  const lifecycle = new TokenLifecycle({ adapter, tenant, auth: vendor.auth, store, clock });
  const outbox = new Outbox(local, tenant);
  let session: Session | undefined;
  const tabs = openTabChannel(tenant, (message) => {
    if (message.type === 'forget') {
      session?.dispose();
      onForgottenElsewhere?.();
    } else session?.onTabMessage(message);
  });
  session = createSession({ vendor, lifecycle, clock, emit, outbox, tabs });
  // Unsent messages from before a reload show at once, as sending.
  await session.restoreOutbox();
  const booted = session;
  return {
    session: booted,
    resumable: Boolean(stored?.conversation) || booted.pendingCount() > 0,
    async forget() {
      tabs.post({ type: 'forget' });
      booted.dispose();
      await local.forgetAll();
    },
  };
}

