/**
 * Salesforce conversations over the vendor-neutral core: what Salesforce adds (the messaging
 * session, routing results, participant changes, the transcript of entries) lives here, and every
 * core change on a Salesforce conversation becomes a conversation entry on the identity's stream.
 *
 * Decisions (SF contract; [SB] = sandbox decision, "plausible" = what Salesforce most likely does):
 * - [SB] Create starts a messaging session and emits `RoutingResult` (Initial, from `Router` /
 *   `Automated Process`) then `ParticipantChanged` add of the end user (`Guest`). The simulated
 *   agent joins when the agent API first acts (as for LivePerson, agent.ts), which emits its own
 *   `ParticipantChanged` add from `Agent` before the act itself.
 * - Ending a session (visitor `DELETE .../session` or the agent's close): `ParticipantChanged`
 *   remove of the agent (if present) and of the end user, then `SessionStatusChanged` `Ended`
 *   from `System`. The conversation stays open; a plain send then gets 417. A new session (a send
 *   with `isNewMessagingSession: true`, or any send with `autoStartSession`) emits the echo first,
 *   then routing and the end user's add again; the agent re-joins when it next acts.
 * - [plausible] The agent cannot act on a conversation whose session has ended (409 on the agent
 *   API): in Salesforce the agent's work item ends with the session.
 * - The transcript (entries API) keeps every entry except typing; visitor receipts are not echoed.
 */
import { randomUUID } from 'node:crypto';
import type { SandboxContext } from '../context.ts';
import {
  CoreError,
  SIMULATED_AGENT,
  type AcceptStatusEventBody,
  type ChatState,
  type Conversation,
  type CoreChange,
  type Participant,
  type StoredEvent,
} from '../core.ts';
import type { IdentityBook } from './stream.ts';
import type { SfClaims } from './tokens.ts';
import { EVENT, streamData, type SfEntry, type SfSender } from './wire.ts';

export interface SfConversation {
  id: string;
  /** Claims of the token that created it (identity, org, deployment). */
  owner: SfClaims;
  channelAddressIdentifier: string;
  sessionActive: boolean;
  /** Who is in the current messaging session. */
  agentPresent: boolean;
  endUserPresent: boolean;
  /** The transcript the entries API serves, oldest first (no typing). */
  entries: SfEntry[];
  /** Message entries by identifier (= message id). */
  messages: Map<string, SfEntry>;
  /** Core sequence → message identifier (agent receipts name sequences). */
  bySequence: Map<number, string>;
  routingAttributes: Record<string, unknown>;
}

export interface SfOptions {
  /** §2.8 [SB]: a send without an active session starts one instead of 417. */
  autoStartSession: boolean;
  /** §5.1 [SB]: refuse an `X-Org-Id` that is not exactly 15 characters. */
  strictOrgId: boolean;
}

export const DEFAULT_SF_OPTIONS: Readonly<SfOptions> = Object.freeze({ autoStartSession: false, strictOrgId: false });

export interface SfTextMessage {
  id: string;
  text: string;
  inReplyToMessageId?: string;
}

export type SendResult = { kind: 'sent' | 'duplicate'; entry: SfEntry } | { kind: 'no-session' };

export type AckType = 'Delivery' | 'Read';

const AUTOMATED = 'Automated Process';
const GUEST = 'Guest';

/** [SB] The estimated wait a routing result announces. */
const ESTIMATED_WAIT_SECONDS = 30;

/** [SB] A stable messaging channel id per deployment. */
export function channelAddressFor(orgId: string, esDeveloperName: string): string {
  return `sandbox-channel-${orgId}-${esDeveloperName}`;
}

const AGENT_SENDER: SfSender = { role: 'Agent', subject: SIMULATED_AGENT.id, appType: 'agent', clientIdentifier: SIMULATED_AGENT.employeeId };
const ROUTER_SENDER: SfSender = { role: 'Router', subject: 'sandbox-router', appType: 'router', clientIdentifier: 'sandbox-router' };
const SYSTEM_SENDER: SfSender = { role: 'System', subject: 'sandbox-system', appType: 'system', clientIdentifier: 'sandbox-system' };

