/**
 * From LivePerson notifications to GuestChat's normalized transport events. Pure and
 * synchronous: the state lives in a `MappingContext` the connection owns, the side effects
 * (ACCEPT to publish, conversations to attach to) come back as data.
 */
import { GuestChatError } from '../../errors.ts';
import type { ChatMessage, Sender, TransportEvent } from '../types.ts';
import {
  MESSAGING_NOTIFICATION,
  asArray,
  closedBy,
  eventText,
  isConversationNotification,
  isSequence,
  readChanges,
  field,
  finite,
  firstStr,
  isObject,
  readClientId,
  readConversationChange,
  readQuickReplies,
  str,
  type ConversationChange,
  type NotificationFrame,
} from './protocol.ts';

export interface MappingContext {
  /** consumerId (`sub` of the consumer JWT): `originatorId` of our own events. */
  readonly consumerId: string;
  /** Time for events without a server timestamp. */
  readonly now: () => number;
  /** Conversations already reported closed. */
  readonly closed: Set<string>;
  /** `conversationId:agentId` of agents already announced. */
  readonly agents: Set<string>;
  /** `dialogId:sequence` of stored events already handled on this connection. */
  readonly seen: Set<string>;
  /** Highest sequence seen per dialog (the resume cursor). */
  readonly highest: Map<string, number>;
  /** Per dialog, sequences at or below this were held before this connection: not emitted again. */
  readonly floor: Map<string, number>;
  /** Per dialog, agent sequences covered by our own ACCEPT (or READ). */
  readonly ownAccepted: Map<string, Set<number>>;
  /** Per dialog, agent sequences covered by our own READ. */
  readonly ownRead: Map<string, Set<number>>;
  /** Per dialog, sequences of our own messages (never ACCEPTed or READ by us). */
  readonly ownMessages: Map<string, Set<number>>;
  /** Per dialog, agent sequences we answered with an ACTION (this tab, another, or before a reload). */
  readonly ownActions: Map<string, Set<number>>;
  /** Conversation of each dialog seen. */
  readonly dialogConversation: Map<string, string>;
}

/** `shared` sets outlive one connection: agents and closes are announced once per page. */
export function createMappingContext(
  consumerId: string,
  now: () => number,
  shared: { agents?: Set<string>; closed?: Set<string> } = {},
): MappingContext {
  return {
    consumerId,
    now,
    closed: shared.closed ?? new Set(),
    agents: shared.agents ?? new Set(),
    seen: new Set(),
    highest: new Map(),
    floor: new Map(),
    ownAccepted: new Map(),
    ownRead: new Map(),
    ownMessages: new Map(),
    ownActions: new Map(),
    dialogConversation: new Map(),
  };
}

/**
 * Where a notification's findings go. The transport collects the events and hands them out once
 * the whole notification is read (the state above is then complete when a listener reacts).
 */
export interface MappingSink {
  /** An event for the session; `agentId`: the agent behind an agent-joined or an agent message (its profile is added later). */
  emit(event: TransportEvent, agentId?: string): void;
  /** An agent message to ACCEPT (what our own ACCEPT or READ covers is skipped when the batch goes out). */
  accept(dialogId: string, sequence: number): void;
  /** An open conversation of this consumer other than the attached one. */
  open(change: ConversationChange): void;
}

export function addTo(map: Map<string, Set<number>>, key: string, values: Iterable<number>): void {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  for (const value of values) set.add(value);
}

export function has(map: Map<string, Set<number>>, key: string, value: number): boolean {
  return map.get(key)?.has(value) ?? false;
}

export const messageId = (dialogId: string, sequence: number): string => `${dialogId}:${sequence}`;

/** `dialogId:sequence` back into its parts (dialog ids may themselves contain colons). */
export function parseMessageId(id: string): { dialogId: string; sequence: number } | undefined {
  const at = id.lastIndexOf(':');
  const sequence = Number(id.slice(at + 1));
  return at > 0 && isSequence(sequence) ? { dialogId: id.slice(0, at), sequence } : undefined;
}

/** A conversation of this consumer (or one that does not say whose it is). */
export function isOurs(change: ConversationChange, consumerId: string): boolean {
  return !change.consumerIds?.length || change.consumerIds.includes(consumerId);
}

/** agent-joined for agents of this conversation not announced yet (once per agent id). */
export function announceAgents(change: ConversationChange, ctx: MappingContext, emit: MappingSink['emit']): void {
  for (const agentId of change.agentIds) {
    const key = `${change.conversationId}:${agentId}`;
    if (!ctx.agents.has(key)) {
      ctx.agents.add(key);
      emit({ type: 'agent-joined' }, agentId);
    }
  }
}

/**
 * Map one notification; `attachedId`: the conversation this connection is attached to. Returns
 * true when that conversation is over (the connection is then unattached). Never throws: what
 * cannot be understood becomes a `protocol-error` event; unknown notification types, event
 * types, fields and enum values are ignored.
 */
