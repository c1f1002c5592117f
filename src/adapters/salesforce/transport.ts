/**
 * The Salesforce `Transport`: v2 REST calls plus one event stream per tab (contract §1–§3).
 *
 * connect: (continuation, once per stored token per page) → conversation list → stream open
 * from the cursor (headers received) → stored history of the attached conversation, merged with
 * what the stream sends meanwhile (held back until the history is out, then de-duplicated).
 */
import { GuestChatError, toGuestChatError } from '../../errors.ts';
import type { AccessToken, Clock, Connection, ResumePoint, SendReceipt, Transport, TransportEvent } from '../types.ts';
import { retryDelayMs } from '../backoff.ts';
import {
  DEFAULT_REQUEST_TIMEOUT_MS,
  answerError,
  callApi,
  isSuccess,
  isTransient,
  type FetchLike,
  type HttpAnswer,
} from './http.ts';
import { createMappingState, mapHistory, mapStreamEvent, type MappingState } from './mapping.ts';
import { tabTokenFor, type PageMemory, type TabToken } from './memory.ts';
import {
  acknowledgeBody,
  createConversationBody,
  isLowercaseUuid,
  isObject,
  newId,
  pickConversation,
  readConversationList,
  readSendTimestamp,
  readTokenAnswer,
  textMessageBody,
  typingBody,
  urls,
  type Deployment,
} from './protocol.ts';
import { openEventStream, type EventSourceMessage, type OpenStream } from './stream.ts';
import { TYPING_TIMINGS, TypingIndicator, type TypingTimings } from './typing.ts';

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

/** What this transport remembers across its connections (page lifetime). */
interface TransportMemory {
  /** Entry identifiers already handled. */
  seen: Set<string>;
  /** Conversations already reported closed. */
  closed: Set<string>;
  /** Conversations some connection of this page attached to. */
  attached: Set<string>;
  /** The connection whose stream is live: at most one per tab. */
  live: SfConnection | undefined;
}

interface ConnectionContext {
  options: SalesforceTransportOptions;
  timings: TransportTimings;
  memory: TransportMemory;
  tab: TabToken;
  onEvent: (event: TransportEvent) => void;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

class SfConnection implements Connection {
  readonly #ctx: ConnectionContext;

  readonly #state: MappingState;
  readonly #abort = new AbortController();
  readonly #typingIndicator: TypingIndicator;
  #ready = false;
  #ended = false;
  /** Set when the stream ended before the connection was ready: connect() fails with it. */
  #earlyEnd: GuestChatError | undefined;
  /** Stream events held back while the stored history is fetched. */
  #held: EventSourceMessage[] | undefined = [];
  /** The last stream `id:` handled (or the one we started from). */
  #cursor = '';
  #stallTimer: ReturnType<typeof setTimeout> | undefined;
  #creating: Promise<string> | undefined;
  readonly #pendingDelivery = new Map<string, Set<string>>();
  #deliveryTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #readAcked = new Set<string>();
  /** Identifiers of the visitor's own messages: never acknowledged by us (W14). */
  readonly #ownIds = new Set<string>();

  constructor(ctx: ConnectionContext) {
    this.#ctx = ctx;
    this.#state = createMappingState({ seen: ctx.memory.seen, closed: ctx.memory.closed });
    this.#typingIndicator = new TypingIndicator(
      (on) => this.#sendTyping(on),
      ctx.options.localNow ?? Date.now,
      ctx.timings.typing,
    );
  }

  get conversationId(): string | undefined {
    return this.#state.conversationId;
  }