export class SalesforceConversations {
  readonly options: SfOptions = { ...DEFAULT_SF_OPTIONS };
  private readonly states = new Map<string, SfConversation>();
  /** Who acts in the core call running now: the client id and typing id it came with. */
  private acting: { clientId?: string; typingId?: string } = {};

  constructor(
    private readonly sandbox: SandboxContext,
    private readonly book: IdentityBook,
  ) {
    sandbox.core.subscribe((change) => this.onCoreChange(change));
    sandbox.onReset(() => {
      this.states.clear();
      Object.assign(this.options, DEFAULT_SF_OPTIONS);
    });
  }

  get(id: string): SfConversation | undefined {
    return this.states.get(id);
  }

  /** The conversation if it belongs to the identity of `claims`. */
  owned(id: string, claims: SfClaims): { state: SfConversation; conversation: Conversation } | undefined {
    const state = this.states.get(id);
    const conversation = this.sandbox.core.getConversation(id);
    if (!state || !conversation || state.owner.sub !== claims.sub || state.owner.orgId !== claims.orgId) return undefined;
    return { state, conversation };
  }

  /** The identity's conversations, newest first. */
  listFor(claims: SfClaims): Conversation[] {
    return this.sandbox.core
      .listConversations({ adapter: 'salesforce', tenant: claims.orgId, consumerId: claims.sub })
      .sort((a, b) => b.startTs - a.startTs);
  }

  /** §2.3: throws CoreError('conflict') for a used id. */
  create(claims: SfClaims, id: string, routingAttributes: Record<string, unknown>): SfConversation {
    this.sandbox.core.createConversation({ adapter: 'salesforce', tenant: claims.orgId, consumerId: claims.sub, id });
    const state: SfConversation = {
      id,
      owner: { ...claims },
      channelAddressIdentifier: channelAddressFor(claims.orgId, claims.esDeveloperName),
      sessionActive: false,
      agentPresent: false,
      endUserPresent: false,
      entries: [],
      messages: new Map(),
      bySequence: new Map(),
      routingAttributes: { ...routingAttributes },
    };
    this.states.set(id, state);
    this.acting = { clientId: claims.clientId };
    try {
      this.startSession(state);
    } finally {
      this.acting = {};
    }
    return state;
  }

  /** §2.8; the caller has checked that the conversation is open. */
  send(state: SfConversation, claims: SfClaims, message: SfTextMessage, isNewMessagingSession: boolean, routingAttributes?: Record<string, unknown>): SendResult {
    const known = state.messages.get(message.id);
    if (known) return { kind: 'duplicate', entry: known };
    const startsSession = !state.sessionActive;
    if (startsSession && !isNewMessagingSession && !this.options.autoStartSession) return { kind: 'no-session' };
    if (routingAttributes) Object.assign(state.routingAttributes, routingAttributes);
    // The session is active before the message is stored, so an echo bot may answer it.
    if (startsSession) state.sessionActive = true;
    this.acting = { clientId: claims.clientId };
    try {
      const body = { type: 'ContentEvent' as const, contentType: 'text/plain', message: message.text };
      if (message.inReplyToMessageId !== undefined) Object.assign(body, { inReplyToMessageId: message.inReplyToMessageId });
      try {
        this.sandbox.core.publish(state.id, state.id, { id: claims.sub, role: 'CONSUMER' }, body, { clientMessageId: message.id });
      } catch (error) {
        if (startsSession) state.sessionActive = false;
        throw error;
      }
      // §2.8 [SB]: on a new-session send the echo precedes the routing events.
      if (startsSession) this.startSession(state);
    } finally {
      this.acting = {};
    }
    const entry = state.messages.get(message.id);
    if (!entry) throw new Error('the echo of a stored message is missing');
    return { kind: 'sent', entry };
  }

  /** §2.9: relayed as a chat state (own typing is echoed as EndUser). */
  typing(state: SfConversation, claims: SfClaims, started: boolean, typingId: string | undefined): void {
    this.acting = { clientId: claims.clientId, ...(typingId === undefined ? {} : { typingId }) };
    try {
      this.sandbox.core.setChatState(state.id, state.id, { id: claims.sub, role: 'CONSUMER' }, started ? 'COMPOSING' : 'ACTIVE');
    } finally {
      this.acting = {};
    }
  }

