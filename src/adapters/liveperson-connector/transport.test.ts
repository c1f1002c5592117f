import { describe, expect, it } from 'vitest';
import type { AccessToken, Connection, TransportEvent } from '../types.ts';
import { createConnectorTransport, type TransportTimings } from './transport.ts';
import { FakeBroker, brokerError, fixedClock, json, settle } from './test-helpers.ts';

const ACCESS: AccessToken = { token: 'vt-secret-token', subject: 'v-1', issuedAt: 0, expiresAt: Number.MAX_SAFE_INTEGER };

function setup(timings: Partial<TransportTimings> = {}) {
  const broker = new FakeBroker();
  const sleeps: number[] = [];
  const transport = createConnectorTransport({
    brokerUrl: broker.url,
    clock: fixedClock(),
    fetch: broker.fetch,
    random: () => 0,
    sleep: async (ms) => void sleeps.push(ms),
    timings: { ackBatchMs: 5, askDelayMs: 5, ...timings },
  });
  const events: TransportEvent[] = [];
  const connect = (resume?: { conversationId: string; cursor?: string }, access = ACCESS): Promise<Connection> =>
    transport.connect(access, resume, (event) => events.push(event));
  const messages = () => events.flatMap((e) => (e.type === 'message' ? [e.message.text] : []));
  return { broker, transport, events, connect, messages, sleeps };
}

describe('connector transport: connect', () => {
  it('a visitor with nothing open: no conversation, the stream from 0, only the allowed headers, no cookies, token only in Authorization', async () => {
    const { broker, connect, events } = setup();
    const connection = await connect();
    expect(connection.conversationId).toBeUndefined();
    expect(events).toEqual([]);
    const stream = broker.requestsTo('GET', '/v1/events')[0]!;
    expect(stream.headers).toEqual({ accept: 'text/event-stream', authorization: 'Bearer vt-secret-token', 'last-event-id': '0' });
    for (const request of broker.requests) {
      expect(request.credentials).toBe('omit');
      expect(request.url).not.toContain('vt-secret-token');
      expect(Object.keys(request.headers).every((h) => ['accept', 'authorization', 'content-type', 'last-event-id'].includes(h))).toBe(true);
    }
    connection.close();
  });

  it('after a reload: attaches to the open conversation and replays its history (not a closed one\'s), each message once', async () => {
    const { broker, connect, events } = setup();
    const old = broker.create();
    broker.message(old, 'agent', 'old chat');
    broker.conversation(old, 'CLOSE', null, 'agent');
    broker.open = null;
    const conv = broker.create();
    broker.conversation(conv, 'OPEN', 'agent-7');
    const visitorId = broker.message(conv, 'visitor', 'Hello', { clientId: 'cid-1' });
    broker.message(conv, 'agent', 'Hi there');
    broker.push('receipt', { conversationId: conv, dialogId: conv, status: 'read', sequences: [0], messageIds: [visitorId], at: 1 });

    const connection = await connect({ conversationId: conv });
    await settle();
    expect(connection.conversationId).toBe(conv);
    expect(events).toEqual([
      { type: 'conversation-open', conversationId: conv },
      { type: 'agent-joined' },
      { type: 'message', message: { id: `${conv}:0`, from: 'visitor', text: 'Hello', at: 5_000, clientId: 'cid-1' }, cursor: '1000-6' },
      { type: 'message', message: { id: `${conv}:1`, from: 'agent', text: 'Hi there', at: 5_001 }, cursor: '1000-7' },
      { type: 'receipt', messageIds: [visitorId], status: 'read' },
    ]);
    // The agent's message is acknowledged as delivered (the visitor's own never is).
    await settle();
    expect(broker.requestsTo('POST', `/v1/conversations/${conv}/read`).map((r) => r.json)).toEqual([{ sequences: [1], status: 'delivered' }]);
    connection.close();
  });

  it('a resumed conversation that is no longer open is reported closed, once', async () => {
    const { broker, connect, events } = setup();
    const conv = broker.create();
    broker.message(conv, 'agent', 'bye');
    broker.conversation(conv, 'CLOSE', null, 'agent');
    broker.open = null;
    const connection = await connect({ conversationId: conv });
    await settle();
    expect(events).toEqual([{ type: 'conversation-closed', conversationId: conv }]);
    expect(connection.conversationId).toBeUndefined();
    connection.close();
  });

  it('refusals: 401 → auth-rejected; 429 → rate-limited with Retry-After; 5xx → server-error; a bad answer → bad-server-data', async () => {
    const cases: Array<[Response, object]> = [
      [brokerError(401, 'visitor-token-expired'), { reason: 'auth-rejected', status: 401 }],
      [brokerError(429, 'rate-limited', { 'Retry-After': '4' }), { reason: 'rate-limited', retryAfterSec: 4 }],
      [brokerError(503, 'upstream-unavailable'), { reason: 'server-error', status: 503 }],
      [json(200, { nothing: true }), { reason: 'bad-server-data' }],
    ];
    for (const [response, expected] of cases) {
      const { broker, connect } = setup();
      broker.overrides.push({ method: 'GET', path: /^\/v1\/conversations\/open$/, response: () => response });
      await expect(connect()).rejects.toMatchObject(expected);
    }
    const { broker, connect } = setup();
    broker.overrides.push({ method: 'GET', path: /^\/v1\/events$/, response: () => brokerError(401, 'visitor-token-expired') });
    await expect(connect()).rejects.toMatchObject({ reason: 'auth-rejected' });
  });
});

