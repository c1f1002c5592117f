/**
 * From Salesforce stream events and stored entries (contract §3.3–3.4, §2.7) to GuestChat's
 * normalized transport events. Pure and synchronous: the state it filters and de-duplicates
 * with lives in a `MappingState` the transport owns; the side effects it asks for (attach to a
 * conversation, acknowledge delivery) come back as data. Never throws on server data: what
 * cannot be read becomes a `protocol-error` event.
 */
import { GuestChatError } from '../../errors.ts';
import type { ChatMessage, QuickReply, Sender, TransportEvent } from '../types.ts';
import { isObject, readNumber, readString } from './protocol.ts';

export const UNSUPPORTED_CONTENT_TEXT = '[This message cannot be shown here]';
export const ROUTING_FAILED_TEXT = 'We could not connect you to an agent.';

/** Stream event names (`event:`) and the entry type each carries. */
export const EVENT_ENTRY_TYPES: Readonly<Record<string, string>> = {
  CONVERSATION_MESSAGE: 'Message',
  CONVERSATION_ROUTING_RESULT: 'RoutingResult',
  CONVERSATION_PARTICIPANT_CHANGED: 'ParticipantChanged',
  CONVERSATION_TYPING_STARTED_INDICATOR: 'TypingStartedIndicator',
  CONVERSATION_TYPING_STOPPED_INDICATOR: 'TypingStoppedIndicator',
  CONVERSATION_DELIVERY_ACKNOWLEDGEMENT: 'DeliveryAcknowledgement',
  CONVERSATION_READ_ACKNOWLEDGEMENT: 'ReadAcknowledgement',
  CONVERSATION_SESSION_STATUS_CHANGED: 'SessionStatusChanged',
  CONVERSATION_CLOSE_CONVERSATION: 'CloseConversation',
};

/** Entry types that show a conversation is open: a tab with none attached follows it. */
const OPENING_TYPES: ReadonlySet<string> = new Set(['Message', 'RoutingResult', 'ParticipantChanged']);

const AGENT_ROLES: ReadonlySet<string> = new Set(['Agent', 'Chatbot', 'Supervisor']);

/** One conversation entry, read leniently (stream envelope §3.3 or stored entry §2.7). */
export interface Entry {
  identifier: string | undefined;
  entryType: string | undefined;
  /** The parsed `entryPayload` (a JSON string on the stream, an object in stored entries). */
  payload: Record<string, unknown>;
  role: string | undefined;
  senderName: string | undefined;
  /** `transcriptedTimestamp`, else `clientTimestamp`. */
  at: number | undefined;
  relatedRecords: string[];
}

/** A stored or streamed entry, or why it could not be read. */
export function readEntry(raw: unknown): Entry | string {
  if (!isObject(raw)) return 'conversationEntry is not an object';
  let payload: unknown = raw['entryPayload'];
  if (typeof payload === 'string') {
    try {
      payload = JSON.parse(payload);
    } catch {
      return 'entryPayload is not JSON';
    }
  }
  if (payload === undefined || payload === null) payload = {};
  if (!isObject(payload)) return 'entryPayload is not an object';
  const sender = raw['sender'];
  const related = Array.isArray(raw['relatedRecords']) ? raw['relatedRecords'] : [];
  return {
    identifier: readString(raw['identifier']),
    entryType: readString(raw['entryType']) ?? readString(payload['entryType']),
    payload,
    role: isObject(sender) ? readString(sender['role']) : undefined,
    senderName: readString(raw['senderDisplayName']),
    at: readNumber(raw['transcriptedTimestamp']) ?? readNumber(raw['clientTimestamp']),
    relatedRecords: related.filter((r): r is string => typeof r === 'string' && r.length > 0),
  };
}

export function senderOf(role: string | undefined): Sender {
  if (role === 'EndUser') return 'visitor';
  if (role !== undefined && AGENT_ROLES.has(role)) return 'agent';
  return 'system';
}

// ------------------------------------------------------------------------------------------
// Message text (§2.8 "first version": a text fallback for everything that is not plain text)

function titleOf(item: unknown): string | undefined {
  if (!isObject(item)) return undefined;
  const titleItem = item['titleItem'];
  const title = item['title'];
  return (
    (isObject(titleItem) ? readString(titleItem['title']) : undefined) ??
    (isObject(title) ? readString(title['title']) : readString(title))
  );
}

/** Any `text` and `title` strings, in document order: the fallback for unknown formats. */
function collectText(node: unknown, parts: string[], depth = 0): void {
  if (depth > 16) return;
  if (Array.isArray(node)) {
    for (const child of node) collectText(child, parts, depth + 1);
    return;
  }
  if (!isObject(node)) return;
  for (const [key, value] of Object.entries(node)) {
    if ((key === 'text' || key === 'title') && typeof value === 'string' && value.trim().length > 0) parts.push(value);
    else if (typeof value === 'object') collectText(value, parts, depth + 1);
  }
}

