/**
 * From the broker's event stream (`GET /v1/events`, src/broker/README.md "Events") to GuestChat's
 * typed events. Pure: which conversation an event belongs to and what reaches the session is
 * the transport's routing (transport.ts).
 */
import { GuestChatError } from '../../errors.ts';
import type { ChatMessage, Sender } from '../types.ts';
import { badData, get, isObject, num, str } from '../http.ts';
import { parseMessageId, type Json } from './protocol.ts';

/** What a message that cannot be rendered as text shows. */
export const UNSUPPORTED_CONTENT_TEXT = '[This message cannot be shown here]';

/** One SSE message as adapters/sse.ts dispatches it. */
export interface StreamMessage {
  id?: string | undefined;
  event?: string | undefined;
  data: string;
}

export type ConversationEvent =
  | { type: 'message'; conversationId: string; message: ChatMessage }
  | { type: 'receipt'; conversationId: string; status: 'delivered' | 'read'; messageIds: string[] }
  | { type: 'seen'; conversationId: string; messageIds: string[] }
  | { type: 'typing'; conversationId: string; on: boolean }
  | {
      type: 'conversation';
      conversationId: string;
      state: 'OPEN' | 'CLOSE';
      agentId: string | undefined;
      closedBy: 'visitor' | 'agent' | 'system' | undefined;
    };

export type BrokerEvent =
  | ConversationEvent
  /** The visitor token expired: the stream ends. */
  | { type: 'auth-expired' }
  /** Events after our Last-Event-Id were lost (trimmed, or the broker lost its memory). */
  | { type: 'resync' }
  /** The broker failed on its side (the stream ends), or an event kind this version does not know. */
  | { type: 'ignored' }
  /** Unreadable: the session hears it as is. */
  | { type: 'protocol-error'; error: GuestChatError };

const ids = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v.length > 0) : []);
const invalid = (kind: string): BrokerEvent => ({ type: 'protocol-error', error: badData(`Bad "${kind}" event`) });

/** Who sends a message, and who closes a conversation. */
const PARTIES: ReadonlySet<string> = new Set<Sender>(['visitor', 'agent', 'system']);

/** The conversation event kinds (an unknown kind is ignored). */
const CONVERSATION_KINDS: ReadonlySet<string> = new Set(['message', 'receipt', 'seen', 'typing', 'conversation']);

/** Text elements, button titles and image captions of structured content, in order. */
export function richContentText(content: unknown): string {
  const parts: string[] = [];
  const visit = (node: unknown, depth: number): void => {
    if (depth > 32) return;
    if (Array.isArray(node)) {
      for (const child of node) visit(child, depth + 1);
      return;
    }
    if (!isObject(node)) return;
    const type = node['type'];
    const text =
      type === 'text' ? str(node['text']) : type === 'button' ? str(node['title']) : type === 'image' ? (str(node['caption']) ?? str(node['alt'])) : undefined;
    if (text !== undefined) parts.push(text);
    visit(node['elements'], depth + 1);
    visit(node['content'], depth + 1);
  };
  visit(content, 0);
  return parts.length > 0 ? parts.join('\n') : UNSUPPORTED_CONTENT_TEXT;
}

/** The text of a message: the broker's `text`, else what LivePerson's event object holds. */
function messageText(data: Json): string {
  const text = data['text'];
  if (typeof text === 'string') return text;
  const event = data['event'];
  if (get(event, 'type') === 'RichContentEvent') return richContentText(get(event, 'content'));
  const message = get(event, 'message');
  return typeof message === 'string' ? message : (str(get(message, 'caption')) ?? str(get(message, 'text')) ?? UNSUPPORTED_CONTENT_TEXT);
}

/** Read one SSE message. Never throws. `now` stamps messages the broker sent without a time. */
export function parseStreamMessage(message: StreamMessage, now: number): BrokerEvent {
  const kind = message.event ?? 'message';
  if (kind === 'auth-expired' || kind === 'resync') return { type: kind };
  // `error` (the broker failed on its side; the stream ends) and kinds this version does not know.
  if (!CONVERSATION_KINDS.has(kind)) return { type: 'ignored' };

  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch {
    // Not JSON: unreadable like any other bad shape below.
  }
  const conversationId = isObject(data) ? str(data['conversationId']) : undefined;
  if (!isObject(data) || conversationId === undefined) return invalid(kind);

  switch (kind) {
    case 'message': {
      const id = str(data['id']);
      const from = data['from'];
      if (id === undefined || typeof from !== 'string' || !PARTIES.has(from)) return invalid(kind);
      const chat: ChatMessage = { id, from: from as Sender, text: messageText(data), at: num(data['at']) ?? now };
      const clientId = str(data['clientId']);
      if (from === 'visitor' && clientId !== undefined) chat.clientId = clientId;
      return { type: 'message', conversationId, message: chat };
    }
    case 'receipt': {
      const status = data['status'];
      if (status !== 'delivered' && status !== 'read') return { type: 'ignored' };
      return { type: 'receipt', conversationId, status, messageIds: ids(data['messageIds']) };
    }
    case 'seen':
      return { type: 'seen', conversationId, messageIds: ids(data['messageIds']) };
    case 'typing':
      return { type: 'typing', conversationId, on: data['on'] === true };
    default: {
      // 'conversation'
      const state = data['state'];
      if (state !== 'OPEN' && state !== 'CLOSE') return invalid(kind);
      const agent = str(get(data['agent'], 'id'));
      const by = data['closedBy'];
      return {
        type: 'conversation',
        conversationId,
        state,
        agentId: agent,
        closedBy: typeof by === 'string' && PARTIES.has(by) ? (by as 'visitor' | 'agent' | 'system') : undefined,
      };
    }
  }
}

/** Sequences of the attached conversation's messages among `messageIds` (others are dropped). */
export function sequencesOf(conversationId: string, messageIds: Iterable<string>): number[] {
  const sequences = new Set<number>();
  for (const id of messageIds) {
    const parsed = parseMessageId(id);
    if (parsed !== undefined && parsed.dialogId === conversationId) sequences.add(parsed.sequence);
  }
  return [...sequences].sort((a, b) => a - b);
}
