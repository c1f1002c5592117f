/**
 * The Salesforce `Transport`: v2 REST calls plus one event stream per tab (contract §1–§3).
 *
 * connect: (continuation, once per stored token per page) → conversation list → stream open
 * from the cursor (headers received) → stored history of the attached conversation, merged with
 * what the stream sends meanwhile (held back until the history is out, then de-duplicated).
 */
import { GuestChatError, toGuestChatError } from '../../errors.ts';
import type { ChatMessage, Clock, Connection, ResumePoint, Transport, TransportEvent } from '../types.ts';
import { retryDelayMs } from '../backoff.ts';
import { get, num } from '../http.ts';
import { createReceiptBatch } from '../receipts.ts';
import { watchStream, type StreamWatch } from '../sse.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS, answerError, bodyOf, callApi, isSuccess, isTransient, type FetchLike, type HttpAnswer } from './http.ts';
import { createMappingState, mapHistory, mapStreamEvent } from './mapping.ts';
import { tabTokenFor, type PageMemory, type TabToken } from './memory.ts';
import {
  acknowledgeBody,
  arrayIn,
  createConversationBody,
  isLowercaseUuid,
  newId,
  pickConversation,
  readSendTimestamp,
  readTokenAnswer,
  textMessageBody,
  typingBody,
  routes,
  type Deployment,
} from './protocol.ts';
import { openEventStream, type EventSourceMessage } from './stream.ts';
import { TYPING_TIMINGS, createTypingIndicator, type TypingTimings } from './typing.ts';

export interface TransportTimings {
  requestTimeoutMs: number;
  /** No bytes on the stream for this long (pings come every 15 s) → reconnect (§3.6). */
  stallMs: number;
  /** Delivery acknowledgements of messages arriving together go out in one request. */
  ackBatchMs: number;
  /** Stop paging back through a conversation's entries after about this many. */
  historyLimit: number;
  /** Attempts at one REST write before giving up on 429 / 5xx / network. */
  writeAttempts: number;
  /** Longest wait between two attempts, Retry-After included. */
  maxRetryWaitMs: number;
  typing: TypingTimings;
}

export const DEFAULT_TIMINGS: TransportTimings = {
  requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
  stallMs: 45_000,
  ackBatchMs: 300,
  historyLimit: 200,
  writeAttempts: 4,
  maxRetryWaitMs: 30_000,
  typing: TYPING_TIMINGS,
};

/** The most entries one page of §2.7 returns. */
const ENTRIES_PAGE = 50;

