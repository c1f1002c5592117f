/**
 * Where token records live: an idb-keyval store of our own (database `guestchat`, object store
 * `records`), keyed by tenant. When IndexedDB is missing or throws (private modes, blocked
 * storage, quota), the store keeps working in memory for the page's life and says so once
 * through `onUnavailable`, so the visitor can still chat.
 */
import { createStore, del, get, set, type UseStore } from 'idb-keyval';
import { parseRecord, type TokenRecord } from './record.ts';

export const DB_NAME = 'guestchat';
export const STORE_NAME = 'records';

export interface RecordStore {
  load(tenant: string): Promise<TokenRecord | undefined>;
  save(record: TokenRecord): Promise<void>;
  remove(tenant: string): Promise<void>;
  /** Erase everything GuestChat stored in this browser (the database itself included). */
  forgetAll(): Promise<void>;
}

export function createRecordStore(onUnavailable: (cause: unknown) => void = () => {}): RecordStore {
  const memory = new Map<string, TokenRecord>();
  let idb: UseStore | undefined;
  let failed = typeof indexedDB === 'undefined';
  if (failed) queueMicrotask(() => onUnavailable(new Error('IndexedDB is not available')));

  const fail = (cause: unknown) => {
    if (!failed) {
      failed = true;
      onUnavailable(cause);
    }
  };
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

  return {
    async load(tenant) {
      if (!failed) {
        try {
          const raw: unknown = await get(tenant, db());
          const record = parseRecord(raw, tenant);
          // An unreadable record is discarded rather than left to trip every later start.
          if (raw !== undefined && !record) await del(tenant, db());
          if (record) memory.set(tenant, record);
          else memory.delete(tenant);
          return record;
        } catch (cause) {
          fail(cause);
        }
      }
      return memory.get(tenant);
    },
    async save(record) {
      memory.set(record.tenant, record);
      if (failed) return;
      try {
        await set(record.tenant, record, db());
      } catch (cause) {
        fail(cause);
      }
    },
    async remove(tenant) {
      memory.delete(tenant);
      if (failed) return;
      try {
        await del(tenant, db());
      } catch (cause) {
        fail(cause);
      }
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
