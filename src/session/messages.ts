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
 * Merge one server message. A message already shown (same server id, or our own send with the
 * same client id) is updated in place, never shown twice; anything else is appended in time order.
 */
export function mergeServerMessage(list: readonly UiMessage[], message: ChatMessage): UiMessage[] {
  const index = list.findIndex(
    (m) => (m.id !== undefined && m.id === message.id) || (message.clientId !== undefined && m.clientId === message.clientId),
  );
  if (index >= 0) {
    const existing = list[index]!;
    const state = existing.state && RANK[existing.state] > RANK.sent ? existing.state : existing.from === 'visitor' ? 'sent' : undefined;
    const updated: UiMessage = { ...existing, id: message.id, at: message.at };
    if (state) updated.state = state;
    const next = list.slice();
    next[index] = updated;
    return next;
  }
  const added: UiMessage = { key: message.id, id: message.id, from: message.from, text: message.text, at: message.at };
  if (message.clientId) added.clientId = message.clientId;
  if (message.senderName) added.senderName = message.senderName;
  if (message.senderAvatar) added.senderAvatar = message.senderAvatar;
  if (message.quickReplies?.length) added.quickReplies = message.quickReplies;
  if (message.from === 'visitor') added.state = 'sent';
  // Server messages arrive in order; a pending send of ours stays last until the server has it.
  const firstPending = list.findIndex((m) => m.state === 'sending' || m.state === 'failed');
  if (firstPending < 0) return [...list, added];
  return [...list.slice(0, firstPending), added, ...list.slice(firstPending)];
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
  return list.map((m) =>
    m.id !== undefined && wanted.has(m.id) && m.state && RANK[m.state] < RANK[status] ? { ...m, state: status } : m,
  );
}

export function systemLine(key: string, event: SystemEvent, at: number): UiMessage {
  return { key, from: 'system', text: '', at, event };
}
