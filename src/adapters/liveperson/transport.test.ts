import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AccessToken, Connection, TransportEvent } from '../types.ts';
import type { DomainResolver } from './domain.ts';
import type { WebSocketLike } from './socket.ts';
import { fixedClock } from './test-helpers.ts';
import { createLivePersonTransport, type TransportOptions } from './transport.ts';

const ME = 'consumer-1';
const ACCESS: AccessToken = { token: 'h.p.s', subject: ME, issuedAt: 0, expiresAt: 9e15 };

type Frame = { kind: string; id: string; type: string; body?: any; headers?: any[]; metadata?: any[] };
type Handler = (frame: Frame, socket: FakeSocket) => void;

const deliver = (fn: () => void) => void Promise.resolve().then(fn);

class FakeSocket implements WebSocketLike {
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  readonly sent: Frame[] = [];
  closedWith: number | undefined;

  constructor(
    readonly url: string,
    private readonly server: FakeLivePerson,
  ) {
    deliver(() => this.onopen?.({}));
  }

  send(data: string): void {
    const frame = JSON.parse(data) as Frame;
    this.sent.push(frame);
    this.server.handle(frame, this);
  }

  close(code?: number): void {
    this.closedWith = code;
  }

  // server side
  push(frame: unknown): void {
    deliver(() => this.onmessage?.({ data: typeof frame === 'string' ? frame : JSON.stringify(frame) }));
  }
  resp(frame: Frame, code: number, body?: unknown): void {
    this.push({ kind: 'resp', reqId: frame.id, code, type: `${frame.type}Response`, body });
  }
  notify(type: string, body: unknown): void {
    this.push({ kind: 'notification', type, body });
  }
  serverClose(code: number): void {
    deliver(() => this.onclose?.({ code, reason: '' }));
  }
  sentOf(type: string): Frame[] {
    return this.sent.filter((f) => f.type === type);
  }
}

interface Conversation {
  id: string;
  state: 'OPEN' | 'CLOSE';
  agents: string[];
  events: any[]; // stored events (with sequence)
}

/** Just enough of LivePerson's consumer socket to drive the transport. */
class FakeLivePerson {
  readonly sockets: FakeSocket[] = [];
  readonly conversations = new Map<string, Conversation>();
  readonly overrides = new Map<string, Handler>();
  silent = new Set<string>();
  subscriptions = 0;
  created = 0;

  open(id: string, agents: string[] = [], events: any[] = []): Conversation {
    const conversation: Conversation = { id, state: 'OPEN', agents, events };
    this.conversations.set(id, conversation);
    return conversation;
  }

  upsert(c: Conversation, details: Record<string, unknown> = {}) {
    return {
      type: 'UPSERT',
      result: {
        convId: c.id,
        conversationDetails: {
          state: c.state,
          stage: c.state,
          startTs: 1,
          participants: [{ id: ME, role: 'CONSUMER' }, ...c.agents.map((id) => ({ id, role: 'ASSIGNED_AGENT' }))],
          dialogs: [{ dialogId: c.id, dialogType: 'MAIN', state: c.state }],
          ...details,
        },
      },
    };
  }

  get last(): FakeSocket {
    const socket = this.sockets.at(-1);
    if (socket === undefined) throw new Error('no socket');
    return socket;
  }

  handle(frame: Frame, socket: FakeSocket): void {
    if (this.silent.has(frame.type)) return;
    const override = this.overrides.get(frame.type);
    if (override !== undefined) return override(frame, socket);
    switch (frame.type) {
      case 'InitConnection':
        return socket.resp(frame, 200, 'OK');
      case '.GetClock':
        return socket.resp(frame, 200, { currentTime: 5_000_000 });
      case 'cqm.SubscribeExConversations': {
        const subscriptionId = `sub-${++this.subscriptions}`;
        socket.resp(frame, 200, { subscriptionId });
        const open = [...this.conversations.values()].filter((c) => c.state === 'OPEN');
        return socket.notify('cqm.ExConversationChangeNotification', { subscriptionId, changes: open.map((c) => this.upsert(c)) });
      }
      case 'ms.SubscribeMessagingEvents': {
        const c = this.conversations.get(frame.body.conversationId);
        if (c === undefined) return socket.resp(frame, 404, 'unknown');
        socket.resp(frame, 200, {});
        return socket.notify('ms.MessagingEventNotification', {
          changes: c.events.filter((e) => e.sequence >= frame.body.fromSeq),
        });
      }
      case 'cm.ConsumerRequestConversation': {
        const c = this.open(`conv-new-${++this.created}`);
        socket.resp(frame, 200, { conversationId: c.id });
        return socket.notify('cqm.ExConversationChangeNotification', { subscriptionId: 'sub-1', changes: [this.upsert(c)] });
      }
      case 'ms.PublishEvent': {
        const c = this.conversations.get(frame.body.conversationId);
        if (c === undefined || c.state !== 'OPEN') return socket.resp(frame, 400, 'closed');
        if (frame.body.event.type === 'ChatStateEvent') return socket.resp(frame, 200, { sequence: 0 });
        const sequence = c.events.length;
        const stored = {
          sequence,
          originatorId: ME,
          originatorMetadata: { id: ME, role: 'CONSUMER' },
          serverTimestamp: 7000 + sequence,
          conversationId: c.id,
          dialogId: c.id,
          event: frame.body.event,
          metadata: frame.metadata,
        };
        c.events.push(stored);
        socket.resp(frame, 200, { sequence });
        return socket.notify('ms.MessagingEventNotification', { changes: [stored] });
      }
      case 'cm.UpdateConversationField': {
        const c = this.conversations.get(frame.body.conversationId);
        if (c === undefined) return socket.resp(frame, 404, 'unknown');
        c.state = 'CLOSE';
        socket.resp(frame, 200, 'OK Conversation resolved successfully');
        return socket.notify('cqm.ExConversationChangeNotification', {
          subscriptionId: 'sub-1',
          changes: [this.upsert(c, { closeReason: 'CONSUMER' })],
        });
      }
      default:
        return socket.resp(frame, 200, {});
    }
  }
}