export function mapNotification(
  frame: NotificationFrame,
  ctx: MappingContext,
  attachedId: string | undefined,
  { emit, accept, open }: MappingSink,
): boolean {
  const { consumerId, closed, seen, highest } = ctx;
  let detached = false;
  const protocolError = (message: string): void =>
    emit({ type: 'protocol-error', error: new GuestChatError('bad-server-data', message) });

  /** One change of an `ms.MessagingEventNotification`, read leniently. */
  function messagingChange(change: unknown): void {
    const dialogId = isObject(change) ? firstStr(change, 'dialogId', 'conversationId') : undefined;
    if (!isObject(change) || !isObject(change['event']) || !dialogId) return protocolError('Unreadable messaging change');
    const { event, sequence } = change;
    // Older examples lack conversationId: the MAIN dialog id is the conversation id.
    const conversationId = str(change['conversationId']) ?? dialogId;
    const originator = change['originatorMetadata'];
    const originatorId = str(change['originatorId']) ?? str(field(originator, 'id'));
    const role = str(field(originator, 'role'));
    const eventType = event['type'];
    const own = originatorId === consumerId || role === 'CONSUMER';
    ctx.dialogConversation.set(dialogId, conversationId);

    if (eventType === 'ChatStateEvent') {
      // Chat states carry no sequence and are never stored; our own state is echoed back: ignore it.
      if (!own) emit({ type: 'typing', on: event['chatState'] === 'COMPOSING' });
      return;
    }
    if (eventType !== 'ContentEvent' && eventType !== 'RichContentEvent' && eventType !== 'AcceptStatusEvent') return;

    if (!isSequence(sequence)) return protocolError(`${eventType} without a sequence`);
    const key = messageId(dialogId, sequence);
    if (seen.has(key)) return;
    seen.add(key);
    highest.set(dialogId, Math.max(highest.get(dialogId) ?? -1, sequence));
    const alreadyHeld = sequence <= (ctx.floor.get(dialogId) ?? -1);

    if (eventType === 'AcceptStatusEvent') {
      const status = event['status'];
      const sequences = asArray(event['sequenceList']).filter(isSequence);
      const messageIds = sequences.map((s) => messageId(dialogId, s));
      const delivery = status === 'ACCEPT' || status === 'READ';
      if (own) {
        // Our own ACCEPT/READ (this tab, another tab, or history): remember what is covered.
        if (delivery) addTo(ctx.ownAccepted, dialogId, sequences);
        if (status === 'ACTION') addTo(ctx.ownActions, dialogId, sequences);
        if (status === 'READ') {
          addTo(ctx.ownRead, dialogId, sequences);
          // Read here, in another tab or before a reload: not unread any more.
          if (messageIds.length) emit({ type: 'seen', messageIds });
        }
      } else if (!alreadyHeld && messageIds.length && delivery) {
        emit({ type: 'receipt', status: status === 'ACCEPT' ? 'delivered' : 'read', messageIds });
      }
      return;
    }

    if (own) addTo(ctx.ownMessages, dialogId, [sequence]);
    if (alreadyHeld) return;
    if (change['messageAudience'] === 'AGENTS_AND_MANAGERS') return; // not for the consumer's eyes

    // Older payloads carry no originatorMetadata: anyone but us is then an agent.
    const from: Sender = own ? 'visitor' : role === undefined || role === 'ASSIGNED_AGENT' || role === 'AGENT' ? 'agent' : 'system';
    const message: ChatMessage = {
      id: key,
      from,
      text: eventText(event),
      at: finite(change['serverTimestamp']) ?? ctx.now(),
    };
    if (own) {
      const clientId = readClientId(change['metadata']);
      if (clientId) message.clientId = clientId;
    } else {
      const quickReplies = readQuickReplies(event);
      if (quickReplies) message.quickReplies = quickReplies;
    }
    const agent = from === 'agent';
    emit({ type: 'message', message, cursor: String(highest.get(dialogId)) }, agent ? originatorId : undefined);
    if (agent) accept(dialogId, sequence);
  }

  function conversationChange(change: ConversationChange): void {
    const { conversationId, type } = change;
    const over = type === 'DELETE' || change.over;
    if (conversationId === attachedId) {
      if (!over) return announceAgents(change, ctx, emit);
      attachedId = undefined;
      detached = true;
      if (!closed.has(conversationId)) {
        closed.add(conversationId);
        emit({ type: 'conversation-closed', conversationId, by: type === 'DELETE' ? 'system' : closedBy(change.closeReason) });
      }
    } else if (!over && !closed.has(conversationId) && isOurs(change, consumerId)) {
      open(change);
    }
  }

  const messaging = frame.type === MESSAGING_NOTIFICATION;
  if (!messaging && !isConversationNotification(frame.type)) return false;
  let changes: unknown[];
  try {
    changes = readChanges(frame.body);
  } catch (error) {
    emit({ type: 'protocol-error', error: error as GuestChatError });
    return false;
  }
  for (const raw of changes) {
    if (messaging) messagingChange(raw);
    else {
      const change = readConversationChange(raw);
      if (change) conversationChange(change);
    }
  }
  return detached;
}
