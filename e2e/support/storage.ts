/**
 * Browser storage as the fault matrix needs it: break IndexedDB the way browsers break it
 * (missing in some private modes, `open` refused, a quota error on write), write raw records the
 * way another version of the widget or a corrupted disk would, and list everything the origin
 * keeps. These alter the browser's API, never GuestChat's code.
 */
import type { Page } from '@playwright/test';

export const DB_NAME = 'guestchat';
export const STORE_NAME = 'records';

export type IndexedDbFault = 'missing' | 'open-throws' | 'quota-on-write';

/**
 * Run before any page script (page.addInitScript). The real factory stays reachable as
 * `window.__realIndexedDB` so a test can still list databases. `quota-on-write` fails every
 * `put` once `window.__quotaFull` is true (set it to fill the disk mid-conversation).
 */
export function breakIndexedDb(fault: IndexedDbFault) {
  const w = window as unknown as Record<string, unknown>;
  w.__realIndexedDB = window.indexedDB;
  if (fault === 'missing') {
    Object.defineProperty(window, 'indexedDB', { value: undefined, configurable: true });
  } else if (fault === 'open-throws') {
    IDBFactory.prototype.open = function open() {
      throw new DOMException('The operation is insecure.', 'SecurityError');
    };
  } else {
    const put = IDBObjectStore.prototype.put;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (w.__quotaFull) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
      return put.apply(this, args);
    };
  }
}

/** Listen to the widget's public events from before it loads (the documented queue). */
export function listenToWidget() {
  const w = window as unknown as Record<string, unknown>;
  const errors: { reason: string; message: string }[] = [];
  w.__gcErrors = errors;
  w.GuestChat = { q: [['on', 'error', (e: { reason: string; message: string }) => errors.push({ reason: e.reason, message: e.message })]] };
}

export const widgetErrors = (page: Page) =>
  page.evaluate(() => (window as unknown as { __gcErrors: { reason: string; message: string }[] }).__gcErrors.map((e) => e.reason));

/** Database names through the real factory (even when the page's own is broken). */
export function databaseNamesOf(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const factory = ((window as unknown as { __realIndexedDB?: IDBFactory }).__realIndexedDB ?? indexedDB) as IDBFactory;
    return (await factory.databases()).map((db) => db.name ?? '');
  });
}

/** Writes raw values into the widget's store (creating it as idb-keyval would). */
export function writeRawRecords(page: Page, entries: [key: string, value: unknown][]) {
  return page.evaluate(
    ({ db: dbName, store, entries: list }) =>
      new Promise<void>((resolve, reject) => {
        const request = indexedDB.open(dbName);
        request.onupgradeneeded = () => request.result.createObjectStore(store);
        request.onerror = () => reject(request.error);
        request.onsuccess = () => {
          const db = request.result;
          const tx = db.transaction(store, 'readwrite');
          for (const [key, value] of list) tx.objectStore(store).put(value, key);
          tx.oncomplete = () => {
            db.close();
            resolve();
          };
          tx.onerror = () => reject(tx.error);
        };
      }),
    { db: DB_NAME, store: STORE_NAME, entries },
  );
}

/** Reads one raw value from the widget's store (undefined when the database does not exist). */
export function readRawRecord(page: Page, key: string): Promise<unknown> {
  return page.evaluate(
    async ({ db: dbName, store, key: wanted }) => {
      if (!(await indexedDB.databases()).some((d) => d.name === dbName)) return undefined;
      return new Promise<unknown>((resolve, reject) => {
        const request = indexedDB.open(dbName);
        request.onerror = () => reject(request.error);
        request.onsuccess = () => {
          const db = request.result;
          if (!db.objectStoreNames.contains(store)) {
            db.close();
            return resolve(undefined);
          }
          const get = db.transaction(store, 'readonly').objectStore(store).get(wanted);
          get.onsuccess = () => {
            db.close();
            resolve(get.result);
          };
          get.onerror = () => reject(get.error);
        };
      });
    },
    { db: DB_NAME, store: STORE_NAME, key },
  );
}

/** Everything the origin keeps that forget() must erase. */
export function originStorage(page: Page) {
  return page.evaluate(async () => ({
    databases: (await indexedDB.databases()).map((db) => db.name ?? ''),
    localStorage: Object.keys(localStorage),
    sessionStorage: Object.keys(sessionStorage),
    caches: 'caches' in window ? await caches.keys() : [],
  }));
}