function agentMessage(conversationId: string, sequence: number, message: string) {
  return {
    sequence,
    originatorId: 'agent-7',
    originatorMetadata: { id: 'agent-7', role: 'ASSIGNED_AGENT' },
    serverTimestamp: 9000 + sequence,
    conversationId,
    dialogId: conversationId,
    event: { type: 'ContentEvent', contentType: 'text/plain', message },
  };
}

const hosts: DomainResolver = {
  resolve: async () => ({ idp: 'https://idp.example', messaging: 'wss://msg.example' }),
  markStale: () => {},
};

function setup(extra: Partial<TransportOptions> = {}) {
  const server = new FakeLivePerson();
  const clock = fixedClock();
  const events: TransportEvent[] = [];
  const transport = createLivePersonTransport({
    account: '12345678',
    clock,
    hosts,
    createSocket: (url) => {
      const socket = new FakeSocket(url, server);
      server.sockets.push(socket);
      return socket;
    },
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/130',
    random: () => 0.5,
    ...extra,
  });
  const flush = () => vi.advanceTimersByTimeAsync(0);
  return { server, clock, events, transport, onEvent: (e: TransportEvent) => events.push(e), flush };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('connect', () => {
  it('opens the consumer socket and sends InitConnection, GetClock, then subscribes to OPEN conversations', async () => {
    const { server, transport, onEvent, events, clock } = setup();
    const connection = await transport.connect(ACCESS, undefined, onEvent);
    const socket = server.last;
    expect(socket.url).toBe('wss://msg.example/ws_api/account/12345678/messaging/consumer?v=3');
    expect(socket.sent.map((f) => f.type)).toEqual(['InitConnection', '.GetClock', 'cqm.SubscribeExConversations']);
    expect(socket.sent.map((f) => f.id)).toEqual(['1', '2', '3']);
    const init = socket.sent[0];
    expect(init?.body).toBeUndefined();
    expect(init?.headers).toEqual([
      {
        type: '.ams.headers.ClientProperties',
        appId: 'guestchat',
        deviceFamily: 'DESKTOP',
        os: 'WINDOWS',
        features: ['RICH_CONTENT', 'QUICK_REPLIES'],
      },
      { type: '.ams.headers.ConsumerAuthentication', jwt: ACCESS.token },
    ]);
    expect(socket.sent[2]?.body).toEqual({ convState: ['OPEN'] });
    expect(connection.conversationId).toBeUndefined();
    expect(events).toEqual([]);
    expect(clock.observed).toHaveLength(1);
    expect(clock.observed[0]?.[0]).toBe(5_000_000);
  });

  it('resumes the open conversation from the held sequence and does not replay what is held', async () => {
    const { server, transport, onEvent, events, flush } = setup();
    server.open('conv-1', ['agent-7'], [agentMessage('conv-1', 0, 'old'), agentMessage('conv-1', 1, 'held'), agentMessage('conv-1', 2, 'new')]);
    const connection = await transport.connect(ACCESS, { conversationId: 'conv-1', cursor: '1' }, onEvent);
    await flush();
    expect(connection.conversationId).toBe('conv-1');
    expect(server.last.sentOf('ms.SubscribeMessagingEvents')[0]?.body).toEqual({ dialogId: 'conv-1', conversationId: 'conv-1', fromSeq: 1 });
    // The page resumed with a cursor: its agent was already shown, so no agent-joined.
    expect(events).toEqual([
      { type: 'conversation-open', conversationId: 'conv-1' },
      { type: 'message', message: { id: 'conv-1:2', from: 'agent', text: 'new', at: 9002 }, cursor: '2' },
    ]);
    // ACCEPT for the new agent message, batched within 1 s.
    expect(server.last.sentOf('ms.PublishEvent')).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1000);
    expect(server.last.sentOf('ms.PublishEvent').map((f) => f.body)).toEqual([
      { dialogId: 'conv-1', conversationId: 'conv-1', event: { type: 'AcceptStatusEvent', status: 'ACCEPT', sequenceList: [2] } },
    ]);
  });

  it('attaches from 0 to an open conversation it was not told about, announcing its agent', async () => {
    const { server, transport, onEvent, events, flush } = setup();
    server.open('conv-1', ['agent-7'], [agentMessage('conv-1', 0, 'hello')]);
    await transport.connect(ACCESS, undefined, onEvent);
    await flush();
    expect(server.last.sentOf('ms.SubscribeMessagingEvents')[0]?.body.fromSeq).toBe(0);
    expect(events.map((e) => e.type)).toEqual(['conversation-open', 'agent-joined', 'message']);
  });

  it('reports a resumed conversation that is no longer open as closed', async () => {
    const { transport, onEvent, events } = setup();
    const connection = await transport.connect(ACCESS, { conversationId: 'conv-gone', cursor: '4' }, onEvent);
    expect(connection.conversationId).toBeUndefined();
    expect(events).toEqual([{ type: 'conversation-closed', conversationId: 'conv-gone' }]);
  });

  it.each([4401, 4407, 1008, 1011])('rejects with auth-rejected when the server closes %i during init', async (code) => {
    const { server, transport, onEvent, events } = setup();
    server.overrides.set('InitConnection', (_frame, socket) => socket.serverClose(code));
    const result = transport.connect(ACCESS, undefined, onEvent).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(0);
    expect(await result).toMatchObject({ reason: 'auth-rejected', status: code });
    expect(events).toEqual([]);
  });

  it('rejects with connection-lost when the server closes otherwise during init', async () => {
    const { server, transport, onEvent } = setup();
    server.overrides.set('cqm.SubscribeExConversations', (_frame, socket) => socket.serverClose(1006));
    const result = transport.connect(ACCESS, undefined, onEvent).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(0);
    expect(await result).toMatchObject({ reason: 'connection-lost', status: 1006 });
  });

  it('rejects with network when the socket never opens', async () => {
    const { transport, onEvent } = setup();
    const failing = createLivePersonTransport({
      account: '1',
      clock: fixedClock(),
      hosts,
      createSocket: () => {
        const socket: WebSocketLike = {
          onopen: null,
          onmessage: null,
          onerror: null,
          onclose: null,
          send: () => {},
          close: () => {},
        };
        deliver(() => socket.onclose?.({ code: 1006, reason: '' }));
        return socket;
      },
    });
    void transport;
    const result = failing.connect(ACCESS, undefined, onEvent).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(0);
    expect(await result).toMatchObject({ reason: 'network' });
  });

  it('gives up on a silent server after 15 s', async () => {
    const { server, transport, onEvent } = setup();
    server.silent.add('cqm.SubscribeExConversations');
    const result = transport.connect(ACCESS, undefined, onEvent).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(15_000);
    expect(await result).toMatchObject({ reason: 'connection-lost' });
    expect(server.last.closedWith).toBe(1000);
  });
});