export interface SalesforceTransportOptions {
  deployment: Deployment;
  clock: Clock;
  fetch: FetchLike;
  memory: PageMemory;
  random?: () => number;
  /** Local wall clock (throttles). */
  localNow?: () => number;
  sleep?: (ms: number) => Promise<void>;
  timings?: Partial<TransportTimings>;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const closedError = (): GuestChatError => new GuestChatError('connection-lost', 'The connection is closed');

export function createSalesforceTransport(options: SalesforceTransportOptions): Transport {
  const { deployment: d, clock, fetch: fetchFn, random } = options;
  const urls = routes(d);
  const timings: TransportTimings = { ...DEFAULT_TIMINGS, ...options.timings };
  const timeoutMs = timings.requestTimeoutMs;
  const now = (): number => clock.now();

  // What this transport remembers across its connections (page lifetime).
  /** Entry identifiers already handled. */
  const seen = new Set<string>();
  /** Conversations already reported closed. */
  const closed = new Set<string>();
  /** Conversations some connection of this page attached to. */
  const attached = new Set<string>();
  /** The connection whose stream is live: at most one per tab. */
  let live: Connection | undefined;

  /** §2.2: a per-tab token for the same identity, and the event-log head to start from. */
  async function takeContinuation(storedToken: string): Promise<TabToken> {
    const answer = await callApi(fetchFn, urls.continuation, { method: 'GET', token: storedToken, timeoutMs, readBody: true });
    return readTokenAnswer(bodyOf(answer, 'Continuation token'));
  }

  /** One connection: start-up (§1.2), then the stream, REST writes and acknowledgements. */
  async function open(tab: TabToken, resume: ResumePoint | undefined, onEvent: (event: TransportEvent) => void): Promise<Connection> {
    const state = createMappingState({ seen, closed });
    const abort = new AbortController();
    let ready = false;
    let ended = false;
    let watch: StreamWatch | undefined;
    /** Stream events held back while the stored history is fetched. */
    let held: EventSourceMessage[] | undefined = [];
    /** The last stream `id:` handled (or the one we started from). */
    let cursor = '';
    let creating: Promise<string> | undefined;
    const readAcked = new Set<string>();
    /** Identifiers of the visitor's own messages: never acknowledged by us (W14). */
    const ownIds = new Set<string>();

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

    /** The conversation is over (closed, gone): detach, and report it once. */
    const gone = (conversationId: string, by?: 'visitor'): void => {
      if (state.conversationId === conversationId) state.conversationId = undefined;
      if (closed.has(conversationId)) return;
      closed.add(conversationId);
      emit({ type: 'conversation-closed', conversationId, ...(by && { by }) });
    };

    /** Attach to a conversation, and say so. */
    const attach = (conversationId: string): void => {
      state.conversationId = conversationId;
      attached.add(conversationId);
      emit({ type: 'conversation-open', conversationId });
    };

    /** End this connection with one last event (none for our own close). */
    const finish = (last?: TransportEvent): void => {
      if (ended) return;
      // Acknowledgements still go out (they do not need the stream), unless the token is dead.
      deliveries.flush(last?.type === 'auth-expired');
      if (last !== undefined) emit(last);
      ended = true;
      abort.abort();
      watch?.stop();
      typing.dispose();
      if (live === connection) live = undefined;
    };

    // ----------------------------------------------------------------------------------------
    // REST

    /**
     * A call with this tab's token; the body of a 2xx answer is read for GET, and where asked.
     * 401/403: the token was refused (§1.3): once connected, the connection stops (no reconnect
     * with it); the call rejects with `auth-rejected`.
     */
    async function api(method: 'GET' | 'POST' | 'DELETE', url: string, json?: unknown, readBody = method === 'GET'): Promise<HttpAnswer> {
      const answer = await callApi(fetchFn, url, { method, token: tab.token, timeoutMs, json, readBody });
      const { status } = answer;
      if (status === 401 || status === 403) {
        if (ready) finish({ type: 'auth-expired', code: status });
        throw answerError(answer, 'Token');
      }
      return answer;
    }

    /**
     * A write that is safe to repeat (client-generated ids): retried on 429 / 5xx / network.
     * Resolves with a 2xx answer (its body read: both writes promise one, §2.3, §2.8) or one of
     * the `accepted` statuses.
     */
    async function write(what: string, url: string, json: unknown, accepted: number[]): Promise<HttpAnswer> {
      for (let attempt = 0; ; attempt++) {
        if (ended) throw closedError();
        let failure: GuestChatError;
        try {
          const answer = await api('POST', url, json, true);
          if (isSuccess(answer.status) || accepted.includes(answer.status)) return answer;
          failure = answerError(answer, what);
        } catch (error) {
          failure = toGuestChatError(error, 'network');
        }
        if (!isTransient(failure) || attempt + 1 >= timings.writeAttempts) throw failure;
        const asked = failure.retryAfterSec;
        await (options.sleep ?? defaultSleep)(Math.min(timings.maxRetryWaitMs, asked === undefined ? retryDelayMs(attempt, random) : asked * 1000));
      }
    }

    /** Fire and forget: a refused token still ends the connection. */
    const post = (url: string, json: unknown): void => {
      if (!ended) api('POST', url, json).catch(() => {});
    };

    // ----------------------------------------------------------------------------------------
    // Acknowledgements and typing

    const typing = createTypingIndicator(
      (on) => {
        const conversationId = state.conversationId;
        if (conversationId !== undefined) post(urls.entry(conversationId), typingBody(on));
      },
      options.localNow ?? Date.now,
      timings.typing,
    );

    const deliveries = createReceiptBatch(timings.ackBatchMs, (conversationId, batch) => {
      const ids = batch.filter((id) => !readAcked.has(id));
      if (ids.length > 0) post(urls.acknowledge(conversationId), acknowledgeBody('Delivery', ids));
    });
    const queueDelivery = (conversationId: string, entryId: string): void => {
      if (!readAcked.has(entryId)) deliveries.add(conversationId, entryId);
    };

    // ----------------------------------------------------------------------------------------
    // The stream

    /**
     * A message out. The visitor's own are remembered (never acknowledged, W14); an agent's or
     * bot's is acknowledged as delivered in `deliverIn`, when given.
     */
    const arrived = (message: ChatMessage, deliverIn: string | undefined): void => {
      if (message.from === 'visitor') ownIds.add(message.id);
      if (deliverIn !== undefined && message.from === 'agent') queueDelivery(deliverIn, message.id);
      emit({ type: 'message', message, cursor });
    };

    const handleStreamEvent = (event: EventSourceMessage): void => {
      if (ended) return;
      if (held !== undefined) {
        held.push(event);
        return;
      }
      if (event.id) {
        cursor = event.id;
        tab.lastHandledId = event.id;
      }
      for (const e of mapStreamEvent(event, cursor, state, now()).events) {
        if (e.type === 'message') arrived(e.message, state.conversationId);
        else {
          if (e.type === 'conversation-open') attached.add(e.conversationId);
          // Detached: the visitor no longer types into it.
          if (e.type === 'conversation-closed') typing.stop();
          emit(e);
        }
      }
    };

    // ----------------------------------------------------------------------------------------
    // Start-up (§1.2)

    /** The newest entries, paging back until a short page or about `historyLimit` entries. */
    async function loadEntries(conversationId: string): Promise<unknown[] | undefined> {
      const all: unknown[] = [];
      let end: number | undefined;
      while (all.length < timings.historyLimit) {
        const answer = await api('GET', urls.entries(conversationId, ENTRIES_PAGE, end));
        if (answer.status === 404) return undefined;
        const page = arrayIn(bodyOf(answer, 'Entries'), 'conversationEntries');
        all.push(...page);
        if (page.length < ENTRIES_PAGE) break;
        const oldest = Math.min(...page.map((entry) => num(get(entry, 'transcriptedTimestamp')) ?? Infinity));
        // Bounds are inclusive: the next page repeats the oldest millisecond (de-duplicated later).
        if (oldest === Infinity || oldest === end) break;
        end = oldest;
      }
      return all;
    }

    async function attachWithHistory(conversationId: string): Promise<void> {
      const reattached = attached.has(conversationId);
      attach(conversationId);

      const entries = await loadEntries(conversationId);
      if (entries === undefined) return gone(conversationId);
      const history = mapHistory(entries, conversationId, state, now());
      for (const error of history.errors) emit({ type: 'protocol-error', error });
      // After a reload these were acknowledged before; after an in-page drop they are new arrivals.
      for (const message of history.messages) arrived(message, reattached ? conversationId : undefined);
    }

    // ----------------------------------------------------------------------------------------
    // Outbound

    async function createConversation(): Promise<string> {
      const id = newId();
      state.creatingId = id;
      try {
        // A retry with the same id that finds it already made (409) made it (§2.0).
        await write('New conversation', urls.createConversation, createConversationBody(d, id), [409]);
      } finally {
        // One create at a time (send shares it).
        state.creatingId = undefined;
      }
      // Its first events may have attached us already (they can beat the answer).
      if (state.conversationId !== id) attach(id);
      return id;
    }

    const connection: Connection = {
      get conversationId() {
        return state.conversationId;
      },

      /**
       * A quick-reply answer (a `ChoicesMessage` option) is sent as plain text too: the first
       * version sends no `ChoicesResponseMessage` (§2.8), so the session's `replyTo` is not
       * needed here. There is no `rate`: Salesforce's public v2 API has no post-chat survey.
       */
      // After the end, write() refuses with `connection-lost`; typing is disposed then.
      async send(text, clientId) {
        // The message id is the client id (W3, §2.8): the echo carries it, a repeat is a no-op.
        const id = isLowercaseUuid(clientId) ? clientId : newId();
        typing.stop();
        const conversationId =
          state.conversationId ??
          (await (creating ??= createConversation().finally(() => {
            creating = undefined;
          })));
        ownIds.add(id);
        // 417: the messaging session ended (§1.1 step 7): once more, same id, in a new session;
        // a second 417 is an error.
        for (let newSession = false; ; newSession = true) {
          const { status, body } = await write(
            'Send',
            urls.message(conversationId),
            textMessageBody(d, id, text, newSession),
            newSession ? [404] : [404, 417],
          );
          if (status === 404) {
            gone(conversationId);
            throw new GuestChatError('conversation-unavailable', 'Conversation gone', { status });
          }
          if (status !== 417) return { id, at: readSendTimestamp(body) ?? now() };
        }
      },

      typing(on) {
        if (!on) typing.stop();
        else if (state.conversationId !== undefined) typing.keystroke();
      },

      markRead(messageIds) {
        const conversationId = state.conversationId;
        if (conversationId === undefined) return;
        // Each id once, marked as it is taken (a repeat in the list is then left out). Read
        // implies delivered: the delivery batch leaves these out.
        const fresh = messageIds.filter((id) => !ownIds.has(id) && !readAcked.has(id) && readAcked.add(id));
        if (fresh.length > 0) post(urls.acknowledge(conversationId), acknowledgeBody('Read', fresh));
      },

      async endConversation() {
        const conversationId = state.conversationId;
        if (conversationId === undefined) return;
        if (ended) throw closedError();
        typing.stop();
        const answer = await api('DELETE', urls.closeConversation(conversationId));
        // 404: unknown on the server, so closed for us too.
        if (!isSuccess(answer.status) && answer.status !== 404) throw answerError(answer, 'Close');
        // The stream's close event for it, before or after this, is not reported again.
        gone(conversationId, 'visitor');
      },

      /** Our own close: no event follows. */
      close: () => finish(),
    };
    live = connection;

    try {
      const target = pickConversation(bodyOf(await api('GET', urls.conversations), 'Conversation list'), resume?.conversationId);
      // The conversation the session remembers was closed while nobody listened.
      if (resume !== undefined && target !== resume.conversationId) gone(resume.conversationId);

      // The stream opens before the history is read, from a cursor taken before it: no gap.
      cursor = resume?.cursor ?? tab.lastHandledId ?? tab.lastEventId ?? '';
      const stream = await openEventStream(fetchFn, {
        url: urls.stream(Date.now()),
        token: tab.token,
        orgId15: d.orgId15,
        lastEventId: cursor,
        abort,
        openTimeoutMs: timeoutMs,
      });
      watch = watchStream(stream, abort, timings.stallMs, handleStreamEvent, (reason) => finish({ type: 'disconnected', reason }));
      if (target !== undefined) await attachWithHistory(target);
      // An end of the stream while the history loaded fails connect() here.
      watch.live();
      ready = true;
      const heldBack = held;
      held = undefined;
      for (const event of heldBack) handleStreamEvent(event);
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
      try {
        const tab = await tabTokenFor(options.memory, access.token, () => takeContinuation(access.token));
        return await open(tab, resume, onEvent);
      } catch (error) {
        // A 401 is already `auth-rejected` (answerError, authExpired): only the reason of a
        // failure that is not ours yet is chosen here.
        throw toGuestChatError(error, 'connection-lost');
      }
    },
    retryDelayMs: (attempt) => retryDelayMs(attempt, random),
  };
}
