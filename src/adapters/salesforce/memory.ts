/**
 * What this page knows about Salesforce tokens (module memory: gone on reload, not shared with
 * other tabs). A guest token minted in this page is used as is; any other token came from
 * storage (a reload or another tab) and is first traded for a per-tab continuation token
 * (contract §1.2, W11) — at most once per stored token per page load.
 */
export interface TabToken {
  /** The token this tab sends on every call and the stream. */
  readonly token: string;
  /** The event-log position when the token was issued: where the first stream starts. */
  readonly lastEventId: string | undefined;
  /** The last stream `id:` this page has handled with this token (in-page reconnects). */
  lastHandledId?: string;
}

export interface PageMemory {
  /** Tokens minted in this page, by token. */
  readonly minted: Map<string, TabToken>;
  /** Continuations taken in this page, by the stored token they continue. */
  readonly continuations: Map<string, Promise<TabToken>>;
  /** Deployments already reported as misconfigured (one console line each). */
  readonly reported: Set<string>;
}

export function createPageMemory(): PageMemory {
  return { minted: new Map(), continuations: new Map(), reported: new Set() };
}

/** The page's own memory; tests pass a fresh one instead. */
export const pageMemory: PageMemory = createPageMemory();

/**
 * The token this tab uses for `storedToken`: itself when minted here, else the continuation,
 * taken once and shared by every connect of this page. A continuation that failed is forgotten
 * (no token came of it), so a later connect may try again.
 */
export function tabTokenFor(memory: PageMemory, storedToken: string, takeContinuation: () => Promise<TabToken>): TabToken | Promise<TabToken> {
  const minted = memory.minted.get(storedToken);
  if (minted !== undefined) return minted;
  let continuation = memory.continuations.get(storedToken);
  if (continuation === undefined) {
    continuation = takeContinuation();
    memory.continuations.set(storedToken, continuation);
    continuation.catch(() => {
      if (memory.continuations.get(storedToken) === continuation) memory.continuations.delete(storedToken);
    });
  }
  return continuation;
}
