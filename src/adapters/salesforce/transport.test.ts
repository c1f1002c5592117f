import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AccessToken, Connection, TransportEvent, Vendor } from '../types.ts';
import { createSalesforceVendor } from './index.ts';
import { createPageMemory, type PageMemory } from './memory.ts';
import { FakeEventStream, entry, envelope, fakeFetch, fixedClock, json, settle, textPayload, type RecordedRequest } from './test-helpers.ts';

const SCRT = 'http://127.0.0.1:8787';
const API = '/iamessage/api/v2';
const CONFIG = { adapter: 'salesforce' as const, scrtUrl: SCRT, orgId: '00D5e000000SBOXEAW', deployment: 'GuestChat_Sandbox' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ALLOWED_HEADERS = new Set(['authorization', 'content-type', 'x-org-id', 'last-event-id', 'cache-control', 'accept']);
const CLIENT_ID = 'c0ffee00-1234-4abc-8def-0123456789ab';

interface FakeConversation {
  id: string;
  open: boolean;
  startTimestamp: number;
  sessionEnded: boolean;
  entries: Array<Record<string, unknown>>;
  messageIds: Set<string>;
}

type Fault = { match: (r: RecordedRequest) => boolean; answer: (r: RecordedRequest) => Response | Promise<Response>; times: number };

/** Just enough of the v2 API and its stream to drive the transport. */
class FakeSalesforce {
  readonly identities = new Map<string, string>(); // token → identity
  readonly conversations = new Map<string, FakeConversation>();
  readonly streams: Array<{ stream: FakeEventStream; request: RecordedRequest }> = [];
  readonly faults: Fault[] = [];
  private eventId = 10;
  private tokenCount = 0;
  readonly fetch;
  readonly requests: RecordedRequest[];

  constructor() {
    const fake = fakeFetch((r) => this.route(r));
    this.fetch = fake.fetch;
    this.requests = fake.requests;
  }

  mint(identity = 'identity-1'): string {
    const token = `tok-${++this.tokenCount}`;
    this.identities.set(token, identity);
    return token;
  }

  open(id: string, startTimestamp = 1_000, entries: Array<Record<string, unknown>> = []): FakeConversation {
    const c: FakeConversation = { id, open: true, startTimestamp, sessionEnded: false, entries, messageIds: new Set() };
    this.conversations.set(id, c);
    return c;
  }

  fail(match: (r: RecordedRequest) => boolean, answer: (r: RecordedRequest) => Response | Promise<Response>, times = 1): void {
    this.faults.push({ match, answer, times });
  }

  /** Send an event to every live stream. */
  push(name: string, conversationId: string, conversationEntry: unknown, withId = true): string {
    const id = String(++this.eventId);
    for (const { stream } of this.streams) stream.event(name, envelope(conversationId, conversationEntry), withId ? id : undefined);
    return id;
  }

  get liveStreams(): FakeEventStream[] {
    return this.streams.map((s) => s.stream).filter((s) => !s.closed && !s.cancelled);
  }

  calls(method: string, pathEnd: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && r.path.endsWith(pathEnd));
  }

  private route(r: RecordedRequest): Response | Promise<Response> {
    const fault = this.faults.find((f) => f.times > 0 && f.match(r));
    if (fault) {
      fault.times--;
      return fault.answer(r);
    }
    const p = r.path;
    if (p === `${API}/authorization/unauthenticated/access-token`) {
      return json(200, { accessToken: this.mint(), lastEventId: String(this.eventId), context: { configuration: { embeddedServiceConfig: { deploymentType: 'api' } } } });
    }
    const bearer = r.headers['authorization']?.replace(/^Bearer /, '');
    const identity = bearer === undefined ? undefined : this.identities.get(bearer);
    if (identity === undefined) return json(401, { message: 'Jwt is expired', code: 'JWT_EXPIRED' });

    if (p === '/eventrouter/v1/sse') {
      const stream = new FakeEventStream(r.signal);
      this.streams.push({ stream, request: r });
      return stream.response();
    }
    if (p === `${API}/authorization/continuation-access-token`) {
      const token = `cont-${++this.tokenCount}`;
      this.identities.set(token, identity);
      return json(200, { accessToken: token, lastEventId: String(this.eventId) });
    }
    if (p === `${API}/conversation/list`) {
      const conversations = [...this.conversations.values()].filter((c) => c.open).map((c) => ({ conversationId: c.id, startTimestamp: c.startTimestamp }));
      return json(200, { openConversationsFound: conversations.length, closedConversationsFound: 0, conversations });
    }
    if (p === `${API}/conversation` && r.method === 'POST') {
      const id = r.json.conversationId as string;
      if (this.conversations.has(id)) return json(409, { message: 'exists' });
      this.open(id, 5_000);
      return json(201, { conversationId: id });
    }
    const m = /^\/iamessage\/api\/v2\/conversation\/([^/]+)(\/.*)?$/.exec(p);
    const conversation = m ? this.conversations.get(decodeURIComponent(m[1]!)) : undefined;
    if (!m || conversation === undefined) return json(404, { message: 'unknown conversation' });
    const rest = m[2] ?? '';
    if (rest === '' && r.method === 'DELETE') {
      conversation.open = false;
      this.push('CONVERSATION_CLOSE_CONVERSATION', conversation.id, entry({ identifier: `close-${conversation.id}`, entryType: 'CloseConversation', role: 'EndUser' }));
      return new Response(null, { status: 204 });
    }
    if (rest === '/entries') {
      const url = new URL(r.url);
      const limit = Number(url.searchParams.get('limit') ?? 20);
      const end = url.searchParams.get('endTimestamp');
      const sorted = [...conversation.entries]
        .filter((e) => end === null || (e['transcriptedTimestamp'] as number) <= Number(end))
        .sort((a, b) => (b['transcriptedTimestamp'] as number) - (a['transcriptedTimestamp'] as number));
      return json(200, { conversationEntries: sorted.slice(0, limit) });
    }
    if (!conversation.open) return json(404, { message: 'closed' });
    if (rest === '/message') {
      const id = r.json.message.id as string;
      if (conversation.messageIds.has(id)) return json(202, { conversationEntries: [{ id, clientTimestamp: 7_000 }] });
      if (conversation.sessionEnded && r.json.isNewMessagingSession !== true) return json(417, { message: 'no session' });
      conversation.sessionEnded = false;
      conversation.messageIds.add(id);
      const echo = entry({ identifier: id, entryType: 'Message', payload: textPayload(r.json.message.staticContent.text, id), role: 'EndUser', at: 7_001 });
      conversation.entries.push({ ...echo, entryPayload: JSON.parse(echo['entryPayload'] as string) });
      queueMicrotask(() => this.push('CONVERSATION_MESSAGE', conversation.id, echo));
      return json(202, { conversationEntries: [{ id, clientTimestamp: 7_000 }] });
    }
    if (rest === '/entry' || rest === '/acknowledge-entries') return new Response(null, { status: 202 });
    return json(404, { message: 'no route' });
  }
}

