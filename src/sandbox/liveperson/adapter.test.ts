/**
 * GuestChat's LivePerson adapter against the sandbox, for what issue 5 adds on both sides: the
 * agent's profile (name and the sandbox's own avatar), quick replies with click metadata, the
 * ACTION + text answer, and the legacy CSAT after close.
 */
import { describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createLivePersonVendor, type WebSocketLike } from '../../adapters/liveperson/index.ts';
import type { ChatMessage, Connection, TransportEvent } from '../../adapters/types.ts';
import type { RunningSandbox } from '../index.ts';
import { ACCOUNT, CONNECTOR, LpClient, TestSocket, postJson, useTestSandbox } from '../test-support.ts';

let sandbox: RunningSandbox;
const open: Connection[] = [];

useTestSandbox((started) => {
  sandbox = started;
}, open);

const clock = { now: () => Date.now(), observeServerTime: () => {} };

async function until<T>(find: () => T | undefined, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function connect() {
  const vendor = createLivePersonVendor(
    { adapter: 'liveperson', account: ACCOUNT, connectorId: CONNECTOR, domainApi: sandbox.url },
    clock,
    { createSocket: (url) => new WebSocket(url) as unknown as WebSocketLike },
  );
  const identity = await vendor.auth.issue();
  const access = await vendor.auth.exchange(identity);
  const events: TransportEvent[] = [];
  const connection = await vendor.transport.connect(access, undefined, (e) => events.push(e));
  open.push(connection);
  const messages = () => events.flatMap((e) => (e.type === 'message' ? [e.message] : []));
  return { vendor, access, connection, events, messages };
}

const META = [{ type: 'ExternalId', id: 'yes-chip' }];
const QUICK_REPLIES = {
  type: 'quickReplies',
  itemsPerRow: 8,
  replies: [
    { type: 'button', title: 'Yes', click: { actions: [{ type: 'publishText', text: 'Yes please' }], metadata: META } },
    { type: 'button', title: 'No', click: { actions: [{ type: 'publishText', text: 'No' }] } },
  ],
};

describe('LivePerson adapter ⇄ sandbox (issue 5)', () => {
  it('names the agent with its sandbox avatar, maps quick replies, answers with ACTION + text, then rates', async () => {
    const { connection, events, messages, access } = await connect();
    await connection.send('hello', 'c1');
    const conversationId = connection.conversationId as string;
    expect((await postJson(`${sandbox.url}/agent/conversations/${conversationId}/messages`, { text: 'Did this help?', quickReplies: QUICK_REPLIES })).status).toBe(200);

    const question = await until(() => messages().find((m) => m.from === 'agent'));
    const avatar = `${sandbox.url}/agent/avatar.svg`;
    expect(events.filter((e) => e.type === 'agent-joined')).toEqual([{ type: 'agent-joined', name: 'Alex', avatar }]);
    expect(question).toMatchObject<Partial<ChatMessage>>({
      text: 'Did this help?',
      senderName: 'Alex',
      senderAvatar: avatar,
      quickReplies: [
        { title: 'Yes', text: 'Yes please', metadata: META },
        { title: 'No', text: 'No' },
      ],
    });
    // The join line comes before the agent's message.
    expect(events.findIndex((e) => e.type === 'agent-joined')).toBeLessThan(events.findIndex((e) => e.type === 'message' && e.message === question));
    const picture = await fetch(avatar);
    expect(picture.headers.get('content-type')).toBe('image/svg+xml');

    const reply = question.quickReplies?.[0];
    const receipt = await connection.send(reply!.text, 'c2', { messageId: question.id, metadata: reply!.metadata });
    const echo = await until(() => messages().find((m) => m.clientId === 'c2'));
    expect(echo).toMatchObject({ id: receipt.id, from: 'visitor', text: 'Yes please' });

    // What the server stored: ACTION on the question with its metadata, then the text with it and our ExternalId.
    const lp = new LpClient(sandbox.url);
    const raw = await TestSocket.connect(lp, access.token);
    try {
      await raw.request('ms.SubscribeMessagingEvents', { dialogId: conversationId, conversationId, fromSeq: 0 });
      const history = await raw.notification('ms.MessagingEventNotification');
      const changes = history.body.changes as any[];
      const questionSeq = Number(question.id.split(':').at(-1));
      const action = changes.find((c) => c.event.type === 'AcceptStatusEvent' && c.event.status === 'ACTION');
      const answer = changes.find((c) => c.event.type === 'ContentEvent' && c.event.message === 'Yes please');
      expect(action).toMatchObject({ event: { sequenceList: [questionSeq] }, metadata: META });
      expect(answer.metadata).toEqual([...META, { type: 'ExternalId', id: 'guestchat:c2' }]);
      expect(answer.sequence).toBeGreaterThan(action.sequence);
    } finally {
      raw.close();
    }

    await connection.endConversation();
    expect(events.at(-1)).toEqual({ type: 'conversation-closed', conversationId, by: 'visitor' });
    await expect(connection.rate!(conversationId, 5)).resolves.toBeUndefined();
    const detail = (await (await fetch(`${sandbox.url}/agent/conversations/${conversationId}`)).json()) as { state: string };
    expect(detail.state).toBe('CLOSE');
    // Once only.
    await expect(connection.rate!(conversationId, 4)).rejects.toMatchObject({ reason: 'request-refused', status: 400 });
  });

  it('refuses a rating for an open conversation (request-refused)', async () => {
    const { connection } = await connect();
    await connection.send('hello', 'c1');
    await expect(connection.rate!(connection.conversationId as string, 3)).rejects.toMatchObject({ reason: 'request-refused', status: 400 });
  });

  it('an unreachable profile is not fatal: the agent stays nameless', async () => {
    await postJson(`${sandbox.url}/admin/faults`, { call: 'lp.profile', status: 500 });
    const { connection, events, messages } = await connect();
    await connection.send('hello', 'c1');
    await postJson(`${sandbox.url}/agent/conversations/${connection.conversationId}/messages`, { text: 'Hi' });
    const hi = await until(() => messages().find((m) => m.from === 'agent'));
    expect(events.filter((e) => e.type === 'agent-joined')).toEqual([{ type: 'agent-joined' }]);
    expect(hi.senderName).toBeUndefined();
    expect(hi.senderAvatar).toBeUndefined();
    expect(events.some((e) => e.type === 'protocol-error')).toBe(false);
  });
});
