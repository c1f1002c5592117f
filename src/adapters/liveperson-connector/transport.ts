/**
 * The broker `Transport`: REST calls to the brand's broker plus one event stream per tab
 * (src/broker/README.md, "Browser API").
 *
 * connect: `GET /v1/conversations/open` → attach to the resumed conversation if it is still the
 * open one, else to the open one (a resumed conversation that is no longer open is reported
 * closed) → `GET /v1/events` from the last event id this page handled, or from `0` (everything
 * the broker retains: the history after a reload). A resumed stream repeats nothing; a replay is
 * de-duplicated by message id.
 */
import { GuestChatError, toGuestChatError } from '../../errors.ts';
import type { AccessToken, Clock, Connection, ResumePoint, SendReceipt, Transport, TransportEvent } from '../types.ts';
import { retryDelayMs } from '../backoff.ts';
import { DEFAULT_REQUEST_TIMEOUT_MS, answerError, callBroker, isSuccess, isTransient, type FetchLike, type HttpAnswer } from './http.ts';
import {
  attachConversation,
  closeConversation,
  createMappingState,
  handleConversationEvent,
  parseStreamMessage,
  sequencesOf,
  type MappingState,
  type Outcome,
} from './mapping.ts';
import { isBrokerClientId, readCreatedConversation, readOpenConversation, readSendResult, urls } from './protocol.ts';
import { openEventStream, type EventSourceMessage, type OpenStream } from './stream.ts';

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

/** What this transport remembers across its connections (page lifetime). */
interface TransportMemory {
  state: MappingState;
  /** The last stream event id handled, per visitor (stream ids are per visitor). */
  lastEventId: Map<string, string>;
  /** The connection whose stream is live: at most one per tab. */
  live: BrokerConnection | undefined;
}

interface ConnectionContext {
  options: ConnectorTransportOptions;
  timings: TransportTimings;
  memory: TransportMemory;
  access: AccessToken;
  onEvent: (event: TransportEvent) => void;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** 409 `send-in-progress`: the same clientId is being published (another tab, a resend): wait and ask again. */
const SEND_IN_PROGRESS = 'send-in-progress';

class BrokerConnection implements Connection {
  readonly #ctx: ConnectionContext;

  readonly #abort = new AbortController();
  #ready = false;
  #ended = false;
  /** Set when the stream ended before the connection was ready: connect() fails with it. */
  #earlyEnd: GuestChatError | undefined;
  #stallTimer: ReturnType<typeof setTimeout> | undefined;
  #askTimer: ReturnType<typeof setTimeout> | undefined;
  #asking = false;
  #askPending = false;
  #forceAsk = false;
  #creating: Promise<string> | undefined;
  readonly #pendingDelivery = new Map<string, Set<string>>();
  #deliveryTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #acknowledged = new Set<string>();
  #composing = false;
  #lastComposingAt = Number.NEGATIVE_INFINITY;

  constructor(ctx: ConnectionContext) {
    this.#ctx = ctx;
  }

  get conversationId(): string | undefined {
    return this.#state.attached;
  }

  get #state(): MappingState {
    return this.#ctx.memory.state;
  }