  get #d(): Deployment {
    return this.#ctx.options.deployment;
  }

  #now(): number {
    return this.#ctx.options.clock.now();
  }

  // ------------------------------------------------------------------------------------------
  // Start-up (§1.2)

  async start(resume: ResumePoint | undefined): Promise<void> {
    const { tab } = this.#ctx;
    const list = await this.#listConversations();
    const target = pickConversation(list, resume?.conversationId);
    if (resume !== undefined && target !== resume.conversationId) {
      // The conversation the session remembers was closed while nobody listened.
      this.#reportClosed(resume.conversationId, undefined);
    }

    // The stream opens before the history is read, from a cursor taken before it: no gap.
    this.#cursor = resume?.cursor ?? tab.lastHandledId ?? tab.lastEventId ?? '';
    const stream = await openEventStream(this.#ctx.options.fetch, {
      url: urls.stream(this.#d, Date.now()),
      token: tab.token,
      orgId15: this.#d.orgId15,
      lastEventId: this.#cursor === '' ? undefined : this.#cursor,
      signal: this.#abort.signal,
      openTimeoutMs: this.#ctx.timings.requestTimeoutMs,
    });
    void this.#readStream(stream);

    if (target !== undefined) await this.#attachWithHistory(target);
    if (this.#earlyEnd !== undefined) throw this.#earlyEnd;

    const held = this.#held ?? [];
    this.#held = undefined;
    for (const event of held) this.#handleStreamEvent(event);
    if (this.#earlyEnd !== undefined) throw this.#earlyEnd;
    this.#ready = true;
    this.#armStallTimer();
  }

  async #listConversations() {
    const answer = await this.#api('GET', urls.conversations(this.#d), undefined, true);
    if (!isSuccess(answer.status)) throw answerError(answer, 'The conversation list');
    const list = readConversationList(answer.body);
    if (list === undefined) throw new GuestChatError('bad-server-data', 'The conversation list answer has no conversations');
    return list;
  }

  async #attachWithHistory(conversationId: string): Promise<void> {
    const reattached = this.#ctx.memory.attached.has(conversationId);
    this.#state.conversationId = conversationId;
    this.#ctx.memory.attached.add(conversationId);
    this.#emit({ type: 'conversation-open', conversationId });

    const entries = await this.#loadEntries(conversationId);
    if (entries === 'gone') {
      if (this.#state.conversationId === conversationId) this.#state.conversationId = undefined;
      this.#reportClosed(conversationId, undefined);
      return;
    }
    const history = mapHistory(entries, conversationId, this.#state, this.#now());
    for (const error of history.errors) this.#emit({ type: 'protocol-error', error });
    for (const message of history.messages) {
      if (message.from === 'visitor') this.#ownIds.add(message.id);
      // After a reload these were acknowledged before; after an in-page drop they are new arrivals.
      if (reattached && message.from === 'agent') this.#queueDelivery(conversationId, message.id);
      this.#emit({ type: 'message', message, cursor: this.#cursor });
    }
  }

  /** The newest entries, paging back until a short page or about `historyLimit` entries. */
  async #loadEntries(conversationId: string): Promise<unknown[] | 'gone'> {
    const all: unknown[] = [];
    let end: number | undefined;
    while (all.length < this.#ctx.timings.historyLimit) {
      const answer = await this.#api('GET', urls.entries(this.#d, conversationId, ENTRIES_PAGE, end), undefined, true);
      if (answer.status === 404) return 'gone';
      if (!isSuccess(answer.status)) throw answerError(answer, 'The conversation entries');
      const page = isObject(answer.body) ? answer.body['conversationEntries'] : undefined;
      if (!Array.isArray(page)) throw new GuestChatError('bad-server-data', 'The entries answer has no conversationEntries');
      all.push(...page);
      if (page.length < ENTRIES_PAGE) break;
      let oldest: number | undefined;
      for (const entry of page) {
        const at = isObject(entry) ? entry['transcriptedTimestamp'] : undefined;
        if (typeof at === 'number' && (oldest === undefined || at < oldest)) oldest = at;
      }
      // Bounds are inclusive: the next page repeats the oldest millisecond (de-duplicated later).
      if (oldest === undefined || oldest === end) break;
      end = oldest;
    }
    return all;
  }

  // ------------------------------------------------------------------------------------------
  // The stream

  async #readStream(stream: OpenStream): Promise<void> {
    let failure: unknown;
    try {
      await stream.read({
        onEvent: (event) => this.#handleStreamEvent(event),
        onBytes: () => this.#armStallTimer(),
      });
    } catch (error) {
      failure = error;
    }
    this.#streamEnded(failure === undefined ? 'end of stream' : 'network');
  }

  #handleStreamEvent(event: EventSourceMessage): void {
    if (this.#ended) return;
    if (this.#held !== undefined) {
      this.#held.push(event);
      return;
    }
    if (event.id !== undefined && event.id.length > 0) {
      this.#cursor = event.id;
      this.#ctx.tab.lastHandledId = event.id;
    }
    const before = this.#state.conversationId;
    const outcome = mapStreamEvent(event, this.#cursor, this.#state, this.#now());
    if (this.#state.conversationId !== before && this.#state.conversationId !== undefined) {
      this.#ctx.memory.attached.add(this.#state.conversationId);
    }
    if (before !== undefined && this.#state.conversationId === undefined) this.#typingIndicator.stop();
    for (const e of outcome.events) {
      if (e.type === 'message' && e.message.from === 'visitor') this.#ownIds.add(e.message.id);
      this.#emit(e);
    }
    if (outcome.delivered !== undefined) this.#queueDelivery(outcome.delivered.conversationId, outcome.delivered.entryId);
  }

  #armStallTimer(): void {
    if (this.#ended) return;
    clearTimeout(this.#stallTimer);
    this.#stallTimer = setTimeout(() => {
      // A silent stream may be dead without the network telling us: end it and reconnect.
      this.#abort.abort();
      this.#streamEnded('no data');
    }, this.#ctx.timings.stallMs);
  }

  #streamEnded(reason: string): void {
    if (this.#ended) return;
    if (!this.#ready) {
      this.#earlyEnd ??= new GuestChatError('connection-lost', `The event stream ended while connecting (${reason})`);
      return;
    }
    this.#finish({ type: 'disconnected', reason });
  }

  // ------------------------------------------------------------------------------------------
  // Events out

  #emit(event: TransportEvent): void {
    if (this.#ended) return;
    try {
      this.#ctx.onEvent(event);
    } catch {
      // A listener's failure must not break the connection's state.
    }
  }

  #reportClosed(conversationId: string, by: 'visitor' | 'agent' | 'system' | undefined): void {
    if (this.#state.closed.has(conversationId)) return;
    this.#state.closed.add(conversationId);
    const event: TransportEvent = { type: 'conversation-closed', conversationId };
    if (by !== undefined) event.by = by;
    this.#emit(event);
  }

  /** End this connection with one last event (none for our own close). */
  #finish(last: TransportEvent | undefined): void {
    if (this.#ended) return;
    // Acknowledgements still go out (they do not need the stream), unless the token is dead.
    if (last?.type === 'auth-expired') this.#pendingDelivery.clear();
    this.#flushDeliveries();
    if (last !== undefined) this.#emit(last);
    this.#ended = true;
    this.#abort.abort();
    clearTimeout(this.#stallTimer);
    this.#typingIndicator.dispose();
    if (this.#ctx.memory.live === this) this.#ctx.memory.live = undefined;
  }

  /** The token was refused (§1.3): stop, no reconnect with it. */
  #authExpired(status: number): GuestChatError {
    const error = new GuestChatError('auth-rejected', `The access token was refused (${status})`, { status });
    if (this.#ready) this.#finish({ type: 'auth-expired', code: status });
    return error;
  }

  // ------------------------------------------------------------------------------------------
  // REST

  #api(method: 'GET' | 'POST' | 'DELETE', url: string, json: unknown, readBody = false): Promise<HttpAnswer> {
    const request = { method, token: this.#ctx.tab.token, timeoutMs: this.#ctx.timings.requestTimeoutMs, readBody };
    return callApi(this.#ctx.options.fetch, url, json === undefined ? request : { ...request, json });
  }

  /** A write that is safe to repeat (client-generated ids): retried on 429 / 5xx / network. */
  async #write(what: string, attemptOnce: () => Promise<HttpAnswer>, accept: (answer: HttpAnswer) => boolean): Promise<HttpAnswer> {
    const { writeAttempts, maxRetryWaitMs } = this.#ctx.timings;
    for (let attempt = 0; ; attempt++) {
      if (this.#ended) throw new GuestChatError('connection-lost', 'The connection is closed');
      let failure: GuestChatError;
      try {
        const answer = await attemptOnce();
        if (isSuccess(answer.status) || accept(answer)) return answer;
        if (answer.status === 401 || answer.status === 403) throw this.#authExpired(answer.status);
        failure = answerError(answer, what);
      } catch (error) {
        failure = toGuestChatError(error, 'network');
      }
      if (!isTransient(failure) || attempt + 1 >= writeAttempts) throw failure;
      const asked = failure.retryAfterSec === undefined ? undefined : failure.retryAfterSec * 1000;
      const wait = Math.min(maxRetryWaitMs, asked ?? retryDelayMs(attempt, this.#ctx.options.random));
      await (this.#ctx.options.sleep ?? defaultSleep)(wait);
    }
  }

  /** Fire and forget: a refused token still ends the connection. */
  #post(url: string, json: unknown): void {
    if (this.#ended) return;
    this.#api('POST', url, json)
      .then((answer) => {
        if (answer.status === 401 || answer.status === 403) this.#authExpired(answer.status);
      })
      .catch(() => {});
  }

  // ------------------------------------------------------------------------------------------
  // Outbound

  /**
   * A quick-reply answer (a `ChoicesMessage` option) is sent as plain text too: the first version
   * sends no `ChoicesResponseMessage` (§2.8), so the session's `replyTo` is not needed here.
   * There is no `rate`: Salesforce's public v2 API has no post-chat survey.
   */
  async send(text: string, clientId: string): Promise<SendReceipt> {
    if (this.#ended) throw new GuestChatError('connection-lost', 'The connection is closed');
    // The message id is the client id (W3, §2.8): the echo carries it, a repeat is a no-op.
    const id = isLowercaseUuid(clientId) ? clientId : newId();
    this.#typingIndicator.stop();
    const conversationId = await this.#ensureConversation();
    this.#ownIds.add(id);
    let newSession = false;
    for (;;) {
      const answer = await this.#write(
        'Sending the message',
        () => this.#api('POST', urls.message(this.#d, conversationId), textMessageBody(this.#d, id, text, newSession), true),
        (a) => a.status === 404 || a.status === 417,
      );
      if (isSuccess(answer.status)) return { id, at: readSendTimestamp(answer.body) ?? this.#now() };
      if (answer.status === 417 && !newSession) {
        // The messaging session ended (§1.1 step 7): once more, same id, in a new session.
        newSession = true;
        continue;
      }
      if (answer.status === 404) {
        if (this.#state.conversationId === conversationId) this.#state.conversationId = undefined;
        this.#reportClosed(conversationId, undefined);
        throw new GuestChatError('conversation-unavailable', 'The conversation no longer exists', { status: 404 });
      }
      throw answerError(answer, 'Sending the message');
    }
  }

  #ensureConversation(): Promise<string> {
    if (this.#state.conversationId !== undefined) return Promise.resolve(this.#state.conversationId);
    this.#creating ??= this.#createConversation().finally(() => {
      this.#creating = undefined;
    });
    return this.#creating;
  }

  async #createConversation(): Promise<string> {
    const id = newId();
    this.#state.creatingId = id;
    try {
      // A retry with the same id that finds it already made (409) made it (§2.0).
      await this.#write(
        'Creating the conversation',
        () => this.#api('POST', urls.createConversation(this.#d), createConversationBody(this.#d, id)),
        (a) => a.status === 409,
      );
    } finally {
      if (this.#state.creatingId === id) this.#state.creatingId = undefined;
    }
    this.#ctx.memory.attached.add(id);
    // Its first events may have attached us already (they can beat the answer).
    if (this.#state.conversationId !== id) {
      this.#state.conversationId = id;
      this.#emit({ type: 'conversation-open', conversationId: id });
    }
    return id;
  }

  typing(on: boolean): void {
    if (this.#ended) return;
    if (!on) this.#typingIndicator.stop();
    else if (this.#state.conversationId !== undefined) this.#typingIndicator.keystroke();
  }

  #sendTyping(on: boolean): void {
    const conversationId = this.#state.conversationId;
    if (conversationId !== undefined) this.#post(urls.entry(this.#d, conversationId), typingBody(on));
  }

  markRead(messageIds: string[]): void {
    const conversationId = this.#state.conversationId;
    if (this.#ended || conversationId === undefined) return;
    const fresh = [...new Set(messageIds)].filter((id) => !this.#ownIds.has(id) && !this.#readAcked.has(id));
    if (fresh.length === 0) return;
    for (const id of fresh) {
      this.#readAcked.add(id);
      // Read implies delivered: no separate Delivery for these.
      for (const batch of this.#pendingDelivery.values()) batch.delete(id);
    }
    this.#post(urls.acknowledge(this.#d, conversationId), acknowledgeBody('Read', fresh));
  }

  #queueDelivery(conversationId: string, entryId: string): void {
    if (this.#readAcked.has(entryId)) return;
    let batch = this.#pendingDelivery.get(conversationId);
    if (batch === undefined) {
      batch = new Set();
      this.#pendingDelivery.set(conversationId, batch);
    }
    batch.add(entryId);
    this.#deliveryTimer ??= setTimeout(() => this.#flushDeliveries(), this.#ctx.timings.ackBatchMs);
  }

  #flushDeliveries(): void {
    clearTimeout(this.#deliveryTimer);
    this.#deliveryTimer = undefined;
    for (const [conversationId, batch] of this.#pendingDelivery) {
      const ids = [...batch].filter((id) => !this.#readAcked.has(id));
      if (ids.length > 0) this.#post(urls.acknowledge(this.#d, conversationId), acknowledgeBody('Delivery', ids));
    }
    this.#pendingDelivery.clear();
  }

  async endConversation(): Promise<void> {
    const conversationId = this.#state.conversationId;
    if (conversationId === undefined) return;
    if (this.#ended) throw new GuestChatError('connection-lost', 'The connection is closed');
    this.#typingIndicator.stop();
    const answer = await this.#api('DELETE', urls.closeConversation(this.#d, conversationId), undefined);
    if (answer.status === 401 || answer.status === 403) throw this.#authExpired(answer.status);
    // 404: unknown on the server, so closed for us too.
    if (!isSuccess(answer.status) && answer.status !== 404) throw answerError(answer, 'Closing the conversation');
    if (this.#state.conversationId === conversationId) this.#state.conversationId = undefined;
    // The stream's close event for it, before or after this, is not reported again.
    this.#reportClosed(conversationId, 'visitor');
  }

  /** Our own close: no event follows. */
  close(): void {
    this.#finish(undefined);
  }

}

/** Any failure of connect(), as a reason the session acts on. */
function connectFailure(error: unknown): GuestChatError {
  const failure = toGuestChatError(error, 'connection-lost');
  if (failure.status === 401 && failure.reason !== 'auth-rejected') {
    return new GuestChatError('auth-rejected', failure.message, { status: 401, cause: failure });
  }
  return failure;
}

export function createSalesforceTransport(options: SalesforceTransportOptions): Transport {
  const timings: TransportTimings = { ...DEFAULT_TIMINGS, ...options.timings };
  const memory: TransportMemory = { seen: new Set(), closed: new Set(), attached: new Set(), live: undefined };

  /** §2.2: a per-tab token for the same identity, and the event-log head to start from. */
  async function takeContinuation(storedToken: string): Promise<TabToken> {
    const answer = await callApi(options.fetch, urls.continuation(options.deployment), {
      method: 'GET',
      token: storedToken,
      timeoutMs: timings.requestTimeoutMs,
      readBody: true,
    });
    if (!isSuccess(answer.status)) throw answerError(answer, 'The continuation token request');
    const token = readTokenAnswer(answer.body);
    if (token === undefined) throw new GuestChatError('bad-server-data', 'The continuation answer has no accessToken');
    return { token: token.accessToken, lastEventId: token.lastEventId };
  }

  return {
    async connect(access: AccessToken, resume: ResumePoint | undefined, onEvent: (event: TransportEvent) => void) {
      // One live stream per tab: the old one goes before a new one opens.
      memory.live?.close();
      memory.live = undefined;
      let connection: SfConnection | undefined;
      try {
        const tab = await tabTokenFor(options.memory, access.token, () => takeContinuation(access.token));
        connection = new SfConnection({ options, timings, memory, tab, onEvent });
        memory.live = connection;
        await connection.start(resume);
        return connection;
      } catch (error) {
        connection?.close();
        throw connectFailure(error);
      }
    },
    retryDelayMs: (attempt) => retryDelayMs(attempt, options.random),
  };
}
