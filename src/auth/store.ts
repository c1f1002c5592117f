/**
 * Everything GuestChat keeps in the browser lives in one idb-keyval store of our own (database
 * `guestchat`, object store `records`): the token record under the tenant key, the outbox under
 * `<tenant>#outbox`. When IndexedDB is missing or throws (private modes, blocked storage, a quota
 * error on write), the store keeps working in memory for the page's life and says so once
 * through `onUnavailable`, so the visitor can still chat.
 */
import { createStore, del, get, set, type UseStore } from 'idb-keyval';
import { parseRecord, type TokenRecord } from './record.ts';

export const DB_NAME = 'guestchat';
export const STORE_NAME = 'records';

/** Raw values by key. Whatever comes back is untrusted: callers parse it. */
export interface LocalStore {
  read(key: string): Promise<unknown>;
  write(key: string, value: unknown): Promise<void>;
  remove(key: string): Promise<void>;
  /** Erase everything GuestChat stored in this browser (the database itself included). */
  forgetAll(): Promise<void>;
}

export interface RecordStore {
  load(tenant: string): Promise<TokenRecord | undefined>;
  save(record: TokenRecord): Promise<void>;
  remove(tenant: string): Promise<void>;
  forgetAll(): Promise<void>;
}

export function createLocalStore(onUnavailable: (cause: unknown) => void = () => {}): LocalStore {
  const memory = new Map<string, unknown>();
  let idb: UseStore | undefined;
  let failed = typeof indexedDB === 'undefined';
  if (failed) queueMicrotask(() => onUnavailable(new Error('No IndexedDB')));

  const db = (): UseStore => {
    if (idb) return idb;
    const store = createStore(DB_NAME, STORE_NAME);
    idb = store;
    // Let forget() — here or in another tab — delete the database: close on versionchange, and
    // open afresh on the next use.
    void store('readonly', (objects) => {
      const database = objects.transaction.db;
      database.onversionchange = () => {
        database.close();
        if (idb === store) idb = undefined;
      };
    }).catch(() => {});
    return store;
  };

  /** Run an IndexedDB step unless storage already failed; its failure turns memory-only on. */
  const idbStep = async (step: (store: UseStore) => Promise<unknown>) => {
    if (failed) return;
    try {
      await step(db());
    } catch (cause) {
      // Told once, though steps under way may fail too.
      if (!failed) onUnavailable(cause);
      failed = true;
    }
  };

  return {
    async read(key) {
      await idbStep(async (store) => {
        const value: unknown = await get(key, store);
        if (value === undefined) memory.delete(key);
        else memory.set(key, value);
      });
      // What IndexedDB answered is mirrored in memory, which is all there is once storage failed.
      return memory.get(key);
    },
    async write(key, value) {
      memory.set(key, value);
      await idbStep((store) => set(key, value, store));
    },
    async remove(key) {
      memory.delete(key);
      await idbStep((store) => del(key, store));
    },
    async forgetAll() {
      memory.clear();
      if (typeof indexedDB === 'undefined') return;
      idb = undefined;
      // Every connection we open closes itself on versionchange, so the delete is not blocked
      // for long; a foreign blocker must not hang forget() for ever.
      await new Promise<void>((resolve) => {
        const request = indexedDB.deleteDatabase(DB_NAME);
        const timer = setTimeout(resolve, 3_000);
        request.onsuccess = request.onerror = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
  };
}

/** Token records over a LocalStore: validated on the way in, discarded when unreadable. */
export function createRecordStore(local: LocalStore = createLocalStore()): RecordStore {
  return {
    // remove and forgetAll as they are
    ...local,
    async load(tenant) {
      const raw = await local.read(tenant);
      const record = parseRecord(raw, tenant);
      // An unreadable record is discarded rather than left to trip every later start.
      if (raw !== undefined && !record) await local.remove(tenant);
      return record;
    },
    save: (record) => local.write(record.tenant, record),
  };
}
