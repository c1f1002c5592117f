/** Shared fakes for this folder's tests (not part of the adapter). */
import type { Clock } from '../types.ts';
import type { FetchLike } from './http.ts';
import { fakeFetch, json, type RecordedRequest } from '../test-helpers.ts';

export { fakeFetch, json, type RecordedRequest };

export const fixedClock = (now = 1_700_000_000_000): Clock & { t: number; observed: number[] } => {
  const clock = {
    t: now,
    observed: [] as number[],
    now: () => clock.t,
    observeServerTime: (serverNow: number) => void clock.observed.push(serverNow),
  };
  return clock;
};

export const brokerError = (status: number, code: string, headers: Record<string, string> = {}): Response =>
  json(status, { error: { code, message: `${code} (test)` } }, headers);

interface LoggedEvent {
  id: string;
  kind: string;
  data: unknown;
}

interface LiveStream {
  controller: ReadableStreamDefaultController<Uint8Array>;
  closed: boolean;
}

/**
 * The broker's browser API in memory, for one visitor: an event log with ids, the open
 * conversation, sends (once per clientId), and live event streams the test can push to or cut.
 */
export class FakeBroker {
  readonly url = 'https://broker.example';
  readonly events: LoggedEvent[] = [];
  open: string | null = null;
  private seq = 0;
  private conversations = 0;
  private readonly streams = new Set<LiveStream>();
  private readonly encoder = new TextEncoder();
  readonly sent = new Map<string, { id: string; sequence: number; conversationId: string; at: number }>();
  readonly sequences = new Map<string, number>();
  /** Answer the next requests to a path with these responses instead. */
  readonly overrides: Array<{ method: string; path: RegExp; response: () => Response }> = [];
  readonly fetch: FetchLike;
  readonly requests: RecordedRequest[];

  constructor() {
    const fake = fakeFetch((request) => this.route(request));
    this.fetch = fake.fetch;
    this.requests = fake.requests;
  }

  /** Append an event to the visitor's log (and to every live stream). */
  push(kind: string, data: unknown): string {
    this.seq += 1;
    const event = { id: `1000-${this.seq}`, kind, data };
    this.events.push(event);
    for (const stream of this.streams) this.write(stream, event);
    return event.id;
  }

  /** The visitor's message in `conversationId` as the webhook echo carries it. */
  message(conversationId: string, from: 'visitor' | 'agent' | 'system', text: string, extra: Record<string, unknown> = {}): string {
    const sequence = this.nextSequence(conversationId);
    this.push('message', { id: `${conversationId}:${sequence}`, conversationId, dialogId: conversationId, sequence, from, text, at: 5_000 + sequence, event: { type: 'ContentEvent', message: text }, ...extra });
    return `${conversationId}:${sequence}`;
  }

  conversation(conversationId: string, state: 'OPEN' | 'CLOSE', agent: string | null = null, closedBy?: string): void {
    this.push('conversation', { conversationId, state, agent: agent === null ? null : { id: agent }, ...(closedBy ? { closedBy } : {}) });
  }

  /** A new open conversation (as the broker would after a create). */
  create(): string {
    this.conversations += 1;
    const id = `conv-${this.conversations}`;
    this.open = id;
    this.conversation(id, 'OPEN');
    return id;
  }

  nextSequence(conversationId: string): number {
    const next = this.sequences.get(conversationId) ?? 0;
    this.sequences.set(conversationId, next + 1);
    return next;
  }

  /** End every live stream (a network drop). */
  drop(): void {
    for (const stream of this.streams) this.end(stream);
  }

  /** Write raw text to every live stream. */
  raw(text: string): void {
    for (const stream of this.streams) if (!stream.closed) stream.controller.enqueue(this.encoder.encode(text));
  }

  get liveStreams(): number {
    return [...this.streams].filter((s) => !s.closed).length;
  }

  requestsTo(method: string, path: string | RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)));
  }

  private write(stream: LiveStream, event: LoggedEvent): void {
    if (stream.closed) return;
    stream.controller.enqueue(this.encoder.encode(`id: ${event.id}\nevent: ${event.kind}\ndata: ${JSON.stringify(event.data)}\n\n`));
  }

  private end(stream: LiveStream): void {
    if (stream.closed) return;
    stream.closed = true;
    this.streams.delete(stream);
    try {
      stream.controller.close();
    } catch {
      // already closed
    }
  }

  private route(request: RecordedRequest): Response {
    const override = this.overrides.findIndex((o) => o.method === request.method && o.path.test(request.path));
    if (override >= 0) {
      const [taken] = this.overrides.splice(override, 1);
      return taken!.response();
    }
    const { method, path } = request;
    if (method === 'GET' && path === '/v1/conversations/open') return json(200, { conversationId: this.open });
    if (method === 'POST' && path === '/v1/conversations') {
      if (this.open) return json(200, { conversationId: this.open, created: false });
      return json(201, { conversationId: this.create(), created: true });
    }
    const send = /^\/v1\/conversations\/([^/]+)\/messages$/.exec(path);
    if (method === 'POST' && send) {
      const conversationId = decodeURIComponent(send[1]!);
      if (conversationId !== this.open) return brokerError(409, 'conversation-closed');
      const { text, clientId } = request.json as { text: string; clientId: string };
      const stored = this.sent.get(clientId);
      if (stored) return json(200, stored);
      const id = this.message(conversationId, 'visitor', text, { clientId });
      const result = { id, sequence: Number(id.split(':').pop()), conversationId, at: 9_999 };
      this.sent.set(clientId, result);
      return json(200, result);
    }
    if (method === 'POST' && /^\/v1\/conversations\/[^/]+\/(typing|read)$/.test(path)) return new Response(null, { status: 204 });
    const close = /^\/v1\/conversations\/([^/]+)\/close$/.exec(path);
    if (method === 'POST' && close) {
      const conversationId = decodeURIComponent(close[1]!);
      if (this.open === conversationId) {
        this.open = null;
        this.conversation(conversationId, 'CLOSE', null, 'visitor');
      }
      return new Response(null, { status: 204 });
    }
    if (method === 'GET' && path === '/v1/events') {
      const lastId = request.headers['last-event-id'];
      let stream!: LiveStream;
      const body = new ReadableStream<Uint8Array>({
        start: (controller) => {
          stream = { controller, closed: false };
        },
        cancel: () => {
          stream.closed = true;
          this.streams.delete(stream);
        },
      });
      this.streams.add(stream);
      stream.controller.enqueue(this.encoder.encode(': connected\n\n'));
      const from = lastId === undefined ? this.events.length : lastId === '0' ? 0 : this.events.findIndex((e) => e.id === lastId) + 1;
      for (const event of this.events.slice(from)) this.write(stream, event);
      return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } });
    }
    return brokerError(404, 'not-found');
  }
}

/** Let queued microtasks and stream reads run. */
export const settle = async (rounds = 10): Promise<void> => {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setTimeout(resolve, 0));
};