async function connected(resume?: { conversationId: string; cursor?: string }, extra: Partial<TransportOptions> = {}) {
  const env = setup(extra);
  const connection: Connection = await env.transport.connect(ACCESS, resume, env.onEvent);
  await env.flush();
  return { ...env, connection };
}

describe('send', () => {
  it('creates a conversation on the first message, then publishes with our ExternalId', async () => {
    const { server, connection, events, flush } = await connected();
    const receipt = connection.send('Hello there', 'client-1');
    await flush();
    expect(await receipt).toEqual({ id: 'conv-new-1:0', at: expect.any(Number) });
    const socket = server.last;
    expect(socket.sentOf('cm.ConsumerRequestConversation')[0]?.body).toEqual({
      channelType: 'MESSAGING',
      brandId: '12345678',
      skillId: '-1',
    });
    expect(socket.sentOf('ms.SubscribeMessagingEvents')[0]?.body).toEqual({
      dialogId: 'conv-new-1',
      conversationId: 'conv-new-1',
      fromSeq: 0,
    });
    const publish = socket.sentOf('ms.PublishEvent')[0];
    expect(publish?.body).toEqual({
      dialogId: 'conv-new-1',
      conversationId: 'conv-new-1',
      event: { type: 'ContentEvent', contentType: 'text/plain', message: 'Hello there' },
    });
    expect(publish?.metadata).toEqual([{ type: 'ExternalId', id: 'guestchat:client-1' }]);
    expect(connection.conversationId).toBe('conv-new-1');
    expect(events).toEqual([
      { type: 'conversation-open', conversationId: 'conv-new-1' },
      {
        type: 'message',
        message: { id: 'conv-new-1:0', from: 'visitor', text: 'Hello there', at: 7000, clientId: 'client-1' },
        cursor: '0',
      },
    ]);
    // Never ACCEPT our own message.
    await vi.advanceTimersByTimeAsync(2000);
    expect(socket.sentOf('ms.PublishEvent')).toHaveLength(1);
  });

  it('opens one conversation for concurrent first messages', async () => {
    const { server, connection, flush } = await connected();
    const both = Promise.all([connection.send('one', 'c1'), connection.send('two', 'c2')]);
    await flush();
    expect((await both).map((r) => r.id)).toEqual(['conv-new-1:0', 'conv-new-1:1']);
    expect(server.last.sentOf('cm.ConsumerRequestConversation')).toHaveLength(1);
  });

  it('follows the open conversation when the server refuses a new one', async () => {
    const { server, connection, events, flush } = await connected();
    server.overrides.set('cm.ConsumerRequestConversation', (frame, socket) => {
      server.open('conv-other', ['agent-7']);
      socket.resp(frame, 400, 'Consumer already has an open conversation');
    });
    const receipt = connection.send('hi', 'c1');
    await flush();
    expect((await receipt).id).toBe('conv-other:0');
    expect(server.last.sentOf('cqm.SubscribeExConversations')).toHaveLength(2);
    expect(server.last.sentOf('cqm.UnsubscribeExConversations')[0]?.body).toEqual({ subscriptionId: 'sub-1' });
    expect(events.slice(0, 2)).toEqual([{ type: 'conversation-open', conversationId: 'conv-other' }, { type: 'agent-joined' }]);
  });

  it('starts a new conversation when the current one ended under it', async () => {
    const { server, connection, events, flush } = await connected();
    await Promise.all([connection.send('first', 'c1'), flush()]);
    // Closed on the server, and the close notification was lost.
    const first = server.conversations.get('conv-new-1');
    if (first) first.state = 'CLOSE';
    const receipt = connection.send('second', 'c2');
    await flush();
    expect((await receipt).id).toBe('conv-new-2:0');
    expect(events.filter((e) => e.type === 'conversation-closed' || e.type === 'conversation-open')).toEqual([
      { type: 'conversation-open', conversationId: 'conv-new-1' },
      { type: 'conversation-closed', conversationId: 'conv-new-1', by: 'system' },
      { type: 'conversation-open', conversationId: 'conv-new-2' },
    ]);
  });

  it('rejects with a reason when publishing is refused, after trying again at 5 and 10 s', async () => {
    const { server, connection, flush } = await connected();
    server.overrides.set('ms.PublishEvent', (frame, socket) => socket.resp(frame, 429, 'slow down'));
    const result = connection.send('hi', 'c1').catch((e: unknown) => e);
    await flush();
    await vi.advanceTimersByTimeAsync(4_999);
    expect(server.last.sentOf('ms.PublishEvent')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(server.last.sentOf('ms.PublishEvent')).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(await result).toMatchObject({ reason: 'rate-limited', status: 429 });
    expect(server.last.sentOf('ms.PublishEvent')).toHaveLength(3);
  });

  it('a publish answered 5xx is sent again with the same ExternalId and resolves with the stored sequence', async () => {
    const { server, connection, flush } = await connected();
    await Promise.all([connection.send('first', 'c1'), flush()]);
    const handle = server.handle.bind(server);
    let failures = 1;
    server.overrides.set('ms.PublishEvent', (frame, socket) => {
      if (failures-- > 0) return socket.resp(frame, 500, 'oops');
      server.overrides.delete('ms.PublishEvent');
      handle(frame, socket);
    });
    const result = connection.send('second', 'c2');
    await flush();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await result).toMatchObject({ id: 'conv-new-1:1' });
    const texts = server.last.sentOf('ms.PublishEvent').filter((f) => f.body.event.type === 'ContentEvent');
    expect(texts.map((f) => [f.body.event.message, f.metadata])).toEqual([
      ['first', [{ type: 'ExternalId', id: 'guestchat:c1' }]],
      ['second', [{ type: 'ExternalId', id: 'guestchat:c2' }]],
      ['second', [{ type: 'ExternalId', id: 'guestchat:c2' }]],
    ]);
  });

  it('a publish answered 5xx that the server stored anyway (its echo came) is not sent again', async () => {
    const { server, connection, flush } = await connected();
    await Promise.all([connection.send('first', 'c1'), flush()]);
    const handle = server.handle.bind(server);
    server.overrides.set('ms.PublishEvent', (frame, socket) => {
      server.overrides.delete('ms.PublishEvent');
      // Stored and echoed, but the answer says 500.
      handle(frame, { ...socket, resp: (f: Frame, _code: number) => socket.resp(f, 500, 'oops'), notify: socket.notify.bind(socket) } as unknown as FakeSocket);
    });
    const result = connection.send('second', 'c2');
    await flush();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(await result).toMatchObject({ id: 'conv-new-1:1' });
    expect(server.last.sentOf('ms.PublishEvent').filter((f) => f.body.event.type === 'ContentEvent')).toHaveLength(2);
  });
});

