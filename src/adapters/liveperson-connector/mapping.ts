/**
 * From the broker's event stream (`GET /v1/events`, src/broker/README.md "Events") to GuestChat's
 * normalized transport events. Pure and synchronous: the state lives in a `MappingState` the
 * transport owns for the page; the side effects (delivery acknowledgements to send, a conversation
 * worth asking the broker about) come back as data.
 *
 * The stream carries every event of the visitor, whatever the conversation: a replay from
 * `Last-Event-Id: 0` holds closed conversations too. Only the attached conversation's events
 * reach the session. Events of a conversation that is neither attached nor known closed are held
 * back: they may belong to a conversation being created (its first events can beat the create
 * answer) or opened in another tab, and are replayed, in order, if it is attached.
 */
import { GuestChatError } from '../../errors.ts';
import type { ChatMessage, Sender, TransportEvent } from '../types.ts';
import { badData, isObject, num, str } from '../http.ts';
import { parseMessageId, type Json } from './protocol.ts';

/** What a message that cannot be rendered as text shows. */
export const UNSUPPORTED_CONTENT_TEXT = '[This message cannot be shown here]';

/** Held events per unknown conversation, and unknown conversations held, at most. */
const HELD_PER_CONVERSATION = 500;
const HELD_CONVERSATIONS = 20;

/** One SSE message as adapters/sse.ts dispatches it. */
export interface StreamMessage {
  id?: string | undefined;
  event?: string | undefined;
  data: string;
}

export type ConversationEvent =
  | { kind: 'message'; conversationId: string; message: ChatMessage; sequence: number | undefined }
  | { kind: 'receipt'; conversationId: string; status: 'delivered' | 'read'; messageIds: string[] }
  | { kind: 'seen'; conversationId: string; messageIds: string[] }
  | { kind: 'typing'; conversationId: string; on: boolean }
  | {
      kind: 'conversation';
      conversationId: string;
      state: 'OPEN' | 'CLOSE';
      agentId: string | undefined;
      closedBy: 'visitor' | 'agent' | 'system' | undefined;
    };

export type BrokerEvent =
  | ConversationEvent
  /** The visitor token expired: the stream ends. */
  | { kind: 'auth-expired' }
  /** Events after our Last-Event-Id were lost (trimmed, or the broker lost its memory). */
  | { kind: 'resync' }
  /** The broker failed on its side; the stream ends. */
  | { kind: 'stream-error' }
  /** An event kind this version does not know: ignored. */
  | { kind: 'ignored' }
  | { kind: 'invalid'; error: GuestChatError };

const ids = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string' && v.length > 0) : []);
const invalid = (kind: string, why: string): BrokerEvent => ({
  kind: 'invalid',
  error: badData(`Bad "${kind}" event: ${why}`),
});

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
  const event = isObject(data['event']) ? data['event'] : undefined;
  if (event === undefined) return UNSUPPORTED_CONTENT_TEXT;
  if (event['type'] === 'RichContentEvent') return richContentText(event['content']);
  const message = event['message'];
  if (typeof message === 'string') return message;
  if (isObject(message)) return str(message['caption']) ?? str(message['text']) ?? UNSUPPORTED_CONTENT_TEXT;
  return UNSUPPORTED_CONTENT_TEXT;
}

/** Read one SSE message. Never throws. `now` stamps messages the broker sent without a time. */
export function parseStreamMessage(message: StreamMessage, now: number): BrokerEvent {
  const kind = message.event ?? 'message';
  if (kind === 'auth-expired') return { kind: 'auth-expired' };
  if (kind === 'resync') return { kind: 'resync' };
  if (kind === 'error') return { kind: 'stream-error' };
  if (!CONVERSATION_KINDS.has(kind)) return { kind: 'ignored' };

  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch {
    return invalid(kind, 'not JSON');
  }
  if (!isObject(data)) return invalid(kind, 'not an object');
  const conversationId = str(data['conversationId']);
  if (conversationId === undefined) return invalid(kind, 'no conversationId');

  switch (kind) {
    case 'message': {
      const id = str(data['id']);
      const from = data['from'];
      if (id === undefined || typeof from !== 'string' || !PARTIES.has(from)) return invalid(kind, 'no id or sender');
      const chat: ChatMessage = { id, from: from as Sender, text: messageText(data), at: num(data['at']) ?? now };
      const clientId = str(data['clientId']);
      if (from === 'visitor' && clientId !== undefined) chat.clientId = clientId;
      return { kind: 'message', conversationId, message: chat, sequence: num(data['sequence']) };
    }
    case 'receipt': {
      const status = data['status'];
      if (status !== 'delivered' && status !== 'read') return { kind: 'ignored' };
      return { kind: 'receipt', conversationId, status, messageIds: ids(data['messageIds']) };
    }
    case 'seen':
      return { kind: 'seen', conversationId, messageIds: ids(data['messageIds']) };
    case 'typing':
      return { kind: 'typing', conversationId, on: data['on'] === true };
    default: {
      // 'conversation'
      const state = data['state'];
      if (state !== 'OPEN' && state !== 'CLOSE') return invalid(kind, 'no state');
      const agent = isObject(data['agent']) ? str(data['agent']['id']) : undefined;
      const by = data['closedBy'];
      return {
        kind: 'conversation',
        conversationId,
        state,
        agentId: agent,
        closedBy: typeof by === 'string' && PARTIES.has(by) ? (by as 'visitor' | 'agent' | 'system') : undefined,
      };
    }
  }
}

