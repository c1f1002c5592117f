import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../index.ts';
import { ACCOUNT, decodeJwt, postJson, startTestSandbox } from '../../test-support.ts';
import { CLIENT_ID, CLIENT_SECRET, ConnectorClient, HookServer, changeOf, isContent, isUpsert, type ReceivedHook } from './test-support.ts';
import { webhookSignature } from './webhooks.ts';

let sandbox: RunningSandbox;
let lp: ConnectorClient;
let hooks: HookServer;

beforeAll(async () => {
  sandbox = await startTestSandbox();
  lp = new ConnectorClient(sandbox.url);
  hooks = await HookServer.start();
});
afterAll(async () => {
  await sandbox.close();
  await hooks.close();
});
beforeEach(async () => {
  await postJson(`${sandbox.url}/admin/reset`);
  hooks.clear();
});

const admin = (path: string, body?: unknown) => postJson(`${sandbox.url}/admin/${path}`, body);
const getJson = async (path: string): Promise<any> => (await fetch(`${sandbox.url}${path}`)).json();
const agentSays = (conversationId: string, text: string) => postJson(`${sandbox.url}/agent/conversations/${conversationId}/messages`, { text });

const ALL_TYPES = [
  'ms.MessagingEventNotification.ContentEvent',
  'ms.MessagingEventNotification.RichContentEvent',
  'ms.MessagingEventNotification.AcceptStatusEvent',
  'ms.MessagingEventNotification.ChatStateEvent',
  'cqm.ExConversationChangeNotification',
];

async function configure(extra: Record<string, unknown> = {}, perType: Record<string, unknown> = {}): Promise<void> {
  const webhooks = Object.fromEntries(ALL_TYPES.map((type) => [type, { endpoint: `${hooks.url}/lp?type=${type}`, ...perType }]));
  const res = await admin('connector/apps', { client_id: CLIENT_ID, webhooks, ...extra });
  expect(res.status).toBe(200);
}

/** Delays count from the failed answer, a few ms after the attempt left. */
function expectDelay(actual: number, expected: number): void {
  expect(actual).toBeGreaterThanOrEqual(expected);
  expect(actual).toBeLessThan(expected + 500);
}

/** Verifies like a connector should: HMAC of the raw bytes, constant-time compare. */
function validSignature(hook: ReceivedHook, secret = CLIENT_SECRET): boolean {
  const expected = Buffer.from(`sha1=${createHmac('sha1', secret).update(hook.raw).digest('base64')}`);
  const given = Buffer.from(String(hook.headers['x-liveperson-signature']));
  return expected.length === given.length && timingSafeEqual(expected, given);
}

describe('signature', () => {
  it('matches the contract check value', () => {
    const body = '{"kind":"notification","body":{"changes":[]},"type":"ms.MessagingEventNotification"}';
    expect(webhookSignature('sandbox-secret', Buffer.from(body))).toBe('sha1=gnCKNCfYmYQ4gJhJfzuzpy8fedg=');
    expect(webhookSignature('sandbox-secret', body, 'sha256', 'hex')).toBe(`sha256=${createHmac('sha256', 'sandbox-secret').update(body).digest('hex')}`);
  });
});