describe('notifications on a live connection', () => {
  it('ACCEPTs agent messages in one batch per dialog and READs only what is not covered', async () => {
    const { server, connection, flush } = await connected();
    await Promise.all([connection.send('hi', 'c1'), flush()]);
    const socket = server.last;
    socket.notify('ms.MessagingEventNotification', { changes: [agentMessage('conv-new-1', 1, 'a')] });
    socket.notify('ms.MessagingEventNotification', { changes: agentMessage('conv-new-1', 2, 'b') });
    await vi.advanceTimersByTimeAsync(1000);
    const accepts = () => socket.sentOf('ms.PublishEvent').filter((f) => f.body.event.type === 'AcceptStatusEvent').map((f) => f.body.event);
    expect(accepts()).toEqual([{ type: 'AcceptStatusEvent', status: 'ACCEPT', sequenceList: [1, 2] }]);

    connection.markRead(['conv-new-1:1', 'conv-new-1:2', 'conv-new-1:0' /* our own */, 'junk']);
    connection.markRead(['conv-new-1:2']);
    await flush();
    expect(accepts().slice(1)).toEqual([{ type: 'AcceptStatusEvent', status: 'READ', sequenceList: [1, 2] }]);
  });

  it('does not ACCEPT what our own ACCEPT in the same history already covers', async () => {
    const { server, connection, flush } = await connected();
    await Promise.all([connection.send('hi', 'c1'), flush()]);
    const socket = server.last;
    const ownAccept = {
      ...agentMessage('conv-new-1', 2, ''),
      originatorId: ME,
      originatorMetadata: { id: ME, role: 'CONSUMER' },
      event: { type: 'AcceptStatusEvent', status: 'ACCEPT', sequenceList: [1] },
    };
    socket.notify('ms.MessagingEventNotification', { changes: [agentMessage('conv-new-1', 1, 'a'), ownAccept] });
    await vi.advanceTimersByTimeAsync(1000);
    expect(socket.sentOf('ms.PublishEvent').filter((f) => f.body.event.type === 'AcceptStatusEvent')).toEqual([]);
  });

  it('maps agent typing, receipts and join, and the close by the agent', async () => {
    const { server, connection, events, flush } = await connected();
    await Promise.all([connection.send('hi', 'c1'), flush()]);
    events.length = 0;
    const socket = server.last;
    const conv = server.conversations.get('conv-new-1');
    if (conv === undefined) throw new Error('no conversation');
    conv.agents.push('agent-7');
    socket.notify('cqm.ExConversationChangeNotification', { subscriptionId: 'sub-1', changes: [server.upsert(conv)] });
    socket.notify('ms.MessagingEventNotification', {
      changes: [{ originatorId: 'agent-7', originatorMetadata: { role: 'ASSIGNED_AGENT' }, dialogId: 'conv-new-1', event: { type: 'ChatStateEvent', chatState: 'COMPOSING' } }],
    });
    socket.notify('ms.MessagingEventNotification', {
      changes: [{ ...agentMessage('conv-new-1', 1, ''), event: { type: 'AcceptStatusEvent', status: 'READ', sequenceList: [0] } }],
    });
    conv.state = 'CLOSE';
    socket.notify('cqm.ExConversationChangeNotification', { subscriptionId: 'sub-1', changes: [server.upsert(conv, { closeReason: 'AGENT' })] });
    await flush();
    expect(events).toEqual([
      { type: 'agent-joined' },
      { type: 'typing', on: true },
      { type: 'receipt', status: 'read', messageIds: ['conv-new-1:0'] },
      { type: 'conversation-closed', conversationId: 'conv-new-1', by: 'agent' },
    ]);
    expect(connection.conversationId).toBeUndefined();
  });

  it('follows a conversation another tab opened', async () => {
    const { server, connection, events, flush } = await connected();
    const c = server.open('conv-tab2', [], [{ ...agentMessage('conv-tab2', 0, 'x'), originatorId: ME, originatorMetadata: { role: 'CONSUMER' }, metadata: [{ type: 'ExternalId', id: 'guestchat:tab2-msg' }] }]);
    server.last.notify('cqm.ExConversationChangeNotification', { subscriptionId: 'sub-1', changes: [server.upsert(c)] });
    await flush();
    expect(connection.conversationId).toBe('conv-tab2');
    expect(events).toEqual([
      { type: 'conversation-open', conversationId: 'conv-tab2' },
      { type: 'message', message: expect.objectContaining({ id: 'conv-tab2:0', from: 'visitor', clientId: 'tab2-msg' }), cursor: '0' },
    ]);
  });

  it('reports an unparsable frame as protocol-error and carries on', async () => {
    const { server, events, flush } = await connected();
    server.last.push('{nope');
    await flush();
    expect(events).toEqual([{ type: 'protocol-error', error: expect.objectContaining({ reason: 'bad-server-data' }) }]);
  });

  it('throttles COMPOSING to once per 5 s and ends it with ACTIVE', async () => {
    const { server, connection, flush } = await connected();
    await Promise.all([connection.send('hi', 'c1'), flush()]);
    const states = () => server.last.sentOf('ms.PublishEvent').filter((f) => f.body.event.type === 'ChatStateEvent').map((f) => f.body.event.chatState);
    connection.typing(true);
    connection.typing(true);
    await vi.advanceTimersByTimeAsync(4000);
    connection.typing(true);
    expect(states()).toEqual(['COMPOSING']);
    await vi.advanceTimersByTimeAsync(1000);
    connection.typing(true);
    connection.typing(false);
    connection.typing(false);
    expect(states()).toEqual(['COMPOSING', 'COMPOSING', 'ACTIVE']);
  });

  it('syncs the clock every 30 s', async () => {
    const { server, clock } = await connected();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(server.last.sentOf('.GetClock')).toHaveLength(3);
    expect(clock.observed).toHaveLength(3);
  });

  it('ends the conversation with ConversationStateField CLOSE', async () => {
    const { server, connection, events, flush } = await connected();
    await Promise.all([connection.send('hi', 'c1'), flush()]);
    const done = connection.endConversation();
    await flush();
    await done;
    expect(server.last.sentOf('cm.UpdateConversationField')[0]?.body).toEqual({
      conversationId: 'conv-new-1',
      conversationField: { field: 'ConversationStateField', conversationState: 'CLOSE' },
    });
    expect(events.filter((e) => e.type === 'conversation-closed')).toEqual([
      { type: 'conversation-closed', conversationId: 'conv-new-1', by: 'visitor' },
    ]);
    expect(connection.conversationId).toBeUndefined();
  });
});

