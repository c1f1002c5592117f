/**
 * From Salesforce stream events and stored entries (contract §3.3–3.4, §2.7) to GuestChat's
 * normalized transport events. Pure and synchronous: the state it filters and de-duplicates
 * with lives in a `MappingState` the transport owns; the side effects it asks for (attach to a
 * conversation, acknowledge delivery) come back as data. Never throws on server data: what
 * cannot be read becomes a `protocol-error` event.
 */
import type { GuestChatError } from '../../errors.ts';
import type { ChatMessage, QuickReply, Sender, TransportEvent } from '../types.ts';
import { badData, field, get, isObject, list, num as readNumber, str as readString } from '../http.ts';

export const UNSUPPORTED_CONTENT_TEXT = '[This message cannot be shown here]';
export const ROUTING_FAILED_TEXT = 'We could not connect you to an agent.';

/**
 * The entry types the stream carries. Each comes as the event (`event:`) named `CONVERSATION_`
 * and the type in upper snake case: `ReadAcknowledgement` → `CONVERSATION_READ_ACKNOWLEDGEMENT`.
 */
const STREAMED_TYPES = [
  'Message',
  'RoutingResult',
  'ParticipantChanged',
  'TypingStartedIndicator',
  'TypingStoppedIndicator',
  'DeliveryAcknowledgement',
  'ReadAcknowledgement',
  'SessionStatusChanged',
  'CloseConversation',
];

/** Stream event name → the entry type it carries. */
export const EVENT_ENTRY_TYPES: ReadonlyMap<string, string> = new Map(
  STREAMED_TYPES.map((type) => [`CONVERSATION${type.replace(/[A-Z]/g, '_$&').toUpperCase()}`, type]),
);

/**
 * The first three streamed types (Message, RoutingResult, ParticipantChanged) show that a
 * conversation is open: a tab with none attached follows it.
 */
const isOpening = (entryType: string): boolean => STREAMED_TYPES.indexOf(entryType) < 3;

const AGENT_ROLES: Array<string | undefined> = ['Agent', 'Chatbot', 'Supervisor'];

/** The parts there are (never empty strings), one per line. */
const lines = (parts: Array<string | undefined>): string => parts.filter(Boolean).join('\n');

/**
 * One conversation entry (stream envelope §3.3 or stored entry §2.7) and its parsed
 * `entryPayload` (a JSON string on the stream, an object in stored entries, `{}` when absent),
 * or the name of the part that could not be read.
 */
function readEntry(raw: unknown): [Record<string, unknown>, Record<string, unknown>] | string {
  if (!isObject(raw)) return 'conversationEntry';
  let payload: unknown = raw['entryPayload'];
  if (typeof payload === 'string') {
    try {
      payload = JSON.parse(payload);
    } catch {
      return 'entryPayload';
    }
  }
  payload ??= {};
  return isObject(payload) ? [raw, payload] : 'entryPayload';
}

// ------------------------------------------------------------------------------------------
// Message text (§2.8 "first version": a text fallback for everything that is not plain text)

function titleOf(item: unknown): string | undefined {
  const title = get(item, 'title');
  return field(get(item, 'titleItem'), 'title') ?? field(title, 'title') ?? readString(title);
}

const bullet = (title: string | undefined): string | undefined => title && `• ${title}`;

/** Any `text` and `title` strings, in document order: the fallback for unknown formats. */
function collectText(root: unknown): string | undefined {
  const parts: string[] = [];
  const visit = (node: unknown, depth: number): void => {
    // Arrays and objects alike (an array's keys are its indexes).
    if (depth > 16 || typeof node !== 'object' || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      if ((key === 'text' || key === 'title') && typeof value === 'string' && value.trim()) parts.push(value);
      else visit(value, depth + 1);
    }
  };
  visit(root, 0);
  return lines(parts);
}

function staticContentText(content: Record<string, unknown>): string | undefined {
  switch (content['formatType']) {
    case 'Text':
      return readString(content['text']);
    case 'RichLink':
      return lines([titleOf(content['linkItem']), field(content['linkItem'], 'url')]);
    case 'Attachments':
      return lines([readString(content['text']), ...list(content['attachments']).map((a) => field(a, 'name'))]);
    case 'WebView':
      return lines([titleOf(content), readString(content['url'])]);
    default:
      return collectText(content);
  }
}

