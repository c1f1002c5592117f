import { describe, expect, it } from 'vitest';
import { createMappingState, mapStreamEvent } from '../../adapters/salesforce/mapping.ts';
import type { RunningSandbox } from '../index.ts';
import { LpClient, TestSocket, decodeJwt, postJson, useTestSandbox } from '../test-support.ts';
import { DEPLOYMENT, ORG, SfClient, type SseReader } from './test-client.ts';

let sandbox: RunningSandbox;
let sf: SfClient;
const streams: SseReader[] = [];

useTestSandbox((started) => {
  sandbox = started;
  sf = new SfClient(started.url);
}, streams);

const agent = (id: string, action: string, body?: unknown) => postJson(`${sandbox.url}/agent/conversations/${id}/${action}`, body);
const getJson = async (path: string): Promise<any> => (await fetch(`${sandbox.url}${path}`)).json();
async function open(token: string): Promise<SseReader> {
  const reader = await sf.stream(token);
  streams.push(reader);
  return reader;
}

describe('agent API on Salesforce conversations', () => {
  it('lists them with adapter salesforce, the identity subject and the messages of both sides', async () => {
    const { accessToken } = await sf.token();
    const sub = decodeJwt(accessToken).payload.sub as string;
    const id = await sf.create(accessToken);
    const messageId = crypto.randomUUID();
    await sf.send(accessToken, id, 'Hello', messageId);
    expect((await agent(id, 'messages', { text: 'Hi, Alex here' })).status).toBe(200);
    const list = (await getJson('/agent/conversations')) as any[];
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id, adapter: 'salesforce', consumerId: sub, state: 'OPEN', sessionEnded: false });
    expect(list[0].messages).toEqual([
      { id: messageId, from: 'consumer', text: 'Hello', at: expect.any(Number) },
      { id: expect.any(String), from: 'agent', text: 'Hi, Alex here', at: expect.any(Number) },
    ]);
    const detail = await getJson(`/agent/conversations/${id}`);
    expect(detail).toMatchObject({ adapter: 'salesforce', sessionEnded: false });
  });

  it('agent typing becomes typing started/stopped from the Agent; visitor typing shows in the detail', async () => {
    const { accessToken } = await sf.token();
    const id = await sf.create(accessToken);
    const stream = await open(accessToken);
    await stream.drain(50);
    await agent(id, 'typing', { on: true });
    await agent(id, 'typing', { on: false });
    const events = await stream.drain();
    expect(events.map((e) => e.event)).toEqual([
      'CONVERSATION_PARTICIPANT_CHANGED',
      'CONVERSATION_TYPING_STARTED_INDICATOR',
      'CONVERSATION_TYPING_STOPPED_INDICATOR',
    ]);
    expect(events[1]?.json.conversationEntry).toMatchObject({ sender: { role: 'Agent' }, senderDisplayName: 'Alex' });
    await sf.call('POST', `/conversation/${id}/entry`, accessToken, { entryType: 'TypingStartedIndicator', id: crypto.randomUUID() });
    expect((await getJson(`/agent/conversations/${id}`)).consumerTyping).toBe(true);
  });

  it('close from the agent ends the messaging session, not the conversation; agent acts then get 409', async () => {
    const { accessToken } = await sf.token();
    const id = await sf.create(accessToken);
    await agent(id, 'messages', { text: 'hello' });
    const stream = await open(accessToken);
    expect((await agent(id, 'close')).status).toBe(200);
    const events = await stream.drain();
    expect(events.map((e) => e.event)).toEqual(['CONVERSATION_PARTICIPANT_CHANGED', 'CONVERSATION_PARTICIPANT_CHANGED', 'CONVERSATION_SESSION_STATUS_CHANGED']);
    expect(events[0]?.payload.entries[0]).toMatchObject({ operation: 'remove', displayName: 'Alex', participant: { role: 'Agent' } });
    expect(events.some((e) => e.event === 'CONVERSATION_CLOSE_CONVERSATION')).toBe(false);
    const listed = ((await getJson('/agent/conversations')) as any[])[0];
    expect(listed).toMatchObject({ state: 'OPEN', sessionEnded: true });
    expect((await agent(id, 'messages', { text: 'still there?' })).status).toBe(409);
    expect((await agent(id, 'typing', { on: true })).status).toBe(409);
    expect((await agent(id, 'close')).status).toBe(409);
    // The visitor starts a new session; the agent re-joins when it next acts.
    expect((await sf.send(accessToken, id, 'back', undefined, { isNewMessagingSession: true })).status).toBe(202);
    await stream.drain();
    expect((await agent(id, 'messages', { text: 'welcome back' })).status).toBe(200);
    const rejoin = await stream.drain();
    expect(rejoin.map((e) => e.event)).toEqual(['CONVERSATION_PARTICIPANT_CHANGED', 'CONVERSATION_MESSAGE']);
    expect(rejoin[0]?.payload.entries[0]).toMatchObject({ operation: 'add', participant: { role: 'Agent' } });
  });

  it('POST .../end-session ends the session for tests; a LivePerson conversation has none (400)', async () => {
    const { accessToken } = await sf.token();
    const id = await sf.create(accessToken);
    expect((await agent(id, 'end-session')).status).toBe(200);
    expect((await sf.send(accessToken, id, 'plain')).status).toBe(417);
    expect((await agent(crypto.randomUUID(), 'end-session')).status).toBe(404);
    const lp = new LpClient(sandbox.url);
    const socket = await TestSocket.connect(lp, (await lp.consumerJwt()).jwt);
    const resp = await socket.request('cm.ConsumerRequestConversation', {});
    socket.close();
    expect((await agent(resp.body.conversationId, 'end-session')).status).toBe(400);
  });

  it('accept emits delivery and read acknowledgements for the visitor’s messages', async () => {
    const { accessToken } = await sf.token();
    const id = await sf.create(accessToken);
    const first = crypto.randomUUID();
    const second = crypto.randomUUID();
    await sf.send(accessToken, id, 'one', first);
    await sf.send(accessToken, id, 'two', second);
    const stream = await open(accessToken);
    await agent(id, 'accept', { status: 'READ' });
    const events = (await stream.drain()).filter((e) => e.event === 'CONVERSATION_READ_ACKNOWLEDGEMENT');
    expect(events.map((e) => e.json.conversationEntry.relatedRecords[0])).toEqual([first, second]);
  });

  it('the echo bot answers Salesforce visitors', async () => {
    await postJson(`${sandbox.url}/agent/echo`, { on: true });
    const { accessToken } = await sf.token();
    const id = await sf.create(accessToken);
    const stream = await open(accessToken);
    await sf.send(accessToken, id, 'ping me');
    const reply = await stream.next((e) => e.event === 'CONVERSATION_MESSAGE' && e.json.conversationEntry.sender.role === 'Agent');
    expect(reply.payload.abstractMessage.staticContent.text).toBe('Echo: ping me');
  });

  it('agent quick replies become a ChoicesMessage in QuickReplies format, on the stream and in the transcript', async () => {
    const { accessToken } = await sf.token();
    const id = await sf.create(accessToken);
    const stream = await open(accessToken);
    const quickReplies = {
      type: 'quickReplies',
      itemsPerRow: 8,
      replies: [
        { type: 'button', title: 'Yes', click: { actions: [{ type: 'publishText', text: 'Yes please' }], metadata: [{ type: 'ExternalId', id: 'y' }] } },
        { type: 'button', title: 'No', click: { actions: [{ type: 'publishText', text: 'No' }] } },
        { type: 'button', click: { actions: [{ type: 'publishText', text: 'untitled' }] } },
      ],
    };
    expect((await agent(id, 'messages', { text: 'Did this help?', quickReplies })).status).toBe(200);
    const event = await stream.named('CONVERSATION_MESSAGE');
    expect(event.json.conversationEntry).toMatchObject({ sender: { role: 'Agent' }, senderDisplayName: 'Alex' });
    const message = event.payload.abstractMessage;
    expect(message).toMatchObject({ messageType: 'ChoicesMessage', id: event.payload.id });
    expect(message.staticContent).toBeUndefined();
    expect(message.choices).toEqual({
      formatType: 'QuickReplies',
      text: 'Did this help?',
      optionItems: [
        { itemType: 'TitleOptionItem', optionIdentifier: `${message.id}-1`, titleItem: { itemType: 'TitleItem', title: 'Yes' } },
        { itemType: 'TitleOptionItem', optionIdentifier: `${message.id}-2`, titleItem: { itemType: 'TitleItem', title: 'No' } },
      ],
    });
    const [stored] = await sf.entries(accessToken, id, '?entryTypeFilter=Message');
    expect(stored.entryPayload.abstractMessage).toEqual(message);
    // What GuestChat's Salesforce adapter makes of it: the text fallback plus the choices as quick replies.
    const state = createMappingState();
    state.conversationId = id;
    const mapped = mapStreamEvent({ event: event.event, data: event.data }, event.id ?? '', state, Date.now());
    expect(mapped.events).toEqual([
      {
        type: 'message',
        cursor: event.id,
        message: expect.objectContaining({
          from: 'agent',
          text: 'Did this help?\n• Yes\n• No',
          senderName: 'Alex',
          quickReplies: [
            { title: 'Yes', text: 'Yes' },
            { title: 'No', text: 'No' },
          ],
        }),
      },
    ]);
    // The agent console still lists it as text.
    const listed = ((await getJson('/agent/conversations')) as any[])[0];
    expect(listed.messages.at(-1)).toMatchObject({ from: 'agent', text: 'Did this help?' });
    // Without usable chips: a plain text message.
    await agent(id, 'messages', { text: 'Plain', quickReplies: { type: 'quickReplies', replies: [] } });
    const plain = await stream.named('CONVERSATION_MESSAGE');
    expect(plain.payload.abstractMessage).toMatchObject({ messageType: 'StaticContentMessage', staticContent: { formatType: 'Text', text: 'Plain' } });
  });

  it('visitor receipts of agent messages are accepted and not echoed', async () => {
    const { accessToken } = await sf.token();
    const id = await sf.create(accessToken);
    await agent(id, 'messages', { text: 'read me' });
    const [message] = await sf.entries(accessToken, id, '?entryTypeFilter=Message');
    const stream = await open(accessToken);
    await stream.drain(50);
    const res = await sf.call('POST', `/conversation/${id}/acknowledge-entries`, accessToken, {
      acks: [{ id: crypto.randomUUID(), entryType: 'Read', conversationEntryId: message.identifier }],
    });
    expect(res.status).toBe(202);
    expect(await stream.drain()).toEqual([]);
  });
});