describe('webhook delivery', () => {
  it('posts the create UPSERT, the consumer echo, the agent join and message, signed on the raw bytes', async () => {
    await configure();
    const { appJwt, consumerJws, conversationId } = await lp.conversation('visitor-hooks');
    const lpConsumerId = decodeJwt(consumerJws).payload.lp_consumer_id as string;
    const [created] = await hooks.waitFor(isUpsert);
    expect(created?.body).toMatchObject({ kind: 'notification', type: 'cqm.ExConversationChangeNotification' });
    expect(created?.body.body.subscriptionId).toBeUndefined();
    expect(changeOf(created!)).toMatchObject({
      type: 'UPSERT',
      result: { convId: conversationId, conversationDetails: { brandId: ACCOUNT, state: 'OPEN', participants: [{ id: lpConsumerId, role: 'CONSUMER' }] } },
    });

    // Non-ASCII text: the signature covers the bytes as sent.
    expect((await lp.sendText({ appJwt, consumerJws }, conversationId, 'Grüße 👋')).status).toBe(200);
    const [echo] = await hooks.waitFor(isContent('Grüße 👋'));
    expect(changeOf(echo!)).toMatchObject({ sequence: 0, originatorId: lpConsumerId, originatorMetadata: { role: 'CONSUMER' }, conversationId, dialogId: conversationId });

    expect((await agentSays(conversationId, 'Hello, Alex here')).status).toBe(200);
    const [reply] = await hooks.waitFor(isContent('Hello, Alex here'));
    expect(changeOf(reply!)).toMatchObject({ sequence: 1, originatorMetadata: { role: 'ASSIGNED_AGENT' }, event: { type: 'ContentEvent', contentType: 'text/plain' } });
    const upserts = await hooks.waitFor(isUpsert, 2);
    expect(changeOf(upserts[1]!).result.conversationDetails.participants).toContainEqual({ id: expect.any(String), role: 'ASSIGNED_AGENT' });

    for (const hook of hooks.received) {
      expect(validSignature(hook)).toBe(true);
      expect(hook.headers['content-type']).toBe('application/json');
      expect(hook.headers['x-liveperson-account-id']).toBe(ACCOUNT);
      expect(hook.headers['x-liveperson-client-id']).toBe(CLIENT_ID);
      // One change per request, to the endpoint of its event type.
      expect(hook.body.body.changes).toHaveLength(1);
      const type = hook.body.type === 'cqm.ExConversationChangeNotification' ? hook.body.type : `${hook.body.type}.${changeOf(hook).event.type}`;
      expect(hook.path).toBe(`/lp?type=${type}`);
    }
    // In order: create, echo, agent join, agent message.
    expect(hooks.received.slice(0, 4).map((h) => (isUpsert(h) ? 'UPSERT' : changeOf(h).event.message))).toEqual(['UPSERT', 'Grüße 👋', 'UPSERT', 'Hello, Alex here']);

    // Chat states of both sides, accept ticks, and the close UPSERT.
    await postJson(`${sandbox.url}/agent/conversations/${conversationId}/typing`, { on: true });
    await lp.rest('/send', { appJwt, consumerJws }, { kind: 'req', id: '2', type: 'ms.PublishEvent', body: { dialogId: conversationId, event: { type: 'AcceptStatusEvent', status: 'READ', sequenceList: [1] } } });
    await lp.rest('/send', { appJwt, consumerJws }, { kind: 'req', id: '3', type: 'ms.PublishEvent', body: { dialogId: conversationId, event: { type: 'ChatStateEvent', chatState: 'COMPOSING' } } });
    await postJson(`${sandbox.url}/agent/conversations/${conversationId}/close`);
    const states = await hooks.waitFor((h) => changeOf(h)?.event?.type === 'ChatStateEvent', 2);
    expect(states.map((h) => changeOf(h).originatorMetadata.role).sort()).toEqual(['ASSIGNED_AGENT', 'CONSUMER']);
    expect(changeOf(states[0]!).sequence).toBeUndefined();
    const [read] = await hooks.waitFor((h) => changeOf(h)?.event?.type === 'AcceptStatusEvent');
    expect(changeOf(read!).event).toEqual({ type: 'AcceptStatusEvent', status: 'READ', sequenceList: [1] });
    const [closed] = await hooks.waitFor((h) => isUpsert(h) && changeOf(h).result.conversationDetails.stage === 'CLOSE');
    expect(changeOf(closed!).result.conversationDetails).toMatchObject({ state: 'CLOSE', closeReason: 'AGENT' });

    const deliveries = (await getJson('/admin/connector/deliveries')) as any[];
    expect(deliveries.length).toBe(hooks.received.length);
    expect(deliveries.every((d) => d.delivered && d.attempts === 1 && d.statusCodes[0] === 200)).toBe(true);
    expect(deliveries[0]).toMatchObject({ clientId: CLIENT_ID, conversationId, eventType: 'cqm.ExConversationChangeNotification', endpoint: expect.stringContaining(hooks.url) });
  });

  it('adds the configured headers, signs with sha256/hex when the app asks', async () => {
    await configure({ signature: 'sha256', encoding: 'hex' }, { headers: [{ header_name: 'X-Key', header_value: 'v' }] });
    await lp.conversation('visitor-sha256');
    const [hook] = await hooks.waitFor(isUpsert);
    expect(hook!.headers['x-key']).toBe('v');
    expect(hook!.headers['x-liveperson-signature']).toBe(`sha256=${createHmac('sha256', CLIENT_SECRET).update(hook!.raw).digest('hex')}`);
  });

  it('sends nothing for conversations of other sources or types without an endpoint', async () => {
    await admin('connector/apps', { client_id: CLIENT_ID, webhooks: { 'ms.MessagingEventNotification.ContentEvent': { endpoint: `${hooks.url}/content` } } });
    const { appJwt, consumerJws, conversationId } = await lp.conversation('visitor-some');
    await lp.sendText({ appJwt, consumerJws }, conversationId, 'only this');
    await hooks.waitFor(isContent('only this'));
    await new Promise((r) => setTimeout(r, 100));
    expect(hooks.received).toHaveLength(1);
  });

  it('resends after a 500 by max_retries, 30 s apart on the sandbox clock', async () => {
    await configure({}, { max_retries: 2 });
    hooks.answer(500, 503);
    await lp.conversation('visitor-retry');
    await hooks.waitFor(isUpsert, 1);
    await new Promise((r) => setTimeout(r, 100));
    expect(hooks.received).toHaveLength(1);
    let [delivery] = (await getJson('/admin/connector/deliveries')) as any[];
    expect(delivery).toMatchObject({ state: 'retrying', delivered: false, attempts: 1, statusCodes: [500] });
    expectDelay(delivery.nextAttemptAt - delivery.attemptLog[0].at, 30_000);
    await admin('clock', { advanceMs: 30_000 });
    await hooks.waitFor(isUpsert, 2);
    await admin('clock', { advanceMs: 30_000 });
    const all = await hooks.waitFor(isUpsert, 3);
    // The same bytes every time.
    expect(new Set(all.map((h) => h.raw.toString('base64'))).size).toBe(1);
    await new Promise((r) => setTimeout(r, 50));
    [delivery] = (await getJson('/admin/connector/deliveries')) as any[];
    expect(delivery).toMatchObject({ state: 'delivered', delivered: true, attempts: 3, statusCodes: [500, 503, 200] });
  });

  it('drops a failed delivery when no retries are configured', async () => {
    await configure();
    hooks.answer(500);
    await lp.conversation('visitor-noretry');
    await hooks.waitFor(isUpsert);
    await new Promise((r) => setTimeout(r, 50));
    const [delivery] = (await getJson('/admin/connector/deliveries')) as any[];
    expect(delivery).toMatchObject({ state: 'dropped', delivered: false, statusCodes: [500] });
  });

  it('by retention time: FIFO per conversation, backoff 2 s doubling, in order after recovery', async () => {
    await configure({ retry: { retention_time: 3600 } });
    hooks.answer(500, 500);
    const { appJwt, consumerJws, conversationId } = await lp.conversation('visitor-ttl');
    await hooks.waitFor(isUpsert, 1);
    await lp.sendText({ appJwt, consumerJws }, conversationId, 'first');
    await lp.sendText({ appJwt, consumerJws }, conversationId, 'second');
    await new Promise((r) => setTimeout(r, 100));
    // The head failed: the messages behind it wait.
    expect(hooks.received).toHaveLength(1);
    let deliveries = (await getJson('/admin/connector/deliveries')) as any[];
    expect(deliveries.map((d) => d.state)).toEqual(['retrying', 'queued', 'queued']);
    expectDelay(deliveries[0].nextAttemptAt - deliveries[0].attemptLog[0].at, 2_000);
    await admin('clock', { advanceMs: 2_000 });
    await hooks.waitFor(isUpsert, 2);
    await new Promise((r) => setTimeout(r, 50));
    deliveries = (await getJson('/admin/connector/deliveries')) as any[];
    expectDelay(deliveries[0].nextAttemptAt - deliveries[0].attemptLog[1].at, 4_000);
    await admin('clock', { advanceMs: 4_000 });
    await hooks.waitFor(isContent('second'));
    expect(hooks.received.map((h) => (isUpsert(h) ? 'UPSERT' : changeOf(h).event.message))).toEqual(['UPSERT', 'UPSERT', 'UPSERT', 'first', 'second']);
  });

  it('by retention time: drops what is still undelivered when the retention is up', async () => {
    await configure({ retry: { retention_time: 5 } });
    hooks.answer(500, 500, 500, 500);
    await lp.conversation('visitor-ttl-drop');
    await hooks.waitFor(isUpsert, 1);
    await admin('clock', { advanceMs: 2_000 });
    await hooks.waitFor(isUpsert, 2);
    await new Promise((r) => setTimeout(r, 50));
    await admin('clock', { advanceMs: 4_000 });
    await new Promise((r) => setTimeout(r, 100));
    const [delivery] = (await getJson('/admin/connector/deliveries')) as any[];
    expect(delivery).toMatchObject({ state: 'dropped', dropReason: 'retention time exceeded', attempts: 2 });
  });
});

