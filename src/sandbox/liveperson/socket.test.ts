import { describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../index.ts';
import { ACCOUNT, LpClient, TestSocket, postJson, useTestSandbox, type Frame } from '../test-support.ts';

let sandbox: RunningSandbox;
let lp: LpClient;
const sockets: TestSocket[] = [];

useTestSandbox((started) => {
  sandbox = started;
  lp = new LpClient(started.url);
}, sockets);

async function connected(jwt?: string): Promise<{ socket: TestSocket; sub: string; jwt: string }> {
  const identity = jwt ? { jwt, sub: '' } : await lp.consumerJwt();
  const socket = await TestSocket.connect(lp, identity.jwt);
  sockets.push(socket);
  return { socket, sub: identity.sub, jwt: identity.jwt };
}

async function open(): Promise<TestSocket> {
  const socket = await TestSocket.open(lp.socketUrl());
  sockets.push(socket);
  return socket;
}

/** Subscribes to OPEN conversations, requests one, subscribes to its MAIN dialog from 0. */
async function withConversation(socket: TestSocket): Promise<string> {
  await socket.request('cqm.SubscribeExConversations', { convState: ['OPEN'] });
  await socket.notification('cqm.ExConversationChangeNotification');
  const resp = await socket.request('cm.ConsumerRequestConversation', { brandId: ACCOUNT, channelType: 'MESSAGING', skillId: '-1' });
  expect(resp).toMatchObject({ code: 200, type: 'cm.RequestConversationResponse' });
  const conversationId = resp.body.conversationId as string;
  await socket.notification('cqm.ExConversationChangeNotification');
  await socket.request('ms.SubscribeMessagingEvents', { dialogId: conversationId, conversationId, fromSeq: 0 });
  await socket.notification('ms.MessagingEventNotification');
  return conversationId;
}

const text = (message: string) => ({ type: 'ContentEvent', contentType: 'text/plain', message });
const isNotification = (type: string) => (f: Frame) => f.kind === 'notification' && f.type === type;

describe('connection and authentication', () => {
  it('accepts InitConnection with a valid consumer JWT (numeric id echoed as a string)', async () => {
    const { jwt } = await lp.consumerJwt();
    const socket = await open();
    socket.send({
      kind: 'req',
      id: 1,
      type: 'InitConnection',
      headers: [{ type: '.ams.headers.ClientProperties' }, { type: '.ams.headers.ConsumerAuthentication', jwt }],
    });
    const resp = await socket.next();
    expect(resp).toMatchObject({ kind: 'resp', reqId: '1', code: 200 });
    expect(typeof resp.body).toBe('string');
    const clock = await socket.request('.GetClock');
    expect(clock).toMatchObject({ code: 200, type: '.GetClock$Response' });
    expect(Math.abs(clock.body.currentTime - Date.now())).toBeLessThan(5000);
    expect((await socket.request('GetClock')).code).toBe(200);
    expect((await socket.request('KeepAlive')).code).toBe(200);
    expect((await socket.request('InitConnection', undefined, { headers: [] })).code).toBe(400);
  });

  it('closes 4401 on a bad token', async () => {
    const socket = await open();
    socket.sendRequest('InitConnection', undefined, { headers: [{ type: '.ams.headers.ConsumerAuthentication', jwt: 'a.b.c' }] });
    expect((await socket.closed).code).toBe(4401);
  });

  it('closes 4401 on a missing token, an external token, and a token of another account', async () => {
    const missing = await open();
    missing.sendRequest('InitConnection', undefined, { headers: [{ type: '.ams.headers.ClientProperties' }] });
    expect((await missing.closed).code).toBe(4401);

    const external = await lp.issue();
    const wrongKind = await open();
    wrongKind.sendRequest('InitConnection', undefined, { headers: [{ type: '.ams.headers.ConsumerAuthentication', jwt: external }] });
    expect((await wrongKind.closed).code).toBe(4401);

    const { jwt } = await lp.consumerJwt();
    const foreign = await TestSocket.open(lp.socketUrl('87654321'));
    sockets.push(foreign);
    foreign.sendRequest('InitConnection', undefined, { headers: [{ type: '.ams.headers.ConsumerAuthentication', jwt }] });
    expect((await foreign.closed).code).toBe(4401);
  });

  it('closes 4401 on a request before InitConnection', async () => {
    const socket = await open();
    socket.sendRequest('.GetClock');
    expect((await socket.closed).code).toBe(4401);
  });

  it('closes 4401 when no InitConnection arrives in time', async () => {
    await postJson(`${sandbox.url}/admin/lifetimes`, { lpInitConnectionMs: 100 });
    const socket = await open();
    expect((await socket.closed).code).toBe(4401);
  });

  it('closes 4401 on an expired token', async () => {
    const { jwt } = await lp.consumerJwt();
    await postJson(`${sandbox.url}/admin/clock`, { advanceMs: 61 * 60_000 });
    const socket = await open();
    socket.sendRequest('InitConnection', undefined, { headers: [{ type: '.ams.headers.ConsumerAuthentication', jwt }] });
    expect((await socket.closed).code).toBe(4401);
  });

  it('closes 4407 when the clock is moved past a live socket JWT exp', async () => {
    const { socket } = await connected();
    await postJson(`${sandbox.url}/admin/clock`, { advanceMs: 30 * 60_000 });
    expect(await socket.nothing(() => true, 100)).toBe(true);
    await postJson(`${sandbox.url}/admin/clock`, { advanceMs: 31 * 60_000 });
    expect((await socket.closed).code).toBe(4407);
  });

  it('closes 4407 by real time when a short-lived JWT expires', async () => {
    await postJson(`${sandbox.url}/admin/lifetimes`, { lpInternalTokenMs: 1000 });
    const { socket } = await connected();
    expect((await socket.closed).code).toBe(4407);
  });

  it('handles frames in arrival order while InitConnection is being checked', async () => {
    const { jwt } = await lp.consumerJwt();
    const socket = await open();
    socket.send({ kind: 'req', id: 7, type: 'InitConnection', headers: [{ type: '.ams.headers.ConsumerAuthentication', jwt }] });
    socket.send({ kind: 'req', id: 7, type: '.GetClock' });
    socket.send({ kind: 'req', id: 7, type: '.GetClock' });
    socket.send({ kind: 'req', id: '8', type: 'cqm.SubscribeExConversations', body: { convState: ['OPEN'] } });
    await socket.notification('cqm.ExConversationChangeNotification');
    expect(socket.log.map((f) => [f.reqId, f.code, f.type])).toEqual([
      ['7', 200, '.ReqBody$StringResp'],
      ['7', 200, '.GetClock$Response'],
      ['7', 200, '.GetClock$Response'],
      ['8', 200, 'cqm.SubscribeExConversationsResponse'],
      [undefined, undefined, 'cqm.ExConversationChangeNotification'],
    ]);
  });

  it('closes 1007 on an unparsable frame, 400 on unknown types', async () => {
    const { socket } = await connected();
    const resp = await socket.request('ms.NoSuchThing', {});
    expect(resp).toMatchObject({ code: 400, type: '.ReqBody$StringResp' });
    socket.send('{not json');
    expect((await socket.closed).code).toBe(1007);
  });

  it('closes 1000 after the idle time without a client frame', async () => {
    await postJson(`${sandbox.url}/admin/lifetimes`, { lpIdleMs: 150 });
    const { socket } = await connected();
    expect((await socket.closed).code).toBe(1000);
  });

  it('refuses an upgrade without v=3 (400) and on another path (404)', async () => {
    const base = sandbox.url.replace('http', 'ws');
    const { default: WebSocket } = await import('ws');
    const status = (url: string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url);
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('error', () => {});
      });
    expect(await status(`${base}/ws_api/account/${ACCOUNT}/messaging/consumer`)).toBe(400);
    expect(await status(`${base}/ws_api/account/${ACCOUNT}/messaging/agent?v=3`)).toBe(404);
  });
});