function storedEntry(identifier: string, text: string, at: number, role = 'Agent') {
  const e = entry({ identifier, entryType: 'Message', payload: textPayload(text, identifier), role, at }, false);
  return e;
}

function access(token: string): AccessToken {
  return { token, subject: 'sf:me', issuedAt: 0, expiresAt: 9e15 };
}

describe('Salesforce transport', () => {
  let server: FakeSalesforce;
  let memory: PageMemory;
  let vendor: Vendor;
  let events: TransportEvent[];
  const onEvent = (e: TransportEvent) => events.push(e);
  const sleep = vi.fn(async (_ms: number) => {});

  function makeVendor(): Vendor {
    return createSalesforceVendor(CONFIG, fixedClock(), {
      fetch: server.fetch,
      memory,
      sleep,
      random: () => 0,
      timings: { ackBatchMs: 5, stallMs: 10_000 },
    });
  }

  beforeEach(() => {
    server = new FakeSalesforce();
    memory = createPageMemory();
    vendor = makeVendor();
    events = [];
    sleep.mockClear();
  });

  async function newVisitor(): Promise<Connection> {
    const identity = await vendor.auth.issue();
    const token = await vendor.auth.exchange(identity);
    return vendor.transport.connect(token, undefined, onEvent);
  }

  it('new visitor: list, stream from the token\'s lastEventId, no continuation, no conversation yet', async () => {
    const connection = await newVisitor();
    expect(connection.conversationId).toBeUndefined();
    expect(server.calls('GET', '/continuation-access-token')).toHaveLength(0);
    const order = server.requests.map((r) => `${r.method} ${r.path}`);
    expect(order).toEqual([
      `POST ${API}/authorization/unauthenticated/access-token`,
      `GET ${API}/conversation/list`,
      'GET /eventrouter/v1/sse',
    ]);
    const sse = server.streams[0]!.request;
    expect(sse.headers['last-event-id']).toBe('10');
    expect(sse.headers['x-org-id']).toBe('00D5e000000SBOX');
    expect(sse.headers['authorization']).toBe('Bearer tok-1');
    expect(events).toEqual([]);
    connection.close();
  });

  it('first send creates the conversation, sends with the client id as message id, and maps the echo', async () => {
    const connection = await newVisitor();
    const receipt = await connection.send('Hello', CLIENT_ID);
    expect(receipt).toEqual({ id: CLIENT_ID, at: 7_000 });

    const [create] = server.calls('POST', '/conversation');
    expect(create!.json).toEqual({ conversationId: expect.stringMatching(UUID), esDeveloperName: 'GuestChat_Sandbox' });
    const conversationId = create!.json.conversationId as string;
    expect(connection.conversationId).toBe(conversationId);

    const [message] = server.calls('POST', '/message');
    expect(message!.path).toBe(`${API}/conversation/${conversationId}/message`);
    expect(message!.json).toEqual({
      message: { id: CLIENT_ID, messageType: 'StaticContentMessage', staticContent: { formatType: 'Text', text: 'Hello' } },
      esDeveloperName: 'GuestChat_Sandbox',
    });
    await settle();
    expect(events).toEqual([
      { type: 'conversation-open', conversationId },
      { type: 'message', cursor: '11', message: { id: CLIENT_ID, clientId: CLIENT_ID, from: 'visitor', text: 'Hello', at: 7_001 } },
    ]);
    // W2: every call with the bearer token (but the guest token request), only §4 headers, no cookies.
    for (const r of server.requests) {
      for (const name of Object.keys(r.headers)) expect(ALLOWED_HEADERS.has(name)).toBe(true);
      expect(r.credentials).toBe('omit');
      if (!r.path.endsWith('/access-token')) expect(r.headers['authorization']).toBe('Bearer tok-1');
    }
    // No acknowledgement of our own message.
    expect(server.calls('POST', '/acknowledge-entries')).toHaveLength(0);
    connection.close();
  });

  it('replaces a client id that is not a lowercase uuid', async () => {
    const connection = await newVisitor();
    const receipt = await connection.send('x', 'NOT-A-UUID');
    expect(receipt.id).toMatch(UUID);
    expect(server.calls('POST', '/message')[0]!.json.message.id).toBe(receipt.id);
    connection.close();
  });

  it('reload: continuation → list → stream (continuation lastEventId) → entries, history in order, merged with the stream', async () => {
    const stored = server.mint();
    const conv = server.open('11111111-1111-4111-8111-111111111111', 1_000, [
      storedEntry('m-1', 'first', 100),
      storedEntry('m-2', 'second', 200, 'EndUser'),
      storedEntry('m-3', 'third', 300),
    ]);
    // While the history is read, the stream already replays m-3 and a newer m-4.
    server.fail(
      (r) => r.path.endsWith('/entries'),
      async (r) => {
        server.push('CONVERSATION_MESSAGE', conv.id, entry({ identifier: 'm-3', entryType: 'Message', payload: textPayload('third'), at: 300 }));
        server.push('CONVERSATION_MESSAGE', conv.id, entry({ identifier: 'm-4', entryType: 'Message', payload: textPayload('fourth'), at: 400 }));
        await settle(5);
        const sorted = [...conv.entries].reverse();
        return json(200, { conversationEntries: sorted, _r: r.url });
      },
    );
    const connection = await vendor.transport.connect(access(stored), { conversationId: conv.id }, onEvent);
    const order = server.requests.map((r) => `${r.method} ${r.path}`);
    expect(order).toEqual([
      `GET ${API}/authorization/continuation-access-token`,
      `GET ${API}/conversation/list`,
      'GET /eventrouter/v1/sse',
      `GET ${API}/conversation/${conv.id}/entries`,
    ]);
    expect(server.requests[0]!.headers['authorization']).toBe(`Bearer ${stored}`);
    const continuation = [...server.identities.keys()].find((t) => t.startsWith('cont-'))!;
    for (const r of server.requests.slice(1)) expect(r.headers['authorization']).toBe(`Bearer ${continuation}`);
    expect(server.streams[0]!.request.headers['last-event-id']).toBe('10');

    await settle();
    expect(events.map((e) => (e.type === 'message' ? `${e.message.id}@${e.cursor}` : e.type))).toEqual([
      'conversation-open',
      'm-1@10',
      'm-2@10',
      'm-3@10',
      'm-4@12',
    ]);
    expect(connection.conversationId).toBe(conv.id);
    connection.close();
  });

  it('takes at most one continuation per stored token per page; reconnects reuse it', async () => {
    const stored = server.mint();
    const first = await vendor.transport.connect(access(stored), undefined, onEvent);
    first.close();
    const second = await vendor.transport.connect(access(stored), undefined, onEvent);
    second.close();
    // Even through another vendor instance of the same page.
    const third = await makeVendor().transport.connect(access(stored), undefined, onEvent);
    third.close();
    expect(server.calls('GET', '/continuation-access-token')).toHaveLength(1);
    const tokens = server.requests.filter((r) => r.path === '/eventrouter/v1/sse').map((r) => r.headers['authorization']);
    expect(new Set(tokens).size).toBe(1);
    // A new page load takes its own.
    memory = createPageMemory();
    const fourth = await makeVendor().transport.connect(access(stored), undefined, onEvent);
    fourth.close();
    expect(server.calls('GET', '/continuation-access-token')).toHaveLength(2);
  });

  it('tries the continuation again when it failed, and refuses a dead stored token', async () => {
    const stored = server.mint();
    server.fail((r) => r.path.endsWith('/continuation-access-token'), () => new Response('', { status: 503 }));
    await expect(vendor.transport.connect(access(stored), undefined, onEvent)).rejects.toMatchObject({ reason: 'server-error' });
    const connection = await vendor.transport.connect(access(stored), undefined, onEvent);
    connection.close();
    expect(server.calls('GET', '/continuation-access-token')).toHaveLength(2);

    await expect(vendor.transport.connect(access('expired-token'), undefined, onEvent)).rejects.toMatchObject({
      reason: 'auth-rejected',
      status: 401,
    });
  });

  it('reconnects from the resume cursor, else from the last id it handled', async () => {
    const connection = await newVisitor();
    await connection.send('hi', CLIENT_ID);
    await settle();
    server.liveStreams[0]!.end();
    await settle();
    expect(events.at(-1)).toEqual({ type: 'disconnected', reason: 'end of stream' });
    const token = (await vendor.auth.exchange({ token: 'tok-1', subject: 'sf:me', issuedAt: 0, expiresAt: 9e15, windowEndsAt: 9e15 }));
    const again = await vendor.transport.connect(token, { conversationId: connection.conversationId!, cursor: '11' }, onEvent);
    expect(server.streams[1]!.request.headers['last-event-id']).toBe('11');
    again.close();
    const third = await vendor.transport.connect(token, { conversationId: connection.conversationId! }, onEvent);
    expect(server.streams[2]!.request.headers['last-event-id']).toBe('11');
    third.close();
  });

  it('reports a remembered conversation that is no longer open, and attaches to the newest open one', async () => {
    const stored = server.mint();
    server.open('22222222-2222-4222-8222-222222222222', 1_000);
    server.open('33333333-3333-4333-8333-333333333333', 2_000);
    const connection = await vendor.transport.connect(access(stored), { conversationId: '44444444-4444-4444-8444-444444444444' }, onEvent);
    expect(events.slice(0, 2)).toEqual([
      { type: 'conversation-closed', conversationId: '44444444-4444-4444-8444-444444444444' },
      { type: 'conversation-open', conversationId: '33333333-3333-4333-8333-333333333333' },
    ]);
    expect(connection.conversationId).toBe('33333333-3333-4333-8333-333333333333');
    connection.close();
  });

  it('417: resends once with the same id and isNewMessagingSession', async () => {
    const connection = await newVisitor();
    await connection.send('one', CLIENT_ID);
    [...server.conversations.values()][0]!.sessionEnded = true;
    const second = 'd0ffee00-1234-4abc-8def-0123456789ab';
    await expect(connection.send('two', second)).resolves.toMatchObject({ id: second });
    const sends = server.calls('POST', '/message').slice(1);
    expect(sends.map((r) => [r.json.message.id, r.json.isNewMessagingSession])).toEqual([
      [second, undefined],
      [second, true],
    ]);
    connection.close();
  });

  it('417 twice: rejects after the one resend', async () => {
    const connection = await newVisitor();
    await connection.send('one', CLIENT_ID);
    server.fail((r) => r.path.endsWith('/message'), () => json(417, { message: 'no session' }), 2);
    await expect(connection.send('two', 'd0ffee00-1234-4abc-8def-0123456789ab')).rejects.toMatchObject({ status: 417 });
    expect(server.calls('POST', '/message')).toHaveLength(3);
    connection.close();
  });

  it('401 on send: emits auth-expired, rejects auth-rejected, stops the stream', async () => {
    const connection = await newVisitor();
    await connection.send('one', CLIENT_ID);
    await settle();
    events = [];
    server.identities.delete('tok-1');
    await expect(connection.send('two', 'd0ffee00-1234-4abc-8def-0123456789ab')).rejects.toMatchObject({ reason: 'auth-rejected', status: 401 });
    expect(events).toEqual([{ type: 'auth-expired', code: 401 }]);
    expect(server.liveStreams).toHaveLength(0);
    // Nothing more from this connection.
    server.push('CONVERSATION_MESSAGE', connection.conversationId!, entry({ identifier: 'late', entryType: 'Message', payload: textPayload('late') }));
    await settle();
    expect(events).toHaveLength(1);
  });

  it('401 when connecting (list or stream) rejects with auth-rejected', async () => {
    const identity = await vendor.auth.issue();
    const token = await vendor.auth.exchange(identity);
    server.fail((r) => r.path === '/eventrouter/v1/sse', () => json(401, { message: 'Jwt is expired' }));
    await expect(vendor.transport.connect(token, undefined, onEvent)).rejects.toMatchObject({ reason: 'auth-rejected', status: 401 });
    server.fail((r) => r.path.endsWith('/list'), () => new Response('', { status: 401 }));
    await expect(vendor.transport.connect(token, undefined, onEvent)).rejects.toMatchObject({ reason: 'auth-rejected' });
    expect(events).toEqual([]);
  });

  it('stops on 400/403/404 from the stream, and reports 429/5xx/network as retryable reasons', async () => {
    const identity = await vendor.auth.issue();
    const token = await vendor.auth.exchange(identity);
    const cases: Array<[() => Response, string]> = [
      [() => json(400, { message: 'OrgId in the header and token must match' }), 'request-refused'],
      [() => new Response('', { status: 403 }), 'request-refused'],
      [() => new Response('', { status: 404 }), 'request-refused'],
      [() => json(429, undefined, { 'Retry-After': '2' }), 'rate-limited'],
      [() => new Response('', { status: 500 }), 'server-error'],
      [
        () => {
          throw new TypeError('Failed to fetch');
        },
        'network',
      ],
    ];
    for (const [answer, reason] of cases) {
      server.fail((r) => r.path === '/eventrouter/v1/sse', answer);
      await expect(vendor.transport.connect(token, undefined, onEvent)).rejects.toMatchObject({ reason });
    }
  });

  it('end of stream or a network error on a live connection → disconnected; close() → nothing', async () => {
    const a = await newVisitor();
    server.liveStreams[0]!.fail();
    await settle();
    expect(events).toEqual([{ type: 'disconnected', reason: 'network' }]);

    events = [];
    const token = access('tok-1');
    const b = await vendor.transport.connect(token, undefined, onEvent);
    b.close();
    await settle();
    expect(events).toEqual([]);
    expect(server.liveStreams).toHaveLength(0);
    a.close();
  });

  it('a stream silent for the stall time is ended and reported disconnected', async () => {
    vendor = createSalesforceVendor(CONFIG, fixedClock(), { fetch: server.fetch, memory, timings: { stallMs: 300 } });
    const connection = await newVisitor();
    // Pings keep it alive.
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 60));
      server.liveStreams[0]!.write('event: ping\ndata: {"timestamp":1}\n\n');
    }
    expect(events).toEqual([]);
    await new Promise((r) => setTimeout(r, 450));
    expect(events).toEqual([{ type: 'disconnected', reason: 'no data' }]);
    expect(server.liveStreams).toHaveLength(0);
    connection.close();
  });

  it('keeps one live stream per tab', async () => {
    await newVisitor();
    await vendor.transport.connect(access('tok-1'), undefined, onEvent);
    expect(server.streams).toHaveLength(2);
    expect(server.liveStreams).toEqual([server.streams[1]!.stream]);
    expect(events).toEqual([]);
  });

  it('retries a send on 429 honouring Retry-After, with the same id, then gives up boundedly', async () => {
    const connection = await newVisitor();
    await connection.send('one', CLIENT_ID);
    sleep.mockClear();
    server.fail((r) => r.path.endsWith('/message'), () => json(429, { message: 'slow' }, { 'Retry-After': '2' }));
    const id2 = 'd0ffee00-1234-4abc-8def-0123456789ab';
    await expect(connection.send('two', id2)).resolves.toMatchObject({ id: id2 });
    expect(sleep).toHaveBeenCalledWith(2_000);
    expect(server.calls('POST', '/message').slice(1).map((r) => r.json.message.id)).toEqual([id2, id2]);

    server.fail((r) => r.path.endsWith('/message'), () => new Response('', { status: 503 }), 10);
    await expect(connection.send('three', 'e0ffee00-1234-4abc-8def-0123456789ab')).rejects.toMatchObject({ reason: 'server-error' });
    expect(server.calls('POST', '/message')).toHaveLength(3 + 4);
    connection.close();
  });

  it('creates a conversation once when a retry finds it made (409), with the same id', async () => {
    const connection = await newVisitor();
    // The first create reaches the server but its answer is lost.
    server.fail(
      (r) => r.path === `${API}/conversation` && r.method === 'POST',
      (r) => {
        server.open(r.json.conversationId);
        throw new TypeError('Failed to fetch');
      },
    );
    await connection.send('hello', CLIENT_ID);
    const creates = server.calls('POST', '/conversation');
    expect(creates).toHaveLength(2);
    expect(creates[0]!.json.conversationId).toBe(creates[1]!.json.conversationId);
    expect(events.filter((e) => e.type === 'conversation-open')).toHaveLength(1);
    connection.close();
  });

  it('404 on send: the conversation is gone', async () => {
    const connection = await newVisitor();
    await connection.send('one', CLIENT_ID);
    const id = connection.conversationId!;
    server.conversations.get(id)!.open = false;
    await expect(connection.send('two', 'd0ffee00-1234-4abc-8def-0123456789ab')).rejects.toMatchObject({ reason: 'conversation-unavailable' });
    expect(events).toContainEqual({ type: 'conversation-closed', conversationId: id });
    expect(connection.conversationId).toBeUndefined();
    connection.close();
  });

  it('acknowledges delivery of agent messages (batched), reads on markRead, never its own', async () => {
    const connection = await newVisitor();
    await connection.send('one', CLIENT_ID);
    const id = connection.conversationId!;
    server.push('CONVERSATION_MESSAGE', id, entry({ identifier: 'agent-1', entryType: 'Message', payload: textPayload('a') }));
    server.push('CONVERSATION_MESSAGE', id, entry({ identifier: 'bot-1', entryType: 'Message', payload: textPayload('b'), role: 'Chatbot' }));
    server.push('CONVERSATION_MESSAGE', id, entry({ identifier: 'sys-1', entryType: 'Message', payload: textPayload('c'), role: 'System' }));
    await settle();
    await new Promise((r) => setTimeout(r, 20));
    const acks = server.calls('POST', '/acknowledge-entries');
    expect(acks).toHaveLength(1);
    expect(acks[0]!.path).toBe(`${API}/conversation/${id}/acknowledge-entries`);
    expect(acks[0]!.json.acks).toEqual([
      { id: expect.stringMatching(UUID), entryType: 'Delivery', conversationEntryId: 'agent-1' },
      { id: expect.stringMatching(UUID), entryType: 'Delivery', conversationEntryId: 'bot-1' },
    ]);

    connection.markRead(['agent-1', CLIENT_ID, 'agent-1']);
    connection.markRead(['agent-1']);
    const reads = server.calls('POST', '/acknowledge-entries').slice(1);
    expect(reads).toHaveLength(1);
    expect(reads[0]!.json.acks).toEqual([{ id: expect.stringMatching(UUID), entryType: 'Read', conversationEntryId: 'agent-1' }]);
    connection.close();
  });

  it('a message read before its delivery batch goes out gets only the Read', async () => {
    vendor = createSalesforceVendor(CONFIG, fixedClock(), { fetch: server.fetch, memory, timings: { ackBatchMs: 200 } });
    const connection = await newVisitor();
    await connection.send('one', CLIENT_ID);
    server.push('CONVERSATION_MESSAGE', connection.conversationId!, entry({ identifier: 'agent-2', entryType: 'Message', payload: textPayload('a') }));
    await settle(3);
    expect(events.at(-1)).toMatchObject({ type: 'message', message: { id: 'agent-2' } });
    connection.markRead(['agent-2']);
    await new Promise((r) => setTimeout(r, 250));
    expect(server.calls('POST', '/acknowledge-entries').map((r) => r.json.acks[0].entryType)).toEqual(['Read']);
    connection.close();
  });

  it('endConversation: DELETE with esDeveloperName, one conversation-closed even when the stream echoes the close', async () => {
    const connection = await newVisitor();
    await connection.send('one', CLIENT_ID);
    const id = connection.conversationId!;
    await connection.endConversation();
    const [del] = server.calls('DELETE', `/conversation/${id}`);
    expect(del!.url).toBe(`${SCRT}${API}/conversation/${id}?esDeveloperName=GuestChat_Sandbox`);
    await settle();
    expect(events.filter((e) => e.type === 'conversation-closed')).toEqual([{ type: 'conversation-closed', conversationId: id, by: 'visitor' }]);
    expect(connection.conversationId).toBeUndefined();
    // The next send opens a new conversation.
    await connection.send('again', 'd0ffee00-1234-4abc-8def-0123456789ab');
    expect(connection.conversationId).not.toBe(id);
    connection.close();
  });

  it('a close from another tab closes it here; an agent ending the session only ends the session', async () => {
    const connection = await newVisitor();
    await connection.send('one', CLIENT_ID);
    const id = connection.conversationId!;
    server.push('CONVERSATION_SESSION_STATUS_CHANGED', id, entry({ identifier: 's-1', entryType: 'SessionStatusChanged', payload: { sessionStatus: 'Ended' }, role: 'System' }));
    server.push('CONVERSATION_CLOSE_CONVERSATION', id, entry({ identifier: 'x-1', entryType: 'CloseConversation', role: 'EndUser' }));
    await settle();
    expect(events.slice(-2)).toEqual([
      { type: 'session-ended', conversationId: id },
      { type: 'conversation-closed', conversationId: id, by: 'visitor' },
    ]);
    connection.close();
  });

  it('follows a conversation another tab opened', async () => {
    const connection = await newVisitor();
    const other = '55555555-5555-4555-8555-555555555555';
    server.push('CONVERSATION_ROUTING_RESULT', other, entry({ identifier: 'r-1', entryType: 'RoutingResult', payload: { failureType: 'None' }, role: 'Router' }));
    server.push('CONVERSATION_MESSAGE', other, entry({ identifier: 'o-1', entryType: 'Message', payload: textPayload('from tab 2', 'o-1'), role: 'EndUser' }));
    await settle();
    expect(events.map((e) => e.type)).toEqual(['conversation-open', 'message']);
    expect(connection.conversationId).toBe(other);
    connection.close();
  });

  it('typing: started on a keystroke in a conversation, stopped on send; nothing without a conversation', async () => {
    const connection = await newVisitor();
    connection.typing(true);
    expect(server.calls('POST', '/entry')).toHaveLength(0);
    await connection.send('one', CLIENT_ID);
    connection.typing(true);
    await settle(2);
    const started = server.calls('POST', '/entry');
    expect(started.map((r) => r.json)).toEqual([{ entryType: 'TypingStartedIndicator', id: expect.stringMatching(UUID) }]);
    expect(started[0]!.path).toBe(`${API}/conversation/${connection.conversationId}/entry`);
    connection.close();
  });

  it('survives a listener that throws', async () => {
    const connection = await vendor.transport.connect(access((await vendor.auth.issue()).token), undefined, () => {
      throw new Error('listener bug');
    });
    await connection.send('one', CLIENT_ID);
    await settle();
    expect(connection.conversationId).toBeDefined();
    connection.close();
  });

  it('retryDelayMs follows §3.6', () => {
    expect(vendor.transport.retryDelayMs(0)).toBe(1_000);
    expect(vendor.transport.retryDelayMs(30)).toBe(30_000);
  });
});
