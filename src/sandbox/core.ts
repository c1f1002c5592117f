/**
 * The vendor-neutral conversation core: consumers, conversations, dialogs, stored events with
 * per-dialog sequence numbers, participants, agent assignment, chat states (typing) and receipts.
 * It holds no vendor wire format: the LivePerson face (and later the Salesforce face) turn its
 * records and change notifications into their own shapes.
 *
 * Sequence rule (LP contract §5.10 [SB], applied to every vendor): per dialog, from 0, +1 per stored
 * event (content, rich content, accept status) of any participant. Chat states are never stored.
 */
import { randomUUID } from 'node:crypto';
import type { SandboxClock } from './clock.ts';

export type AdapterName = 'liveperson' | 'salesforce';
export type ParticipantRole = 'CONSUMER' | 'ASSIGNED_AGENT' | 'AGENT';
export type ConversationState = 'OPEN' | 'CLOSE';
export type CloseReason = 'CONSUMER' | 'AGENT' | 'TIMEOUT' | 'SYSTEM';
export type AcceptStatus = 'ACCEPT' | 'READ' | 'ACCESS' | 'NACK' | 'ACTION';
export type ChatState = 'ACTIVE' | 'INACTIVE' | 'GONE' | 'COMPOSING' | 'PAUSE';

export const ACCEPT_STATUSES: readonly AcceptStatus[] = ['ACCEPT', 'READ', 'ACCESS', 'NACK', 'ACTION'];
export const CHAT_STATES: readonly ChatState[] = ['ACTIVE', 'INACTIVE', 'GONE', 'COMPOSING', 'PAUSE'];

export interface Participant {
  id: string;
  role: ParticipantRole;
}

/** Typed metadata items, stored exactly as sent (LP §5.12). */
export type Metadata = Record<string, unknown>[];

/** Extra fields a vendor sent with the event (quick replies, ...) are kept as sent. */
export interface ContentEventBody {
  type: 'ContentEvent';
  contentType: string;
  message: string;
  [extra: string]: unknown;
}
export interface RichContentEventBody {
  type: 'RichContentEvent';
  content: unknown;
  [extra: string]: unknown;
}
export interface AcceptStatusEventBody {
  type: 'AcceptStatusEvent';
  status: AcceptStatus;
  sequenceList: number[];
}
export type StoredEventBody = ContentEventBody | RichContentEventBody | AcceptStatusEventBody;

export interface StoredEvent {
  sequence: number;
  conversationId: string;
  dialogId: string;
  originator: Participant;
  serverTimestamp: number;
  event: StoredEventBody;
  metadata?: Metadata;
  /** A client-chosen message id, for vendors whose clients name their messages. */
  clientMessageId?: string;
}

export interface Dialog {
  dialogId: string;
  dialogType: 'MAIN' | 'POST_SURVEY';
  state: ConversationState;
  creationTs: number;
  metaDataLastUpdateTs: number;
  endTs?: number;
  closedBy?: CloseReason;
  closedCause?: string;
  events: StoredEvent[];
}

export interface Csat {
  csatRate: number;
  csatResolutionConfirmation?: boolean;
  status: 'FILLED' | 'PARTIALLY_FILLED' | 'SKIPPED';
}

export interface Conversation {
  id: string;
  adapter: AdapterName;
  /** The vendor tenant: LP account id, SF org id. */
  tenant: string;
  consumerId: string;
  /** MAIN dialog state. */
  state: ConversationState;
  /** Conversation state (equals `state` while there is only a MAIN dialog). */
  stage: ConversationState;
  closeReason?: CloseReason;
  startTs: number;
  endTs?: number;
  metaDataLastUpdateTs: number;
  skillId: string;
  participants: Participant[];
  dialogs: Dialog[];
  csat?: Csat;
  /** Latest chat state per participant id: live only, never stored as an event. */
  chatStates: Map<string, ChatState>;
}

export interface AgentProfile {
  id: string;
  nickname: string;
  fullName: string;
  employeeId: string;
  pictureUrl: string;
}

/** The one simulated agent (a fixed id, so its profile URL survives restarts). */
export const SIMULATED_AGENT: Readonly<AgentProfile> = Object.freeze({
  id: 'a9d3c1e2-5b7f-4c8d-9e0a-1f2b3c4d5e6f',
  nickname: 'Alex',
  fullName: 'Alex Sandbox',
  employeeId: 'sandbox-agent-1',
  pictureUrl: '',
});

export type CoreChange =
  | { kind: 'conversation'; conversation: Conversation; reason: 'created' | 'participant' | 'closed' | 'csat' }
  | { kind: 'event'; conversation: Conversation; event: StoredEvent }
  | { kind: 'chatState'; conversation: Conversation; dialogId: string; originator: Participant; chatState: ChatState }
  | { kind: 'reset' };

