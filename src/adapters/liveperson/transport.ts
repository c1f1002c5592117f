/**
 * The LivePerson `Transport`: one Messaging Window WebSocket per connection (contract §5).
 *
 * connect: InitConnection → .GetClock → cqm.SubscribeExConversations → snapshot → attach to the
 * open conversation (ms.SubscribeMessagingEvents from the resume cursor), or stay unattached
 * until the visitor's first message creates one.
 */
import { GuestChatError, toGuestChatError, type ReasonCode } from '../../errors.ts';
import type { AccessToken, Clock, Connection, ReplyTo, ResumePoint, Transport, TransportEvent } from '../types.ts';
import { reconnectDelayMs } from './backoff.ts';
import type { DomainResolver } from './domain.ts';
import type { AgentProfiles } from './profile.ts';
import { createMapping, isOpenOurs, messageId, parseMessageId } from './mapping.ts';
import {
  AUTH_CLOSE_CODES,
  acceptStatusEvent,
  closeReason,
  field,
  finite,
  initConnectionHeaders,
  isConversationNotification,
  isSequence,
  messagingSocketUrl,
  publishMetadata,
  readChanges,
  readConversationChange,
  str,
  type ConversationChange,
  type JsonObject,
  type NotificationFrame,
  type ResponseFrame,
} from './protocol.ts';
import { openSocket, type LpSocket, type SocketClosed, type WebSocketFactory } from './socket.ts';

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

/** A conversation by its ids: what a publish needs. */
type Conversation = Pick<ConversationChange, 'conversationId' | 'mainDialogId'>;

/** What attaching needs of a conversation: its ids, and the agents to announce. */
type Attachable = Pick<ConversationChange, 'conversationId' | 'mainDialogId' | 'agentIds'>;

const PUBLISH = 'ms.PublishEvent';
const UPDATE = 'cm.UpdateConversationField';
const REQUEST_CONVERSATION = 'cm.ConsumerRequestConversation';
const SUBSCRIBE_MESSAGING = 'ms.SubscribeMessagingEvents';
const SUBSCRIBE_CONVERSATIONS = 'cqm.SubscribeExConversations';

const noop = (): void => {};
const closedError = (): GuestChatError => new GuestChatError('connection-lost', 'Connection closed');
const isReason = (error: unknown, ...reasons: ReasonCode[]): error is GuestChatError =>
  error instanceof GuestChatError && reasons.includes(error.reason);

/**
 * The response when it is 200; any other throws as an error, `refused` naming the reason of a
 * 4xx that is neither an auth failure nor a rate limit.
 */
function ok(response: ResponseFrame, what: string, refused: ReasonCode = 'request-refused'): ResponseFrame {
  const status = response.code;
  if (status === 200) return response;
  const reason =
    status === 401 || status === 403 ? 'auth-rejected' : status === 429 ? 'rate-limited' : status >= 500 ? 'server-error' : refused;
  throw new GuestChatError(reason, `${what} answered ${status}`, { status });
}

/** Unknown or closed on the server. */
const isGone = (response: ResponseFrame): boolean => response.code === 400 || response.code === 404;

/** The resumed conversation if open, else the most recently started one. */
const pickConversation = (open: ConversationChange[], preferredId?: string): ConversationChange | undefined =>
  open.find((c) => c.conversationId === preferredId) ?? open.sort((a, b) => (b.startTs ?? 0) - (a.startTs ?? 0))[0];

/**
 * Connect failures: `auth-rejected` when the token was refused, else a retryable reason. What
 * reaches here is `network`, `connection-lost`, `auth-rejected`, `rate-limited`, `server-error`,
 * `bad-server-data` (kept) or a subscribe's `request-refused`, retried as a lost connection.
 */
function startFailure(thrown: unknown): GuestChatError {
  const error = toGuestChatError(thrown, 'connection-lost');
  const { status, reason, message } = error;
  const auth = AUTH_CLOSE_CODES.includes(status);
  return (auth ? reason === 'auth-rejected' : reason !== 'request-refused')
    ? error
    : new GuestChatError(auth ? 'auth-rejected' : 'connection-lost', message, { status, cause: error });
}