  /**
   * §2.10: receipts for known messages of the other side are stored in the core as the consumer's
   * accept statuses (the agent side can see them); unknown ids are accepted and ignored. Not echoed.
   */
  acknowledge(state: SfConversation, claims: SfClaims, acks: { entryType: AckType; conversationEntryId: unknown }[]): void {
    for (const type of ['Delivery', 'Read'] as const) {
      const sequences = new Set<number>();
      for (const ack of acks) {
        if (ack.entryType !== type || typeof ack.conversationEntryId !== 'string') continue;
        const entry = state.messages.get(ack.conversationEntryId);
        if (!entry || entry.sender.role === 'EndUser') continue;
        for (const [sequence, identifier] of state.bySequence) if (identifier === entry.identifier) sequences.add(sequence);
      }
      if (sequences.size === 0) continue;
      const body: AcceptStatusEventBody = { type: 'AcceptStatusEvent', status: type === 'Delivery' ? 'ACCEPT' : 'READ', sequenceList: [...sequences] };
      this.sandbox.core.publish(state.id, state.id, { id: claims.sub, role: 'CONSUMER' }, body);
    }
  }

  /** §2.4: final; a second close changes nothing. */
  close(state: SfConversation, claims: SfClaims): void {
    const conversation = this.sandbox.core.getConversation(state.id);
    if (!conversation || conversation.stage === 'CLOSE') return;
    this.acting = { clientId: claims.clientId };
    try {
      this.sandbox.core.closeConversation(state.id, 'CONSUMER');
    } finally {
      this.acting = {};
    }
  }

  /** §2.5 and the agent's close: returns false when no session was active. */
  endSession(state: SfConversation): boolean {
    if (!state.sessionActive) return false;
    state.sessionActive = false;
    if (state.agentPresent) {
      state.agentPresent = false;
      this.record(state, this.participantEntry('remove', AGENT_SENDER, SIMULATED_AGENT.nickname), true);
    }
    if (state.endUserPresent) {
      state.endUserPresent = false;
      this.record(state, this.participantEntry('remove', this.endUserSender(state), GUEST), true);
    }
    this.record(state, this.entry('SessionStatusChanged', EVENT.sessionStatus, { sessionStatus: 'Ended' }, SYSTEM_SENDER, AUTOMATED), true);
    return true;
  }

  /** Admin: an event type the widget does not know, in the standard envelope (§3.4 "anything else"). */
  emitUnknown(state: SfConversation, event: string, entryType: string, payload: Record<string, unknown>): SfEntry {
    const entry = this.entry(entryType, event, payload, SYSTEM_SENDER, AUTOMATED);
    this.record(state, entry, false);
    return entry;
  }

  /** Admin: an event whose `data` is the given text as is (malformed data, §3.3 broken on purpose). */
  emitRaw(state: SfConversation, event: string, data: string): void {
    this.book.append(this.book.ensure(state.owner), event, data);
  }

  /** The agent desk's view of Salesforce conversations. */
  agentHooks(): {
    beforeAgentAction(conversation: Conversation): void;
    close(conversation: Conversation): void;
    endSession(conversation: Conversation): void;
    describe(conversation: Conversation): Record<string, unknown>;
  } {
    const endSession = (conversation: Conversation): void => {
      const state = this.states.get(conversation.id);
      if (!state) throw new CoreError('not-found', `Unknown conversation ${conversation.id}`);
      if (conversation.stage === 'CLOSE') throw new CoreError('closed', 'Conversation is closed');
      if (!this.endSession(state)) throw new CoreError('closed', 'The messaging session has already ended');
    };
    return {
      beforeAgentAction: (conversation) => {
        const state = this.states.get(conversation.id);
        if (state && conversation.stage === 'OPEN' && !state.sessionActive) {
          throw new CoreError('closed', 'The messaging session has ended; the visitor starts a new one by writing');
        }
      },
      // SF contract §3.4: an agent ending the chat ends the messaging session, never the conversation.
      close: endSession,
      endSession,
      describe: (conversation) => {
        const state = this.states.get(conversation.id);
        return { sessionEnded: conversation.stage === 'CLOSE' || !state?.sessionActive, esDeveloperName: state?.owner.esDeveloperName ?? null };
      },
    };
  }

