/**
 * The LivePerson `Transport`: one Messaging Window WebSocket per connection (contract §5).
 *
 * connect: InitConnection → .GetClock → cqm.SubscribeExConversations → snapshot → attach to the
 * open conversation (ms.SubscribeMessagingEvents from the resume cursor), or stay unattached
 * until the visitor's first message creates one.
 */
import { GuestChatError, type ReasonCode } from '../../errors.ts';
import type {
  AccessToken,
  Clock,
  Connection,
  ReplyTo,
  ResumePoint,
  SendReceipt,
  Transport,
  TransportEvent,
} from '../types.ts';
import { reconnectDelayMs } from './backoff.ts';
import type { DomainResolver } from './domain.ts';
import type { AgentProfiles } from './profile.ts';
import {
  addTo,
  announceAgents,
  createMappingContext,
  has,
  mapNotification,
  messageId,
  parseMessageId,
  type AcceptTarget,
  type AttachedConversation,
  type MappingContext,
} from './mapping.ts';
import {
  AUTH_CLOSE_CODES,
  acceptStatusEvent,
  chatStateEvent,
  clientProperties,
  closeConversationBody,
  csatBody,
  externalIdMetadata,
  initConnectionFrame,
  isConversationNotification,
  isObject,
  messagingSocketUrl,
  publishBody,
  readChanges,
  readConversationChange,
  replyMetadata,
  requestConversationBody,
  subscribeConversationsBody,
  subscribeMessagingBody,
  textEvent,
  type ConversationChange,
  type NotificationFrame,
  type ResponseFrame,
} from './protocol.ts';
import { LpSocket, type SocketClosed, type WebSocketFactory } from './socket.ts';

export interface TransportOptions {
  account: string;
  clock: Clock;
  hosts: DomainResolver;
  createSocket: WebSocketFactory;
  userAgent?: string;
  random?: () => number;
  /** Agent names and pictures (§5.13); without it agents stay nameless. */
  profiles?: AgentProfiles;
  /** Local wall clock for round-trip measurements and throttles. */
  localNow?: () => number;
  requestTimeoutMs?: number;
  keepAliveMs?: number;
  acceptBatchMs?: number;
  composingThrottleMs?: number;
  /** How long events wait for an agent's profile before they go out without it. */
  profileWaitMs?: number;
}

interface Timings {
  requestTimeoutMs: number;
  keepAliveMs: number;
  acceptBatchMs: number;
  composingThrottleMs: number;
  profileWaitMs: number;
}

/** What a transport remembers across its connections (page lifetime). */
interface TransportMemory {
  /** `conversationId:agentId` already announced. */
  agents: Set<string>;
  /** Conversations already reported closed. */
  closed: Set<string>;
  /** Conversations some connection of this transport attached to. */
  attached: Set<string>;
  /** Our sends seen stored (echo or replay, recognised by their ExternalId): client id → message id. */
  stored: Map<string, string>;
  /** Agents whose profile events have waited for once: never held back again. */
  waited: Set<string>;
  /** Messages (`dialogId:sequence`) answered with an ACTION: not published twice. */
  actioned: Set<string>;
}

/** One step of a connection's ordered event output. */
interface Outgoing {
  /** Agents whose profile this step waits for (briefly, once per agent). */
  agents: string[];
  run: () => void;
}

/**
 * A publish answered 5xx or 429 is tried again after these waits (LivePerson's advice: 5xx → 5,
 * 10, 15 s; 429 → at least 1 s), then reported. Before each new attempt the echoes are checked:
 * a publish the server stored despite its error answer is not sent twice.
 */
export const PUBLISH_RETRY_DELAYS_MS = [5_000, 10_000] as const;
const isRetryablePublish = (code: number): boolean => code === 429 || (code >= 500 && code < 600);

/** A response that is not 200, as an error value. */
export function responseError(response: ResponseFrame, what: string): GuestChatError {
  const status = response.code;
  let reason: ReasonCode;
  if (status === 401 || status === 403) reason = 'auth-rejected';
  else if (status === 429) reason = 'rate-limited';
  else if (status >= 500) reason = 'server-error';
  else reason = 'request-refused';
  return new GuestChatError(reason, `${what} answered ${status}`, { status });
}

function isOurs(change: ConversationChange, consumerId: string): boolean {
  return change.consumerIds === undefined || change.consumerIds.length === 0 || change.consumerIds.includes(consumerId);
}