function staticContentText(content: Record<string, unknown>): string | undefined {
  const parts: string[] = [];
  const text = readString(content['text']);
  switch (content['formatType']) {
    case 'Text':
      return text;
    case 'RichLink': {
      const link = content['linkItem'];
      const title = titleOf(link);
      const url = isObject(link) ? readString(link['url']) : undefined;
      if (title !== undefined) parts.push(title);
      if (url !== undefined) parts.push(url);
      break;
    }
    case 'Attachments': {
      if (text !== undefined) parts.push(text);
      const attachments = Array.isArray(content['attachments']) ? content['attachments'] : [];
      for (const a of attachments) {
        const name = isObject(a) ? readString(a['name']) : undefined;
        if (name !== undefined) parts.push(name);
      }
      break;
    }
    case 'WebView': {
      const title = titleOf(content);
      const url = readString(content['url']);
      if (title !== undefined) parts.push(title);
      if (url !== undefined) parts.push(url);
      break;
    }
    default:
      collectText(content, parts);
  }
  return parts.length > 0 ? parts.join('\n') : undefined;
}

function choicesText(choices: Record<string, unknown>): string | undefined {
  const parts: string[] = [];
  const text = readString(choices['text']);
  if (text !== undefined) parts.push(text);
  const options = Array.isArray(choices['optionItems']) ? choices['optionItems'] : [];
  for (const option of options) {
    const title = titleOf(option);
    if (title !== undefined) parts.push(`• ${title}`);
  }
  // Carousel: cards with a title and buttons.
  const items = Array.isArray(choices['items']) ? choices['items'] : [];
  for (const item of items) {
    const title = titleOf(item);
    if (title !== undefined) parts.push(title);
    const buttons = isObject(item) && Array.isArray(item['interactionItems']) ? item['interactionItems'] : [];
    for (const button of buttons) {
      const label = titleOf(button);
      if (label !== undefined) parts.push(`• ${label}`);
    }
  }
  return parts.length > 0 ? parts.join('\n') : undefined;
}

/** The text to show for a Message entry's payload; unknown types and formats get a fallback (W6). */
export function messageText(payload: Record<string, unknown>): string {
  const message = payload['abstractMessage'];
  if (!isObject(message)) return UNSUPPORTED_CONTENT_TEXT;
  let text: string | undefined;
  const staticContent = message['staticContent'];
  const choices = message['choices'];
  if (isObject(staticContent)) text = staticContentText(staticContent);
  else if (isObject(choices)) text = choicesText(choices);
  else {
    const parts: string[] = [];
    collectText(message, parts);
    text = parts.length > 0 ? parts.join('\n') : undefined;
  }
  return text !== undefined && text.trim().length > 0 ? text : UNSUPPORTED_CONTENT_TEXT;
}

/** Choice formats whose options the widget also offers as quick replies. */
const QUICK_REPLY_FORMATS: ReadonlySet<string> = new Set(['QuickReplies', 'Buttons']);
const MAX_QUICK_REPLIES = 24;

/**
 * A `ChoicesMessage` in `QuickReplies` or `Buttons` format → its options as quick replies: the
 * title is shown and sent back as plain text (contract §2.8: no `ChoicesResponseMessage` in the
 * first version), with no metadata. The text fallback stays the message text. Undefined for
 * anything else (Carousel cards stay text only).
 */
export function choicesQuickReplies(payload: Record<string, unknown>): QuickReply[] | undefined {
  const message = payload['abstractMessage'];
  if (!isObject(message)) return undefined;
  const choices = message['choices'];
  if (!isObject(choices) || !QUICK_REPLY_FORMATS.has(readString(choices['formatType']) ?? '')) return undefined;
  const options = Array.isArray(choices['optionItems']) ? choices['optionItems'] : [];
  const replies: QuickReply[] = [];
  for (const option of options) {
    if (replies.length >= MAX_QUICK_REPLIES) break;
    const title = titleOf(option)?.trim();
    if (title === undefined || title.length === 0) continue;
    replies.push({ title, text: title });
  }
  return replies.length > 0 ? replies : undefined;
}

// ------------------------------------------------------------------------------------------
// One entry → events

type OtherEvent = Exclude<TransportEvent, { type: 'message' }>;

export interface MappedEntry {
  /** A message to show; the caller adds the cursor. */
  message?: ChatMessage;
  /** Other events, in order. */
  events: OtherEvent[];
  /** Set when the conversation was closed by this entry. */
  closed?: boolean;
}

function messageIdOf(entry: Entry): string | undefined {
  const message = entry.payload['abstractMessage'];
  return entry.identifier ?? readString(entry.payload['id']) ?? (isObject(message) ? readString(message['id']) : undefined);
}