describe('connector transport: live events', () => {
  it('shows the agent\'s live messages, typing and joining; the connection follows a close', async () => {
    const { broker, connect, events, messages } = setup();
    const conv = broker.create();
    const connection = await connect({ conversationId: conv });
    broker.push('typing', { conversationId: conv, dialogId: conv, on: true, chatState: 'COMPOSING' });
    broker.conversation(conv, 'OPEN', 'agent-1');
    broker.message(conv, 'agent', 'How can I help?');
    broker.conversation(conv, 'CLOSE', 'agent-1', 'agent');
    await settle();
    expect(messages()).toEqual(['How can I help?']);
    expect(events.map((e) => e.type)).toEqual(['conversation-open', 'typing', 'agent-joined', 'message', 'conversation-closed']);
    expect(events.at(-1)).toEqual({ type: 'conversation-closed', conversationId: conv, by: 'agent' });
    expect(connection.conversationId).toBeUndefined();
    connection.close();
  });

  it('a dropped stream is `disconnected`; the reconnect resumes from the last event id with nothing repeated', async () => {
    const { broker, connect, events, messages } = setup();
    const conv = broker.create();
    const first = await connect({ conversationId: conv });
    broker.message(conv, 'agent', 'one');
    await settle();
    broker.drop();
    await settle();
    expect(events.at(-1)).toEqual({ type: 'disconnected', reason: 'end of stream' });
    broker.message(conv, 'agent', 'two');
    const second = await connect({ conversationId: conv, cursor: 'stale-cursor-from-session' });
    await settle();
    expect(broker.requestsTo('GET', '/v1/events').map((r) => r.headers['last-event-id'])).toEqual(['0', '1000-2']);
    expect(messages()).toEqual(['one', 'two']);
    first.close();
    second.close();
  });

  it('the stream\'s auth-expired event ends the connection with auth-expired', async () => {
    const { broker, connect, events } = setup();
    await connect();
    broker.raw('event: auth-expired\ndata: {}\n\n');
    await settle();
    expect(events).toEqual([{ type: 'auth-expired', code: 401 }]);
    expect(broker.liveStreams).toBe(0);
  });

  it('a silent stream is given up after the stall time', async () => {
    const { connect, events } = setup({ stallMs: 20 });
    await connect();
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(events).toEqual([{ type: 'disconnected', reason: 'no data' }]);
  });

  it('follows a conversation opened elsewhere (another tab): asks the broker, then shows its held events', async () => {
    const { broker, connect, events, messages } = setup();
    const connection = await connect();
    const conv = broker.create();
    broker.message(conv, 'agent', 'Hello from the other tab');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(events[0]).toEqual({ type: 'conversation-open', conversationId: conv });
    expect(messages()).toEqual(['Hello from the other tab']);
    expect(connection.conversationId).toBe(conv);
    expect(broker.requestsTo('GET', '/v1/conversations/open')).toHaveLength(2);
    connection.close();
  });

  it('a resync re-reads the open conversation and says events may be missing', async () => {
    const { broker, connect, events } = setup();
    const conv = broker.create();
    const connection = await connect({ conversationId: conv });
    broker.open = null;
    broker.raw('event: resync\ndata: {"reason":"events-lost"}\n\n');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(events.slice(1)).toEqual([
      { type: 'protocol-error', error: expect.objectContaining({ reason: 'connection-lost' }) },
      { type: 'conversation-closed', conversationId: conv },
    ]);
    connection.close();
  });

  it('an event split across network chunks is read whole (adapters/sse.ts framing), comments are liveness only', async () => {
    const { broker, connect, messages } = setup();
    const conv = broker.create();
    await connect({ conversationId: conv });
    const data = JSON.stringify({ id: `${conv}:0`, conversationId: conv, dialogId: conv, sequence: 0, from: 'agent', text: 'split in two', at: 1 });
    broker.raw(': keep-alive\n\nid: 2000-0\nevent: mess');
    await settle();
    broker.raw(`age\ndata: ${data.slice(0, 20)}`);
    await settle();
    expect(messages()).toEqual([]);
    broker.raw(`${data.slice(20)}\n\n`);
    await settle();
    expect(messages()).toEqual(['split in two']);
  });

  it('unreadable events are reported and skipped', async () => {
    const { broker, connect, events } = setup();
    const conv = broker.create();
    await connect({ conversationId: conv });
    broker.raw('id: 9-9\nevent: message\ndata: {oops\n\n');
    broker.message(conv, 'agent', 'still fine');
    await settle();
    expect(events.map((e) => e.type)).toEqual(['conversation-open', 'protocol-error', 'message']);
  });
});