  private startSession(state: SfConversation): void {
    state.sessionActive = true;
    this.record(
      state,
      this.entry(
        'RoutingResult',
        EVENT.routingResult,
        {
          routingType: 'Initial',
          failureType: 'None',
          failureReason: null,
          estimatedWaitTime: { estimatedWaitTimeInSeconds: ESTIMATED_WAIT_SECONDS, isEWTRequested: true },
        },
        ROUTER_SENDER,
        AUTOMATED,
      ),
      true,
    );
    state.endUserPresent = true;
    this.record(state, this.participantEntry('add', this.endUserSender(state), GUEST), true);
  }

  private ensureAgent(state: SfConversation): void {
    if (state.agentPresent) return;
    state.agentPresent = true;
    this.record(state, this.participantEntry('add', AGENT_SENDER, SIMULATED_AGENT.nickname), true);
  }

  private onCoreChange(change: CoreChange): void {
    if (change.kind === 'reset') return;
    const state = this.states.get(change.conversation.id);
    if (!state) return;
    switch (change.kind) {
      case 'conversation':
        if (change.reason === 'participant' && this.sandbox.core.assignedAgent(state.id)) this.ensureAgent(state);
        else if (change.reason === 'closed') this.onClosed(state, change.conversation);
        return;
      case 'event':
        return this.onEvent(state, change.event);
      case 'chatState':
        return this.onChatState(state, change.originator, change.chatState);
    }
  }

  private onClosed(state: SfConversation, conversation: Conversation): void {
    if (conversation.closeReason !== 'CONSUMER') {
      // Not reachable through the sandbox's APIs (only the end user closes a Salesforce
      // conversation); a close by anyone else reads as the end of the session.
      this.endSession(state);
      return;
    }
    state.sessionActive = false;
    state.agentPresent = false;
    state.endUserPresent = false;
    this.record(state, this.entry('CloseConversation', EVENT.close, {}, this.endUserSender(state), GUEST), true);
  }

  private onEvent(state: SfConversation, stored: StoredEvent): void {
    const fromAgent = stored.originator.role !== 'CONSUMER';
    if (fromAgent) this.ensureAgent(state);
    const body = stored.event;
    if (body.type === 'AcceptStatusEvent') {
      // Visitor receipts are not echoed (§3.4 [SB]); agent receipts name the visitor's messages.
      if (!fromAgent) return;
      const type = body.status === 'ACCEPT' ? 'DeliveryAcknowledgement' : body.status === 'READ' ? 'ReadAcknowledgement' : undefined;
      if (!type) return;
      for (const sequence of body.sequenceList) {
        const messageId = state.bySequence.get(sequence);
        if (messageId === undefined || state.messages.get(messageId)?.sender.role !== 'EndUser') continue;
        const entry = this.entry(
          type,
          type === 'DeliveryAcknowledgement' ? EVENT.delivery : EVENT.read,
          { acknowledgementTimestamp: stored.serverTimestamp, acknowledgedConversationEntryIdentifier: messageId },
          AGENT_SENDER,
          SIMULATED_AGENT.nickname,
        );
        entry.relatedRecords = [messageId];
        this.record(state, entry, true);
      }
      return;
    }
    // Rich content has no Salesforce form here: a text fallback.
    const text = body.type === 'ContentEvent' ? body.message : '(rich content is not shown in Salesforce chats)';
    const identifier = stored.clientMessageId ?? randomUUID();
    const inReplyTo = body.type === 'ContentEvent' && typeof body.inReplyToMessageId === 'string' ? body.inReplyToMessageId : null;
    const sender = fromAgent ? AGENT_SENDER : this.endUserSender(state);
    // An agent's quick replies (agent API, LivePerson-style body) become a QuickReplies choice.
    const options = fromAgent && body.type === 'ContentEvent' ? quickReplyTitles(body.quickReplies) : [];
    const abstractMessage =
      options.length > 0
        ? {
            messageType: 'ChoicesMessage',
            id: identifier,
            inReplyToMessageId: inReplyTo,
            references: [],
            choices: {
              formatType: 'QuickReplies',
              text,
              optionItems: options.map((title, index) => ({
                itemType: 'TitleOptionItem',
                optionIdentifier: `${identifier}-${index + 1}`,
                titleItem: { itemType: 'TitleItem', title },
              })),
            },
          }
        : {
            messageType: 'StaticContentMessage',
            id: identifier,
            inReplyToMessageId: inReplyTo,
            references: [],
            staticContent: { formatType: 'Text', text },
          };
    const entry = this.entry(
      'Message',
      EVENT.message,
      {
        abstractMessage,
        messageReason: null,
      },
      sender,
      fromAgent ? SIMULATED_AGENT.nickname : GUEST,
      identifier,
    );
    entry.transcriptedTimestamp = stored.serverTimestamp;
    entry.clientTimestamp = stored.serverTimestamp;
    state.messages.set(identifier, entry);
    state.bySequence.set(stored.sequence, identifier);
    this.record(state, entry, true);
  }