/**
 * Map one entry of `conversationId`, typed `entryType` (from the stream event name, or the
 * entry's own type for stored entries). `now` stands in for a missing timestamp.
 */
export function mapEntry(entry: Entry, entryType: string, conversationId: string, now: number): MappedEntry | GuestChatError {
  const own = entry.role === 'EndUser';
  const at = entry.at ?? now;
  switch (entryType) {
    case 'Message': {
      const id = messageIdOf(entry);
      if (id === undefined) return new GuestChatError('bad-server-data', 'A message entry has no identifier');
      const from = senderOf(entry.role);
      const message: ChatMessage = { id, from, text: messageText(entry.payload), at };
      // Our message id is our client id (§2.8): the echo carries it back as `identifier`.
      if (from === 'visitor') message.clientId = id;
      if (from === 'agent' && entry.senderName !== undefined) message.senderName = entry.senderName;
      if (from !== 'visitor') {
        const quickReplies = choicesQuickReplies(entry.payload);
        if (quickReplies !== undefined) message.quickReplies = quickReplies;
      }
      return { message, events: [] };
    }
    case 'RoutingResult': {
      const failure = readString(entry.payload['failureType']);
      if (failure === undefined || failure === 'None' || entry.identifier === undefined) return { events: [] };
      return { message: { id: entry.identifier, from: 'system', text: ROUTING_FAILED_TEXT, at }, events: [] };
    }
    case 'ParticipantChanged': {
      const changes = Array.isArray(entry.payload['entries']) ? entry.payload['entries'] : [];
      const events: OtherEvent[] = [];
      for (const change of changes) {
        if (!isObject(change) || change['operation'] !== 'add') continue;
        const participant = change['participant'];
        const role = isObject(participant) ? readString(participant['role']) : undefined;
        if (role !== 'Agent' && role !== 'Chatbot') continue;
        const name = readString(change['displayName']);
        events.push(name === undefined ? { type: 'agent-joined' } : { type: 'agent-joined', name });
      }
      return { events };
    }
    case 'TypingStartedIndicator':
    case 'TypingStoppedIndicator':
      // Our own typing is echoed back as EndUser: not the agent typing.
      return { events: own ? [] : [{ type: 'typing', on: entryType === 'TypingStartedIndicator' }] };
    case 'DeliveryAcknowledgement':
    case 'ReadAcknowledgement': {
      const target = entry.relatedRecords[0];
      if (target === undefined) return { events: [] };
      // A visitor's read in another tab: those agent messages are no longer unread here.
      if (own) return { events: entryType === 'ReadAcknowledgement' ? [{ type: 'seen', messageIds: [target] }] : [] };
      return {
        events: [{ type: 'receipt', messageIds: [target], status: entryType === 'ReadAcknowledgement' ? 'read' : 'delivered' }],
      };
    }
    case 'SessionStatusChanged':
      return { events: entry.payload['sessionStatus'] === 'Ended' ? [{ type: 'session-ended', conversationId }] : [] };
    case 'CloseConversation':
      // Fired only when the end user closed it (§3.4), in this tab or another.
      return { events: [{ type: 'conversation-closed', conversationId, by: 'visitor' }], closed: true };
    default:
      return { events: [] };
  }
}

// ------------------------------------------------------------------------------------------
// The stream

export interface StreamEvent {
  event?: string | undefined;
  data: string;
}

export type ParsedStreamEvent =
  | { kind: 'ping' }
  | { kind: 'ignored' }
  | { kind: 'invalid'; error: GuestChatError }
  | { kind: 'entry'; conversationId: string; entryType: string; entry: Entry | undefined };

/** Parse twice (W5): the `data` envelope, then a string `entryPayload`. */
export function parseStreamEvent(sse: StreamEvent): ParsedStreamEvent {
  if (sse.event === 'ping') return { kind: 'ping' };
  const entryType = sse.event === undefined ? undefined : EVENT_ENTRY_TYPES[sse.event];
  if (entryType === undefined) return { kind: 'ignored' };
  const invalid = (why: string): ParsedStreamEvent => ({
    kind: 'invalid',
    error: new GuestChatError('bad-server-data', `Unreadable ${sse.event} event: ${why}`),
  });
  let envelope: unknown;
  try {
    envelope = JSON.parse(sse.data);
  } catch {
    return invalid('data is not JSON');
  }
  if (!isObject(envelope)) return invalid('data is not an object');
  const conversationId = readString(envelope['conversationId']);
  if (conversationId === undefined) return invalid('no conversationId');
  const raw = envelope['conversationEntry'];
  // The close event is read for its conversationId only (§3.4).
  if (entryType === 'CloseConversation' && raw === undefined) return { kind: 'entry', conversationId, entryType, entry: undefined };
  const entry = readEntry(raw);
  if (typeof entry === 'string') return invalid(entry);
  return { kind: 'entry', conversationId, entryType, entry };
}

