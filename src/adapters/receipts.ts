/**
 * Delivery receipts gathered per conversation and sent together: messages that arrive close
 * together (a history page, a burst of agent lines) are acknowledged in one request, not one
 * each. Salesforce and the broker mode both batch this way; what they send differs.
 */
export interface ReceiptBatch {
  add(conversationId: string, id: string): void;
  /** Send what is gathered now; `drop`: forget it instead (the token is dead). */
  flush(drop?: boolean): void;
  /** Leave an id out of what is gathered (a read receipt covers it). */
  remove(id: string): void;
}

export function createReceiptBatch(waitMs: number, send: (conversationId: string, ids: string[]) => void): ReceiptBatch {
  const pending = new Map<string, Set<string>>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = (drop?: boolean): void => {
    clearTimeout(timer);
    timer = undefined;
    if (!drop) for (const [conversationId, ids] of pending) send(conversationId, [...ids]);
    pending.clear();
  };
  return {
    add(conversationId, id) {
      let ids = pending.get(conversationId);
      if (ids === undefined) pending.set(conversationId, (ids = new Set()));
      ids.add(id);
      timer ??= setTimeout(flush, waitMs);
    },
    flush,
    remove(id) {
      for (const ids of pending.values()) ids.delete(id);
    },
  };
}
