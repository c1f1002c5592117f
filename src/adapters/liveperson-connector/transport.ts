/**
 * The broker `Transport`: REST calls to the brand's broker plus one event stream per tab
 * (src/broker/README.md, "Browser API").
 *
 * connect: `GET /v1/conversations/open` → attach to the resumed conversation if it is still the
 * open one, else to the open one (a resumed conversation that is no longer open is reported
 * closed) → `GET /v1/events` from the last event id this page handled, or from `0` (everything
 * the broker retains: the history after a reload). A resumed stream repeats nothing; a replay is
 * de-duplicated by message id.
 *
 * Routing: the stream carries every event of the visitor, whatever the conversation (a replay
 * from `0` holds closed conversations too). Only the attached conversation's events reach the
 * session. Events of a conversation neither attached nor known closed are held back: they may
 * belong to a conversation being created (its first events can beat the create answer) or opened
 * in another tab, and are replayed, in order, if it is attached.
 */
import { GuestChatError, toGuestChatError } from '../../errors.ts';
import type { AccessToken, Clock, Connection, ResumePoint, Transport, TransportEvent } from '../types.ts';
import { retryDelayMs } from '../backoff.ts';
import { badData, field } from '../http.ts';
import { createReceiptBatch } from '../receipts.ts';
import { watchStream, type StreamWatch } from '../sse.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS, answerError, brokerError, callBroker, isSuccess, isTransient, type FetchLike, type HttpAnswer } from './http.ts';
import { parseStreamMessage, sequencesOf, type ConversationEvent } from './mapping.ts';
import { isBrokerClientId, readCreatedConversation, readOpenConversation, readSendResult, routes } from './protocol.ts';
import { openEventStream, type EventSourceMessage } from './stream.ts';

export interface TransportTimings {
  requestTimeoutMs: number;
  /** No bytes on the stream for this long (keep-alives come every 15 s) → reconnect. */
  stallMs: number;
  /** Delivery acknowledgements of messages arriving together go out in one request. */
  ackBatchMs: number;
  /** A visitor who keeps typing re-announces it at most this often. */
  composingThrottleMs: number;
  /** Events of an unknown conversation wait this long before the broker is asked about it (a replay settles first). */
  askDelayMs: number;
  /** Attempts at one write before giving up on 429 / 5xx / no answer. */
  writeAttempts: number;
  /** Longest wait between two attempts, Retry-After included. */
  maxRetryWaitMs: number;
}

export const DEFAULT_TIMINGS: TransportTimings = {
  requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
  stallMs: 45_000,
  ackBatchMs: 300,
  composingThrottleMs: 5_000,
  askDelayMs: 250,
  writeAttempts: 4,
  maxRetryWaitMs: 30_000,
};

export interface ConnectorTransportOptions {
  brokerUrl: string;
  clock: Clock;
  fetch: FetchLike;
  random?: () => number;
  /** Local wall clock (throttles). */
  localNow?: () => number;
  sleep?: (ms: number) => Promise<void>;
  timings?: Partial<TransportTimings>;
}

/** Held events per unknown conversation, and unknown conversations held, at most. */
const HELD_PER_CONVERSATION = 500;
const HELD_CONVERSATIONS = 20;

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const closedError = (): GuestChatError => new GuestChatError('connection-lost', 'Connection closed');

/** The code of the broker's error body, when it has one. */
const codeOf = (answer: HttpAnswer): string | undefined => field(brokerError(answer), 'code');

/** Any failure of connect(), as a reason the session acts on. */
function connectFailure(error: unknown): GuestChatError {
  const failure = toGuestChatError(error, 'connection-lost');
  if (failure.status === 401 && failure.reason !== 'auth-rejected') {
    return new GuestChatError('auth-rejected', failure.message, { status: 401, cause: failure });
  }
  return failure;
}