/** What the transport keeps between events (one connection) and between connections (one page). */
export interface MappingState {
  /** The conversation this connection is attached to. */
  conversationId: string | undefined;
  /** A conversation this tab is creating right now: its events are ours already. */
  creatingId: string | undefined;
  /** Identifiers already handled (page). */
  readonly seen: Set<string>;
  /** Conversations already reported closed (page). */
  readonly closed: Set<string>;
}

export function createMappingState(page: { seen?: Set<string>; closed?: Set<string> } = {}): MappingState {
  return { conversationId: undefined, creatingId: undefined, seen: page.seen ?? new Set(), closed: page.closed ?? new Set() };
}

export interface StreamOutcome {
  events: TransportEvent[];
  /** An agent or bot message that arrived: acknowledge its delivery (W14). */
  delivered?: { conversationId: string; entryId: string };
  /** Set when the event was a keep-alive or had no effect (liveness only). */
  quiet?: boolean;
}

/** Map one stream event; `cursor` is the stream's last `id:` including this event's. */
export function mapStreamEvent(sse: StreamEvent, cursor: string, state: MappingState, now: number): StreamOutcome {
  const parsed = parseStreamEvent(sse);
  if (parsed.kind === 'ping' || parsed.kind === 'ignored') return { events: [], quiet: true };
  if (parsed.kind === 'invalid') return { events: [{ type: 'protocol-error', error: parsed.error }] };

  const { conversationId, entryType, entry } = parsed;
  const events: TransportEvent[] = [];
  if (conversationId !== state.conversationId) {
    // The stream carries all of this identity's conversations (§3.3). With none attached, the
    // one this tab is creating (its events can beat the create answer), or one that shows signs
    // of life (opened by another tab of this visitor), is followed.
    const follow =
      state.conversationId === undefined &&
      (conversationId === state.creatingId ||
        (state.creatingId === undefined && OPENING_TYPES.has(entryType) && !state.closed.has(conversationId)));
    if (!follow) return { events: [], quiet: true };
    state.conversationId = conversationId;
    events.push({ type: 'conversation-open', conversationId });
  }

  if (entry?.identifier !== undefined) {
    if (state.seen.has(entry.identifier)) return { events, quiet: events.length === 0 };
    state.seen.add(entry.identifier);
  }

  const mapped = mapEntry(entry ?? emptyEntry(), entryType, conversationId, now);
  if (mapped instanceof GuestChatError) return { events: [...events, { type: 'protocol-error', error: mapped }] };
  const outcome: StreamOutcome = { events };
  if (mapped.message !== undefined) {
    events.push({ type: 'message', message: mapped.message, cursor });
    if (mapped.message.from === 'agent') outcome.delivered = { conversationId, entryId: mapped.message.id };
  }
  for (const event of mapped.events) {
    if (event.type === 'conversation-closed') {
      if (state.closed.has(conversationId)) continue;
      state.closed.add(conversationId);
      if (state.conversationId === conversationId) state.conversationId = undefined;
    }
    events.push(event);
  }
  return outcome;
}

function emptyEntry(): Entry {
  return {
    identifier: undefined,
    entryType: undefined,
    payload: {},
    role: undefined,
    senderName: undefined,
    at: undefined,
    relatedRecords: [],
  };
}

// ------------------------------------------------------------------------------------------
// Stored entries (history)

export interface HistoryOutcome {
  /** Messages not seen before, in transcript order. */
  messages: ChatMessage[];
  errors: GuestChatError[];
}

/**
 * Stored entries of one conversation, as listed (newest first, pages may overlap) → the
 * messages not handled yet, oldest first. Marks them seen.
 */
export function mapHistory(entries: readonly unknown[], conversationId: string, state: MappingState, now: number): HistoryOutcome {
  const byId = new Map<string, ChatMessage>();
  const errors: GuestChatError[] = [];
  // Oldest first before the (stable) sort, so entries of the same millisecond keep their order.
  for (const raw of [...entries].reverse()) {
    const entry = readEntry(raw);
    if (typeof entry === 'string') {
      errors.push(new GuestChatError('bad-server-data', `Unreadable stored entry: ${entry}`));
      continue;
    }
    const type = entry.entryType;
    if (type !== 'Message' && type !== 'RoutingResult') continue;
    const mapped = mapEntry(entry, type, conversationId, now);
    if (mapped instanceof GuestChatError) {
      errors.push(mapped);
      continue;
    }
    const message = mapped.message;
    if (message === undefined || state.seen.has(message.id) || byId.has(message.id)) continue;
    byId.set(message.id, message);
  }
  const messages = [...byId.values()].sort((a, b) => a.at - b.at);
  for (const m of messages) state.seen.add(m.id);
  return { messages, errors };
}