describe('admin for Salesforce', () => {
  it('lists Salesforce identities in /admin/tokens and revokes them (401, streams end)', async () => {
    const { accessToken } = await sf.token();
    const { sub, exp } = decodeJwt(accessToken).payload;
    const stream = await open(accessToken);
    const tokens = (await getJson('/admin/tokens')) as any[];
    expect(tokens).toEqual([expect.objectContaining({ adapter: 'salesforce', subject: sub, tenant: ORG, deployment: DEPLOYMENT, expiresAt: exp * 1000, revoked: false, liveStreams: 1 })]);
    expect(await (await postJson(`${sandbox.url}/admin/revoke`, { subject: sub })).json()).toEqual({ revoked: [sub] });
    expect(await stream.finished).toBe('end');
    expect((await sf.call('GET', '/conversation/list', accessToken)).status).toBe(401);
  });

  it('reset forgets Salesforce conversations, identities and options, and cuts streams', async () => {
    await postJson(`${sandbox.url}/admin/sf/options`, { autoStartSession: true });
    const { accessToken } = await sf.token();
    await sf.create(accessToken);
    const stream = await open(accessToken);
    await postJson(`${sandbox.url}/admin/reset`);
    expect(await stream.finished).toBe('error');
    expect(await getJson('/agent/conversations')).toEqual([]);
    expect(await getJson('/admin/tokens')).toEqual([]);
    expect(await getJson('/admin/sf/options')).toEqual({ autoStartSession: false, strictOrgId: false });
    // The token itself is stateless: still valid, with an empty history.
    const list = (await (await sf.call('GET', '/conversation/list', accessToken)).json()) as any;
    expect(list.conversations).toEqual([]);
  });

  it('a send whose answer is lost (fault after): stored, the request cut; the repeat of its id is a no-op', async () => {
    const { accessToken } = await sf.token();
    const id = await sf.create(accessToken);
    const stream = await open(accessToken);
    await postJson(`${sandbox.url}/admin/faults`, { call: 'sf.message', after: true });
    const messageId = crypto.randomUUID();
    await expect(sf.send(accessToken, id, 'Answer lost', messageId)).rejects.toThrow();
    expect((await stream.named('CONVERSATION_MESSAGE')).payload.id).toBe(messageId);
    expect((await sf.send(accessToken, id, 'Answer lost', messageId)).status).toBe(202);
    const list = (await getJson('/agent/conversations')) as any[];
    expect(list[0].messages.map((m: { text: string }) => m.text)).toEqual(['Answer lost']);
  });

  it('POST /admin/sf/emit with data puts that text on the stream as is', async () => {
    const { accessToken } = await sf.token();
    const id = await sf.create(accessToken);
    const stream = await open(accessToken);
    const res = await postJson(`${sandbox.url}/admin/sf/emit`, { conversationId: id, event: 'CONVERSATION_MESSAGE', data: '{"broken": ' });
    expect(res.status).toBe(200);
    const event = await stream.next((e) => e.data === '{"broken": ');
    expect(event.event).toBe('CONVERSATION_MESSAGE');
    expect(Number(event.id)).toBeGreaterThan(0);
    expect((await postJson(`${sandbox.url}/admin/sf/emit`, { conversationId: id, event: 'X', data: 'a\nb' })).status).toBe(400);
    expect((await postJson(`${sandbox.url}/admin/sf/emit`, { conversationId: id, event: 'X', data: 'x', payload: {} })).status).toBe(400);
  });

  it('validates the admin extras', async () => {
    expect((await postJson(`${sandbox.url}/admin/sf/options`, { bogus: true })).status).toBe(400);
    expect((await postJson(`${sandbox.url}/admin/sf/options`, { strictOrgId: 'yes' })).status).toBe(400);
    expect((await postJson(`${sandbox.url}/admin/sf/emit`, { conversationId: crypto.randomUUID(), event: 'X' })).status).toBe(404);
    expect((await postJson(`${sandbox.url}/admin/sf/emit`, { conversationId: 'x', event: 'bad name\n' })).status).toBe(400);
  });
});
