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

/** Delivery states in the order a message moves through them (failed: not even sending). */
const ORDER: readonly (DeliveryState | undefined)[] = ['failed', 'sending', 'sent', 'delivered', 'read'];
const rank = (state: DeliveryState | undefined) => ORDER.indexOf(state);

/** The visitor's message, shown at once as sending (or as failed, restored from the outbox). */
export function pendingMessage(clientId: string, text: string, at: number, state: DeliveryState = 'sending'): UiMessage {
  return { key: clientId, clientId, from: 'visitor', text, at, state };
}

/** Stored by the server: at least sent, or what a receipt already said. */
const stored = (state: DeliveryState | undefined) => (rank(state) > rank('sent') ? state! : 'sent');

/**
 * Merge a batch of server messages (the events of one task, or our own send the server just
 * stored) in one pass: a message already shown (same server id, or our own send with the same
 * client id) is updated in place, never shown twice — an echo of our send that came without our
 * client id gives way to our own copy; anything else is appended in arrival order. Lookups go
 * through id maps built once per batch, so a history of N messages costs O(N), not O(N²).
 * `fresh`: the messages whose server id the list did not hold yet, in arrival order.
 */
export function mergeServerMessages(list: readonly UiMessage[], batch: readonly ChatMessage[]): { list: UiMessage[]; fresh: ChatMessage[] } {
  // New messages are appended to `next` and moved in front of the pending sends at the end.
  const next: (UiMessage | undefined)[] = list.slice();
  const byId = new Map<string | undefined, number>();
  const byClientId = new Map<string | undefined, number>();
  const index = ({ id, clientId }: UiMessage, i: number) => {
    byId.set(id, i);
    if (clientId) byClientId.set(clientId, i);
  };
  list.forEach(index);
  // Server messages arrive in order; a pending send of ours stays last until the server has it.
  let firstPending = list.findIndex((m) => m.state === 'sending' || m.state === 'failed');
  if (firstPending < 0) firstPending = list.length;
  const fresh: ChatMessage[] = [];
  for (const message of batch) {
    const { id, from, at, clientId } = message;
    const shown = byId.get(id);
    const found = byClientId.get(clientId) ?? shown;
    if (shown === undefined) fresh.push(message);
    let item: UiMessage;
    if (found !== undefined) {
      const existing = next[found]!;
      // Our send shown twice (its echo came without our client id): the echo goes.
      if (shown !== undefined) next[shown] = undefined;
      item = { ...existing, id, at };
      if (existing.from === 'visitor') item.state = stored(existing.state);
      next[found] = item;
      index(item, found);
      continue;
    }
    // Sender fields may be empty or undefined: the panel reads either as absent.
    item = { ...message, key: id };
    if (from === 'visitor') item.state = 'sent';
    index(item, next.length);
    next.push(item);
  }
  return {
    list: [...next.slice(0, firstPending), ...next.slice(list.length), ...next.slice(firstPending, list.length)].filter((m) => m !== undefined),
    fresh,
  };
}

/** Our send `clientId`, if it is in state `from`, moved to state `to` (failed, or sending again). */
export function restate(list: readonly UiMessage[], clientId: string, from: DeliveryState, to: DeliveryState): UiMessage[] {
  return list.map((m) => (m.clientId === clientId && m.state === from ? { ...m, state: to } : m));
}

/** Delivery and read receipts only ever move a message forward. */
export function applyReceipt(list: readonly UiMessage[], ids: readonly string[], status: 'delivered' | 'read'): UiMessage[] {
  const wanted = new Set(ids);
  let changed = false;
  const next = list.map((m) => {
    if (!wanted.has(m.id!) || !m.state || rank(m.state) >= rank(status)) return m;
    changed = true;
    return { ...m, state: status };
  });
  return changed ? next : (list as UiMessage[]);
}
