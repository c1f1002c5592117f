/**
 * The mark that tells the loader, on the next page, to load the app at once instead of waiting
 * for intent: this browser holds an open conversation or messages not yet delivered for the
 * tenant, so replies must reach the badge and the outbox must drain.
 *
 * A localStorage key, read synchronously by the loader: one lookup, no IndexedDB opened before
 * intent (a visitor who never chatted gets no database). It is a hint, not the truth: the app
 * sets it from the session's state and clears it when nothing is left to resume; a stale mark
 * costs one early download, after which the app clears it. forget() removes it.
 *
 * The loader imports this module too: it must stay a leaf (type imports only).
 */
import type { LocalStore } from '../auth/index.ts';

export const wakeKey = (tenant: string) => `guestchat:${tenant}`;

export function wakeOnLoad(tenant: string): boolean {
  try {
    return localStorage.getItem(wakeKey(tenant)) !== null;
  } catch {
    return false; // storage blocked: nothing was resumable from it either
  }
}

export function setWakeOnLoad(tenant: string, wake: boolean): void {
  try {
    if (wake) localStorage.setItem(wakeKey(tenant), '1');
    else localStorage.removeItem(wakeKey(tenant));
  } catch {
    // Storage blocked or full: the loader then waits for intent, as for a first visit.
  }
}

/**
 * The local store as the session uses it, keeping the mark in step with what it writes: the
 * token record (under the tenant key) with or without a conversation, and the outbox (under
 * `<tenant>#outbox`) with or without entries. `known` seeds what was found on load, so a stale
 * mark (storage cleared, memory-only storage) is corrected as soon as the app runs.
 */
export function markingWake(store: LocalStore, tenant: string): { store: LocalStore; known(conversation: boolean, outbox: boolean): void } {
  const outboxKey = `${tenant}#outbox`;
  let conversation = false;
  let outbox = false;
  const known = (hasConversation: boolean, hasOutbox: boolean) => {
    conversation = hasConversation;
    outbox = hasOutbox;
    setWakeOnLoad(tenant, conversation || outbox);
  };
  const track = (key: string, present: boolean) => {
    if (key === tenant) known(present, outbox);
    else if (key === outboxKey) known(conversation, present);
  };
  return {
    store: {
      read: store.read,
      async write(key, value) {
        await store.write(key, value);
        // (The outbox is removed, never written, when it empties.)
        track(key, key !== tenant || Boolean((value as { conversation?: unknown } | undefined)?.conversation));
      },
      async remove(key) {
        await store.remove(key);
        track(key, false);
      },
      async forgetAll() {
        known(false, false);
        await store.forgetAll();
      },
    },
    known,
  };
}