export type CoreErrorCode = 'not-found' | 'closed' | 'conflict' | 'invalid';

export class CoreError extends Error {
  constructor(
    readonly code: CoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'CoreError';
  }
}

export interface NewConversation {
  adapter: AdapterName;
  tenant: string;
  consumerId: string;
  /** Some vendors let the client name the conversation; otherwise a uuid. */
  id?: string;
  skillId?: string;
}

export interface PublishOptions {
  metadata?: Metadata;
  clientMessageId?: string;
}

export class ConversationCore {
  private conversations = new Map<string, Conversation>();
  private dialogIndex = new Map<string, Conversation>();
  private consumers = new Map<string, { adapter: AdapterName; tenant: string; consumerId: string; firstSeen: number }>();
  private readonly listeners = new Set<(change: CoreChange) => void>();

  constructor(private readonly clock: SandboxClock) {}

  /** Listeners run synchronously, in the order of the change. */
  subscribe(listener: (change: CoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  registerConsumer(adapter: AdapterName, tenant: string, consumerId: string): void {
    const key = `${adapter}/${tenant}/${consumerId}`;
    if (!this.consumers.has(key)) this.consumers.set(key, { adapter, tenant, consumerId, firstSeen: this.clock.now() });
  }

  createConversation(input: NewConversation): Conversation {
    const id = input.id ?? randomUUID();
    if (this.conversations.has(id)) throw new CoreError('conflict', `Conversation ${id} already exists`);
    this.registerConsumer(input.adapter, input.tenant, input.consumerId);
    const now = this.clock.now();
    const conversation: Conversation = {
      id,
      adapter: input.adapter,
      tenant: input.tenant,
      consumerId: input.consumerId,
      state: 'OPEN',
      stage: 'OPEN',
      startTs: now,
      metaDataLastUpdateTs: now,
      skillId: input.skillId ?? '-1',
      participants: [{ id: input.consumerId, role: 'CONSUMER' }],
      // MAIN dialogId = conversation id (LP §5.5).
      dialogs: [{ dialogId: id, dialogType: 'MAIN', state: 'OPEN', creationTs: now, metaDataLastUpdateTs: now, events: [] }],
      chatStates: new Map(),
    };
    this.conversations.set(id, conversation);
    this.dialogIndex.set(id, conversation);
    this.emit({ kind: 'conversation', conversation, reason: 'created' });
    return conversation;
  }

  getConversation(id: string): Conversation | undefined {
    return this.conversations.get(id);
  }

  findDialog(dialogId: string): { conversation: Conversation; dialog: Dialog } | undefined {
    const conversation = this.dialogIndex.get(dialogId);
    const dialog = conversation?.dialogs.find((d) => d.dialogId === dialogId);
    return conversation && dialog ? { conversation, dialog } : undefined;
  }

  /** Oldest first. */
  listConversations(filter?: { adapter?: AdapterName; tenant?: string; consumerId?: string }): Conversation[] {
    return [...this.conversations.values()].filter(
      (c) =>
        (filter?.adapter === undefined || c.adapter === filter.adapter) &&
        (filter?.tenant === undefined || c.tenant === filter.tenant) &&
        (filter?.consumerId === undefined || c.consumerId === filter.consumerId),
    );
  }

  findOpenConversation(adapter: AdapterName, tenant: string, consumerId: string): Conversation | undefined {
    return this.listConversations({ adapter, tenant, consumerId }).find((c) => c.stage === 'OPEN');
  }

  /** Stores an event on an open dialog and gives it the dialog's next sequence. */
  publish(conversationId: string, dialogId: string, originator: Participant, event: StoredEventBody, options: PublishOptions = {}): StoredEvent {
    const { conversation, dialog } = this.openDialog(conversationId, dialogId);
    if (event.type === 'AcceptStatusEvent') {
      if (event.sequenceList.length === 0) throw new CoreError('invalid', 'sequenceList must not be empty');
      const missing = event.sequenceList.find((s) => !Number.isInteger(s) || s < 0 || s >= dialog.events.length);
      if (missing !== undefined) throw new CoreError('invalid', `Unknown sequence ${missing}`);
    }
    const stored: StoredEvent = {
      sequence: dialog.events.length,
      conversationId: conversation.id,
      dialogId: dialog.dialogId,
      originator: { ...originator },
      serverTimestamp: this.clock.now(),
      event,
    };
    if (options.metadata !== undefined) stored.metadata = options.metadata;
    if (options.clientMessageId !== undefined) stored.clientMessageId = options.clientMessageId;
    dialog.events.push(stored);
    // Sending ends typing, as it does in every vendor's agent UI.
    if (event.type !== 'AcceptStatusEvent') conversation.chatStates.delete(originator.id);
    this.emit({ kind: 'event', conversation, event: stored });
    return stored;
  }

  /** Relays a chat state; remembered only as the participant's latest state, never stored. */
  setChatState(conversationId: string, dialogId: string, originator: Participant, chatState: ChatState): void {
    const { conversation } = this.openDialog(conversationId, dialogId);
    conversation.chatStates.set(originator.id, chatState);
    this.emit({ kind: 'chatState', conversation, dialogId, originator: { ...originator }, chatState });
  }

  /** Assigns the simulated agent if no agent is assigned yet; returns the assigned agent. */
  assignAgent(conversationId: string): Participant {
    const conversation = this.requireConversation(conversationId);
    const assigned = conversation.participants.find((p) => p.role === 'ASSIGNED_AGENT');
    if (assigned) return assigned;
    if (conversation.stage === 'CLOSE') throw new CoreError('closed', 'Conversation is closed');
    const agent: Participant = { id: SIMULATED_AGENT.id, role: 'ASSIGNED_AGENT' };
    conversation.participants.push(agent);
    this.touch(conversation);
    this.emit({ kind: 'conversation', conversation, reason: 'participant' });
    return agent;
  }

  assignedAgent(conversationId: string): Participant | undefined {
    return this.conversations.get(conversationId)?.participants.find((p) => p.role === 'ASSIGNED_AGENT');
  }

  agentProfile(id: string): AgentProfile | undefined {
    return id === SIMULATED_AGENT.id ? { ...SIMULATED_AGENT } : undefined;
  }

  /** Closes every open dialog and the conversation. */
  closeConversation(conversationId: string, reason: CloseReason, closedCause?: string): Conversation {
    const conversation = this.requireConversation(conversationId);
    if (conversation.stage === 'CLOSE') throw new CoreError('closed', 'Conversation is already closed');
    const now = this.clock.now();
    for (const dialog of conversation.dialogs) {
      if (dialog.state === 'CLOSE') continue;
      dialog.state = 'CLOSE';
      dialog.endTs = now;
      dialog.metaDataLastUpdateTs = now;
      dialog.closedBy = reason;
      dialog.closedCause = closedCause ?? defaultClosedCause(reason);
    }
    conversation.state = 'CLOSE';
    conversation.stage = 'CLOSE';
    conversation.closeReason = reason;
    conversation.endTs = now;
    conversation.chatStates.clear();
    this.touch(conversation);
    this.emit({ kind: 'conversation', conversation, reason: 'closed' });
    return conversation;
  }

  /** Legacy CSAT: once, only after the conversation closed. */
  rateConversation(conversationId: string, csat: Csat): Conversation {
    const conversation = this.requireConversation(conversationId);
    if (conversation.stage !== 'CLOSE') throw new CoreError('invalid', 'CSAT is accepted only for a closed conversation');
    if (conversation.csat) throw new CoreError('invalid', 'CSAT was already given');
    conversation.csat = { ...csat };
    this.touch(conversation);
    this.emit({ kind: 'conversation', conversation, reason: 'csat' });
    return conversation;
  }

  reset(): void {
    this.conversations.clear();
    this.dialogIndex.clear();
    this.consumers.clear();
    this.emit({ kind: 'reset' });
  }

  private requireConversation(id: string): Conversation {
    const conversation = this.conversations.get(id);
    if (!conversation) throw new CoreError('not-found', `Unknown conversation ${id}`);
    return conversation;
  }

  private openDialog(conversationId: string, dialogId: string): { conversation: Conversation; dialog: Dialog } {
    const conversation = this.requireConversation(conversationId);
    const dialog = conversation.dialogs.find((d) => d.dialogId === dialogId);
    if (!dialog) throw new CoreError('not-found', `Unknown dialog ${dialogId}`);
    if (dialog.state === 'CLOSE') throw new CoreError('closed', 'Dialog is closed');
    return { conversation, dialog };
  }

  private touch(conversation: Conversation): void {
    conversation.metaDataLastUpdateTs = this.clock.now();
  }

  private emit(change: CoreChange): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch (error) {
        // One face failing to deliver must not undo the change or starve the other faces.
        console.error('[sandbox] core listener failed:', error);
      }
    }
  }
}

function defaultClosedCause(reason: CloseReason): string {
  switch (reason) {
    case 'CONSUMER':
      return 'Closed by consumer';
    case 'AGENT':
      return 'Closed by agent';
    case 'TIMEOUT':
      return 'Closed by timeout';
    case 'SYSTEM':
      return 'Closed by system';
  }
}