describe('closes', () => {
  it.each([4401, 4407, 1008, 1011])('server close %i → auth-expired', async (code) => {
    const { server, events, flush } = await connected();
    server.last.serverClose(code);
    await flush();
    expect(events).toEqual([{ type: 'auth-expired', code }]);
  });

  it.each([1000, 1006])('server close %i → disconnected', async (code) => {
    const { server, events, flush } = await connected();
    server.last.serverClose(code);
    await flush();
    expect(events).toEqual([{ type: 'disconnected', code, reason: undefined }]);
  });

  it('a request without an answer for 15 s is a dead socket', async () => {
    const { server, events } = await connected();
    server.silent.add('.GetClock');
    await vi.advanceTimersByTimeAsync(30_000 + 15_000);
    expect(events).toEqual([{ type: 'disconnected', code: undefined, reason: 'no-response' }]);
    expect(server.last.closedWith).toBe(1000);
  });

  it('our own close uses 1000 and reports nothing; pending sends fail', async () => {
    const { server, connection, events, flush } = await connected();
    server.silent.add('cm.ConsumerRequestConversation');
    const pending = connection.send('hi', 'c1').catch((e: unknown) => e);
    await flush();
    connection.close();
    server.last.serverClose(1000);
    await flush();
    expect(server.last.closedWith).toBe(1000);
    expect(events).toEqual([]);
    expect(await pending).toMatchObject({ reason: 'connection-lost' });
  });
});

