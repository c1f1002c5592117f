/**
 * The mark that tells the loader, on the next page, to load the app at once instead of waiting
 * for intent: this browser holds an open conversation or messages not yet delivered for the
 * tenant, so replies must reach the badge and the outbox must drain.
 *
 * A localStorage key, read synchronously by the loader: one lookup, no IndexedDB opened before
 * intent (a visitor who never chatted gets no database). It is a hint, not the truth: the app
 * sets it from the session's state and clears it when nothing is left to resume; a stale mark
 * costs one early download, after which the app clears it. forget() removes it.
 */
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