describe('connector transport: routing (was mapping.ts, now the transport\'s own)', () => {
  it('maps the attached conversation\'s messages with the SSE id as cursor, once per id, and acknowledges agent messages as delivered', async () => {
    const { broker, connect, events } = setup();
    const conv = broker.create();
    const connection = await connect({ conversationId: conv });
    const id = broker.message(conv, 'agent', 'one');
    const cursor = broker.events.at(-1)!.id;
    // The same message again (a replay overlap) is not shown twice.
    broker.push('message', broker.events.at(-1)!.data);
    await settle();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events.filter((e) => e.type === 'message')).toEqual([{ type: 'message', message: { id, from: 'agent', text: 'one', at: 5_000 }, cursor }]);
    expect(broker.requestsTo('POST', /\/read$/).map((r) => r.json)).toEqual([{ sequences: [0], status: 'delivered' }]);
    connection.close();
  });

  it('maps receipts and typing; seen is remembered as read (no delivery acknowledgement)', async () => {
    const { broker, connect, events } = setup();
    const conv = broker.create();
    const connection = await connect({ conversationId: conv });
    broker.push('receipt', { conversationId: conv, status: 'delivered', messageIds: [`${conv}:0`] });
    broker.push('receipt', { conversationId: conv, status: 'read', messageIds: [] });
    broker.push('seen', { conversationId: conv, messageIds: [`${conv}:0`] });
    broker.push('typing', { conversationId: conv, on: false });
    broker.message(conv, 'agent', 'already read');
    await settle();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(events.slice(1, 4)).toEqual([
      { type: 'receipt', messageIds: [`${conv}:0`], status: 'delivered' },
      { type: 'seen', messageIds: [`${conv}:0`] },
      { type: 'typing', on: false },
    ]);
    expect(broker.requestsTo('POST', /\/read$/)).toHaveLength(0);
    connection.close();
  });

  it('announces an agent once per conversation, reports a close once with who closed it, and shows nothing after it', async () => {
    const { broker, connect, events } = setup();
    const conv = broker.create();
    const connection = await connect({ conversationId: conv });
    broker.conversation(conv, 'OPEN', 'a-1');
    broker.conversation(conv, 'OPEN', 'a-1');
    broker.conversation(conv, 'CLOSE', 'a-1', 'agent');
    broker.conversation(conv, 'CLOSE', 'a-1', 'agent');
    broker.message(conv, 'agent', 'late');
    await settle();
    expect(events).toEqual([
      { type: 'conversation-open', conversationId: conv },
      { type: 'agent-joined' },
      { type: 'conversation-closed', conversationId: conv, by: 'agent' },
    ]);
    connection.close();
  });

  it('holds back an unknown conversation\'s events, asks the broker about it once, and replays them in order after conversation-open', async () => {
    const { broker, connect, events } = setup();
    const connection = await connect();
    // Not open according to the broker (yet): held, asked about once.
    const conv = broker.create();
    broker.open = null;
    broker.message(conv, 'agent', 'early');
    broker.conversation(conv, 'OPEN', 'a-1');
    await new Promise((resolve) => setTimeout(resolve, 30));
    broker.message(conv, 'agent', 'still held');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(events).toEqual([]);
    expect(broker.requestsTo('GET', '/v1/conversations/open')).toHaveLength(2);
    // The first send's create answers it: attached, then its held events, in order.
    broker.open = conv;
    await connection.send('Hi', 'cid-9');
    await settle();
    expect(events.slice(0, 4)).toEqual([
      { type: 'conversation-open', conversationId: conv },
      { type: 'message', message: { id: `${conv}:0`, from: 'agent', text: 'early', at: 5_000 }, cursor: '1000-2' },
      { type: 'agent-joined' },
      { type: 'message', message: { id: `${conv}:1`, from: 'agent', text: 'still held', at: 5_001 }, cursor: '1000-4' },
    ]);
    connection.close();
  });

  it('a conversation closed before it was attached is never shown, even when the broker answers it', async () => {
    const { broker, connect, events } = setup();
    const connection = await connect();
    const old = broker.create();
    broker.open = null;
    broker.message(old, 'agent', 'old chat');
    broker.conversation(old, 'CLOSE', null, 'agent');
    await new Promise((resolve) => setTimeout(resolve, 30));
    broker.open = old;
    broker.raw('event: resync\ndata: {}\n\n');
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(events.map((e) => e.type)).toEqual(['protocol-error']);
    expect(connection.conversationId).toBeUndefined();
    connection.close();
  });
});