describe('retryDelayMs', () => {
  it('waits 5, 10, 15 s, then 2, 4, 8 min (cap), with ±20 % jitter', () => {
    const { transport } = setup();
    expect([0, 1, 2, 3, 4, 5, 6, 50].map((n) => transport.retryDelayMs(n))).toEqual([
      5_000, 10_000, 15_000, 120_000, 240_000, 480_000, 480_000, 480_000,
    ]);
    const low = createLivePersonTransport({ account: '1', clock: fixedClock(), hosts, createSocket: () => { throw new Error(); }, random: () => 0 });
    const high = createLivePersonTransport({ account: '1', clock: fixedClock(), hosts, createSocket: () => { throw new Error(); }, random: () => 0.999999 });
    expect(low.retryDelayMs(0)).toBe(4_000);
    expect(high.retryDelayMs(5)).toBe(576_000);
  });
});

describe('quick reply answers (§5.12)', () => {
  const META = [{ type: 'ExternalId', id: 'yes-chip' }, { type: 'Answer', questionId: 'q1', id: 'a1', provider: 'survey' }];

  async function withAgentQuestion(extra: Partial<TransportOptions> = {}) {
    const env = await connected(undefined, extra);
    await Promise.all([env.connection.send('hi', 'c1'), env.flush()]);
    const conv = env.server.conversations.get('conv-new-1');
    if (conv === undefined) throw new Error('no conversation');
    const question = agentMessage('conv-new-1', 1, 'Did this help?');
    conv.events.push(question);
    env.server.last.notify('ms.MessagingEventNotification', { changes: [question] });
    await env.flush();
    env.events.length = 0;
    const publishes = () => env.server.last.sentOf('ms.PublishEvent').filter((f) => f.body.event.status !== 'ACCEPT');
    return { ...env, publishes };
  }

  it('publishes ACTION on the answered message with its metadata, then the text with the same metadata and our ExternalId', async () => {
    const { connection, events, flush, publishes, server } = await withAgentQuestion();
    const receipt = connection.send('Yes, thanks', 'c2', { messageId: 'conv-new-1:1', metadata: META });
    await flush();
    expect(await receipt).toEqual({ id: 'conv-new-1:3', at: expect.any(Number) });
    const [, action, answer] = publishes();
    expect(action?.body).toEqual({
      dialogId: 'conv-new-1',
      conversationId: 'conv-new-1',
      event: { type: 'AcceptStatusEvent', status: 'ACTION', sequenceList: [1] },
    });
    expect(action?.metadata).toEqual(META);
    expect(answer?.body.event).toEqual({ type: 'ContentEvent', contentType: 'text/plain', message: 'Yes, thanks' });
    expect(answer?.metadata).toEqual([...META, { type: 'ExternalId', id: 'guestchat:c2' }]);
    // ACTION first, and answered before the text goes out.
    const sent = server.last.sent;
    const actionAt = sent.indexOf(action!);
    expect(sent.indexOf(answer!)).toBeGreaterThan(actionAt);
    // Our echo is still recognised by its client id (exactly-once); our ACTION's echo shows nothing.
    expect(events).toEqual([
      {
        type: 'message',
        message: { id: 'conv-new-1:3', from: 'visitor', text: 'Yes, thanks', at: 7003, clientId: 'c2' },
        cursor: '3',
      },
    ]);
  });

  it('sends plainly without metadata (or with an empty list)', async () => {
    const { connection, flush, publishes } = await withAgentQuestion();
    await Promise.all([connection.send('Maybe', 'c2', { messageId: 'conv-new-1:1' }), flush()]);
    await Promise.all([connection.send('Later', 'c3', { messageId: 'conv-new-1:1', metadata: [] }), flush()]);
    const [, first, second] = publishes();
    expect(publishes()).toHaveLength(3);
    expect(first?.body.event.type).toBe('ContentEvent');
    expect(first?.metadata).toEqual([{ type: 'ExternalId', id: 'guestchat:c2' }]);
    expect(second?.metadata).toEqual([{ type: 'ExternalId', id: 'guestchat:c3' }]);
  });

  it('does not repeat an ACTION for the same message, nor send one for another dialog', async () => {
    const { connection, flush, publishes } = await withAgentQuestion();
    await Promise.all([connection.send('Yes', 'c2', { messageId: 'conv-new-1:1', metadata: META }), flush()]);
    await Promise.all([connection.send('Yes', 'c3', { messageId: 'conv-new-1:1', metadata: META }), flush()]);
    await Promise.all([connection.send('Old', 'c4', { messageId: 'conv-old:4', metadata: META }), flush()]);
    expect(publishes().map((f) => f.body.event.status ?? f.body.event.message)).toEqual(['hi', 'ACTION', 'Yes', 'Yes', 'Old']);
    expect(publishes().at(-1)?.metadata).toEqual([...META, { type: 'ExternalId', id: 'guestchat:c4' }]);
  });

  it('still sends the text when the ACTION is refused', async () => {
    const { connection, flush, publishes, server } = await withAgentQuestion();
    const normal = server.overrides.get('ms.PublishEvent');
    expect(normal).toBeUndefined();
    server.overrides.set('ms.PublishEvent', (frame, socket) => {
      if (frame.body.event.status === 'ACTION') return socket.resp(frame, 400, 'Unknown sequence');
      server.overrides.delete('ms.PublishEvent');
      server.handle(frame, socket);
    });
    const receipt = connection.send('Yes', 'c2', { messageId: 'conv-new-1:1', metadata: META });
    await flush();
    expect((await receipt).id).toBe('conv-new-1:2');
    expect(publishes().map((f) => f.body.event.status ?? f.body.event.message)).toEqual(['hi', 'ACTION', 'Yes']);
  });
});