export function createLivePersonTransport(options: TransportOptions): Transport {
  const {
    account,
    clock,
    hosts,
    profiles,
    requestTimeoutMs = 15_000,
    keepAliveMs = 30_000,
    acceptBatchMs = 1_000,
    composingThrottleMs = 5_000,
    profileWaitMs = 2_000,
    localNow = Date.now,
  } = options;

  // What the transport remembers across its connections (page lifetime).
  /** Agents already announced, conversations already reported closed, our sends seen stored (see createMapping). */
  const shared = { agents: new Set<string>(), closed: new Set<string>(), stored: new Map<string, string>() };
  const { stored } = shared;
  /** Conversations some connection of this transport attached to. */
  const attachedBefore = new Set<string>();
  /** Agents whose profile events have waited for once: never held back again. */
  const waited = new Set<string>();
  /** `ACTION` + message id of messages this page answered with an ACTION: not published twice. */
  const actioned = new Set<string>();

  async function connect(
    access: AccessToken,
    resume: ResumePoint | undefined,
    onEvent: (event: TransportEvent) => void,
  ): Promise<Connection> {
    const { messaging } = await hosts.resolve();
    // Agents and closes are announced once per page, not once per connection.
    const { floor, dialogConversation, covered, announceAgents, reportClosed, map } = createMapping(access.subject, clock, shared);
    let socket: LpSocket;
    /** The conversation this connection is attached to. */
    let current: Conversation | undefined;
    let ready = false;
    let ended = false;
    let creating: Promise<Conversation> | undefined;
    /** While a snapshot is awaited: offered every conversation notification, or the error that ends the wait. */
    let snapshot: ((frame: NotificationFrame | GuestChatError) => void) | undefined;
    let subscriptionId: string | undefined;
    let keepAliveTimer: ReturnType<typeof setInterval> | undefined;
    let acceptTimer: ReturnType<typeof setTimeout> | undefined;
    /** Agent messages (`dialogId:sequence`) to ACCEPT with the next batch. */
    const pendingAccept = new Set<string>();
    let composing = false;
    let lastComposingAt = Number.NEGATIVE_INFINITY;
    /** Resolved by the next messaging notification: the history a subscription replays. */
    let historyArrived: (() => void) | undefined;
    /**
     * Events go out in order through this backlog. It is empty (and events go out at once) except
     * while an agent's profile is being looked up: then the events behind it wait, at most
     * `profileWaitMs`, so the agent's join line and messages carry a name and picture.
     */
    const backlog: [run: () => void, agent?: string][] = [];
    /** The timer of a hold, while the backlog waits for a profile. */
    let hold: ReturnType<typeof setTimeout> | undefined;

    const publish = (conversation: Conversation, event: JsonObject, metadata?: unknown[]): Promise<ResponseFrame> =>
      socket.request(PUBLISH, { dialogId: conversation.mainDialogId, conversationId: conversation.conversationId, event }, metadata);

    // ------------------------------------------------------------------------------------------
    // Start-up

    async function start(): Promise<void> {
      const init = await socket.request('InitConnection', undefined, undefined, initConnectionHeaders(access.token, options.userAgent));
      const { code } = init;
      if (code !== 200) {
        throw new GuestChatError(code === 401 || code === 403 ? 'auth-rejected' : 'connection-lost', `InitConnection answered ${code}`, {
          status: code,
        });
      }
      syncClock();

      const resumed = resume?.conversationId;
      const target = pickConversation(await openConversations(), resumed);
      const conversationId = target?.conversationId;
      // The conversation the session remembers has ended while nobody listened.
      if (resume && conversationId !== resumed) reportClosed(resume.conversationId, emit);
      if (target) {
        const cursor = Number(resume?.cursor);
        const held = conversationId === resumed && isSequence(cursor) ? cursor : undefined;
        // A page that resumes with a cursor already showed this conversation's agents.
        const agentsKnown = held !== undefined && !attachedBefore.has(target.conversationId);
        try {
          await attach(target, held, agentsKnown);
        } catch (error) {
          // Gone on the server (reported as closed): connect unattached; the next message opens a new one.
          if (!isReason(error, 'conversation-unavailable')) throw error;
        }
      }
      ready = true;
      keepAliveTimer = setInterval(syncClock, keepAliveMs);
    }

    /** Subscribe to this consumer's conversations and return the open ones, from the snapshot that follows. */
    async function openConversations(): Promise<ConversationChange[]> {
      /** Conversation notifications so far: the snapshot may come before the subscribe response. */
      const frames: NotificationFrame[] = [];
      /** Our subscription's id once subscribed (null before); the snapshot is the notification that names it (or names none). */
      let wanted: string | undefined | null = null;
      let waiter: typeof snapshot;
      let timer: ReturnType<typeof setTimeout> | undefined;
      try {
        const { body } = await new Promise<NotificationFrame>((resolve, reject) => {
          const check = (): void => {
            const frame =
              wanted !== null &&
              frames.find((f) => {
                const id = field(f.body, 'subscriptionId');
                return id === undefined || wanted === undefined || id === wanted;
              });
            if (frame) resolve(frame);
          };
          snapshot = waiter = (frame) => {
            if (frame instanceof GuestChatError) return reject(frame);
            frames.push(frame);
            check();
          };
          timer = setTimeout(() => {
            reject(new GuestChatError('connection-lost', 'No snapshot in time'));
            socket.giveUp();
          }, requestTimeoutMs);
          socket.request(SUBSCRIBE_CONVERSATIONS, { convState: ['OPEN'] }).then((response) => {
            const id = field(ok(response, SUBSCRIBE_CONVERSATIONS).body, 'subscriptionId');
            wanted = typeof id === 'string' ? id : undefined;
            if (subscriptionId !== undefined && subscriptionId !== wanted) {
              socket.request('cqm.UnsubscribeExConversations', { subscriptionId }).catch(noop);
            }
            subscriptionId = wanted;
            check();
          }).catch(reject);
        });
        return readChanges(body).flatMap((raw) => {
          const change = readConversationChange(raw);
          return change && isOpenOurs(change, access.subject) ? [change] : [];
        });
      } finally {
        clearTimeout(timer);
        if (snapshot === waiter) snapshot = undefined;
      }
    }

    /**
     * Attach to a conversation: subscribe to its MAIN dialog from `held` (the highest sequence
     * the session already holds: re-sent and de-duplicated, safe under either reading of fromSeq)
     * or from 0. Its agents are announced (silently when `agentsKnown`).
     */
    async function attach(change: Attachable, held?: number, agentsKnown?: boolean): Promise<Conversation> {
      const { conversationId, mainDialogId: dialogId } = change;
      current = change;
      dialogConversation.set(dialogId, conversationId);
      if (held !== undefined) floor.set(dialogId, held);
      attachedBefore.add(conversationId);
      // Announce before subscribing: history may arrive before the subscribe response.
      emit({ type: 'conversation-open', conversationId });
      announceAgents(change, agentsKnown ? noop : emit);
      // The replay of stored events follows the subscribe response in one notification. Wait for
      // it before the session may send: a send of ours that the server already stored (the socket
      // dropped before its response) shows up there with our client id and is not sent twice.
      const history = new Promise<void>((resolve) => {
        historyArrived = resolve;
        setTimeout(resolve, requestTimeoutMs);
      });
      const response = await socket.request(SUBSCRIBE_MESSAGING, { dialogId, conversationId, fromSeq: held ?? 0 });
      const gone = isGone(response);
      // Unknown or closed on the server: it is over for us too.
      if (gone) over(change, 'system');
      ok(response, SUBSCRIBE_MESSAGING, gone ? 'conversation-unavailable' : undefined);
      await history;
      return change;
    }

    // ------------------------------------------------------------------------------------------
    // Inbound

    function handleNotification(frame: NotificationFrame): void {
      if (ended) return;
      if (isConversationNotification(frame.type)) snapshot?.(frame);
      const open: ConversationChange[] = [];
      // The events wait in the backlog until the whole notification is read (the state is then
      // complete when a listener reacts).
      const detached = map(frame, current?.conversationId, {
        emit: queue,
        accept: (id) => pendingAccept.add(id),
        open: (change) => open.push(change),
      });
      if (detached) current = undefined;
      if (historyArrived && frame.type.endsWith('MessagingEventNotification')) {
        // Only once the session has been given the history (a profile may hold it back briefly).
        backlog.push([historyArrived]);
        historyArrived = undefined;
      }
      drain();
      if (pendingAccept.size && !acceptTimer) acceptTimer = setTimeout(flushAccepts, acceptBatchMs);
      // A conversation opened elsewhere (another tab of this visitor): follow it.
      const other = pickConversation(open);
      if (ready && !creating && !current && other) {
        attach(other).catch((error: unknown) => {
          // A lost socket is reported by the socket; a gone conversation was reported closed
          // (and once the connection ended, emit drops the rest).
          if (isReason(error, 'connection-lost', 'auth-rejected', 'conversation-unavailable')) return;
          emit({ type: 'protocol-error', error: toGuestChatError(error) });
        });
      }
    }

    function handleClosed({ code, reason }: SocketClosed): void {
      if (ended) return;
      const auth = closeReason(code);
      // What waits for a profile goes out now, before the disconnect.
      end(new GuestChatError(auth, 'Socket closed', { status: code }));
      if (!ready) return; // connect() rejects instead
      deliver(auth === 'auth-rejected' ? { type: 'auth-expired', code } : { type: 'disconnected', code, reason });
    }

    /**
     * Hand an event to the session, in order, as a step of the backlog. `agentId`: the agent behind
     * an agent-joined or an agent message, whose profile (name, picture) is added on the way out
     * and whose profile the step waits for (briefly, once per agent).
     */
    function emit(event: TransportEvent, agentId?: string): void {
      queue(event, agentId);
      drain();
    }

    /** An event as the last step of the backlog, not run yet. */
    function queue(event: TransportEvent, agentId?: string): void {
      if (ended) return;
      backlog.push([
        () => {
          // Only agent-joined events and agent messages come with an agent id.
          const profile = agentId && profiles?.(agentId).profile;
          if (profile) {
            if (event.type !== 'message') Object.assign(event, profile);
            else {
              const { name, avatar } = profile;
              if (name) event.message.senderName = name;
              if (avatar) event.message.senderAvatar = avatar;
            }
          }
          deliver(event);
        },
        agentId,
      ]);
    }

    /**
     * Run the steps in order until one waits for a profile: its agent's profile is unknown and
     * has not been waited for yet (asking starts the lookup). Then hold the backlog until that
     * profile settled, or `profileWaitMs` passed. Once the connection ended nothing waits.
     * (A listener that emits while we deliver runs the next steps itself: still in order.)
     */
    function drain(): void {
      while (!hold && backlog.length) {
        const [run, agent] = backlog[0] as (typeof backlog)[number];
        const lookup = agent && !ended && !waited.has(agent) ? profiles?.(agent) : undefined;
        if (agent && lookup && !lookup.profile) {
          waited.add(agent);
          const release = (): void => {
            if (hold !== timer) return;
            clearTimeout(timer);
            hold = undefined;
            drain();
          };
          const timer = (hold = setTimeout(release, profileWaitMs));
          void lookup.settled.then(release);
          return;
        }
        backlog.shift();
        run();
      }
    }

    function deliver(event: TransportEvent): void {
      try {
        onEvent(event);
      } catch {
        // A listener's failure must not break the connection's state.
      }
    }

    /**
     * A conversation is over for us: no longer the attached one, and reported closed. (One that
     * stopped being the attached one meanwhile has been reported closed already.)
     */
    function over(conversation: Conversation, by: 'visitor' | 'system'): void {
      if (current === conversation) current = undefined;
      reportClosed(conversation.conversationId, emit, by);
    }

    function syncClock(): void {
      const sentAt = localNow();
      socket.request('.GetClock').then(({ code, body }) => {
        const currentTime = finite(field(body, 'currentTime'));
        if (code === 200 && currentTime !== undefined) clock.observeServerTime(currentTime, (sentAt + localNow()) / 2);
      }, noop); // a silent socket is detected (and reported) by the socket itself
    }

    // ------------------------------------------------------------------------------------------
    // Accept / read

    function flushAccepts(): void {
      clearTimeout(acceptTimer);
      acceptTimer = undefined;
      publishStatus('ACCEPT', pendingAccept);
    }

    /**
     * Publish our ACCEPT or READ of these messages (`dialogId:sequence`): one event per dialog,
     * sequences in order, without what is covered already. Covered at once (a READ covers the
     * ACCEPT too), uncovered again when the publish fails.
     */
    function publishStatus(status: 'ACCEPT' | 'READ', ids: Iterable<string>): void {
      if (!socket.isOpen) return;
      const statuses = status === 'READ' ? ['ACCEPT', status] : [status];
      const byDialog = new Map<string, number[]>();
      for (const id of ids) {
        // READ implies delivery: no separate ACCEPT for these.
        pendingAccept.delete(id);
        const parsed = parseMessageId(id);
        if (!parsed || covered.has(status + id)) continue;
        for (const s of statuses) covered.add(s + id);
        const { dialogId, sequence } = parsed;
        byDialog.set(dialogId, [...(byDialog.get(dialogId) ?? []), sequence]);
      }
      for (const [dialogId, sequences] of byDialog) {
        const uncover = (): void => {
          for (const s of sequences) for (const covering of statuses) covered.delete(covering + messageId(dialogId, s));
        };
        const conversation = { conversationId: dialogConversation.get(dialogId) ?? dialogId, mainDialogId: dialogId };
        publish(conversation, acceptStatusEvent(status, sequences.sort((a, b) => a - b))).then((response) => {
          if (response.code !== 200) uncover();
        }, uncover);
      }
    }

    // ------------------------------------------------------------------------------------------
    // Outbound

    function chatState(conversation: Conversation, state: 'COMPOSING' | 'ACTIVE'): void {
      publish(conversation, { type: 'ChatStateEvent', chatState: state }).catch(noop);
    }

    function stopComposing(conversation: Conversation): void {
      if (!composing) return;
      composing = false;
      chatState(conversation, 'ACTIVE');
    }

    function typing(on: boolean): void {
      const conversation = current;
      // Once ended, the chat state fails quietly on the closed socket.
      if (!conversation) return;
      if (!on) return stopComposing(conversation);
      const now = localNow();
      if (now - lastComposingAt < composingThrottleMs) return;
      lastComposingAt = now;
      composing = true;
      chatState(conversation, 'COMPOSING');
    }

    function ensureConversation(): Promise<Conversation> {
      if (current) return Promise.resolve(current);
      return (creating ??= createConversation().finally(() => {
        creating = undefined;
      }));
    }

    async function createConversation(): Promise<Conversation> {
      const response = await socket.request(REQUEST_CONVERSATION, { channelType: 'MESSAGING', brandId: account, skillId: '-1' });
      if (current) return current;
      if (response.code !== 200) {
        // LivePerson refuses a second open conversation (another tab may have opened one): follow
        // the one that is open (§5.3 [GC]); with none, the refusal stands.
        const open = pickConversation(await openConversations());
        if (open) return current ?? attach(open);
      }
      const id = str(field(ok(response, REQUEST_CONVERSATION, 'conversation-unavailable').body, 'conversationId'));
      if (!id) throw new GuestChatError('bad-server-data', `${REQUEST_CONVERSATION} returned no conversationId`);
      // The MAIN dialog id is the conversation id (§5.5); the UPSERT that follows says the same.
      return attach({ conversationId: id, mainDialogId: id, agentIds: [] });
    }

    /**
     * A quick reply with `click.metadata` is answered with an ACTION on the message it belongs to,
     * carrying that metadata (§5.12), before the text. Once per message; only on the dialog it
     * belongs to (after the conversation changed, the text alone goes out). A refused ACTION does
     * not stop the answer: the text is what the agent needs.
     */
    async function publishAction(conversation: Conversation, replyTo: string, metadata: unknown[]): Promise<void> {
      const target = parseMessageId(replyTo);
      if (target?.dialogId !== conversation.mainDialogId) return;
      // Already answered: by this page, or found in the history (another tab, before a reload).
      const key = 'ACTION' + replyTo;
      if (actioned.has(key) || covered.has(key)) return;
      const response = await publish(conversation, acceptStatusEvent('ACTION', [target.sequence]), [...metadata]);
      if (response.code === 200) actioned.add(key);
    }

    const connection: Connection = {
      get conversationId() {
        return current?.conversationId;
      },

      // Once ended, every request here fails as `connection-lost` (the socket is closed).
      async send(text, clientId, replyTo) {
        let conversation = await ensureConversation();
        stopComposing(conversation);
        const metadata = replyTo?.metadata?.length ? replyTo.metadata : undefined;
        if (metadata) await publishAction(conversation, (replyTo as ReplyTo).messageId, metadata);
        const publishText = (): Promise<ResponseFrame> =>
          publish(conversation, { type: 'ContentEvent', contentType: 'text/plain', message: text }, publishMetadata(clientId, metadata));
        let response = await publishText();
        if (isGone(response)) {
          // The conversation may have ended under us (an agent closed it while the visitor typed):
          // check, and if so send into a new one.
          if (current === conversation) {
            // (Read before `conversation` changes below.)
            if ((await openConversations()).some((c) => c.conversationId === conversation.conversationId)) ok(response, PUBLISH);
            over(conversation, 'system');
          }
          conversation = await ensureConversation();
          response = await publishText();
        }
        // A publish answered 5xx or 429 is tried again after 5 and 10 s (LivePerson's advice: 5xx →
        // 5, 10, 15 s; 429 → at least 1 s), then reported. Before each new attempt the echoes are
        // checked: a publish the server stored despite its error answer is not sent twice.
        for (const wait of [5_000, 10_000]) {
          const { code } = response;
          if (code !== 429 && (code < 500 || code >= 600)) break;
          await new Promise((resolve) => setTimeout(resolve, wait));
          if (ended) throw closedError();
          const storedId = stored.get(clientId);
          if (storedId) return { id: storedId, at: clock.now() };
          response = await publishText();
        }
        const sequence = field(ok(response, PUBLISH).body, 'sequence');
        if (!isSequence(sequence)) throw new GuestChatError('bad-server-data', `${PUBLISH} returned no sequence`);
        const id = messageId(conversation.mainDialogId, sequence);
        covered.add('READ' + id); // our own: never READ by us
        return { id, at: clock.now() };
      },

      typing,
      markRead: (ids) => publishStatus('READ', ids),

      async endConversation() {
        const conversation = current;
        if (!conversation) return;
        await update(conversation.conversationId, { field: 'ConversationStateField', conversationState: 'CLOSE' });
        over(conversation, 'visitor');
      },

      /**
       * Legacy CSAT (§5.11) for a conversation that has just ended: works on the same socket after
       * `conversation-closed`. LivePerson takes one rating, for the consumer's closed conversation
       * only; anything else is refused (`request-refused`). `score` is 1-5 by its type: the
       * session passes the survey button's score.
       */
      async rate(conversationId, score) {
        // Legacy CSAT after close: one score, the resolution confirmed, the survey filled.
        await update(conversationId, { field: 'CSATRate', csatRate: score, csatResolutionConfirmation: true, status: 'FILLED' });
      },

      close,
    };

    async function update(conversationId: string, conversationField: JsonObject): Promise<void> {
      ok(await socket.request(UPDATE, { conversationId, conversationField }), UPDATE);
    }

    function close(): void {
      if (ended) return;
      flushAccepts();
      // Our own close: what still waits for a profile is not delivered (the next connection
      // replays it from the session's cursor).
      backlog.length = 0;
      end(closedError());
      socket.close();
    }

    /** The connection ended: what the backlog still holds goes out, timers stop, a snapshot wait fails. */
    function end(error: GuestChatError): void {
      ended = true;
      clearInterval(keepAliveTimer);
      clearTimeout(acceptTimer);
      clearTimeout(hold);
      hold = undefined;
      drain();
      snapshot?.(error);
    }

    try {
      socket = await openSocket(messagingSocketUrl(messaging, account), options.createSocket, requestTimeoutMs, {
        notification: handleNotification,
        protocolError: (error) => emit({ type: 'protocol-error', error }),
        closed: handleClosed,
      });
    } catch (error) {
      hosts.markStale(); // ask the Domain API again next time; the last answer stays as fallback
      throw startFailure(error);
    }
    try {
      await start();
    } catch (error) {
      close();
      throw startFailure(error);
    }
    return connection;
  }

  return { connect, retryDelayMs: (attempt) => reconnectDelayMs(attempt, options.random) };
}