  get #broker(): string {
    return this.#ctx.options.brokerUrl;
  }

  get #subject(): string {
    return this.#ctx.access.subject;
  }

  #localNow(): number {
    return (this.#ctx.options.localNow ?? Date.now)();
  }

  // ------------------------------------------------------------------------------------------
  // Start-up

  async start(resume: ResumePoint | undefined): Promise<void> {
    const open = await this.#openConversation();
    const target = open !== undefined && !this.#state.closed.has(open) ? open : undefined;
    if (resume !== undefined && target !== resume.conversationId) {
      // The conversation the session remembers ended while nobody listened.
      this.#emitAll(closeConversation(this.#state, resume.conversationId, undefined));
    }
    // Attached afresh on every connection: the session hears conversation-open each time.
    this.#state.attached = undefined;

    // From the last event this page handled; a page that has handled none replays all the
    // broker retains (the open conversation's history; closed ones are filtered out).
    const lastEventId = this.#ctx.memory.lastEventId.get(this.#subject) ?? (target === resume?.conversationId ? resume?.cursor : undefined) ?? '0';
    const stream = await openEventStream(this.#ctx.options.fetch, {
      url: urls.events(this.#broker),
      token: this.#ctx.access.token,
      lastEventId,
      signal: this.#abort.signal,
      openTimeoutMs: this.#ctx.timings.requestTimeoutMs,
    });
    if (target !== undefined) this.#emitAll(attachConversation(this.#state, target));
    void this.#readStream(stream);
    if (this.#earlyEnd !== undefined) throw this.#earlyEnd;
    this.#ready = true;
    this.#armStallTimer();
  }

  /** The visitor's open conversation according to the broker. */
  async #openConversation(): Promise<string | undefined> {
    const answer = await this.#call('GET', urls.openConversation(this.#broker), undefined);
    if (!isSuccess(answer.status)) throw answerError(answer, 'The open conversation request');
    const id = readOpenConversation(answer.body);
    if (id === undefined) throw new GuestChatError('bad-server-data', 'The open conversation answer has no conversationId');
    return id ?? undefined;
  }

  // ------------------------------------------------------------------------------------------
  // The stream

  async #readStream(stream: OpenStream): Promise<void> {
    let failure: unknown;
    try {
      await stream.read({ onEvent: (event) => this.#handleStreamEvent(event), onBytes: () => this.#armStallTimer() });
    } catch (error) {
      failure = error;
    }
    this.#streamEnded(failure === undefined ? 'end of stream' : 'network');
  }

  #handleStreamEvent(message: EventSourceMessage): void {
    if (this.#ended) return;
    const cursor = message.id !== undefined && message.id.length > 0 ? message.id : undefined;
    const event = parseStreamMessage(message, this.#ctx.options.clock.now());
    switch (event.kind) {
      case 'auth-expired':
        this.#authExpired(401);
        return;
      case 'resync':
        // Events after our cursor were lost: what is open now is the broker's to say.
        this.#emit({ type: 'protocol-error', error: new GuestChatError('connection-lost', 'Some chat events were lost while disconnected; earlier messages may be missing') });
        this.#scheduleAsk(true);
        return;
      case 'stream-error':
      case 'ignored':
        break;
      case 'invalid':
        this.#emit({ type: 'protocol-error', error: event.error });
        break;
      default: {
        const result = handleConversationEvent(this.#state, event, cursor ?? this.#ctx.memory.lastEventId.get(this.#subject) ?? '0');
        this.#emitAll(result);
        if (result.unknown !== undefined) this.#scheduleAsk(false);
      }
    }
    if (cursor !== undefined) this.#ctx.memory.lastEventId.set(this.#subject, cursor);
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

  /**
   * Ask the broker which conversation is open, once a replay has settled: events of a
   * conversation we do not know arrived (opened in another tab), or events were lost (`force`).
   */
  #scheduleAsk(force: boolean): void {
    if (this.#ended) return;
    if (force) this.#forceAsk = true;
    if (this.#asking) {
      this.#askPending = true;
      return;
    }
    this.#askTimer ??= setTimeout(() => {
      this.#askTimer = undefined;
      void this.#ask();
    }, this.#ctx.timings.askDelayMs);
  }

  async #ask(): Promise<void> {
    const forced = this.#forceAsk;
    this.#forceAsk = false;
    // While a conversation is being created its answer decides; an attached one is followed by its own events.
    if (this.#ended || this.#creating !== undefined || (this.#state.attached !== undefined && !forced)) return;
    this.#asking = true;
    for (const id of this.#state.held.keys()) this.#state.asked.add(id);
    try {
      const open = await this.#openConversation();
      if (this.#ended || this.#creating !== undefined) return;
      const attached = this.#state.attached;
      if (attached !== undefined && attached !== open) this.#emitAll(closeConversation(this.#state, attached, undefined));
      if (open !== undefined && this.#state.attached === undefined) this.#emitAll(attachConversation(this.#state, open));
    } catch (error) {
      if (toGuestChatError(error).status === 401) this.#authExpired(401);
    } finally {
      this.#asking = false;
      if (this.#askPending) {
        this.#askPending = false;
        this.#scheduleAsk(false);
      }
    }
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

  #emitAll(result: Outcome): void {
    for (const event of result.events) this.#emit(event);
    for (const { conversationId, id } of result.delivered) this.#queueDelivery(conversationId, id);
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
    clearTimeout(this.#askTimer);
    clearTimeout(this.#deliveryTimer);
    if (this.#ctx.memory.live === this) this.#ctx.memory.live = undefined;
  }

  /** The visitor token was refused: stop; the session renews it and reconnects. */
  #authExpired(status: number): GuestChatError {
    const error = new GuestChatError('auth-rejected', `The broker refused the visitor token (${status})`, { status });
    if (this.#ready) this.#finish({ type: 'auth-expired', code: status });
    else this.#earlyEnd ??= error;
    return error;
  }

  // ------------------------------------------------------------------------------------------
  // REST

  #call(method: 'GET' | 'POST', url: string, json: unknown): Promise<HttpAnswer> {
    const request = { method, token: this.#ctx.access.token, timeoutMs: this.#ctx.timings.requestTimeoutMs };
    return callBroker(this.#ctx.options.fetch, url, json === undefined ? request : { ...request, json });
  }

  /**
   * A write that is safe to repeat (the broker publishes a clientId once; create answers the
   * open conversation): retried on 429 / 5xx / no answer, and while the same send is in flight.
   * `settle` returns the answers the caller handles itself.
   */
  async #write(what: string, url: string, json: unknown, settle: (answer: HttpAnswer) => boolean): Promise<HttpAnswer> {
    const { writeAttempts, maxRetryWaitMs } = this.#ctx.timings;
    for (let attempt = 0; ; attempt++) {
      if (this.#ended) throw new GuestChatError('connection-lost', 'The connection is closed');
      let failure: GuestChatError;
      try {
        const answer = await this.#call('POST', url, json);
        if (isSuccess(answer.status) || settle(answer)) return answer;
        if (answer.status === 401) throw this.#authExpired(401);
        failure = answerError(answer, what, answer.status === 409 && answerCode(answer) === SEND_IN_PROGRESS ? { 409: 'rate-limited' } : {});
      } catch (error) {
        failure = toGuestChatError(error, 'network');
      }
      if (!isTransient(failure) || attempt + 1 >= writeAttempts) throw failure;
      const asked = failure.retryAfterSec === undefined ? undefined : failure.retryAfterSec * 1000;
      const wait = Math.min(maxRetryWaitMs, Math.max(asked ?? 0, retryDelayMs(attempt, this.#ctx.options.random)));
      await (this.#ctx.options.sleep ?? defaultSleep)(wait);
    }
  }

  /** Fire and forget: a refused token still ends the connection. */
  #post(url: string, json: unknown): void {
    if (this.#ended) return;
    this.#call('POST', url, json)
      .then((answer) => {
        if (answer.status === 401) this.#authExpired(401);
      })
      .catch(() => {});
  }

  // ------------------------------------------------------------------------------------------
  // Outbound

  async send(text: string, clientId: string): Promise<SendReceipt> {
    if (this.#ended) throw new GuestChatError('connection-lost', 'The connection is closed');
    if (!isBrokerClientId(clientId)) throw new GuestChatError('request-refused', 'The message id is not one the broker takes');
    this.#stopComposing();
    let conversationId = await this.#ensureConversation();
    for (let fresh = false; ; fresh = true) {
      const answer = await this.#write('Sending the message', urls.messages(this.#broker, conversationId), { text, clientId }, (a) =>
        a.status === 404 || (a.status === 409 && answerCode(a) === 'conversation-closed'),
      );
      if (isSuccess(answer.status)) {
        const result = readSendResult(answer.body);
        if (result === undefined) throw new GuestChatError('bad-server-data', 'The send answer has no message id');
        this.#state.own.add(result.id);
        return { id: result.id, at: result.at ?? this.#ctx.options.clock.now() };
      }
      // Closed under us (an agent closed it while the visitor typed), or unknown to the broker:
      // over for us too; once more, in a new conversation.
      this.#emitAll(closeConversation(this.#state, conversationId, undefined));
      if (fresh) throw answerError(answer, 'Sending the message', { 404: 'conversation-unavailable', 409: 'conversation-unavailable' });
      conversationId = await this.#ensureConversation();
    }
  }

  #ensureConversation(): Promise<string> {
    if (this.#state.attached !== undefined) return Promise.resolve(this.#state.attached);
    this.#creating ??= this.#createConversation().finally(() => {
      this.#creating = undefined;
    });
    return this.#creating;
  }

  async #createConversation(): Promise<string> {
    // Answers the visitor's open conversation if there is one (another tab may have opened it).
    const answer = await this.#write('Creating the conversation', urls.conversations(this.#broker), {}, (a) => a.status === 409);
    if (!isSuccess(answer.status)) throw answerError(answer, 'Creating the conversation', { 409: 'conversation-unavailable' });
    const id = readCreatedConversation(answer.body);
    if (id === undefined) throw new GuestChatError('bad-server-data', 'The create answer has no conversationId');
    if (this.#state.closed.has(id)) throw new GuestChatError('conversation-unavailable', 'The broker answered a closed conversation');
    // Its first events may have arrived already: they are replayed now, after conversation-open.
    if (this.#state.attached !== id) {
      this.#state.attached = undefined;
      this.#emitAll(attachConversation(this.#state, id));
    }
    return id;
  }

  typing(on: boolean): void {
    const conversationId = this.#state.attached;
    if (this.#ended || conversationId === undefined) return;
    if (!on) return this.#stopComposing();
    const now = this.#localNow();
    if (now - this.#lastComposingAt < this.#ctx.timings.composingThrottleMs) return;
    this.#lastComposingAt = now;
    this.#composing = true;
    this.#post(urls.typing(this.#broker, conversationId), { on: true });
  }

  #stopComposing(): void {
    const conversationId = this.#state.attached;
    if (!this.#composing || conversationId === undefined) return;
    this.#composing = false;
    this.#lastComposingAt = Number.NEGATIVE_INFINITY;
    this.#post(urls.typing(this.#broker, conversationId), { on: false });
  }

  markRead(messageIds: string[]): void {
    const conversationId = this.#state.attached;
    if (this.#ended || conversationId === undefined) return;
    const fresh = [...new Set(messageIds)].filter((id) => !this.#state.own.has(id) && !this.#state.read.has(id));
    const sequences = sequencesOf(conversationId, fresh);
    if (sequences.length === 0) return;
    for (const id of fresh) {
      this.#state.read.add(id);
      // Read implies delivered: no separate acknowledgement for these.
      for (const batch of this.#pendingDelivery.values()) batch.delete(id);
    }
    this.#post(urls.read(this.#broker, conversationId), { sequences, status: 'read' });
  }

  #queueDelivery(conversationId: string, id: string): void {
    if (this.#acknowledged.has(id) || this.#state.read.has(id)) return;
    let batch = this.#pendingDelivery.get(conversationId);
    if (batch === undefined) {
      batch = new Set();
      this.#pendingDelivery.set(conversationId, batch);
    }
    batch.add(id);
    this.#deliveryTimer ??= setTimeout(() => this.#flushDeliveries(), this.#ctx.timings.ackBatchMs);
  }

  #flushDeliveries(): void {
    clearTimeout(this.#deliveryTimer);
    this.#deliveryTimer = undefined;
    for (const [conversationId, batch] of this.#pendingDelivery) {
      // The broker takes receipts for the open conversation only.
      if (conversationId !== this.#state.attached) continue;
      const ids = [...batch].filter((id) => !this.#state.read.has(id) && !this.#acknowledged.has(id));
      const sequences = sequencesOf(conversationId, ids);
      if (sequences.length === 0) continue;
      for (const id of ids) this.#acknowledged.add(id);
      this.#post(urls.read(this.#broker, conversationId), { sequences, status: 'delivered' });
    }
    this.#pendingDelivery.clear();
  }

  async endConversation(): Promise<void> {
    const conversationId = this.#state.attached;
    if (conversationId === undefined) return;
    if (this.#ended) throw new GuestChatError('connection-lost', 'The connection is closed');
    this.#stopComposing();
    const answer = await this.#call('POST', urls.close(this.#broker, conversationId), undefined);
    if (answer.status === 401) throw this.#authExpired(401);
    // 404: unknown to the broker, so closed for us too.
    if (!isSuccess(answer.status) && answer.status !== 404) throw answerError(answer, 'Closing the conversation');
    // The stream's close event for it, before or after this, is not reported again.
    this.#emitAll(closeConversation(this.#state, conversationId, 'visitor'));
  }

  /** Our own close: no event follows. */
  close(): void {
    this.#finish(undefined);
  }
}

function answerCode(answer: HttpAnswer): string | undefined {
  const error = typeof answer.body === 'object' && answer.body !== null ? (answer.body as Record<string, unknown>)['error'] : undefined;
  const code = typeof error === 'object' && error !== null ? (error as Record<string, unknown>)['code'] : undefined;
  return typeof code === 'string' ? code : undefined;
}

/** Any failure of connect(), as a reason the session acts on. */
function connectFailure(error: unknown): GuestChatError {
  const failure = toGuestChatError(error, 'connection-lost');
  if (failure.status === 401 && failure.reason !== 'auth-rejected') {
    return new GuestChatError('auth-rejected', failure.message, { status: 401, cause: failure });
  }
  return failure;
}

export function createConnectorTransport(options: ConnectorTransportOptions): Transport {
  const timings: TransportTimings = { ...DEFAULT_TIMINGS, ...options.timings };
  const memory: TransportMemory = { state: createMappingState(), lastEventId: new Map(), live: undefined };

  return {
    async connect(access: AccessToken, resume: ResumePoint | undefined, onEvent: (event: TransportEvent) => void) {
      // One live stream per tab: the old one goes before a new one opens.
      memory.live?.close();
      memory.live = undefined;
      const connection = new BrokerConnection({ options, timings, memory, access, onEvent });
      memory.live = connection;
      try {
        await connection.start(resume);
        return connection;
      } catch (error) {
        connection.close();
        throw connectFailure(error);
      }
    },
    retryDelayMs: (attempt) => retryDelayMs(attempt, options.random),
  };
}