describe('conversations', () => {
  it('answers ExConversations subscribe with {subscriptionId} then a snapshot', async () => {
    const { socket } = await connected();
    const resp = await socket.request('cqm.SubscribeExConversations', { convState: ['OPEN'] });
    expect(resp).toMatchObject({ code: 200, type: 'cqm.SubscribeExConversationsResponse' });
    const snapshot = await socket.notification('cqm.ExConversationChangeNotification');
    expect(snapshot.body).toEqual({ subscriptionId: resp.body.subscriptionId, changes: [] });
    expect(socket.log.indexOf(resp)).toBeLessThan(socket.log.indexOf(snapshot));
  });

  it('creates a conversation: response, then an UPSERT; a second request is 400; the snapshot shows it', async () => {
    const { socket, sub } = await connected();
    await socket.request('cqm.SubscribeExConversations', { convState: ['OPEN'] });
    await socket.notification('cqm.ExConversationChangeNotification');
    const resp = await socket.request('cm.ConsumerRequestConversation', { brandId: ACCOUNT });
    const conversationId = resp.body.conversationId as string;
    const upsert = await socket.notification('cqm.ExConversationChangeNotification');
    expect(socket.log.indexOf(resp)).toBeLessThan(socket.log.indexOf(upsert));
    const change = upsert.body.changes[0];
    expect(change.type).toBe('UPSERT');
    expect(change.result.convId).toBe(conversationId);
    expect(change.result.conversationDetails).toMatchObject({
      brandId: ACCOUNT,
      state: 'OPEN',
      stage: 'OPEN',
      participants: [{ id: sub, role: 'CONSUMER' }],
      dialogs: [{ dialogId: conversationId, dialogType: 'MAIN', channelType: 'MESSAGING', state: 'OPEN' }],
    });

    const second = await socket.request('cm.ConsumerRequestConversation', {});
    expect(second).toMatchObject({ code: 400, body: 'Consumer already has an open conversation' });

    const other = await TestSocket.connect(lp, (await connected()).jwt);
    sockets.push(other);
    // Another consumer sees nothing of it.
    await other.request('cqm.SubscribeExConversations', { convState: ['OPEN'] });
    expect((await other.notification('cqm.ExConversationChangeNotification')).body.changes).toEqual([]);
    expect((await other.request('ms.SubscribeMessagingEvents', { dialogId: conversationId })).code).toBe(404);
  });

  it('publishes: response with the sequence, then the echo to every subscription of the consumer', async () => {
    const identity = await lp.consumerJwt();
    const { socket, sub } = { ...(await connected(identity.jwt)), sub: identity.sub };
    const conversationId = await withConversation(socket);
    const tab2 = (await connected(identity.jwt)).socket;
    await tab2.request('ms.SubscribeMessagingEvents', { dialogId: conversationId, fromSeq: 0 });
    await tab2.notification('ms.MessagingEventNotification');

    const metadata = [{ type: 'ExternalId', id: 'x-1' }];
    const resp = await socket.request('ms.PublishEvent', { dialogId: conversationId, conversationId, event: text('hello') }, { metadata });
    expect(resp).toMatchObject({ code: 200, type: 'ms.PublishEventResponse', body: { sequence: 0 } });
    const echo = await socket.notification('ms.MessagingEventNotification');
    expect(socket.log.indexOf(resp)).toBeLessThan(socket.log.indexOf(echo));
    const change = echo.body.changes[0];
    expect(change).toMatchObject({
      sequence: 0,
      originatorId: sub,
      originatorMetadata: { id: sub, role: 'CONSUMER' },
      conversationId,
      dialogId: conversationId,
      event: text('hello'),
      metadata,
    });
    expect(typeof change.serverTimestamp).toBe('number');
    expect((await tab2.notification('ms.MessagingEventNotification')).body.changes[0]).toMatchObject({ sequence: 0 });

    const second = await socket.request('ms.PublishEvent', { dialogId: conversationId, event: text('again') });
    expect(second.body).toEqual({ sequence: 1 });
    const accept = await socket.request('ms.PublishEvent', { dialogId: conversationId, event: { type: 'AcceptStatusEvent', status: 'READ', sequenceList: [0] } });
    expect(accept.body).toEqual({ sequence: 2 });
  });

  it('validates publish per §5.3', async () => {
    const { socket } = await connected();
    const conversationId = await withConversation(socket);
    const publish = (body: unknown, extra = {}) => socket.request('ms.PublishEvent', body, extra);
    expect((await publish({ dialogId: 'nope', event: text('x') })).code).toBe(404);
    expect((await publish({ dialogId: conversationId, conversationId: 'other', event: text('x') })).code).toBe(404);
    expect((await publish({ dialogId: conversationId, event: { type: 'ContentEvent', message: 'x' } })).code).toBe(400);
    expect((await publish({ dialogId: conversationId, event: text('') })).code).toBe(400);
    expect((await publish({ dialogId: conversationId, event: { type: 'AcceptStatusEvent', status: 'READ', sequenceList: [] } })).code).toBe(400);
    expect((await publish({ dialogId: conversationId, event: { type: 'AcceptStatusEvent', status: 'READ', sequenceList: [5] } })).code).toBe(400);
    expect((await publish({ dialogId: conversationId, event: { type: 'ChatStateEvent', chatState: 'DANCING' } })).code).toBe(400);
    expect((await publish({ dialogId: conversationId, event: text('x') }, { metadata: [{ id: 'no type' }] })).code).toBe(400);
    expect((await publish({ event: text('x') })).code).toBe(400);
  });

  it('replays sequence >= fromSeq in one notification before live events; re-subscribe replaces', async () => {
    const { socket } = await connected();
    const conversationId = await withConversation(socket);
    for (const m of ['a', 'b', 'c']) {
      await socket.request('ms.PublishEvent', { dialogId: conversationId, event: text(m) });
      await socket.notification('ms.MessagingEventNotification');
    }
    const resp = await socket.request('ms.SubscribeMessagingEvents', { dialogId: conversationId, conversationId, fromSeq: 1 });
    expect(resp).toMatchObject({ code: 200, body: {} });
    const history = await socket.notification('ms.MessagingEventNotification');
    expect(history.body.changes.map((c: { sequence: number }) => c.sequence)).toEqual([1, 2]);
    expect(history.body.changes.map((c: { event: { message: string } }) => c.event.message)).toEqual(['b', 'c']);

    await socket.request('ms.PublishEvent', { dialogId: conversationId, event: text('d') });
    const live = await socket.notification('ms.MessagingEventNotification');
    expect(live.body.changes).toHaveLength(1);
    // Replaced, not doubled: exactly one live notification for 'd'.
    expect(await socket.nothing(isNotification('ms.MessagingEventNotification'))).toBe(true);

    const empty = await socket.request('ms.SubscribeMessagingEvents', { dialogId: conversationId, fromSeq: 99 });
    expect(empty.code).toBe(200);
    expect((await socket.notification('ms.MessagingEventNotification')).body.changes).toEqual([]);
  });

  it('relays chat states with sequence 0, no sequence in the change, and never replays them', async () => {
    const { socket, sub } = await connected();
    const conversationId = await withConversation(socket);
    const resp = await socket.request('ms.PublishEvent', { dialogId: conversationId, event: { type: 'ChatStateEvent', chatState: 'COMPOSING' } });
    expect(resp.body).toEqual({ sequence: 0 });
    const echo = await socket.notification('ms.MessagingEventNotification');
    const change = echo.body.changes[0];
    expect(change).toMatchObject({ originatorId: sub, event: { type: 'ChatStateEvent', chatState: 'COMPOSING' } });
    expect(change).not.toHaveProperty('sequence');
    expect(change).not.toHaveProperty('serverTimestamp');

    const next = await socket.request('ms.PublishEvent', { dialogId: conversationId, event: text('first stored') });
    expect(next.body).toEqual({ sequence: 0 });
    await socket.notification('ms.MessagingEventNotification');
    await socket.request('ms.SubscribeMessagingEvents', { dialogId: conversationId, fromSeq: 0 });
    const history = await socket.notification('ms.MessagingEventNotification');
    expect(history.body.changes.map((c: { event: { type: string } }) => c.event.type)).toEqual(['ContentEvent']);
  });

  it('closes with ConversationStateField (array form too): 200, then UPSERT CLOSE to an OPEN-only subscriber', async () => {
    const { socket } = await connected();
    const conversationId = await withConversation(socket);
    const resp = await socket.request('cm.UpdateConversationField', {
      conversationId,
      conversationField: [{ field: 'ConversationStateField', conversationState: 'CLOSE' }],
    });
    expect(resp).toMatchObject({ code: 200 });
    const upsert = await socket.notification('cqm.ExConversationChangeNotification');
    expect(socket.log.indexOf(resp)).toBeLessThan(socket.log.indexOf(upsert));
    const details = upsert.body.changes[0].result.conversationDetails;
    expect(details).toMatchObject({ state: 'CLOSE', stage: 'CLOSE', closeReason: 'CONSUMER' });
    expect(typeof details.endTs).toBe('number');
    expect(details.dialogs[0]).toMatchObject({ state: 'CLOSE', closedBy: 'CONSUMER' });

    expect((await socket.request('ms.PublishEvent', { dialogId: conversationId, event: text('late') })).code).toBe(400);
    // CSAT once, for the closed conversation.
    const csat = { field: 'CSATRate', csatRate: 5, csatResolutionConfirmation: true, status: 'FILLED' };
    expect((await socket.request('cm.UpdateConversationField', { conversationId, conversationField: csat })).code).toBe(200);
    expect((await socket.request('cm.UpdateConversationField', { conversationId, conversationField: csat })).code).toBe(400);
    // A new OPEN snapshot no longer holds it; a new conversation may be requested.
    await socket.request('cqm.SubscribeExConversations', { convState: ['OPEN'] });
    expect((await socket.notification('cqm.ExConversationChangeNotification')).body.changes).toEqual([]);
    expect((await socket.request('cm.ConsumerRequestConversation', {})).code).toBe(200);
  });

  it('closes with Stage and DialogChange too; CSAT on an open conversation is 400; unknown conversation 404', async () => {
    const { socket } = await connected();
    const first = await withConversation(socket);
    const csat = { field: 'CSATRate', csatRate: 3, status: 'FILLED' };
    expect((await socket.request('cm.UpdateConversationField', { conversationId: first, conversationField: csat })).code).toBe(400);
    expect((await socket.request('cm.UpdateConversationField', { conversationId: 'nope', conversationField: csat })).code).toBe(404);
    const byStage = await socket.request('cm.UpdateConversationField', {
      conversationId: first,
      conversationField: { field: 'Stage', conversationState: 'CLOSE' },
    });
    expect(byStage.code).toBe(200);
    const resp = await socket.request('cm.ConsumerRequestConversation', {});
    const second = resp.body.conversationId as string;
    const byDialog = await socket.request('cm.UpdateConversationField', {
      conversationId: second,
      conversationField: { field: 'DialogChange', type: 'UPDATE', dialog: { dialogId: second, state: 'CLOSE', closedCause: 'Closed by consumer' } },
    });
    expect(byDialog.code).toBe(200);
    const list = (await (await fetch(`${sandbox.url}/agent/conversations`)).json()) as { id: string; state: string }[];
    expect(list.map((c) => c.state)).toEqual(['CLOSE', 'CLOSE']);
  });
});

