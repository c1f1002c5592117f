/**
 * Test-only helpers for the Salesforce face: a client for the v2 REST calls and an SSE reader
 * over `fetch` with `eventsource-parser` (what the widget uses). Not exported by index.ts.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { postJson } from '../test-support.ts';

export const ORG = '00D5e000000SBOX';
export const ORG18 = '00D5e000000SBOXAAA';
export const DEPLOYMENT = 'GuestChat_Sandbox';
export const API = '/iamessage/api/v2';

export interface TokenAnswer {
  accessToken: string;
  lastEventId: string;
  context: any;
}

export interface StreamEvent extends EventSourceMessage {
  /** `JSON.parse(data)`. */
  json: any;
  /** `JSON.parse(json.conversationEntry.entryPayload)` when it is a string. */
  payload: any;
}

export class SfClient {
  constructor(readonly base: string) {}

  tokenRequest(body: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<Response> {
    return postJson(
      `${this.base}${API}/authorization/unauthenticated/access-token`,
      { orgId: ORG, esDeveloperName: DEPLOYMENT, capabilitiesVersion: '1', platform: 'Web', ...body },
      headers,
    );
  }

  async token(body: Record<string, unknown> = {}): Promise<TokenAnswer> {
    const res = await this.tokenRequest(body);
    if (res.status !== 200) throw new Error(`token ${res.status}: ${await res.text()}`);
    return (await res.json()) as TokenAnswer;
  }

  /** A REST call with the token; `body` is sent as JSON. */
  call(method: 'GET' | 'POST' | 'DELETE', path: string, token: string | undefined, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${this.base}${API}${path}`, {
      method,
      headers: {
        ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  }

  async create(token: string, conversationId = crypto.randomUUID()): Promise<string> {
    const res = await this.call('POST', '/conversation', token, { conversationId, esDeveloperName: DEPLOYMENT });
    if (res.status !== 201) throw new Error(`create ${res.status}: ${await res.text()}`);
    return conversationId;
  }

  send(token: string, conversationId: string, text: string, id = crypto.randomUUID(), extra: Record<string, unknown> = {}): Promise<Response> {
    return this.call('POST', `/conversation/${conversationId}/message`, token, {
      message: { id, messageType: 'StaticContentMessage', staticContent: { formatType: 'Text', text } },
      esDeveloperName: DEPLOYMENT,
      ...extra,
    });
  }

  async entries(token: string, conversationId: string, query = ''): Promise<any[]> {
    const res = await this.call('GET', `/conversation/${conversationId}/entries${query}`, token);
    if (res.status !== 200) throw new Error(`entries ${res.status}`);
    return ((await res.json()) as { conversationEntries: any[] }).conversationEntries;
  }

  streamUrl(query = ''): string {
    return `${this.base}/eventrouter/v1/sse${query}`;
  }

  /** Opens the stream; throws unless 200. */
  async stream(token: string, options: { lastEventId?: string; orgId?: string; headers?: Record<string, string>; query?: string } = {}): Promise<SseReader> {
    const reader = await SseReader.open(this.streamUrl(options.query), {
      Accept: 'text/event-stream',
      Authorization: `Bearer ${token}`,
      'X-Org-Id': options.orgId ?? ORG,
      ...(options.lastEventId === undefined ? {} : { 'Last-Event-Id': options.lastEventId }),
      ...options.headers,
    });
    if (reader.response.status !== 200) throw new Error(`stream ${reader.response.status}: ${await reader.response.text()}`);
    return reader;
  }
}

export class SseReader {
  readonly events: StreamEvent[] = [];
  /** Every byte received, for framing checks. */
  raw = '';
  private unread: StreamEvent[] = [];
  private waiters: (() => void)[] = [];
  /** 'end' for a clean end of the body, 'error' for a cut connection. */
  readonly finished: Promise<'end' | 'error'>;
  private readonly controller: AbortController;

  private constructor(
    readonly response: Response,
    controller: AbortController,
  ) {
    this.controller = controller;
    const parser = createParser({
      onEvent: (event) => {
        const json = safeParse(event.data);
        const entryPayload = json?.conversationEntry?.entryPayload;
        const parsed: StreamEvent = { ...event, json, payload: typeof entryPayload === 'string' ? safeParse(entryPayload) : undefined };
        this.events.push(parsed);
        this.unread.push(parsed);
        for (const w of this.waiters.splice(0)) w();
      },
    });
    this.finished = (async () => {
      if (!response.body || response.status !== 200) return 'end' as const;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return 'end' as const;
          this.raw += value;
          parser.feed(value);
        }
      } catch {
        return 'error' as const;
      } finally {
        for (const w of this.waiters.splice(0)) w();
      }
    })();
  }

  static async open(url: string, headers: Record<string, string>): Promise<SseReader> {
    const controller = new AbortController();
    const response = await fetch(url, { headers, signal: controller.signal });
    return new SseReader(response, controller);
  }

  /** The first unread event matching `match` (waits for it). */
  async next(match: (event: StreamEvent) => boolean = () => true, timeoutMs = 2000): Promise<StreamEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.unread.findIndex(match);
      if (index >= 0) return this.unread.splice(index, 1)[0] as StreamEvent;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching event within ${timeoutMs} ms; unread: ${JSON.stringify(this.unread.map((e) => e.event))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The next unread event named `name`. */
  named(name: string, timeoutMs = 2000): Promise<StreamEvent> {
    return this.next((e) => e.event === name, timeoutMs);
  }

  /** Conversation events only (no pings), in order, that arrive within `ms`. */
  async drain(ms = 150): Promise<StreamEvent[]> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    const out = this.unread.filter((e) => e.event !== 'ping');
    this.unread = [];
    return out;
  }

  close(): void {
    this.controller.abort();
  }
}

function safeParse(text: string): any {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