  private onChatState(state: SfConversation, originator: Participant, chatState: ChatState): void {
    const fromAgent = originator.role !== 'CONSUMER';
    if (fromAgent) this.ensureAgent(state);
    const started = chatState === 'COMPOSING';
    const entry = this.entry(
      started ? 'TypingStartedIndicator' : 'TypingStoppedIndicator',
      started ? EVENT.typingStarted : EVENT.typingStopped,
      {},
      fromAgent ? AGENT_SENDER : this.endUserSender(state),
      fromAgent ? SIMULATED_AGENT.nickname : GUEST,
      fromAgent ? undefined : this.acting.typingId,
    );
    this.record(state, entry, false);
  }

  private participantEntry(operation: 'add' | 'remove', participant: SfSender, displayName: string): SfEntry {
    return this.entry(
      'ParticipantChanged',
      EVENT.participantChanged,
      { entries: [{ operation, displayName, participant: { ...participant }, menuMetadata: null }] },
      participant,
      displayName,
    );
  }

  private endUserSender(state: SfConversation): SfSender {
    return { role: 'EndUser', subject: state.owner.sub, appType: 'iamessage', clientIdentifier: this.acting.clientId ?? state.owner.clientId };
  }

  private entry(entryType: string, event: string, fields: Record<string, unknown>, sender: SfSender, senderDisplayName: string, identifier: string = randomUUID()): SfEntry {
    const now = this.sandbox.clock.now();
    return {
      identifier,
      entryType,
      event,
      payload: { entryType, id: identifier, ...fields },
      sender: { ...sender },
      senderDisplayName,
      transcriptedTimestamp: now,
      clientTimestamp: now,
      relatedRecords: [],
    };
  }

  /** Stores the entry in the transcript (unless typing or unknown) and puts it on the stream. */
  private record(state: SfConversation, entry: SfEntry, store: boolean): void {
    if (store) state.entries.push(entry);
    const identity = this.book.ensure(state.owner);
    const context = { conversationId: state.id, channelPlatformKey: state.owner.sub, channelAddressIdentifier: state.channelAddressIdentifier };
    this.book.append(identity, entry.event, streamData(context, entry));
  }
}

/**
 * [SB] Chip titles of a LivePerson-style quick replies body (`{type:'quickReplies', replies:[{title,
 * click}]}`), as the agent API takes it, for a Salesforce `ChoicesMessage` (`QuickReplies`). Only
 * the titles carry over: a Salesforce option is answered with its title.
 */
export function quickReplyTitles(quickReplies: unknown): string[] {
  if (typeof quickReplies !== 'object' || quickReplies === null || Array.isArray(quickReplies)) return [];
  const replies = (quickReplies as Record<string, unknown>).replies;
  if (!Array.isArray(replies)) return [];
  return replies.flatMap((reply) => {
    const title = typeof reply === 'object' && reply !== null ? (reply as Record<string, unknown>).title : undefined;
    return typeof title === 'string' && title.trim() !== '' ? [title] : [];
  });
}