describe('rate (legacy CSAT, §5.11)', () => {
  it('rates the conversation that just closed, on the same connection', async () => {
    const { server, connection, events, flush } = await connected();
    await Promise.all([connection.send('hi', 'c1'), flush()]);
    await Promise.all([connection.endConversation(), flush()]);
    expect(events.at(-1)).toEqual({ type: 'conversation-closed', conversationId: 'conv-new-1', by: 'visitor' });
    server.overrides.set('cm.UpdateConversationField', (frame, socket) => socket.resp(frame, 200, 'OK'));
    const rated = connection.rate?.('conv-new-1', 4);
    await flush();
    await expect(rated).resolves.toBeUndefined();
    expect(server.last.sentOf('cm.UpdateConversationField').at(-1)?.body).toEqual({
      conversationId: 'conv-new-1',
      conversationField: { field: 'CSATRate', csatRate: 4, csatResolutionConfirmation: true, status: 'FILLED' },
    });
  });

  it('rejects with request-refused when the server refuses (second rating, open conversation)', async () => {
    const { server, connection, flush } = await connected();
    server.overrides.set('cm.UpdateConversationField', (frame, socket) => socket.resp(frame, 400, 'CSAT was already given'));
    const rated = connection.rate!('conv-1', 5).catch((e: unknown) => e);
    await flush();
    expect(await rated).toMatchObject({ name: 'GuestChatError', reason: 'request-refused', status: 400 });
    expect(server.last.sentOf('cm.UpdateConversationField')).toHaveLength(1);
  });

  it('rejects with connection-lost once the connection is closed', async () => {
    const { connection } = await connected();
    connection.close();
    expect(await connection.rate!('conv-1', 3).catch((e: unknown) => e)).toMatchObject({ reason: 'connection-lost' });
  });
});

