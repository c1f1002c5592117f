/**
 * The loader's own use of IndexedDB, with the raw API so it stays tiny. Must agree with
 * auth/store.ts on the names.
 *
 * Does this browser hold an open conversation (or undelivered messages) for the tenant?
 * Answered without ever creating the database: a first-time visitor who never clicks must leave
 * no trace (we list databases first and open only an existing one).
 */
const DB_NAME = 'guestchat';
const STORE_NAME = 'records';
/** auth/record.ts RECORD_VERSION. */
const RECORD_VERSION = 1;

type Loose = Record<string, unknown> | null | undefined;

/** One IndexedDB request as a promise (rejected with the error event). */
const request = <T>(req: IDBRequest<T>) =>
  new Promise<T>((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = reject;
  });

/**
 * A rough check of what auth/record.ts parses in full: a corrupted record, or one written by
 * another version, must not wake the app (which would discard it and mint an identity the
 * visitor never asked for).
 */
function resumable(record: Loose, tenant: string): boolean {
  const identity = record?.identity as Loose;
  return (
    record?.v === RECORD_VERSION &&
    record.tenant === tenant &&
    typeof identity?.token === 'string' &&
    typeof identity.windowEndsAt === 'number' &&
    typeof (record.conversation as Loose)?.id === 'string'
  );
}

/** The shape session/outbox.ts keeps (and parses in full). */
function isOutboxEntry(entry: Loose): boolean {
  return typeof entry?.clientId === 'string' && typeof entry.text === 'string' && typeof entry.createdAt === 'number';
}

export async function hasOpenConversation(tenant: string): Promise<boolean> {
  // No IndexedDB, no indexedDB.databases() (older browsers) or no store yet: each throws here,
  // and the answer is no. Storage trouble is the app's to report, once it runs.
  try {
    if (!(await indexedDB.databases()).some((db) => db.name === DB_NAME)) return false;
    const db = await request(indexedDB.open(DB_NAME));
    try {
      const store = db.transaction(STORE_NAME).objectStore(STORE_NAME);
      const [record, outbox] = await Promise.all([request(store.get(tenant)), request(store.get(`${tenant}#outbox`))]);
      // An open conversation to follow, or messages the visitor wrote that are not delivered yet.
      return resumable(record, tenant) || (Array.isArray(outbox) && outbox.some(isOutboxEntry));
    } finally {
      db.close();
    }
  } catch {
    return false;
  }
}

/** Delete GuestChat's database, waiting (3 s at most) for tabs that still hold it open to let go. */
export async function eraseDatabase(): Promise<void> {
  try {
    await Promise.race([request(indexedDB.deleteDatabase(DB_NAME)), new Promise((resolve) => setTimeout(resolve, 3_000))]);
  } catch {
    // no IndexedDB, or it refused: nothing more the loader can do
  }
}