interface HeldEvent {
  event: ConversationEvent;
  cursor: string;
}

export interface MappingState {
  /** The conversation the session is shown. */
  attached: string | undefined;
  /** Conversations known closed (reported once, if they were ours to report). */
  readonly closed: Set<string>;
  /** Message ids already handed to the session. */
  readonly seen: Set<string>;
  /** `conversationId:agentId` already announced. */
  readonly agents: Set<string>;
  /** Ids of the visitor's own messages: never acknowledged or marked read by us. */
  readonly own: Set<string>;
  /** Agent message ids the visitor has read (here, in another tab, or before a reload). */
  readonly read: Set<string>;
  /** Events of conversations neither attached nor known closed, in arrival order. */
  readonly held: Map<string, HeldEvent[]>;
  /** Unknown conversations the broker was already asked about. */
  readonly asked: Set<string>;
}

export function createMappingState(): MappingState {
  return {
    attached: undefined,
    closed: new Set(),
    seen: new Set(),
    agents: new Set(),
    own: new Set(),
    read: new Set(),
    held: new Map(),
    asked: new Set(),
  };
}

export interface Outcome {
  /** For the session, in order. */
  events: TransportEvent[];
  /** Agent messages to acknowledge as delivered. */
  delivered: Array<{ conversationId: string; id: string }>;
  /** A conversation with events held back that the broker was not asked about yet. */
  unknown: string | undefined;
}

const outcome = (): Outcome => ({ events: [], delivered: [], unknown: undefined });

function hold(state: MappingState, event: ConversationEvent, cursor: string, result: Outcome): void {
  const { conversationId } = event;
  let list = state.held.get(conversationId);
  if (list === undefined) {
    if (state.held.size >= HELD_CONVERSATIONS) {
      const oldest = state.held.keys().next().value;
      if (oldest !== undefined) state.held.delete(oldest);
    }
    list = [];
    state.held.set(conversationId, list);
  }
  list.push({ event, cursor });
  if (list.length > HELD_PER_CONVERSATION) list.shift();
  if (!state.asked.has(conversationId)) result.unknown = conversationId;
}

function applyAttached(state: MappingState, event: ConversationEvent, cursor: string, result: Outcome): void {
  switch (event.kind) {
    case 'message': {
      const { message } = event;
      if (state.seen.has(message.id)) return;
      state.seen.add(message.id);
      if (message.from === 'visitor') state.own.add(message.id);
      result.events.push({ type: 'message', message, cursor });
      if (message.from === 'agent' && !state.read.has(message.id)) result.delivered.push({ conversationId: event.conversationId, id: message.id });
      return;
    }
    case 'receipt':
      if (event.messageIds.length > 0) result.events.push({ type: 'receipt', messageIds: event.messageIds, status: event.status });
      return;
    case 'seen':
      if (event.messageIds.length === 0) return;
      for (const id of event.messageIds) state.read.add(id);
      result.events.push({ type: 'seen', messageIds: event.messageIds });
      return;
    case 'typing':
      result.events.push({ type: 'typing', on: event.on });
      return;
    case 'conversation':
      if (event.state === 'CLOSE') {
        closeConversation(state, event.conversationId, event.closedBy, result);
        return;
      }
      if (event.agentId !== undefined) {
        const key = `${event.conversationId}:${event.agentId}`;
        if (!state.agents.has(key)) {
          state.agents.add(key);
          result.events.push({ type: 'agent-joined' });
        }
      }
      return;
  }
}

/**
 * Route one conversation event: to the session when its conversation is attached, nowhere when
 * it is closed, else held back.
 */
export function handleConversationEvent(state: MappingState, event: ConversationEvent, cursor: string): Outcome {
  const result = outcome();
  const { conversationId } = event;
  if (conversationId === state.attached) {
    applyAttached(state, event, cursor, result);
  } else if (state.closed.has(conversationId)) {
    // A closed conversation's history (a replay from 0): not shown.
  } else if (event.kind === 'conversation' && event.state === 'CLOSE') {
    // Someone else's business now: it ended before we attached to it.
    state.closed.add(conversationId);
    state.held.delete(conversationId);
  } else {
    hold(state, event, cursor, result);
  }
  return result;
}

/** Attach to a conversation: tell the session, then replay what was held back of it. */
export function attachConversation(state: MappingState, conversationId: string): Outcome {
  const result = outcome();
  if (state.attached === conversationId || state.closed.has(conversationId)) return result;
  state.attached = conversationId;
  state.asked.add(conversationId);
  result.events.push({ type: 'conversation-open', conversationId });
  const held = state.held.get(conversationId) ?? [];
  state.held.delete(conversationId);
  for (const { event, cursor } of held) {
    // A close among them detaches again; what follows it is not shown.
    if (state.attached !== conversationId) break;
    applyAttached(state, event, cursor, result);
  }
  return result;
}

/** The conversation is over: report it once, and detach if it was attached. */
export function closeConversation(
  state: MappingState,
  conversationId: string,
  by?: 'visitor' | 'agent' | 'system',
  result: Outcome = outcome(),
): Outcome {
  if (state.attached === conversationId) state.attached = undefined;
  state.held.delete(conversationId);
  if (state.closed.has(conversationId)) return result;
  state.closed.add(conversationId);
  const event: TransportEvent = { type: 'conversation-closed', conversationId };
  if (by !== undefined) event.by = by;
  result.events.push(event);
  return result;
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