function openConversationsOf(changes: ConversationChange[], consumerId: string): ConversationChange[] {
  return changes.filter((c) => c.type === 'UPSERT' && !c.over && isOurs(c, consumerId));
}

/** The resumed conversation if open, else the most recently started one. */
function pickConversation(open: ConversationChange[], preferredId: string | undefined): ConversationChange | undefined {
  const preferred = open.find((c) => c.conversationId === preferredId);
  if (preferred !== undefined) return preferred;
  return [...open].sort((a, b) => (b.startTs ?? 0) - (a.startTs ?? 0))[0];
}

/** Waits for the snapshot that follows a cqm.SubscribeExConversations. */
class SnapshotWaiter {
  readonly promise: Promise<NotificationFrame>;
  #subscriptionId: string | undefined;
  #anyId = false;
  readonly #early: NotificationFrame[] = [];
  #resolve!: (frame: NotificationFrame) => void;
  #reject!: (error: GuestChatError) => void;
  #settled = false;

  constructor() {
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.promise.catch(() => {}); // the caller may have stopped listening
  }

  #matches(frame: NotificationFrame): boolean {
    const id = isObject(frame.body) ? frame.body['subscriptionId'] : undefined;
    return id === undefined || this.#anyId || id === this.#subscriptionId;
  }

  /** Any ExConversationChangeNotification that arrives while waiting. */
  offer(frame: NotificationFrame): void {
    if (this.#settled) return;
    if (this.#subscriptionId === undefined) this.#early.push(frame);
    else if (this.#matches(frame)) this.#settle(frame);
  }

  /** The subscribe response arrived: a snapshot may already be among the early frames. */
  subscribed(subscriptionId: string | undefined): void {
    this.#subscriptionId = subscriptionId ?? '';
    this.#anyId = subscriptionId === undefined;
    const frame = this.#early.find((f) => this.#matches(f));
    if (frame !== undefined) this.#settle(frame);
  }

  fail(error: GuestChatError): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#reject(error);
  }

  #settle(frame: NotificationFrame): void {
    this.#settled = true;
    this.#resolve(frame);
  }
}

class LpConnection implements Connection {
  readonly #socket: LpSocket;
  readonly #access: AccessToken;
  readonly #options: TransportOptions;
  readonly #timings: Timings;
  readonly #memory: TransportMemory;
  readonly #onEvent: (event: TransportEvent) => void;

  readonly #ctx: MappingContext;
  #ready = false;
  #ended = false;
  #creating: Promise<AttachedConversation> | undefined;
  #snapshotWaiter: SnapshotWaiter | undefined;
  #subscriptionId: string | undefined;
  #keepAliveTimer: ReturnType<typeof setInterval> | undefined;
  #acceptTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #pendingAccept = new Map<string, { conversationId: string; sequences: Set<number> }>();
  #composing = false;
  /** Resolved by the next messaging notification: the history a subscription replays. */
  #historyArrived: (() => void) | undefined;
  #lastComposingAt = Number.NEGATIVE_INFINITY;
  /**
   * Events go out in order through this backlog. It is empty (and events go out at once) except
   * while an agent's profile is being looked up: then the events behind it wait, at most
   * `profileWaitMs`, so the agent's join line and messages carry a name and picture.
   */
  readonly #backlog: Outgoing[] = [];
  /** Set while the backlog is held for a profile. */
  #hold: { timer: ReturnType<typeof setTimeout> } | undefined;
  #draining = false;

  constructor(
    socket: LpSocket,
    access: AccessToken,
    options: TransportOptions,
    timings: Timings,
    memory: TransportMemory,
    onEvent: (event: TransportEvent) => void,
  ) {
    this.#socket = socket;
    this.#access = access;
    this.#options = options;
    this.#timings = timings;
    this.#memory = memory;
    this.#onEvent = onEvent;
    // Agents and closes are announced once per page, not once per connection.
    this.#ctx = createMappingContext(access.subject, () => options.clock.now(), memory);
    socket.onNotification = (frame) => this.#handleNotification(frame);
    socket.onProtocolError = (error) => this.#emit({ type: 'protocol-error', error });
    socket.onClosed = (closed) => this.#handleClosed(closed);
  }

  get conversationId(): string | undefined {
    return this.#ctx.conversation?.id;
  }

  get #localNow(): number {
    return (this.#options.localNow ?? Date.now)();
  }

