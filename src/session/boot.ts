/**
 * The composition root of the app side: clock, record store, token lifecycle, vendor and
 * session for one configured tenant.
 */
import type { VendorConfig, VendorFactory } from '../adapters/types.ts';
import { createClock, createLocalStore, createRecordStore } from '../auth/index.ts';
import { createLifecycle } from '../auth/lifecycle.ts';
import type { Emit } from './events.ts';
import { createOutbox } from './outbox.ts';
import { createSession, type Session } from './session.ts';
import { openTabChannel } from './tabs.ts';
import { markingWake } from './wake.ts';

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
  // What is written is mirrored in the mark that wakes the app on the next page (session/wake.ts).
  const { store: local, known } = markingWake(
    createLocalStore((cause) => {
      emit('error', {
        reason: 'storage-unavailable',
        // (The chat goes on in memory for the page's life.)
        message: `Storage unavailable (${cause instanceof Error ? cause.name : 'error'})`,
      });
    }),
    tenant,
  );
  const store = createRecordStore(local);
  const stored = await store.load(tenant);
  const clock = createClock(stored?.skewMs ?? 0);
  const vendor = createVendor(config, clock);
  const tabs = openTabChannel(tenant, (message) => {
    if (message.type === 'forget') {
      session.dispose();
      onForgottenElsewhere?.();
    } else session.onTabMessage(message);
  });
  const outbox = createOutbox(local, tenant);
  const session = createSession({
    vendor,
    lifecycle: createLifecycle({ adapter: config.adapter, tenant, auth: vendor.auth, store, clock }),
    clock,
    emit,
    outbox,
    tabs,
  });
  // Unsent messages from before a reload show at once, as sending (or failed).
  const unsent = await session.restoreOutbox();
  const conversation = Boolean(stored?.conversation);
  known(conversation, unsent.length > 0);
  return {
    session,
    // Failed sends wait for the visitor's retry: only those still sending are worth connecting for.
    resumable: conversation || unsent.some((entry) => !entry.failed),
    async forget() {
      tabs.post({ type: 'forget' });
      session.dispose();
      await local.forgetAll();
    },
  };
}