export function createConnectorTransport(options: ConnectorTransportOptions): Transport {
  const { clock, fetch: fetchFn, random } = options;
  const timings: TransportTimings = { ...DEFAULT_TIMINGS, ...options.timings };
  const timeoutMs = timings.requestTimeoutMs;
  const localNow = options.localNow ?? Date.now;
  const to = routes(options.brokerUrl);

  // What this transport remembers across its connections (page lifetime).
  /** The conversation the session is shown. */
  let attached: string | undefined;
  /** Conversations known closed (reported once, if they were ours to report). */
  const closed = new Set<string>();
  /** Message ids already handed to the session. */
  const seen = new Set<string>();
  /** `conversationId:agentId` already announced. */
  const agents = new Set<string>();
  /** Ids of the visitor's own messages: never acknowledged or marked read by us. */
  const own = new Set<string>();
  /** Agent message ids the visitor has read (here, in another tab, or before a reload). */
  const read = new Set<string>();
  /** Events (with their cursor) of conversations neither attached nor known closed, in arrival order. */
  const held = new Map<string, Array<[ConversationEvent, string]>>();
  /** Unknown conversations the broker was already asked about. */
  const asked = new Set<string>();
  /** The last stream event id handled, per visitor (stream ids are per visitor). */
  const lastEventIds = new Map<string, string>();
  /** The connection whose stream is live: at most one per tab. */
  let live: Connection | undefined;

  async function open(access: AccessToken, resume: ResumePoint | undefined, onEvent: (event: TransportEvent) => void): Promise<Connection> {
    const { subject, token } = access;
    const abort = new AbortController();
    let ready = false;
    let ended = false;
    let watch: StreamWatch | undefined;
    let askTimer: ReturnType<typeof setTimeout> | undefined;
    /** A reason to ask came (again) since the last ask began. */
    let askPending = false;
    let forceAsk = false;
    let creating: Promise<string> | undefined;
    const acknowledged = new Set<string>();
    let composing = false;
    let lastComposingAt = Number.NEGATIVE_INFINITY;

    // ----------------------------------------------------------------------------------------
    // Events out

    const emit = (event: TransportEvent): void => {
      if (ended) return;
      try {
        onEvent(event);
      } catch {
        // A listener's failure must not break the connection's state.
      }
    };

    // ----------------------------------------------------------------------------------------
    // Routing

    /** One event of the attached conversation, for the session. */
    function apply(event: ConversationEvent, cursor: string): void {
      // The parser built the session's event already; only the conversation id is ours.
      const { conversationId, ...out } = event;
      switch (out.type) {
        case 'message': {
          const { id, from } = out.message;
          if (seen.has(id)) return;
          seen.add(id);
          if (from === 'visitor') own.add(id);
          emit({ ...out, cursor });
          if (from === 'agent') queueDelivery(conversationId, id);
          return;
        }
        case 'conversation': {
          if (out.state === 'CLOSE') return closeConversation(conversationId, out.closedBy);
          const key = `${conversationId}:${out.agentId}`;
          if (out.agentId !== undefined && !agents.has(key)) {
            agents.add(key);
            emit({ type: 'agent-joined' });
          }
          return;
        }
        case 'seen':
        case 'receipt':
          if (out.messageIds.length === 0) return;
          if (out.type === 'seen') for (const id of out.messageIds) read.add(id);
      }
      emit(out);
    }

    /** To the session when its conversation is attached, nowhere when it is closed, else held back. */
    function route(event: ConversationEvent, cursor: string): void {
      const { conversationId } = event;
      if (conversationId === attached) return apply(event, cursor);
      // A closed conversation's history (a replay from 0): not shown.
      if (closed.has(conversationId)) return;
      if (event.type === 'conversation' && event.state === 'CLOSE') {
        // Someone else's business now: it ended before we attached to it.
        closed.add(conversationId);
        held.delete(conversationId);
        return;
      }
      let list = held.get(conversationId);
      if (list === undefined) {
        if (held.size >= HELD_CONVERSATIONS) held.delete(held.keys().next().value!);
        held.set(conversationId, (list = []));
      }
      list.push([event, cursor]);
      if (list.length > HELD_PER_CONVERSATION) list.shift();
      if (!asked.has(conversationId)) scheduleAsk(false);
    }

    /** Attach to a conversation: tell the session, then replay what was held back of it. */
    function attachConversation(conversationId: string): void {
      if (attached === conversationId || closed.has(conversationId)) return;
      attached = conversationId;
      asked.add(conversationId);
      emit({ type: 'conversation-open', conversationId });
      const list = held.get(conversationId) ?? [];
      held.delete(conversationId);
      // A close among them detaches again; what follows it is not shown.
      for (const [event, cursor] of list) if (attached === conversationId) apply(event, cursor);
    }

    /** The conversation is over: report it once, and detach if it was attached. */
    function closeConversation(conversationId: string, by?: 'visitor' | 'agent' | 'system'): void {
      if (attached === conversationId) attached = undefined;
      held.delete(conversationId);
      if (closed.has(conversationId)) return;
      closed.add(conversationId);
      const event: TransportEvent = { type: 'conversation-closed', conversationId };
      if (by !== undefined) event.by = by;
      emit(event);
    }

    /** End this connection with one last event (none for our own close). */
    const finish = (last?: TransportEvent): void => {
      if (ended) return;
      // Acknowledgements still go out (they do not need the stream), unless the token is dead.
      deliveries.flush(last?.type === 'auth-expired');
      if (last !== undefined) emit(last);
      ended = true;
      abort.abort();
      watch?.stop();
      clearTimeout(askTimer);
      if (live === connection) live = undefined;
    };

    /** The visitor token was refused: stop; the session renews it and reconnects. */
    const authExpired = (): GuestChatError => {
      if (ready) finish({ type: 'auth-expired', code: 401 });
      return new GuestChatError('auth-rejected', 'Visitor token refused', { status: 401 });
    };

    // ----------------------------------------------------------------------------------------
    // REST

    const call = (method: 'GET' | 'POST', url: string, json?: unknown): Promise<HttpAnswer> =>
      callBroker(fetchFn, url, { method, token, timeoutMs, json });

    /** The visitor's open conversation according to the broker. */
    async function openConversation(): Promise<string | undefined> {
      const answer = await call('GET', to.open);
      if (!isSuccess(answer.status)) throw answerError(answer, 'Open conversation');
      const id = readOpenConversation(answer.body);
      if (id === undefined) throw badData('Bad open conversation');
      return id ?? undefined;
    }

    /**
     * A write that is safe to repeat (the broker publishes a clientId once; create answers the
     * open conversation): retried on 429 / 5xx / no answer, and while the same send is in flight
     * (409 `send-in-progress`: another tab, a resend). `settle` returns the answers the caller
     * handles itself.
     */
    async function write(what: string, url: string, json: unknown, settle: (answer: HttpAnswer) => boolean): Promise<HttpAnswer> {
      for (let attempt = 0; ; attempt++) {
        if (ended) throw closedError();
        let failure: GuestChatError;
        try {
          const answer = await call('POST', url, json);
          if (isSuccess(answer.status) || settle(answer)) return answer;
          if (answer.status === 401) throw authExpired();
          failure = answerError(answer, what, codeOf(answer) === 'send-in-progress' ? { 409: 'rate-limited' } : {});
        } catch (error) {
          failure = toGuestChatError(error, 'network');
        }
        if (!isTransient(failure) || attempt + 1 >= timings.writeAttempts) throw failure;
        await (options.sleep ?? defaultSleep)(Math.min(timings.maxRetryWaitMs, Math.max((failure.retryAfterSec ?? 0) * 1000, retryDelayMs(attempt, random))));
      }
    }

    /** Fire and forget: a refused token still ends the connection. */
    const post = (url: string, json: unknown): void => {
      if (ended) return;
      call('POST', url, json)
        .then((answer) => {
          if (answer.status === 401) authExpired();
        })
        .catch(() => {});
    };

    // ----------------------------------------------------------------------------------------
    // The stream

    const handleStreamEvent = (message: EventSourceMessage): void => {
      if (ended) return;
      const cursor = message.id || undefined;
      const event = parseStreamMessage(message, clock.now());
      switch (event.type) {
        case 'auth-expired':
          authExpired();
          return;
        case 'resync':
          // Events after our cursor were lost: what is open now is the broker's to say.
          emit({ type: 'protocol-error', error: new GuestChatError('connection-lost', 'Chat events were lost') });
          scheduleAsk(true);
          return;
        case 'ignored':
          break;
        case 'protocol-error':
          emit(event);
          break;
        default:
          route(event, cursor ?? lastEventIds.get(subject) ?? '0');
      }
      if (cursor !== undefined) lastEventIds.set(subject, cursor);
    };

    /**
     * Ask the broker which conversation is open, once a replay has settled: events of a
     * conversation we do not know arrived (opened in another tab), or events were lost (`force`).
     */
    function scheduleAsk(force: boolean): void {
      if (ended) return;
      forceAsk ||= force;
      askPending = true;
      // The timer stays set while an ask is under way: a reason arising meanwhile asks again after it.
      askTimer ??= setTimeout(ask, timings.askDelayMs);
    }

    async function ask(): Promise<void> {
      const forced = forceAsk;
      forceAsk = askPending = false;
      try {
        // While a conversation is being created its answer decides; an attached one is followed by its own events.
        if (ended || creating !== undefined || (attached !== undefined && !forced)) return;
        for (const id of held.keys()) asked.add(id);
        const open = await openConversation();
        if (ended || creating !== undefined) return;
        if (attached !== undefined && attached !== open) closeConversation(attached);
        if (open !== undefined && attached === undefined) attachConversation(open);
      } catch (error) {
        if (toGuestChatError(error).status === 401) authExpired();
      } finally {
        askTimer = undefined;
        if (askPending) scheduleAsk(false);
      }
    }

    // ----------------------------------------------------------------------------------------
    // Acknowledgements and typing

    const deliveries = createReceiptBatch(timings.ackBatchMs, (conversationId, batch) => {
      // The broker takes receipts for the open conversation only.
      if (conversationId !== attached) return;
      const ids = batch.filter((id) => !read.has(id) && !acknowledged.has(id));
      const sequences = sequencesOf(conversationId, ids);
      if (sequences.length === 0) return;
      for (const id of ids) acknowledged.add(id);
      post(to.of(conversationId, 'read'), { sequences, status: 'delivered' });
    });

    function queueDelivery(conversationId: string, id: string): void {
      if (!acknowledged.has(id) && !read.has(id)) deliveries.add(conversationId, id);
    }

    const stopComposing = (): void => {
      const conversationId = attached;
      if (!composing || conversationId === undefined) return;
      composing = false;
      lastComposingAt = Number.NEGATIVE_INFINITY;
      post(to.of(conversationId, 'typing'), { on: false });
    };

    // ----------------------------------------------------------------------------------------
    // Outbound

    async function createConversation(): Promise<string> {
      // Answers the visitor's open conversation if there is one (another tab may have opened it).
      const answer = await write('Create', to.conversations, {}, (a) => a.status === 409);
      if (!isSuccess(answer.status)) throw answerError(answer, 'Create', { 409: 'conversation-unavailable' });
      const id = readCreatedConversation(answer.body);
      if (id === undefined) throw badData('Bad create answer');
      if (closed.has(id)) throw new GuestChatError('conversation-unavailable', 'Created a closed conversation');
      // Its first events may have arrived already: they are replayed now, after conversation-open.
      if (attached !== id) {
        attached = undefined;
        attachConversation(id);
      }
      return id;
    }

    const ensureConversation = (): string | Promise<string> =>
      attached ??
      (creating ??= createConversation().finally(() => {
        creating = undefined;
      }));

    const connection: Connection = {
      get conversationId() {
        return attached;
      },

      async send(text, clientId) {
        if (ended) throw closedError();
        if (!isBrokerClientId(clientId)) throw new GuestChatError('request-refused', 'Bad message id');
        stopComposing();
        let conversationId = await ensureConversation();
        for (let fresh = false; ; fresh = true) {
          const answer = await write('Send', to.of(conversationId, 'messages'), { text, clientId }, (a) =>
            a.status === 404 || (a.status === 409 && codeOf(a) === 'conversation-closed'),
          );
          if (isSuccess(answer.status)) {
            const result = readSendResult(answer.body);
            if (result === undefined) throw badData('Bad send answer');
            own.add(result.id);
            return { id: result.id, at: result.at ?? clock.now() };
          }
          // Closed under us (an agent closed it while the visitor typed), or unknown to the broker:
          // over for us too; once more, in a new conversation.
          closeConversation(conversationId);
          if (fresh) throw answerError(answer, 'Send', { 404: 'conversation-unavailable', 409: 'conversation-unavailable' });
          conversationId = await ensureConversation();
        }
      },

      typing(on) {
        const conversationId = attached;
        if (ended || conversationId === undefined) return;
        if (!on) return stopComposing();
        const now = localNow();
        if (now - lastComposingAt < timings.composingThrottleMs) return;
        lastComposingAt = now;
        composing = true;
        post(to.of(conversationId, 'typing'), { on: true });
      },

      markRead(messageIds) {
        const conversationId = attached;
        if (ended || conversationId === undefined) return;
        const fresh = [...new Set(messageIds)].filter((id) => !own.has(id) && !read.has(id));
        const sequences = sequencesOf(conversationId, fresh);
        if (sequences.length === 0) return;
        for (const id of fresh) {
          read.add(id);
          // Read implies delivered: no separate acknowledgement for these.
          deliveries.remove(id);
        }
        post(to.of(conversationId, 'read'), { sequences, status: 'read' });
      },

      async endConversation() {
        const conversationId = attached;
        if (conversationId === undefined) return;
        if (ended) throw closedError();
        stopComposing();
        const answer = await call('POST', to.of(conversationId, 'close'));
        if (answer.status === 401) throw authExpired();
        // 404: unknown to the broker, so closed for us too.
        if (!isSuccess(answer.status) && answer.status !== 404) throw answerError(answer, 'Close');
        // The stream's close event for it, before or after this, is not reported again.
        closeConversation(conversationId, 'visitor');
      },

      /** Our own close: no event follows. */
      close: () => finish(),
    };
    live = connection;

    // ------------------------------------------------------------------------------------------
    // Start-up
    try {
      const openId = await openConversation();
      const target = openId !== undefined && !closed.has(openId) ? openId : undefined;
      // The conversation the session remembers ended while nobody listened.
      if (resume !== undefined && target !== resume.conversationId) closeConversation(resume.conversationId);
      // Attached afresh on every connection: the session hears conversation-open each time.
      attached = undefined;

      // From the last event this page handled; a page that has handled none replays all the
      // broker retains (the open conversation's history; closed ones are filtered out).
      const lastEventId = lastEventIds.get(subject) ?? (target === resume?.conversationId ? resume?.cursor : undefined) ?? '0';
      const stream = await openEventStream(fetchFn, { url: to.events, token, lastEventId, abort, openTimeoutMs: timeoutMs });
      if (target !== undefined) attachConversation(target);
      watch = watchStream(stream, abort, timings.stallMs, handleStreamEvent, (reason) => finish({ type: 'disconnected', reason }));
      watch.live();
      ready = true;
      return connection;
    } catch (error) {
      finish();
      throw error;
    }
  }

  return {
    async connect(access, resume, onEvent) {
      // One live stream per tab: the old one goes before a new one opens.
      live?.close();
      live = undefined;
      try {
        return await open(access, resume, onEvent);
      } catch (error) {
        throw connectFailure(error);
      }
    },
    retryDelayMs: (attempt) => retryDelayMs(attempt, random),
  };
}