describe('webhook faults', () => {
  it('corrupts the signature of the next delivery', async () => {
    await configure();
    expect((await admin('faults', { call: 'lp.webhook', corruptSignature: true })).status).toBe(200);
    const { appJwt, consumerJws, conversationId } = await lp.conversation('visitor-corrupt');
    await lp.sendText({ appJwt, consumerJws }, conversationId, 'after the fault');
    const [bad] = await hooks.waitFor(isUpsert);
    const [good] = await hooks.waitFor(isContent('after the fault'));
    expect(String(bad!.headers['x-liveperson-signature'])).toMatch(/^sha1=[A-Za-z0-9+/]+=*$/);
    expect(validSignature(bad!)).toBe(false);
    expect(validSignature(good!)).toBe(true);
    const deliveries = (await getJson('/admin/connector/deliveries')) as any[];
    expect(deliveries[0].attemptLog[0].signatureCorrupted).toBe(true);
  });

  it('duplicates and delays deliveries (the delay on the sandbox clock)', async () => {
    await configure();
    await admin('faults', { call: 'lp.webhook', duplicate: true, eventType: 'cqm.ExConversationChangeNotification' });
    const { appJwt, consumerJws, conversationId } = await lp.conversation('visitor-dup');
    const copies = await hooks.waitFor(isUpsert, 2);
    expect(copies[0]!.raw.equals(copies[1]!.raw)).toBe(true);
    expect(copies[1]!.headers['x-liveperson-signature']).toBe(copies[0]!.headers['x-liveperson-signature']);

    await admin('faults', { call: 'lp.webhook', delayMs: 60_000 });
    await lp.sendText({ appJwt, consumerJws }, conversationId, 'held back');
    await new Promise((r) => setTimeout(r, 100));
    expect(hooks.received.some(isContent('held back'))).toBe(false);
    await admin('clock', { advanceMs: 60_000 });
    await hooks.waitFor(isContent('held back'));
  });

  it('rejects webhook faults that make no sense', async () => {
    expect((await admin('faults', { call: 'lp.webhook', status: 500 })).status).toBe(400);
    expect((await admin('faults', { call: 'lp.domain', corruptSignature: true })).status).toBe(400);
  });
});

describe('reset', () => {
  it('forgets deliveries and pending retries', async () => {
    await configure({}, { max_retries: 5 });
    hooks.answer(500);
    await lp.conversation('visitor-reset');
    await hooks.waitFor(isUpsert);
    await admin('reset');
    expect(await getJson('/admin/connector/deliveries')).toEqual([]);
    await admin('clock', { advanceMs: 60_000 });
    await new Promise((r) => setTimeout(r, 100));
    expect(hooks.received).toHaveLength(1);
  });
});
