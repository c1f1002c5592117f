/**
 * From LivePerson notifications to GuestChat's normalized transport events. Synchronous
 * and free of I/O: the state lives in one `Mapping` per connection, the findings (events, ACCEPTs
 * to publish, conversations to attach to) go to a sink.
 */
import { GuestChatError } from '../../errors.ts';
import type { ChatMessage, Clock, Sender, TransportEvent } from '../types.ts';
import {
  MESSAGING_NOTIFICATION,
  asArray,
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

/**
 * Where a notification's findings go. The transport collects the events and hands them out once
 * the whole notification is read (the state above is then complete when a listener reacts).
 */
export interface MappingSink {
  /** An event for the session; `agentId`: the agent behind an agent-joined or an agent message (its profile is added later). */
  emit(event: TransportEvent, agentId?: string): void;
  /** An agent message (`dialogId:sequence`) to ACCEPT (what our own ACCEPT or READ covers is skipped when the batch goes out). */
  accept(messageId: string): void;
  /** An open conversation of this consumer other than the attached one. */
  open(change: ConversationChange): void;
}

export const messageId = (dialogId: string, sequence: number): string => `${dialogId}:${sequence}`;

/** `dialogId:sequence` back into its parts (dialog ids may themselves contain colons). */
export function parseMessageId(id: string): { dialogId: string; sequence: number } | undefined {
  const at = id.lastIndexOf(':');
  const sequence = Number(id.slice(at + 1));
  return at > 0 && isSequence(sequence) ? { dialogId: id.slice(0, at), sequence } : undefined;
}

/** An open conversation of this consumer (or one that does not say whose it is). */
export function isOpenOurs({ closedBy, consumerIds }: ConversationChange, consumerId: string): boolean {
  return !closedBy && (!consumerIds?.length || consumerIds.includes(consumerId));
}

/**
 * The mapping state of one connection. `consumerId` (`sub` of the consumer JWT) is the
 * `originatorId` of our own events; `clock` dates events without a server timestamp; the
 * `shared` state outlives one connection: agents and closes are announced once per page, and our
 * sends seen stored are known to every later connection.
 */
export function createMapping(
  consumerId: string,
  clock: Pick<Clock, 'now'>,
  {
    agents,
    closed,
    stored,
  }: {
    /** `conversationId:agentId` of agents already announced. */
    agents: Set<string>;
    /** Conversations already reported closed. */
    closed: Set<string>;
    /** Our sends seen stored (echo or replay, recognised by their ExternalId): client id → message id. */
    stored: Map<string, string>;
  },
) {
  /** `dialogId:sequence` of stored events already handled on this connection. */
  const seen = new Set<string>();
  /** Highest sequence seen per dialog (the resume cursor). */
  const highest = new Map<string, number>();
  /** Per dialog, sequences at or below this were held before this connection: not emitted again. */
  const floor = new Map<string, number>();
  /**
   * What needs no AcceptStatusEvent of ours any more, as status + message id (`ACCEPTc:1`):
   * messages our own ACCEPT covers (a READ covers the ACCEPT too), our READ covers, or we
   * answered with an ACTION (this tab, another, or before a reload). Our own messages count as
   * READ: we never ACCEPT or READ them.
   */
  const covered = new Set<string>();
  /** Conversation of each dialog seen. */
  const dialogConversation = new Map<string, string>();

  /** agent-joined for agents of this conversation not announced yet (once per agent id). */
  function announceAgents(change: Pick<ConversationChange, 'conversationId' | 'agentIds'>, emit: MappingSink['emit']): void {
    for (const agentId of change.agentIds) {
      const key = `${change.conversationId}:${agentId}`;
      if (!agents.has(key)) {
        agents.add(key);
        emit({ type: 'agent-joined' }, agentId);
      }
    }
  }

  /** conversation-closed, once per conversation for the page. */
  function reportClosed(conversationId: string, emit: MappingSink['emit'], by?: 'visitor' | 'agent' | 'system'): void {
    if (closed.has(conversationId)) return;
    closed.add(conversationId);
    emit({ type: 'conversation-closed', conversationId, ...(by && { by }) });
  }

  /**
   * Map one notification; `attachedId`: the conversation this connection is attached to. Returns
   * true when that conversation is over (the connection is then unattached). Never throws: what
   * cannot be understood becomes a `protocol-error` event; unknown notification types, event
   * types, fields and enum values are ignored.
   */
  function map(frame: NotificationFrame, attachedId: string | undefined, { emit, accept, open }: MappingSink): boolean {
    let detached = false;
    const protocolError = (message: string): void =>
      emit({ type: 'protocol-error', error: new GuestChatError('bad-server-data', message) });

    /** One change of an `ms.MessagingEventNotification`, read leniently. */
    function messagingChange(change: unknown): void {
      const dialogId = firstStr(change, 'dialogId', 'conversationId');
      if (!dialogId || !isObject(change) || !isObject(change['event'])) return protocolError('Unreadable messaging change');
      const { event, sequence } = change;
      // Older examples lack conversationId: the MAIN dialog id is the conversation id.
      const conversationId = str(change['conversationId']) ?? dialogId;
      const originator = change['originatorMetadata'];
      const originatorId = str(change['originatorId']) ?? str(field(originator, 'id'));
      const role = str(field(originator, 'role'));
      const eventType = event['type'];
      const own = originatorId === consumerId || role === 'CONSUMER';
      dialogConversation.set(dialogId, conversationId);

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
      const alreadyHeld = sequence <= (floor.get(dialogId) ?? -1);

      if (eventType === 'AcceptStatusEvent') {
        const status = event['status'];
        const messageIds = asArray(event['sequenceList'])
          .filter(isSequence)
          .map((s) => messageId(dialogId, s));
        const delivery = status === 'ACCEPT' || status === 'READ';
        if (own) {
          // Our own ACCEPT/READ/ACTION (this tab, another tab, or history): remember what is covered.
          for (const id of messageIds) {
            if (delivery) covered.add('ACCEPT' + id);
            if (status === 'READ' || status === 'ACTION') covered.add(status + id);
          }
          // Read here, in another tab or before a reload: not unread any more.
          if (status === 'READ' && messageIds.length) emit({ type: 'seen', messageIds });
        } else if (!alreadyHeld && messageIds.length && delivery) {
          emit({ type: 'receipt', status: status === 'ACCEPT' ? 'delivered' : 'read', messageIds });
        }
        return;
      }

      if (own) covered.add('READ' + key);
      if (alreadyHeld) return;
      if (change['messageAudience'] === 'AGENTS_AND_MANAGERS') return; // not for the consumer's eyes

      // Older payloads carry no originatorMetadata: anyone but us is then an agent.
      const from: Sender = own ? 'visitor' : role === undefined || role === 'ASSIGNED_AGENT' || role === 'AGENT' ? 'agent' : 'system';
      const message: ChatMessage = {
        id: key,
        from,
        text: eventText(event),
        at: finite(change['serverTimestamp']) ?? clock.now(),
      };
      if (own) {
        const clientId = readClientId(change['metadata']);
        if (clientId) stored.set((message.clientId = clientId), key);
      } else {
        const quickReplies = readQuickReplies(event);
        if (quickReplies) message.quickReplies = quickReplies;
      }
      const agent = from === 'agent';
      emit({ type: 'message', message, cursor: String(highest.get(dialogId)) }, agent ? originatorId : undefined);
      if (agent) accept(key);
    }

    function conversationChange(change: ConversationChange): void {
      const { conversationId, closedBy } = change;
      if (conversationId === attachedId) {
        if (!closedBy) return announceAgents(change, emit);
        attachedId = undefined;
        detached = true;
        reportClosed(conversationId, emit, closedBy);
      } else if (!closed.has(conversationId) && isOpenOurs(change, consumerId)) {
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

  return { floor, covered, dialogConversation, announceAgents, reportClosed, map };
}

export type Mapping = ReturnType<typeof createMapping>;