describe('agent profiles (§5.13)', () => {
  const ALEX = { name: 'Alex', avatar: 'https://cdn.example/alex.png' };

  function fakeProfiles() {
    const settled = new Map<string, { name?: string; avatar?: string }>();
    const pending = new Map<string, { promise: Promise<void>; resolve: () => void }>();
    const lookups: string[] = [];
    const ensure = (id: string) => {
      let entry = pending.get(id);
      if (entry === undefined) {
        lookups.push(id);
        let resolve!: () => void;
        const promise = new Promise<void>((r) => {
          resolve = r;
        });
        entry = { promise, resolve };
        pending.set(id, entry);
      }
      return entry;
    };
    return {
      lookups,
      answer(id: string, profile: { name?: string; avatar?: string }) {
        settled.set(id, profile);
        ensure(id).resolve();
      },
      profiles: (id: string) => {
        const profile = settled.get(id);
        return { profile, settled: profile ? Promise.resolve() : ensure(id).promise };
      },
    };
  }

  async function joinedBy(agent: string, env: Awaited<ReturnType<typeof connected>>) {
    await Promise.all([env.connection.send('hi', 'c1'), env.flush()]);
    env.events.length = 0;
    const conv = env.server.conversations.get('conv-new-1');
    if (conv === undefined) throw new Error('no conversation');
    conv.agents.push(agent);
    env.server.last.notify('cqm.ExConversationChangeNotification', { subscriptionId: 'sub-1', changes: [env.server.upsert(conv)] });
    return conv;
  }

  it('holds the join and the agent’s messages until the profile answers, then names them', async () => {
    const fake = fakeProfiles();
    const env = await connected(undefined, { profiles: fake.profiles });
    await joinedBy('agent-7', env);
    env.server.last.notify('ms.MessagingEventNotification', { changes: [agentMessage('conv-new-1', 1, 'Hello')] });
    env.server.last.notify('ms.MessagingEventNotification', {
      changes: [{ originatorId: 'agent-7', originatorMetadata: { role: 'ASSIGNED_AGENT' }, dialogId: 'conv-new-1', event: { type: 'ChatStateEvent', chatState: 'COMPOSING' } }],
    });
    await env.flush();
    expect(fake.lookups).toEqual(['agent-7']);
    expect(env.events).toEqual([]);
    fake.answer('agent-7', ALEX);
    await env.flush();
    expect(env.events).toEqual([
      { type: 'agent-joined', name: 'Alex', avatar: 'https://cdn.example/alex.png' },
      {
        type: 'message',
        message: { id: 'conv-new-1:1', from: 'agent', text: 'Hello', at: 9001, senderName: 'Alex', senderAvatar: 'https://cdn.example/alex.png' },
        cursor: '1',
      },
      { type: 'typing', on: true },
    ]);
    // Later messages are named at once.
    env.server.last.notify('ms.MessagingEventNotification', { changes: [agentMessage('conv-new-1', 2, 'More')] });
    await env.flush();
    expect(env.events.at(-1)).toMatchObject({ message: { senderName: 'Alex', senderAvatar: ALEX.avatar } });
  });

  it('waits at most profileWaitMs, once per agent: a silent lookup leaves the agent nameless', async () => {
    const fake = fakeProfiles();
    const env = await connected(undefined, { profiles: fake.profiles, profileWaitMs: 2000 });
    await joinedBy('agent-7', env);
    await vi.advanceTimersByTimeAsync(1999);
    expect(env.events).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(env.events).toEqual([{ type: 'agent-joined' }]);
    env.server.last.notify('ms.MessagingEventNotification', { changes: [agentMessage('conv-new-1', 1, 'Hello')] });
    await env.flush();
    expect(env.events.at(-1)).toEqual({ type: 'message', message: { id: 'conv-new-1:1', from: 'agent', text: 'Hello', at: 9001 }, cursor: '1' });
    // The late answer names what comes after it.
    fake.answer('agent-7', { name: 'Alex' });
    env.server.last.notify('ms.MessagingEventNotification', { changes: [agentMessage('conv-new-1', 2, 'Again')] });
    await env.flush();
    expect(env.events.at(-1)).toMatchObject({ message: { text: 'Again', senderName: 'Alex' } });
    expect((env.events.at(-1) as any).message.senderAvatar).toBeUndefined();
  });

  it('names the agent in history replayed on a later connection of the same page, without waiting', async () => {
    const fake = fakeProfiles();
    const env = setup({ profiles: fake.profiles });
    env.server.open('conv-1', ['agent-7'], [agentMessage('conv-1', 0, 'hello')]);
    const first = env.transport.connect(ACCESS, undefined, env.onEvent);
    await env.flush();
    // connect waits for the history, which waits (briefly) for the profile.
    fake.answer('agent-7', ALEX);
    const connection = await first;
    await env.flush();
    expect(env.events).toEqual([
      { type: 'conversation-open', conversationId: 'conv-1' },
      { type: 'agent-joined', name: 'Alex', avatar: ALEX.avatar },
      { type: 'message', message: expect.objectContaining({ id: 'conv-1:0', senderName: 'Alex', senderAvatar: ALEX.avatar }), cursor: '0' },
    ]);
    connection.close();
    env.events.length = 0;
    await env.transport.connect(ACCESS, undefined, env.onEvent);
    await env.flush();
    expect(env.events).toEqual([
      { type: 'conversation-open', conversationId: 'conv-1' },
      { type: 'message', message: expect.objectContaining({ id: 'conv-1:0', senderName: 'Alex' }), cursor: '0' },
    ]);
    expect(fake.lookups).toEqual(['agent-7']);
  });

  it('lets held events out before a disconnect', async () => {
    const fake = fakeProfiles();
    const env = await connected(undefined, { profiles: fake.profiles });
    await joinedBy('agent-7', env);
    await env.flush();
    env.server.last.serverClose(1006);
    await env.flush();
    expect(env.events).toEqual([{ type: 'agent-joined' }, { type: 'disconnected', code: 1006, reason: undefined }]);
  });
});

describe('quick reply answers after a reload', () => {
  it('does not publish an ACTION the history already holds (e.g. its text failed before a reload)', async () => {
    const { server, connection, flush } = await connected();
    await Promise.all([connection.send('hi', 'c1'), flush()]);
    const conv = server.conversations.get('conv-new-1')!;
    conv.events.push(agentMessage('conv-new-1', 1, 'Did this help?'));
    conv.events.push({
      sequence: 2,
      originatorId: ME,
      originatorMetadata: { id: ME, role: 'CONSUMER' },
      serverTimestamp: 7002,
      conversationId: 'conv-new-1',
      dialogId: 'conv-new-1',
      event: { type: 'AcceptStatusEvent', status: 'ACTION', sequenceList: [1] },
      metadata: [{ type: 'ExternalId', id: 'yes' }],
    });
    connection.close();
    // A new page: resumes from the held message and replays the ACTION.
    const env = setup();
    env.server.conversations.set('conv-new-1', conv);
    const again = await env.transport.connect(ACCESS, { conversationId: 'conv-new-1', cursor: '1' }, env.onEvent);
    await env.flush();
    await Promise.all([again.send('Yes', 'c2', { messageId: 'conv-new-1:1', metadata: [{ type: 'ExternalId', id: 'yes' }] }), env.flush()]);
    const publishes = env.server.last.sentOf('ms.PublishEvent').filter((f) => f.body.event.status !== 'ACCEPT');
    expect(publishes.map((f) => f.body.event.type)).toEqual(['ContentEvent']);
    expect(publishes[0]?.metadata).toEqual([{ type: 'ExternalId', id: 'yes' }, { type: 'ExternalId', id: 'guestchat:c2' }]);
  });
});