  // ------------------------------------------------------------------------------------------
  // Start-up

  async start(resume: ResumePoint | undefined): Promise<void> {
    const init = await this.#socket.send(
      initConnectionFrame(this.#socket.takeId(), this.#access.token, clientProperties(this.#options.userAgent)),
    );
    if (init.code !== 200) {
      const auth = init.code === 401 || init.code === 403;
      throw new GuestChatError(auth ? 'auth-rejected' : 'connection-lost', `InitConnection answered ${init.code}`, {
        status: init.code,
      });
    }
    void this.#syncClock();

    const open = openConversationsOf(await this.#subscribeConversations(), this.#access.subject);
    const target = pickConversation(open, resume?.conversationId);
    if (resume !== undefined && target?.conversationId !== resume.conversationId) {
      // The conversation the session remembers has ended while nobody listened.
      this.#reportClosed(resume.conversationId, undefined);
    }
    if (target !== undefined) {
      const resumed = resume !== undefined && resume.conversationId === target.conversationId;
      const cursor = resumed && resume.cursor !== undefined ? Number(resume.cursor) : Number.NaN;
      const held = Number.isInteger(cursor) && cursor >= 0 ? cursor : undefined;
      // A page that resumes with a cursor already showed this conversation's agents.
      const agentsKnown = held !== undefined && !this.#memory.attached.has(target.conversationId);
      try {
        await this.#attach(target.conversationId, target.mainDialogId, held, target, agentsKnown);
      } catch (error) {
        // Gone on the server (reported as closed): connect unattached; the next message opens a new one.
        if (!(error instanceof GuestChatError && error.reason === 'conversation-unavailable')) throw error;
      }
    }
    this.#ready = true;
    this.#keepAliveTimer = setInterval(() => void this.#syncClock(), this.#timings.keepAliveMs);
  }

  /** Subscribe to this consumer's OPEN conversations and return the snapshot that follows. */
  async #subscribeConversations(): Promise<ConversationChange[]> {
    const waiter = new SnapshotWaiter();
    this.#snapshotWaiter = waiter;
    const timer = setTimeout(() => {
      waiter.fail(new GuestChatError('connection-lost', 'No conversation snapshot in time'));
      this.#socket.close();
      this.#handleClosed({ code: undefined, reason: 'no-response' });
    }, this.#timings.requestTimeoutMs);
    try {
      const response = await this.#socket.request('cqm.SubscribeExConversations', subscribeConversationsBody());
      if (response.code !== 200) throw responseError(response, 'cqm.SubscribeExConversations');
      const id = isObject(response.body) && typeof response.body['subscriptionId'] === 'string'
        ? response.body['subscriptionId']
        : undefined;
      const previous = this.#subscriptionId;
      this.#subscriptionId = id;
      if (previous !== undefined && previous !== id) {
        this.#socket.request('cqm.UnsubscribeExConversations', { subscriptionId: previous }).catch(() => {});
      }
      waiter.subscribed(id);
      const frame = await waiter.promise;
      return readChanges(frame.body).flatMap((raw) => {
        const change = readConversationChange(raw);
        return change === undefined ? [] : [change];
      });
    } finally {
      clearTimeout(timer);
      if (this.#snapshotWaiter === waiter) this.#snapshotWaiter = undefined;
    }
  }

  /**
   * Attach to a conversation: subscribe to its MAIN dialog from `held` (the highest sequence
   * the session already holds: re-sent and de-duplicated, safe under either reading of fromSeq)
   * or from 0.
   */
  async #attach(
    conversationId: string,
    dialogId: string,
    held: number | undefined,
    details: ConversationChange | undefined,
    agentsKnown: boolean,
  ): Promise<AttachedConversation> {
    const attached = { id: conversationId, dialogId };
    this.#ctx.conversation = attached;
    this.#ctx.dialogConversation.set(dialogId, conversationId);
    if (held !== undefined) this.#ctx.floor.set(dialogId, held);
    this.#memory.attached.add(conversationId);
    // Announce before subscribing: history may arrive before the subscribe response.
    this.#emit({ type: 'conversation-open', conversationId });
    if (details !== undefined) {
      const agentOf = new Map<TransportEvent, string>();
      for (const event of announceAgents(details, this.#ctx, agentsKnown, agentOf)) this.#emit(event, agentOf.get(event));
    }
    // The replay of stored events follows the subscribe response in one notification. Wait for
    // it before the session may send: a send of ours that the server already stored (the socket
    // dropped before its response) shows up there with our client id and is not sent twice.
    const history = new Promise<void>((resolve) => {
      this.#historyArrived = resolve;
      setTimeout(resolve, this.#timings.requestTimeoutMs);
    });
    const response = await this.#socket.request(
      'ms.SubscribeMessagingEvents',
      subscribeMessagingBody(dialogId, conversationId, held ?? 0),
    );
    if (response.code === 200) {
      await history;
      return attached;
    }
    if (response.code === 400 || response.code === 404) {
      // Unknown or closed on the server: it is over for us too.
      if (this.#ctx.conversation === attached) this.#ctx.conversation = undefined;
      this.#reportClosed(conversationId, 'system');
      throw new GuestChatError('conversation-unavailable', `ms.SubscribeMessagingEvents answered ${response.code}`, {
        status: response.code,
      });
    }
    throw responseError(response, 'ms.SubscribeMessagingEvents');
  }

  // ------------------------------------------------------------------------------------------
  // Inbound

  #handleNotification(frame: NotificationFrame): void {
    if (this.#ended) return;
    if (this.#snapshotWaiter !== undefined && isConversationNotification(frame.type)) this.#snapshotWaiter.offer(frame);
    const result = mapNotification(frame, this.#ctx);
    for (const event of result.events) {
      if (event.type === 'message' && event.message.clientId !== undefined) this.#memory.stored.set(event.message.clientId, event.message.id);
      this.#emit(event, result.agentOf.get(event));
    }
    if (frame.type.endsWith('MessagingEventNotification') && this.#historyArrived) {
      // Only once the session has been given the history (a profile may hold it back briefly).
      this.#afterOutput(this.#historyArrived);
      this.#historyArrived = undefined;
    }
    this.#queueAccept(result.accept);
    // A conversation opened elsewhere (another tab of this visitor): follow it.
    const other = pickConversation(result.openConversations, undefined);
    if (this.#ready && this.#creating === undefined && this.#ctx.conversation === undefined && other !== undefined) {
      this.#attach(other.conversationId, other.mainDialogId, undefined, other, false).catch((error: unknown) =>
        this.#reportBackground(error),
      );
    }
  }

  #handleClosed(closed: SocketClosed): void {
    if (this.#ended) return;
    // What waits for a profile goes out now, before the disconnect.
    this.#releaseHold(true);
    this.#ended = true;
    this.#stopTimers();
    this.#snapshotWaiter?.fail(
      new GuestChatError(
        closed.code !== undefined && AUTH_CLOSE_CODES.has(closed.code) ? 'auth-rejected' : 'connection-lost',
        'The messaging socket closed',
        { status: closed.code },
      ),
    );
    if (!this.#ready) return; // connect() rejects instead
    const event: TransportEvent =
      closed.code !== undefined && AUTH_CLOSE_CODES.has(closed.code)
        ? { type: 'auth-expired', code: closed.code }
        : { type: 'disconnected', code: closed.code, reason: closed.reason };
    this.#deliver(event);
  }

  /**
   * Hand an event to the session, in order. `agentId`: the agent behind an agent-joined or an
   * agent message, whose profile (name, picture) is added on the way out.
   */
  #emit(event: TransportEvent, agentId?: string): void {
    if (this.#ended) return;
    const agents = agentId !== undefined && this.#options.profiles !== undefined ? [agentId] : [];
    this.#backlog.push({ agents, run: () => this.#deliverNow(event, agentId) });
    this.#drain();
  }

  /** Run `fn` once every event emitted so far has gone out. */
  #afterOutput(fn: () => void): void {
    this.#backlog.push({ agents: [], run: fn });
    this.#drain();
  }

  #deliverNow(event: TransportEvent, agentId: string | undefined): void {
    if (this.#ended) return;
    const profile = agentId === undefined ? undefined : this.#options.profiles?.peek(agentId);
    if (profile !== undefined) {
      if (event.type === 'agent-joined') {
        if (profile.name !== undefined) event.name = profile.name;
        if (profile.avatar !== undefined) event.avatar = profile.avatar;
      } else if (event.type === 'message' && event.message.from === 'agent') {
        if (profile.name !== undefined && event.message.senderName === undefined) event.message.senderName = profile.name;
        if (profile.avatar !== undefined) event.message.senderAvatar = profile.avatar;
      }
    }
    this.#deliver(event);
  }

  /** An agent whose profile is unknown and has not been waited for yet (starts its lookup). */
  #mustWaitFor(agentId: string): boolean {
    const profiles = this.#options.profiles;
    return profiles !== undefined && !this.#memory.waited.has(agentId) && profiles.peek(agentId) === undefined;
  }

  #drain(): void {
    if (this.#draining) return; // a listener emitted while we deliver: the loop below takes it
    this.#draining = true;
    try {
      while (this.#hold === undefined && this.#backlog.length > 0) {
        const next = this.#backlog[0] as Outgoing;
        const missing = next.agents.filter((id) => this.#mustWaitFor(id));
        if (missing.length > 0) {
          this.#holdFor(missing);
          break;
        }
        this.#backlog.shift();
        next.run();
      }
    } finally {
      this.#draining = false;
    }
  }

  /** Hold the backlog until these profiles settled, or `profileWaitMs` passed. */
  #holdFor(agentIds: string[]): void {
    const profiles = this.#options.profiles;
    if (profiles === undefined) return;
    for (const id of agentIds) this.#memory.waited.add(id);
    const hold = { timer: setTimeout(() => release(), this.#timings.profileWaitMs) };
    const release = (): void => {
      if (this.#hold !== hold) return;
      this.#releaseHold(false);
    };
    this.#hold = hold;
    void Promise.all(agentIds.map((id) => profiles.load(id))).then(release);
  }

  /** End a hold; `all`: also run every waiting step now, without holding again (the socket ended). */
  #releaseHold(all: boolean): void {
    if (this.#hold !== undefined) clearTimeout(this.#hold.timer);
    this.#hold = undefined;
    if (!all) {
      this.#drain();
      return;
    }
    for (const next of this.#backlog.splice(0)) next.run();
  }

  #deliver(event: TransportEvent): void {
    try {
      this.#onEvent(event);
    } catch {
      // A listener's failure must not break the connection's state.
    }
  }

  #reportClosed(conversationId: string, by: 'visitor' | 'agent' | 'system' | undefined): void {
    if (this.#ctx.closed.has(conversationId)) return;
    this.#ctx.closed.add(conversationId);
    const event: TransportEvent = { type: 'conversation-closed', conversationId };
    if (by !== undefined) event.by = by;
    this.#emit(event);
  }

  #reportBackground(error: unknown): void {
    if (this.#ended) return;
    if (error instanceof GuestChatError && (error.reason === 'connection-lost' || error.reason === 'auth-rejected')) return;
    if (error instanceof GuestChatError && error.reason === 'conversation-unavailable') return; // already reported closed
    this.#emit({
      type: 'protocol-error',
      error: error instanceof GuestChatError ? error : new GuestChatError('internal', String(error), { cause: error }),
    });
  }

  async #syncClock(): Promise<void> {
    const sentAt = this.#localNow;
    try {
      const response = await this.#socket.request('.GetClock');
      const receivedAt = this.#localNow;
      const currentTime = isObject(response.body) ? response.body['currentTime'] : undefined;
      if (response.code === 200 && typeof currentTime === 'number' && Number.isFinite(currentTime)) {
        this.#options.clock.observeServerTime(currentTime, sentAt + (receivedAt - sentAt) / 2);
      }
    } catch {
      // A silent socket is detected (and reported) by the socket itself.
    }
  }

  // ------------------------------------------------------------------------------------------
  // Accept / read

  #queueAccept(targets: AcceptTarget[]): void {
    for (const target of targets) {
      let batch = this.#pendingAccept.get(target.dialogId);
      if (batch === undefined) {
        batch = { conversationId: target.conversationId, sequences: new Set() };
        this.#pendingAccept.set(target.dialogId, batch);
      }
      batch.sequences.add(target.sequence);
    }
    if (this.#pendingAccept.size > 0 && this.#acceptTimer === undefined) {
      this.#acceptTimer = setTimeout(() => this.#flushAccepts(), this.#timings.acceptBatchMs);
    }
  }

  #flushAccepts(): void {
    if (this.#acceptTimer !== undefined) clearTimeout(this.#acceptTimer);
    this.#acceptTimer = undefined;
    for (const [dialogId, batch] of this.#pendingAccept) {
      const sequences = [...batch.sequences].filter((s) => !has(this.#ctx.ownAccepted, dialogId, s)).sort((a, b) => a - b);
      if (sequences.length > 0) this.#publishAccept('ACCEPT', dialogId, batch.conversationId, sequences);
    }
    this.#pendingAccept.clear();
  }

  #publishAccept(status: 'ACCEPT' | 'READ', dialogId: string, conversationId: string, sequences: number[]): void {
    if (!this.#socket.isOpen) return;
    addTo(this.#ctx.ownAccepted, dialogId, sequences);
    if (status === 'READ') addTo(this.#ctx.ownRead, dialogId, sequences);
    const uncover = (): void => {
      for (const s of sequences) {
        this.#ctx.ownAccepted.get(dialogId)?.delete(s);
        if (status === 'READ') this.#ctx.ownRead.get(dialogId)?.delete(s);
      }
    };
    this.#socket
      .request('ms.PublishEvent', publishBody(dialogId, conversationId, acceptStatusEvent(status, sequences)))
      .then((response) => {
        if (response.code !== 200) uncover();
      })
      .catch(() => uncover());
  }

  markRead(messageIds: string[]): void {
    if (this.#ended) return;
    const byDialog = new Map<string, number[]>();
    for (const id of messageIds) {
      const parsed = parseMessageId(id);
      if (parsed === undefined) continue;
      const { dialogId, sequence } = parsed;
      if (has(this.#ctx.ownRead, dialogId, sequence) || has(this.#ctx.ownMessages, dialogId, sequence)) continue;
      const list = byDialog.get(dialogId) ?? [];
      if (!list.includes(sequence)) list.push(sequence);
      byDialog.set(dialogId, list);
    }
    for (const [dialogId, sequences] of byDialog) {
      // READ implies delivery: no separate ACCEPT for these.
      const batch = this.#pendingAccept.get(dialogId);
      for (const s of sequences) batch?.sequences.delete(s);
      const conversationId = this.#ctx.dialogConversation.get(dialogId) ?? dialogId;
      this.#publishAccept('READ', dialogId, conversationId, sequences.sort((a, b) => a - b));
    }
  }

  // ------------------------------------------------------------------------------------------
  // Outbound

  typing(on: boolean): void {
    const conversation = this.#ctx.conversation;
    if (this.#ended || conversation === undefined) return;
    if (on) {
      const now = this.#localNow;
      if (now - this.#lastComposingAt < this.#timings.composingThrottleMs) return;
      this.#lastComposingAt = now;
      this.#composing = true;
      this.#publishChatState(conversation, 'COMPOSING');
    } else if (this.#composing) {
      this.#composing = false;
      this.#publishChatState(conversation, 'ACTIVE');
    }
  }

  #publishChatState(conversation: AttachedConversation, state: 'COMPOSING' | 'ACTIVE'): void {
    this.#socket
      .request('ms.PublishEvent', publishBody(conversation.dialogId, conversation.id, chatStateEvent(state)))
      .catch(() => {});
  }

  #ensureConversation(): Promise<AttachedConversation> {
    if (this.#ctx.conversation !== undefined) return Promise.resolve(this.#ctx.conversation);
    if (this.#creating === undefined) {
      this.#creating = this.#createConversation().finally(() => {
        this.#creating = undefined;
      });
    }
    return this.#creating;
  }

  async #createConversation(): Promise<AttachedConversation> {
    const response = await this.#socket.request('cm.ConsumerRequestConversation', requestConversationBody(this.#options.account));
    if (this.#ctx.conversation !== undefined) return this.#ctx.conversation;
    if (response.code === 200) {
      const id = isObject(response.body) ? response.body['conversationId'] : undefined;
      if (typeof id !== 'string' || id.length === 0) {
        throw new GuestChatError('bad-server-data', 'cm.ConsumerRequestConversation returned no conversationId');
      }
      // The MAIN dialog id is the conversation id (§5.5); the UPSERT that follows says the same.
      return this.#attach(id, id, undefined, undefined, false);
    }
    // LivePerson refuses a second open conversation (another tab may have opened one): follow
    // the one that is open (§5.3 [GC]).
    const open = pickConversation(openConversationsOf(await this.#subscribeConversations(), this.#access.subject), undefined);
    if (open === undefined) {
      const error = responseError(response, 'cm.ConsumerRequestConversation');
      throw error.reason === 'request-refused'
        ? new GuestChatError('conversation-unavailable', error.message, { status: response.code })
        : error;
    }
    if (this.#ctx.conversation !== undefined) return this.#ctx.conversation;
    return this.#attach(open.conversationId, open.mainDialogId, undefined, open, false);
  }

  #publishText(
    conversation: AttachedConversation,
    text: string,
    clientId: string,
    clickMetadata: readonly unknown[] | undefined,
  ): Promise<ResponseFrame> {
    return this.#socket.request(
      'ms.PublishEvent',
      publishBody(conversation.dialogId, conversation.id, textEvent(text)),
      clickMetadata === undefined ? externalIdMetadata(clientId) : replyMetadata(clickMetadata, clientId),
    );
  }

  /**
   * A quick reply with `click.metadata` is answered with an ACTION on the message it belongs to,
   * carrying that metadata (§5.12), before the text. Once per message; only on the dialog it
   * belongs to (after the conversation changed, the text alone goes out). A refused ACTION does
   * not stop the answer: the text is what the agent needs.
   */
  async #publishAction(conversation: AttachedConversation, replyTo: ReplyTo, metadata: readonly unknown[]): Promise<void> {
    const target = parseMessageId(replyTo.messageId);
    if (target === undefined || target.dialogId !== conversation.dialogId) return;
    // Already answered: by this page, or found in the history (another tab, before a reload).
    if (this.#memory.actioned.has(replyTo.messageId) || has(this.#ctx.ownActions, target.dialogId, target.sequence)) return;
    const response = await this.#socket.request(
      'ms.PublishEvent',
      publishBody(conversation.dialogId, conversation.id, acceptStatusEvent('ACTION', [target.sequence])),
      [...metadata],
    );
    if (response.code === 200) this.#memory.actioned.add(replyTo.messageId);
  }

  async send(text: string, clientId: string, replyTo?: ReplyTo): Promise<SendReceipt> {
    if (this.#ended) throw new GuestChatError('connection-lost', 'The connection is closed');
    let conversation = await this.#ensureConversation();
    if (this.#composing) {
      this.#composing = false;
      this.#publishChatState(conversation, 'ACTIVE');
    }
    const clickMetadata =
      replyTo !== undefined && Array.isArray(replyTo.metadata) && replyTo.metadata.length > 0 ? replyTo.metadata : undefined;
    if (replyTo !== undefined && clickMetadata !== undefined) await this.#publishAction(conversation, replyTo, clickMetadata);
    let response = await this.#publishText(conversation, text, clientId, clickMetadata);
    if (response.code === 400 || response.code === 404) {
      // The conversation may have ended under us (an agent closed it while the visitor typed):
      // check, and if so send into a new one.
      if (this.#ctx.conversation === conversation) {
        const open = openConversationsOf(await this.#subscribeConversations(), this.#access.subject);
        if (open.some((c) => c.conversationId === conversation.id)) throw responseError(response, 'ms.PublishEvent');
        if (this.#ctx.conversation === conversation) {
          this.#ctx.conversation = undefined;
          this.#reportClosed(conversation.id, 'system');
        }
      }
      conversation = await this.#ensureConversation();
      response = await this.#publishText(conversation, text, clientId, clickMetadata);
    }
    for (const wait of PUBLISH_RETRY_DELAYS_MS) {
      if (!isRetryablePublish(response.code)) break;
      await new Promise((resolve) => setTimeout(resolve, wait));
      if (this.#ended) throw new GuestChatError('connection-lost', 'The connection closed before the message could be sent again');
      const storedId = this.#memory.stored.get(clientId);
      if (storedId !== undefined) return { id: storedId, at: this.#options.clock.now() };
      response = await this.#publishText(conversation, text, clientId, clickMetadata);
    }
    if (response.code !== 200) throw responseError(response, 'ms.PublishEvent');
    const sequence = isObject(response.body) ? response.body['sequence'] : undefined;
    if (typeof sequence !== 'number' || !Number.isInteger(sequence) || sequence < 0) {
      throw new GuestChatError('bad-server-data', 'ms.PublishEvent returned no sequence');
    }
    addTo(this.#ctx.ownMessages, conversation.dialogId, [sequence]);
    return { id: messageId(conversation.dialogId, sequence), at: this.#options.clock.now() };
  }

  async endConversation(): Promise<void> {
    const conversation = this.#ctx.conversation;
    if (conversation === undefined) return;
    if (this.#ended) throw new GuestChatError('connection-lost', 'The connection is closed');
    const response = await this.#socket.request('cm.UpdateConversationField', closeConversationBody(conversation.id));
    if (response.code !== 200) throw responseError(response, 'cm.UpdateConversationField');
    if (this.#ctx.conversation === conversation) this.#ctx.conversation = undefined;
    this.#reportClosed(conversation.id, 'visitor');
  }

  /**
   * Legacy CSAT (§5.11) for a conversation that has just ended: works on the same socket after
   * `conversation-closed`. LivePerson takes one rating, for the consumer's closed conversation
   * only; anything else is refused (`request-refused`).
   */
  async rate(conversationId: string, score: 1 | 2 | 3 | 4 | 5): Promise<void> {
    if (!Number.isInteger(score) || score < 1 || score > 5) {
      throw new GuestChatError('request-refused', 'A rating is a whole number from 1 to 5');
    }
    if (this.#ended) throw new GuestChatError('connection-lost', 'The connection is closed');
    const response = await this.#socket.request('cm.UpdateConversationField', csatBody(conversationId, score));
    if (response.code !== 200) throw responseError(response, 'cm.UpdateConversationField (CSAT)');
  }

  close(): void {
    if (this.#ended) return;
    this.#flushAccepts();
    this.#ended = true;
    // Our own close: what still waits for a profile is not delivered (the next connection
    // replays it from the session's cursor).
    if (this.#hold !== undefined) clearTimeout(this.#hold.timer);
    this.#hold = undefined;
    this.#backlog.length = 0;
    this.#stopTimers();
    this.#snapshotWaiter?.fail(new GuestChatError('connection-lost', 'The connection was closed'));
    this.#socket.close();
  }

  #stopTimers(): void {
    if (this.#keepAliveTimer !== undefined) clearInterval(this.#keepAliveTimer);
    if (this.#acceptTimer !== undefined) clearTimeout(this.#acceptTimer);
    this.#keepAliveTimer = undefined;
    this.#acceptTimer = undefined;
  }
}

const START_FAILURE_REASONS: ReadonlySet<ReasonCode> = new Set([
  'auth-rejected',
  'network',
  'connection-lost',
  'domain-lookup-failed',
  'config-bad-domain-api',
  'rate-limited',
  'server-error',
  'bad-server-data',
]);

/** Connect failures: `auth-rejected` when the token was refused, else a retryable reason. */
function startFailure(error: unknown): GuestChatError {
  if (error instanceof GuestChatError) {
    if (error.status !== undefined && AUTH_CLOSE_CODES.has(error.status) && error.reason !== 'auth-rejected') {
      return new GuestChatError('auth-rejected', error.message, { status: error.status, cause: error });
    }
    if (START_FAILURE_REASONS.has(error.reason)) return error;
    return new GuestChatError('connection-lost', error.message, { status: error.status, cause: error });
  }
  return new GuestChatError('connection-lost', 'Connecting failed', { cause: error });
}

export function createLivePersonTransport(options: TransportOptions): Transport {
  const timings: Timings = {
    requestTimeoutMs: options.requestTimeoutMs ?? 15_000,
    keepAliveMs: options.keepAliveMs ?? 30_000,
    acceptBatchMs: options.acceptBatchMs ?? 1_000,
    composingThrottleMs: options.composingThrottleMs ?? 5_000,
    profileWaitMs: options.profileWaitMs ?? 2_000,
  };
  const memory: TransportMemory = {
    agents: new Set(),
    closed: new Set(),
    attached: new Set(),
    stored: new Map(),
    waited: new Set(),
    actioned: new Set(),
  };

  return {
    async connect(access, resume, onEvent) {
      const hosts = await options.hosts.resolve();
      let socket: LpSocket;
      try {
        socket = await LpSocket.connect(messagingSocketUrl(hosts.messaging, options.account), options.createSocket, {
          requestTimeoutMs: timings.requestTimeoutMs,
          openTimeoutMs: timings.requestTimeoutMs,
        });
      } catch (error) {
        options.hosts.markStale(); // ask the Domain API again next time; the last answer stays as fallback
        throw startFailure(error);
      }
      const connection = new LpConnection(socket, access, options, timings, memory, onEvent);
      try {
        await connection.start(resume);
      } catch (error) {
        connection.close();
        throw startFailure(error);
      }
      return connection;
    },
    retryDelayMs: (attempt) => reconnectDelayMs(attempt, options.random),
  };
}
