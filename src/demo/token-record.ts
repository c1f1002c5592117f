/**
 * Reads the widget's stored token record (database `guestchat`, store `records`, key = tenant)
 * with the raw IndexedDB API, for display only. Two rules:
 * - never create the database: a visitor who never clicks must leave none, and QA checks that
 *   on this page too. We list databases first, and if it vanishes between the listing and the
 *   open, the creation is aborted in `upgradeneeded`;
 * - never keep a token: only subjects and times leave this module.
 */
const DB_NAME = 'guestchat';
const STORE_NAME = 'records';

export interface TokenTimes {
  subject?: string;
  issuedAt?: number;
  expiresAt?: number;
}

export interface RecordView {
  adapter?: string;
  identity?: TokenTimes & { windowEndsAt?: number };
  access?: TokenTimes;
  conversationId?: string;
  hasCursor: boolean;
  skewMs?: number;
  version?: unknown;
}

export type RecordReading =
  | { database: 'unsupported' }
  | { database: 'absent' }
  | { database: 'present'; record?: RecordView; storeMissing?: boolean }
  | { database: 'error'; message: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const time = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

function times(v: unknown): TokenTimes | undefined {
  if (!isObject(v)) return undefined;
  return { subject: text(v.subject), issuedAt: time(v.issuedAt), expiresAt: time(v.expiresAt) };
}

/** Only the displayable parts of a record: subjects and times, never a token. */
export function toRecordView(value: unknown): RecordView | undefined {
  if (!isObject(value)) return undefined;
  const identity = times(value.identity);
  const windowEndsAt = isObject(value.identity) ? time(value.identity.windowEndsAt) : undefined;
  const conversation = isObject(value.conversation) ? value.conversation : undefined;
  return {
    adapter: text(value.adapter),
    identity: identity ? { ...identity, windowEndsAt } : undefined,
    access: times(value.access),
    conversationId: text(conversation?.id),
    hasCursor: conversation?.cursor !== undefined,
    skewMs: time(value.skewMs),
    version: value.v,
  };
}

export async function readTokenRecord(tenant: string): Promise<RecordReading> {
  if (typeof indexedDB === 'undefined' || typeof indexedDB.databases !== 'function') return { database: 'unsupported' };
  try {
    const databases = await indexedDB.databases();
    if (!databases.some((db) => db.name === DB_NAME)) return { database: 'absent' };
    const db = await openExisting();
    if (!db) return { database: 'absent' };
    try {
      if (!db.objectStoreNames.contains(STORE_NAME)) return { database: 'present', storeMissing: true };
      const raw = await new Promise<unknown>((resolve, reject) => {
        const request = db.transaction(STORE_NAME, 'readonly').objectStore(STORE_NAME).get(tenant);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error ?? new Error('read failed'));
      });
      return { database: 'present', record: toRecordView(raw) };
    } finally {
      db.close();
    }
  } catch (error) {
    return { database: 'error', message: error instanceof Error ? error.message : String(error) };
  }
}

/** Opens the database only if it exists; resolves undefined (and creates nothing) otherwise. */
function openExisting(): Promise<IDBDatabase | undefined> {
  return new Promise((resolve, reject) => {
    let creating = false;
    const request = indexedDB.open(DB_NAME);
    request.onupgradeneeded = () => {
      // Only a missing database needs an upgrade from "no version": undo its creation.
      creating = true;
      request.transaction?.abort();
    };
    request.onsuccess = () => {
      const db = request.result;
      // The widget's forget() deletes the database: never hold it up.
      db.onversionchange = () => db.close();
      resolve(db);
    };
    request.onerror = (event) => {
      if (creating) {
        event.preventDefault();
        resolve(undefined);
      } else reject(request.error ?? new Error('open failed'));
    };
    request.onblocked = () => resolve(undefined);
  });
}