describe('agent API reaching the socket', () => {
  it('delivers an agent message after an UPSERT that shows the assigned agent', async () => {
    const { socket, sub } = await connected();
    const conversationId = await withConversation(socket);
    await socket.request('ms.PublishEvent', { dialogId: conversationId, event: text('hi agent') });
    await socket.notification('ms.MessagingEventNotification');

    const typing = await postJson(`${sandbox.url}/agent/conversations/${conversationId}/typing`, { on: true });
    expect(typing.status).toBe(200);
    const join = await socket.notification('cqm.ExConversationChangeNotification');
    const participants = join.body.changes[0].result.conversationDetails.participants as { id: string; role: string }[];
    expect(participants).toEqual(expect.arrayContaining([{ id: sub, role: 'CONSUMER' }, expect.objectContaining({ role: 'ASSIGNED_AGENT' })]));
    const agentId = participants.find((p) => p.role === 'ASSIGNED_AGENT')?.id;
    const composing = await socket.notification('ms.MessagingEventNotification');
    expect(composing.body.changes[0]).toMatchObject({ originatorId: agentId, event: { type: 'ChatStateEvent', chatState: 'COMPOSING' } });

    const res = await postJson(`${sandbox.url}/agent/conversations/${conversationId}/messages`, { text: 'Hello <b>there</b>' });
    expect(res.status).toBe(200);
    const message = await socket.notification('ms.MessagingEventNotification');
    expect(message.body.changes[0]).toMatchObject({
      sequence: 1,
      originatorId: agentId,
      originatorMetadata: { role: 'ASSIGNED_AGENT' },
      event: { type: 'ContentEvent', contentType: 'text/plain', message: 'Hello <b>there</b>' },
    });
    // The consumer acknowledges it; the agent API lists text messages only.
    await socket.request('ms.PublishEvent', { dialogId: conversationId, event: { type: 'AcceptStatusEvent', status: 'ACCEPT', sequenceList: [1] } });
    const list = (await (await fetch(`${sandbox.url}/agent/conversations`)).json()) as unknown[];
    expect(list).toEqual([
      {
        id: conversationId,
        adapter: 'liveperson',
        consumerId: sub,
        state: 'OPEN',
        messages: [
          { id: expect.any(String), from: 'consumer', text: 'hi agent', at: expect.any(Number) },
          { id: expect.any(String), from: 'agent', text: 'Hello <b>there</b>', at: expect.any(Number) },
        ],
      },
    ]);

    const profile = await fetch(`${sandbox.url}/api/account/${ACCOUNT}/configuration/le-users/users/${agentId}`);
    expect(profile.status).toBe(200);

    expect((await postJson(`${sandbox.url}/agent/conversations/${conversationId}/close`)).status).toBe(200);
    const closed = await socket.notification('cqm.ExConversationChangeNotification');
    expect(closed.body.changes[0].result.conversationDetails).toMatchObject({ state: 'CLOSE', stage: 'CLOSE', closeReason: 'AGENT' });
    expect((await postJson(`${sandbox.url}/agent/conversations/${conversationId}/messages`, { text: 'late' })).status).toBe(409);
    expect((await postJson(`${sandbox.url}/agent/conversations/nope/messages`, { text: 'x' })).status).toBe(404);
  });

  it('echo bot answers every consumer message when on', async () => {
    const { socket } = await connected();
    const conversationId = await withConversation(socket);
    expect(await (await postJson(`${sandbox.url}/agent/echo`, { on: true })).json()).toEqual({ on: true });
    await socket.request('ms.PublishEvent', { dialogId: conversationId, event: text('ping') });
    const reply = await socket.next(
      (f) => f.type === 'ms.MessagingEventNotification' && f.body.changes[0]?.originatorMetadata?.role === 'ASSIGNED_AGENT',
    );
    expect(reply.body.changes[0].event.message).toBe('Echo: ping');
  });
});
