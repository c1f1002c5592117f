/**
 * Does this browser hold an open conversation (or undelivered messages) for the tenant? Answered with the raw IndexedDB
 * API so the loader stays tiny, and without ever creating the database: a first-time visitor
 * who never clicks must leave no trace (we list databases first and open only an existing one).
 * Must agree with auth/store.ts on the names.
 */
const DB_NAME = 'guestchat';
const STORE_NAME = 'records';
/** auth/record.ts RECORD_VERSION. */
const RECORD_VERSION = 1;

type Loose = Record<string, unknown> | null | undefined;

/**
 * A rough check of what auth/record.ts parses in full: a corrupted record, or one written by
 * another version, must not wake the app (which would discard it and mint an identity the
 * visitor never asked for).
 */
function resumable(value: unknown, tenant: string): boolean {
  const record = value as Loose;
  const identity = record?.identity as Loose;
  const conversation = record?.conversation as Loose;
  return (
    record?.v === RECORD_VERSION &&
    record.tenant === tenant &&
    typeof identity?.token === 'string' &&
    typeof identity.windowEndsAt === 'number' &&
    typeof conversation?.id === 'string'
  );
}

/** The shape session/outbox.ts keeps (and parses in full). */
function isOutboxEntry(value: unknown): boolean {
  const entry = value as Loose;
  return typeof entry?.clientId === 'string' && typeof entry.text === 'string' && typeof entry.createdAt === 'number';
}

export async function hasOpenConversation(tenant: string): Promise<boolean> {
  try {
    if (typeof indexedDB === 'undefined' || !indexedDB.databases) return false;
    const databases = await indexedDB.databases();
    if (!databases.some((db) => db.name === DB_NAME)) return false;
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open(DB_NAME);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    try {
      if (!db.objectStoreNames.contains(STORE_NAME)) return false;
      const read = (key: string) =>
        new Promise<unknown>((resolve, reject) => {
          const request = db.transaction(STORE_NAME, 'readonly').objectStore(STORE_NAME).get(key);
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        });
      const [record, outbox] = await Promise.all([read(tenant), read(`${tenant}#outbox`)]);
      // An open conversation to follow, or messages the visitor wrote that are not delivered yet.
      return resumable(record, tenant) || (Array.isArray(outbox) && outbox.some(isOutboxEntry));
    } finally {
      db.close();
    }
  } catch {
    // Storage trouble is the app's to report, once it runs; the loader just doesn't resume.
    return false;
  }
}