function choicesText(choices: Record<string, unknown>): string | undefined {
  const parts = [readString(choices['text']), ...list(choices['optionItems']).map((option) => bullet(titleOf(option)))];
  // Carousel: cards with a title and buttons.
  for (const item of list(choices['items'])) {
    parts.push(titleOf(item), ...list(get(item, 'interactionItems')).map((button) => bullet(titleOf(button))));
  }
  return lines(parts);
}

/** The text to show for a Message entry's payload; unknown types and formats get a fallback (W6). */
export function messageText(payload: Record<string, unknown>): string {
  const message = payload['abstractMessage'];
  if (!isObject(message)) return UNSUPPORTED_CONTENT_TEXT;
  const staticContent = message['staticContent'];
  const choices = message['choices'];
  const text = isObject(staticContent) ? staticContentText(staticContent) : isObject(choices) ? choicesText(choices) : collectText(message);
  return text?.trim() ? text : UNSUPPORTED_CONTENT_TEXT;
}

/** Choice formats whose options the widget also offers as quick replies. */
const QUICK_REPLY_FORMATS = ['QuickReplies', 'Buttons'];
const MAX_QUICK_REPLIES = 24;

/**
 * A `ChoicesMessage` in `QuickReplies` or `Buttons` format → its options as quick replies: the
 * title is shown and sent back as plain text (contract §2.8: no `ChoicesResponseMessage` in the
 * first version), with no metadata. The text fallback stays the message text. Undefined for
 * anything else (Carousel cards stay text only).
 */
export function choicesQuickReplies(payload: Record<string, unknown>): QuickReply[] | undefined {
  const choices = get(payload['abstractMessage'], 'choices');
  if (!QUICK_REPLY_FORMATS.includes(field(choices, 'formatType') ?? '')) return undefined;
  const replies: QuickReply[] = [];
  for (const option of list(get(choices, 'optionItems'))) {
    const title = titleOf(option)?.trim();
    if (title && replies.length < MAX_QUICK_REPLIES) replies.push({ title, text: title });
  }
  return replies.length > 0 ? replies : undefined;
}

// ------------------------------------------------------------------------------------------
// One entry → events

/**
 * Map one entry of `conversationId` (read by `readEntry`), typed `entryType` (from the stream
 * event name, or the entry's own type for stored entries), to its events in order; a message
 * carries `cursor`. `now` stands in for a missing timestamp (`transcriptedTimestamp`, else
 * `clientTimestamp`).
 */
function mapEntry(
  entry: Record<string, unknown>,
  payload: Record<string, unknown>,
  entryType: string,
  conversationId: string,
  now: number,
  cursor: string,
): TransportEvent[] {
  const identifier = readString(entry['identifier']);
  const role = field(entry['sender'], 'role');
  const own = role === 'EndUser';
  const at = readNumber(entry['transcriptedTimestamp']) ?? readNumber(entry['clientTimestamp']) ?? now;
  switch (entryType) {
    case 'Message': {
      const id = identifier ?? readString(payload['id']) ?? field(payload['abstractMessage'], 'id');
      if (id === undefined) return [{ type: 'protocol-error', error: badData('Message without identifier') }];
      const from: Sender = own ? 'visitor' : AGENT_ROLES.includes(role) ? 'agent' : 'system';
      const message: ChatMessage = { id, from, text: messageText(payload), at };
      // Our message id is our client id (§2.8): the echo carries it back as `identifier`.
      if (own) message.clientId = id;
      const senderName = readString(entry['senderDisplayName']);
      if (from === 'agent' && senderName !== undefined) message.senderName = senderName;
      const quickReplies = own ? undefined : choicesQuickReplies(payload);
      if (quickReplies !== undefined) message.quickReplies = quickReplies;
      return [{ type: 'message', message, cursor }];
    }
    case 'RoutingResult': {
      const failure = readString(payload['failureType']);
      if (failure === undefined || failure === 'None' || identifier === undefined) return [];
      return [{ type: 'message', message: { id: identifier, from: 'system', text: ROUTING_FAILED_TEXT, at }, cursor }];
    }
    case 'ParticipantChanged':
      return list(payload['entries']).flatMap((change): TransportEvent[] => {
        const joined = field(get(change, 'participant'), 'role');
        if (get(change, 'operation') !== 'add' || (joined !== 'Agent' && joined !== 'Chatbot')) return [];
        const name = field(change, 'displayName');
        return [{ type: 'agent-joined', ...(name && { name }) }];
      });
    case 'TypingStartedIndicator':
    case 'TypingStoppedIndicator':
      // Our own typing is echoed back as EndUser: not the agent typing.
      return own ? [] : [{ type: 'typing', on: entryType === 'TypingStartedIndicator' }];
    case 'DeliveryAcknowledgement':
    case 'ReadAcknowledgement': {
      // The first of `relatedRecords`: the entry acknowledged.
      const target = list(entry['relatedRecords']).find((r): r is string => readString(r) !== undefined);
      const read = entryType === 'ReadAcknowledgement';
      if (target === undefined || (own && !read)) return [];
      const messageIds = [target];
      // A visitor's read in another tab: those agent messages are no longer unread here.
      return [own ? { type: 'seen', messageIds } : { type: 'receipt', messageIds, status: read ? 'read' : 'delivered' }];
    }
    case 'SessionStatusChanged':
      return payload['sessionStatus'] === 'Ended' ? [{ type: 'session-ended', conversationId }] : [];
    case 'CloseConversation':
      // Fired only when the end user closed it (§3.4), in this tab or another.
      return [{ type: 'conversation-closed', conversationId, by: 'visitor' }];
    default:
      return [];
  }
}

