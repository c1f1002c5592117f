/**
 * The broker against the GuestChat sandbox's Connector API (Sentinel, ConsumerJWS, REST
 * create/send, signed webhooks): a visitor chats with the agent through the broker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../sandbox/index.ts';
import { startTestSandbox } from '../sandbox/test-support.ts';
import { BrokerHarness } from './test-support/broker-harness.ts';
import { openEvents } from './test-support/sse-client.ts';

const WEBHOOK_TYPES = [
  'ms.MessagingEventNotification.ContentEvent',
  'ms.MessagingEventNotification.RichContentEvent',
  'ms.MessagingEventNotification.AcceptStatusEvent',
  'ms.MessagingEventNotification.ChatStateEvent',
  'cqm.ExConversationChangeNotification',
];

let sandbox: RunningSandbox;
let h: BrokerHarness;

async function admin(path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${sandbox.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${path} -> ${response.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

beforeAll(async () => {
  sandbox = await startTestSandbox();
  h = await BrokerHarness.start(sandbox.url);
  const endpoint = h.broker.webhookUrl.replace('localhost', '127.0.0.1');
  await admin('/admin/connector/apps', {
    client_id: 'guestchat-broker',
    webhooks: Object.fromEntries(WEBHOOK_TYPES.map((type) => [type, { endpoint }])),
  });
}, 20_000);

afterAll(async () => {
  await h?.close();
  await sandbox?.close();
});

describe('broker + sandbox Connector API', () => {
  it('a visitor chats with the agent through the broker; events arrive on SSE and resume', async () => {
    const { visitorToken } = await h.visitor();
    const events = await openEvents(h.url, visitorToken);
    const created = await h.call('POST', '/v1/conversations', { token: visitorToken });
    expect(created.status).toBe(201);
    const { conversationId } = created.json as { conversationId: string };

    const sent = await h.call('POST', `/v1/conversations/${conversationId}/messages`, { token: visitorToken, body: { text: 'Hello agent', clientId: 'sb-1' } });
    expect(sent.status).toBe(200);
    expect(sent.json).toMatchObject({ id: `${conversationId}:0`, sequence: 0 });
    const resend = await h.call('POST', `/v1/conversations/${conversationId}/messages`, { token: visitorToken, body: { text: 'Hello agent', clientId: 'sb-1' } });
    expect(resend.json).toEqual(sent.json);

    const agents = (await admin('/agent/conversations')) as Array<{ id: string; messages: Array<{ from: string; text: string }> }>;
    const mine = agents.find((c) => c.id === conversationId);
    expect(mine?.messages.filter((m) => m.from === 'consumer').map((m) => m.text)).toEqual(['Hello agent']);

    await admin(`/agent/conversations/${conversationId}/messages`, { text: 'Hello visitor' });
    const deadline = Date.now() + 5_000;
    while (!events.events.some((e) => e.event === 'message' && JSON.parse(e.data).from === 'agent')) {
      if (Date.now() > deadline) throw new Error(`no agent message: ${JSON.stringify(events.events)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const messages = events.events.filter((e) => e.event === 'message').map((e) => JSON.parse(e.data));
    expect(messages.find((m) => m.from === 'visitor')).toMatchObject({ text: 'Hello agent', clientId: 'sb-1', id: `${conversationId}:0` });
    expect(messages.find((m) => m.from === 'agent')).toMatchObject({ text: 'Hello visitor', conversationId });
    expect(events.events.some((e) => e.event === 'conversation' && JSON.parse(e.data).state === 'OPEN')).toBe(true);
    const lastId = events.events[events.events.length - 1]?.id;
    events.close();

    // Dropped: the agent answers; the visitor reconnects with Last-Event-Id.
    await admin(`/agent/conversations/${conversationId}/messages`, { text: 'Are you there?' });
    await admin(`/agent/conversations/${conversationId}/close`, {});
    const resumed = await openEvents(h.url, visitorToken, lastId);
    const until = Date.now() + 5_000;
    while (!resumed.events.some((e) => e.event === 'conversation' && JSON.parse(e.data).state === 'CLOSE')) {
      if (Date.now() > until) throw new Error(`no close: ${JSON.stringify(resumed.events)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const texts = resumed.events.filter((e) => e.event === 'message').map((e) => JSON.parse(e.data).text);
    expect(texts).toEqual(['Are you there?']);
    resumed.close();
    expect((await h.call('GET', '/v1/conversations/open', { token: visitorToken })).json).toEqual({ conversationId: null });
  });

  it('renews the AppJWT once when it expires under load', async () => {
    const visitors = await Promise.all(Array.from({ length: 4 }, () => h.visitor()));
    const conversations = await Promise.all(
      visitors.map(async (v) => ({ v, id: ((await h.call('POST', '/v1/conversations', { token: v.visitorToken })).json as { conversationId: string }).conversationId })),
    );
    const before = ((await admin('/admin/calls')) as Record<string, number>)['lp.sentinel.token'] ?? 0;
    await admin('/admin/clock', { advanceMs: 61 * 60 * 1000 });
    const answers = await Promise.all(
      conversations.flatMap(({ v, id }) =>
        Array.from({ length: 5 }, (_, i) => h.call('POST', `/v1/conversations/${id}/messages`, { token: v.visitorToken, body: { text: `load ${i}`, clientId: `load-${i}` } })),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    const after = ((await admin('/admin/calls')) as Record<string, number>)['lp.sentinel.token'] ?? 0;
    expect(after - before).toBe(1);
  });

  it('refuses a webhook with a corrupted signature', async () => {
    const { visitorToken } = await h.visitor();
    const { conversationId } = (await h.call('POST', '/v1/conversations', { token: visitorToken })).json as { conversationId: string };
    await new Promise((resolve) => setTimeout(resolve, 200));
    const refusedBefore = h.broker.stats().webhooksRefused;
    await admin('/admin/faults', { call: 'lp.webhook', corruptSignature: true, times: 1 });
    await admin(`/agent/conversations/${conversationId}/messages`, { text: 'tampered?' });
    const deadline = Date.now() + 5_000;
    while (h.broker.stats().webhooksRefused === refusedBefore) {
      if (Date.now() > deadline) throw new Error('the corrupted delivery never arrived');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const deliveries = (await admin(`/admin/connector/deliveries?conversationId=${conversationId}`)) as Array<{ statusCodes: (number | null)[] }>;
    expect(deliveries.some((d) => d.statusCodes.includes(401))).toBe(true);
    // No answer the broker gave a browser in this file carried the secret or a LivePerson token.
    for (const answer of h.answers) {
      const everything = `${answer.text}${JSON.stringify(answer.headers)}`;
      expect(everything).not.toContain('sandbox-secret');
      expect(everything).not.toMatch(/"(access_token|token)"/);
    }
  });
});
