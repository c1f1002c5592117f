/**
 * The message list as the visitor sees it, and the pure rules that merge what the server says
 * into it. Kept free of signals and I/O so the merging rules are unit-tested on their own.
 */
import type { ChatMessage, QuickReply, Sender } from '../adapters/types.ts';

export type DeliveryState = 'sending' | 'sent' | 'delivered' | 'read' | 'failed';

export interface UiMessage {
  /** Stable render key: the client id for the visitor's own sends, else the server id. */
  key: string;
  /** Server id once stored. */
  id?: string;
  clientId?: string;
  from: Sender;
  text: string;
  at: number;
  senderName?: string;
  senderAvatar?: string;
  quickReplies?: QuickReply[];
  /** Only the visitor's messages have a delivery state. */
  state?: DeliveryState;
  /** A line the widget itself adds (not sent by anyone); the UI words it in the visitor's language. */
  event?: SystemEvent;
}

export type SystemEvent =
  | { kind: 'agent-joined'; name?: string }
  | { kind: 'conversation-ended'; by?: 'visitor' | 'agent' | 'system' }
  | { kind: 'session-ended' };

const RANK: Record<DeliveryState, number> = { failed: 0, sending: 1, sent: 2, delivered: 3, read: 4 };

/** The visitor's message, shown at once as sending. */
export function pendingMessage(clientId: string, text: string, at: number): UiMessage {
  return { key: clientId, clientId, from: 'visitor', text, at, state: 'sending' };
}

/**
 * Merge a batch of server messages (the events of one task) in one pass: a message already shown
 * (same server id, or our own send with the same client id) is updated in place, never shown
 * twice; anything else is appended in arrival order. Lookups go through id maps built once per
 * batch, so a history of N messages costs O(N), not O(N²). `fresh`: the messages not shown before.
 */
export function mergeServerMessages(list: readonly UiMessage[], batch: readonly ChatMessage[]): { list: UiMessage[]; fresh: ChatMessage[] } {
  const next: UiMessage[] = list.slice();
  const byId = new Map<string, number>();
  const byClientId = new Map<string, number>();
  const index = (m: UiMessage, i: number) => {
    if (m.id !== undefined && !byId.has(m.id)) byId.set(m.id, i);
    if (m.clientId !== undefined && !byClientId.has(m.clientId)) byClientId.set(m.clientId, i);
  };
  next.forEach(index);
  // Server messages arrive in order; a pending send of ours stays last until the server has it.
  let firstPending = next.findIndex((m) => m.state === 'sending' || m.state === 'failed');
  if (firstPending < 0) firstPending = next.length;
  const added: UiMessage[] = [];
  const fresh: ChatMessage[] = [];
  for (const message of batch) {
    const a = byId.get(message.id);
    const b = message.clientId === undefined ? undefined : byClientId.get(message.clientId);
    const at = a === undefined ? b : b === undefined ? a : Math.min(a, b);
    if (at !== undefined) {
      const own = at < next.length;
      const existing = own ? next[at]! : added[at - next.length]!;
      const state = existing.state && RANK[existing.state] > RANK.sent ? existing.state : existing.from === 'visitor' ? 'sent' : undefined;
      const updated: UiMessage = { ...existing, id: message.id, at: message.at };
      if (state) updated.state = state;
      if (own) next[at] = updated;
      else added[at - next.length] = updated;
      index(updated, at);
      continue;
    }
    const item: UiMessage = { key: message.id, id: message.id, from: message.from, text: message.text, at: message.at };
    if (message.clientId) item.clientId = message.clientId;
    if (message.senderName) item.senderName = message.senderName;
    if (message.senderAvatar) item.senderAvatar = message.senderAvatar;
    if (message.quickReplies?.length) item.quickReplies = message.quickReplies;
    if (message.from === 'visitor') item.state = 'sent';
    index(item, next.length + added.length);
    added.push(item);
    fresh.push(message);
  }
  return { list: added.length ? [...next.slice(0, firstPending), ...added, ...next.slice(firstPending)] : next, fresh };
}

/** Our send was stored under `id`. */
export function confirmSend(list: readonly UiMessage[], clientId: string, id: string, at: number): UiMessage[] {
  const duplicate = list.findIndex((m) => m.id === id && m.clientId !== clientId);
  // The echo may have come first (shown without our client id): keep one copy only.
  const base = duplicate >= 0 ? list.filter((_, i) => i !== duplicate) : list;
  return base.map((m) =>
    m.clientId === clientId ? { ...m, id, at, state: m.state && RANK[m.state] > RANK.sent ? m.state : 'sent' } : m,
  );
}

export function markFailed(list: readonly UiMessage[], clientId: string): UiMessage[] {
  return list.map((m) => (m.clientId === clientId && m.state === 'sending' ? { ...m, state: 'failed' } : m));
}

/** Delivery and read receipts only ever move a message forward. */
export function applyReceipt(list: readonly UiMessage[], ids: readonly string[], status: 'delivered' | 'read'): UiMessage[] {
  const wanted = new Set(ids);
  let changed = false;
  const next = list.map((m) => {
    if (m.id === undefined || !wanted.has(m.id) || !m.state || RANK[m.state] >= RANK[status]) return m;
    changed = true;
    return { ...m, state: status };
  });
  return changed ? next : (list as UiMessage[]);
}