// ------------------------------------------------------------------------------------------
// The stream

export interface StreamEvent {
  event?: string | undefined;
  data: string;
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
}

/**
 * Map one stream event; `cursor` is the stream's last `id:` including this event's. Its data is
 * parsed twice (W5): the envelope, then a string `entryPayload`.
 */
export function mapStreamEvent(sse: StreamEvent, cursor: string, state: MappingState, now: number): StreamOutcome {
  const entryType = EVENT_ENTRY_TYPES.get(sse.event ?? '');
  // `ping` (a keep-alive: liveness only) and event types this version does not know (W6).
  if (entryType === undefined) return { events: [] };
  const invalid = (why: string): StreamOutcome => ({ events: [{ type: 'protocol-error', error: badData(`Unreadable ${sse.event} event (${why})`) }] });
  let envelope: unknown;
  try {
    envelope = JSON.parse(sse.data);
  } catch {
    return invalid('data');
  }
  const conversationId = field(envelope, 'conversationId');
  if (conversationId === undefined) return invalid('conversationId');
  const raw = get(envelope, 'conversationEntry');
  // The close event is read for its conversationId only (§3.4).
  const read = readEntry(entryType === 'CloseConversation' && raw === undefined ? {} : raw);
  if (typeof read === 'string') return invalid(read);
  const [entry, payload] = read;

  const events: TransportEvent[] = [];
  const outcome: StreamOutcome = { events };
  if (conversationId !== state.conversationId) {
    // The stream carries all of this identity's conversations (§3.3). With none attached, the
    // one this tab is creating (its events can beat the create answer), or one that shows signs
    // of life (opened by another tab of this visitor), is followed.
    const follow =
      state.conversationId === undefined &&
      (conversationId === state.creatingId ||
        (state.creatingId === undefined && isOpening(entryType) && !state.closed.has(conversationId)));
    if (!follow) return outcome;
    state.conversationId = conversationId;
    events.push({ type: 'conversation-open', conversationId });
  }

  const identifier = readString(entry['identifier']);
  if (identifier !== undefined) {
    if (state.seen.has(identifier)) return outcome;
    state.seen.add(identifier);
  }

  for (const event of mapEntry(entry, payload, entryType, conversationId, now, cursor)) {
    if (event.type === 'conversation-closed') {
      if (state.closed.has(conversationId)) continue;
      state.closed.add(conversationId);
      if (state.conversationId === conversationId) state.conversationId = undefined;
    }
    events.push(event);
  }
  return outcome;
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
  const messages: ChatMessage[] = [];
  const errors: GuestChatError[] = [];
  // Oldest first before the (stable) sort, so entries of the same millisecond keep their order.
  for (const raw of [...entries].reverse()) {
    const read = readEntry(raw);
    if (typeof read === 'string') {
      errors.push(badData(`Unreadable stored entry (${read})`));
      continue;
    }
    const [entry, payload] = read;
    const type = readString(entry['entryType']) ?? readString(payload['entryType']);
    if (type !== 'Message' && type !== 'RoutingResult') continue;
    for (const event of mapEntry(entry, payload, type, conversationId, now, '')) {
      if (event.type === 'protocol-error') errors.push(event.error);
      else if (event.type === 'message' && !state.seen.has(event.message.id)) {
        // Marked as taken: a repeat (pages overlap) is then left out.
        state.seen.add(event.message.id);
        messages.push(event.message);
      }
    }
  }
  return { messages: messages.sort((a, b) => a.at - b.at), errors };
}