describe('connector transport: outbound', () => {
  it('the first send creates the conversation, then publishes; its echo is not shown twice and carries the clientId', async () => {
    const { broker, connect, events } = setup();
    const connection = await connect();
    const receipt = await connection.send('Hello', 'cid-1');
    expect(receipt).toEqual({ id: 'conv-1:0', at: 9_999 });
    expect(broker.requestsTo('POST', '/v1/conversations').map((r) => r.json)).toEqual([{}]);
    expect(broker.requestsTo('POST', '/v1/conversations/conv-1/messages').map((r) => r.json)).toEqual([{ text: 'Hello', clientId: 'cid-1' }]);
    await settle();
    expect(connection.conversationId).toBe('conv-1');
    expect(events).toEqual([
      { type: 'conversation-open', conversationId: 'conv-1' },
      { type: 'message', message: { id: 'conv-1:0', from: 'visitor', text: 'Hello', at: 5_000, clientId: 'cid-1' }, cursor: '1000-2' },
    ]);
    connection.close();
  });

  it('a conversation closed under a send: reported closed, and the same clientId goes into a new one', async () => {
    const { broker, connect, events } = setup();
    const conv = broker.create();
    const connection = await connect({ conversationId: conv });
    broker.open = null; // closed on LivePerson's side; its close event has not arrived yet
    const receipt = await connection.send('Still there?', 'cid-2');
    expect(receipt.id).toBe('conv-2:0');
    expect(broker.requestsTo('POST', /\/messages$/).map((r) => [r.path, r.json.clientId])).toEqual([
      [`/v1/conversations/${conv}/messages`, 'cid-2'],
      ['/v1/conversations/conv-2/messages', 'cid-2'],
    ]);
    expect(events.filter((e) => e.type !== 'message')).toEqual([
      { type: 'conversation-open', conversationId: conv },
      { type: 'conversation-closed', conversationId: conv },
      { type: 'conversation-open', conversationId: 'conv-2' },
    ]);
    connection.close();
  });

  it('retries 5xx, 429 (after Retry-After) and send-in-progress with the same clientId; gives up with the reason', async () => {
    const { broker, connect, sleeps } = setup();
    const conv = broker.create();
    const connection = await connect({ conversationId: conv });
    broker.overrides.push(
      { method: 'POST', path: /\/messages$/, response: () => brokerError(502, 'upstream-unavailable') },
      { method: 'POST', path: /\/messages$/, response: () => brokerError(429, 'upstream-rate-limited', { 'Retry-After': '3' }) },
      { method: 'POST', path: /\/messages$/, response: () => brokerError(409, 'send-in-progress', { 'Retry-After': '1' }) },
    );
    await expect(connection.send('Hi', 'cid-3')).resolves.toMatchObject({ id: `${conv}:0` });
    expect(sleeps).toEqual([1_000, 3_000, 2_250]);
    expect(new Set(broker.requestsTo('POST', /\/messages$/).map((r) => r.json.clientId))).toEqual(new Set(['cid-3']));

    for (let i = 0; i < 4; i++) broker.overrides.push({ method: 'POST', path: /\/messages$/, response: () => brokerError(503, 'upstream-unavailable') });
    await expect(connection.send('Hi again', 'cid-4')).rejects.toMatchObject({ reason: 'server-error', status: 503 });
    connection.close();
  });

  it('a 401 on a live connection ends it with auth-expired; the send fails with auth-rejected (kept queued by the session)', async () => {
    const { broker, connect, events } = setup();
    const conv = broker.create();
    const connection = await connect({ conversationId: conv });
    broker.overrides.push({ method: 'POST', path: /\/messages$/, response: () => brokerError(401, 'visitor-token-expired') });
    await expect(connection.send('Hi', 'cid-5')).rejects.toMatchObject({ reason: 'auth-rejected' });
    expect(events.at(-1)).toEqual({ type: 'auth-expired', code: 401 });
  });

  it('typing is throttled and stopped by a send; markRead sends READ for agent messages only, once', async () => {
    let now = 0;
    const broker = new FakeBroker();
    const transport = createConnectorTransport({ brokerUrl: broker.url, clock: fixedClock(), fetch: broker.fetch, localNow: () => now, timings: { ackBatchMs: 10_000 } });
    const conv = broker.create();
    const mine = broker.message(conv, 'visitor', 'q', { clientId: 'c' });
    const theirs = broker.message(conv, 'agent', 'a');
    const connection = await transport.connect(ACCESS, { conversationId: conv }, () => {});
    await settle();
    connection.typing(true);
    now += 1_000;
    connection.typing(true);
    now += 5_000;
    connection.typing(true);
    connection.typing(false);
    connection.typing(false);
    await settle();
    expect(broker.requestsTo('POST', /\/typing$/).map((r) => r.json)).toEqual([{ on: true }, { on: true }, { on: false }]);
    connection.markRead([mine, theirs, `other:3`]);
    connection.markRead([theirs]);
    await settle();
    expect(broker.requestsTo('POST', /\/read$/).map((r) => r.json)).toEqual([{ sequences: [1], status: 'read' }]);
    // Read implies delivered: the pending delivery acknowledgement is not sent.
    connection.close();
    await settle();
    expect(broker.requestsTo('POST', /\/read$/)).toHaveLength(1);
  });

  it('endConversation closes it on the broker and reports it once (the stream\'s close event is not repeated)', async () => {
    const { broker, connect, events } = setup();
    const conv = broker.create();
    const connection = await connect({ conversationId: conv });
    await connection.endConversation();
    await settle();
    expect(broker.requestsTo('POST', `/v1/conversations/${conv}/close`)).toHaveLength(1);
    expect(events.filter((e) => e.type === 'conversation-closed')).toEqual([{ type: 'conversation-closed', conversationId: conv, by: 'visitor' }]);
    expect(connection.conversationId).toBeUndefined();
    connection.close();
  });

  it('events of a conversation being created that beat the create answer are shown after conversation-open', async () => {
    const { broker, connect, events } = setup();
    const connection = await connect();
    broker.overrides.push({
      method: 'POST',
      path: /^\/v1\/conversations$/,
      response: () => {
        const id = broker.create();
        broker.conversation(id, 'OPEN', 'agent-2');
        return json(201, { conversationId: id, created: true });
      },
    });
    await settle();
    await new Promise((resolve) => setTimeout(resolve, 0));
    await connection.send('First', 'cid-6');
    await settle();
    expect(events.map((e) => e.type)).toEqual(['conversation-open', 'agent-joined', 'message']);
    connection.close();
  });

  it('one live stream per tab: a new connect closes the previous one without a disconnected event', async () => {
    const { broker, connect, events } = setup();
    await connect();
    await connect();
    await settle();
    expect(broker.liveStreams).toBe(1);
    expect(events).toEqual([]);
  });

  it('retryDelayMs: 1 s × 1.5ⁿ capped at 30 s, plus jitter', () => {
    const { transport } = setup();
    expect([0, 1, 2, 20].map((n) => transport.retryDelayMs(n))).toEqual([1_000, 1_500, 2_250, 30_000]);
  });
});
