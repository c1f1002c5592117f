import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CredentialsError } from './errors.ts';
import { startBroker } from './index.ts';
import { BrokerHarness, TEST_ORIGIN, testConfig } from './test-support/broker-harness.ts';
import { FAKE_SECRET, FakeLivePerson, agentMessage, cqmChange } from './test-support/fake-liveperson.ts';
import { openEvents } from './test-support/sse-client.ts';

let lp: FakeLivePerson;
let h: BrokerHarness;

beforeAll(async () => {
  lp = new FakeLivePerson();
  await lp.start();
});
afterAll(() => lp.close());
beforeEach(async () => {
  h = await BrokerHarness.start(lp.url);
});
afterEach(async () => {
  await h.close();
});

const webhook = (): string => h.broker.webhookUrl;

describe('broker start', () => {
  it('refuses to start with a wrong secret, with an error naming the variable and Sentinel 401', async () => {
    const error = await startBroker({ config: testConfig(lp.url, { clientSecret: 'wrong' }), quiet: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsError);
    expect((error as Error).message).toMatch(/401.*LP_CLIENT_SECRET/);
  });

  it('npm run broker: exits 1 with a clear message and never prints the secret', async () => {
    const secret = 'wrong-secret-do-not-print';
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/broker/main.ts'], {
      env: { ...process.env, LP_ACCOUNT: '12345678', LP_CLIENT_ID: 'guestchat-broker', LP_CLIENT_SECRET: secret, LP_DOMAIN_API: lp.url, BROKER_PORT: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(output).toContain('LP_CLIENT_SECRET');
    expect(output).toContain('401');
    expect(output).not.toContain(secret);
  }, 20_000);

  it('names a missing variable', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/broker/main.ts'], {
      env: { ...process.env, LP_ACCOUNT: '12345678', LP_CLIENT_ID: '', LP_CLIENT_SECRET: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(1);
    expect(output).toContain('LP_CLIENT_ID is required');
  }, 20_000);
});

describe('browser API', () => {
  it('chats: visitor token, conversation, exactly-once send, agent reply over SSE, resume', async () => {
    const { visitorToken, visitorId } = await h.visitor();
    expect((await h.call('GET', '/v1/conversations/open', { token: visitorToken })).json).toEqual({ conversationId: null });
    const created = await h.call('POST', '/v1/conversations', { token: visitorToken, body: {} });
    expect(created.status).toBe(201);
    const { conversationId } = created.json as { conversationId: string };
    expect((await h.call('GET', '/v1/conversations/open', { token: visitorToken })).json).toEqual({ conversationId });
    expect((await h.call('POST', '/v1/conversations', { token: visitorToken, body: {} })).json).toEqual({ conversationId, created: false });

    const events = await openEvents(h.url, visitorToken);
    expect(events.status).toBe(200);

    const path = `/v1/conversations/${conversationId}/messages`;
    const sends = lp.calls.filter((c) => c.path.endsWith('/send')).length;
    const [a, b] = await Promise.all([
      h.call('POST', path, { token: visitorToken, body: { text: 'Hello', clientId: 'c-1' } }),
      h.call('POST', path, { token: visitorToken, body: { text: 'Hello', clientId: 'c-1' } }),
    ]);
    const again = await h.call('POST', path, { token: visitorToken, body: { text: 'Hello', clientId: 'c-1' } });
    expect(a.status).toBe(200);
    expect(b.json).toEqual(a.json);
    expect(again.json).toEqual(a.json);
    expect(a.json).toMatchObject({ id: `${conversationId}:0`, sequence: 0, conversationId });
    const publishes = lp.calls.filter((c) => c.path.endsWith('/send')).slice(sends);
    expect(publishes).toHaveLength(1);
    expect(publishes[0]?.body).toMatchObject({
      type: 'ms.PublishEvent',
      body: { dialogId: conversationId, event: { type: 'ContentEvent', contentType: 'text/plain', message: 'Hello' } },
      metadata: [{ type: 'ExternalId', id: 'guestchat:c-1' }],
    });
    expect(publishes[0]?.authorization).toBeTruthy();
    expect(publishes[0]?.onBehalf).toBeTruthy();

    // The echo of our own message, then the agent's reply; a duplicate delivery is dropped.
    const echo = {
      kind: 'notification',
      type: 'ms.MessagingEventNotification',
      body: { changes: [{ sequence: 0, originatorId: `lp-${visitorId}`, originatorMetadata: { id: `lp-${visitorId}`, role: 'CONSUMER' }, serverTimestamp: 5, event: { type: 'ContentEvent', contentType: 'text/plain', message: 'Hello' }, conversationId, dialogId: conversationId, metadata: [{ type: 'ExternalId', id: 'guestchat:c-1' }] }] },
    };
    expect((await FakeLivePerson.deliver(webhook(), echo)).status).toBe(200);
    expect((await FakeLivePerson.deliver(webhook(), agentMessage(conversationId, 1, 'Hi, how can I help?'))).status).toBe(200);
    expect((await FakeLivePerson.deliver(webhook(), agentMessage(conversationId, 1, 'Hi, how can I help?'))).status).toBe(200);
    await h.broker.webhooksIdle();
    const got = await events.waitFor(2);
    expect(got.map((e) => e.event)).toEqual(['message', 'message']);
    expect(JSON.parse(got[0]?.data ?? '')).toMatchObject({ id: `${conversationId}:0`, from: 'visitor', text: 'Hello', clientId: 'c-1' });
    expect(JSON.parse(got[1]?.data ?? '')).toMatchObject({ id: `${conversationId}:1`, from: 'agent', text: 'Hi, how can I help?', role: 'ASSIGNED_AGENT', at: 1_700_000_000_001 });
    const firstId = got[0]?.id ?? '';
    events.close();

    // While disconnected: typing, a receipt, another message, the close.
    await FakeLivePerson.deliver(webhook(), { kind: 'notification', type: 'ms.MessagingEventNotification', body: { changes: [{ originatorId: 'agent-1', originatorMetadata: { role: 'ASSIGNED_AGENT' }, event: { type: 'ChatStateEvent', chatState: 'COMPOSING' }, conversationId, dialogId: conversationId }] } });
    await FakeLivePerson.deliver(webhook(), { kind: 'notification', type: 'ms.MessagingEventNotification', body: { changes: [{ sequence: 2, originatorId: 'agent-1', originatorMetadata: { role: 'ASSIGNED_AGENT' }, event: { type: 'AcceptStatusEvent', status: 'READ', sequenceList: [0] }, conversationId, dialogId: conversationId }] } });
    await FakeLivePerson.deliver(webhook(), agentMessage(conversationId, 3, 'Anything else?'));
    await FakeLivePerson.deliver(webhook(), cqmChange(conversationId, `lp-${visitorId}`, 'CLOSE', 2_000, 'agent-1'));
    await FakeLivePerson.deliver(webhook(), cqmChange(conversationId, `lp-${visitorId}`, 'OPEN', 1_000, 'agent-1')); // stale
    await h.broker.webhooksIdle();

    const resumed = await openEvents(h.url, visitorToken, firstId);
    const after = await resumed.waitFor(5);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(resumed.events.map((e) => e.event)).toEqual(['message', 'typing', 'receipt', 'message', 'conversation']);
    expect(JSON.parse(after[0]?.data ?? '').id).toBe(`${conversationId}:1`);
    expect(JSON.parse(after[1]?.data ?? '')).toMatchObject({ on: true });
    expect(JSON.parse(after[2]?.data ?? '')).toMatchObject({ status: 'read', messageIds: [`${conversationId}:0`] });
    expect(JSON.parse(after[4]?.data ?? '')).toMatchObject({ conversationId, state: 'CLOSE', closedBy: 'agent', agent: { id: 'agent-1' } });
    resumed.close();

    expect((await h.call('GET', '/v1/conversations/open', { token: visitorToken })).json).toEqual({ conversationId: null });
    const closed = await h.call('POST', path, { token: visitorToken, body: { text: 'late', clientId: 'c-2' } });
    expect(closed.status).toBe(409);
    expect(closed.json.error.code).toBe('conversation-closed');
  });

  it('typing, read and close reach LivePerson with both headers; foreign conversations are 404', async () => {
    const v1 = await h.visitor();
    const v2 = await h.visitor();
    const { conversationId } = (await h.call('POST', '/v1/conversations', { token: v1.visitorToken })).json as { conversationId: string };
    expect((await h.call('POST', `/v1/conversations/${conversationId}/typing`, { token: v1.visitorToken, body: { on: true } })).status).toBe(204);
    await h.call('POST', `/v1/conversations/${conversationId}/messages`, { token: v1.visitorToken, body: { text: 'x', clientId: 'a' } });
    expect((await h.call('POST', `/v1/conversations/${conversationId}/read`, { token: v1.visitorToken, body: { sequences: [0] } })).status).toBe(204);
    const last = lp.calls[lp.calls.length - 1];
    expect(last?.body).toMatchObject({ type: 'ms.PublishEvent', body: { event: { type: 'AcceptStatusEvent', status: 'READ', sequenceList: [0] } } });

    for (const [method, suffix, body] of [['POST', '/messages', { text: 'x', clientId: 'b' }], ['POST', '/typing', { on: true }], ['POST', '/read', { sequences: [0] }], ['POST', '/close', {}]] as const) {
      const answer = await h.call(method, `/v1/conversations/${conversationId}${suffix}`, { token: v2.visitorToken, body });
      expect(answer.status).toBe(404);
      expect(answer.json.error.code).toBe('not-found');
    }
    expect((await h.call('POST', `/v1/conversations/${conversationId}/close`, { token: v1.visitorToken })).status).toBe(204);
    expect(lp.calls[lp.calls.length - 1]?.body).toMatchObject({ type: 'cm.UpdateConversationField', body: { conversationId, conversationField: [{ field: 'ConversationStateField', conversationState: 'CLOSE' }] } });
    expect((await h.call('GET', '/v1/conversations/open', { token: v1.visitorToken })).json).toEqual({ conversationId: null });
    expect((await h.call('POST', '/v1/conversations', { token: v1.visitorToken })).status).toBe(201);
  });

  it('checks tokens and input', async () => {
    expect((await h.call('GET', '/v1/conversations/open')).json.error.code).toBe('visitor-token-missing');
    expect((await h.call('GET', '/v1/conversations/open', { token: 'nope' })).json.error.code).toBe('visitor-token-invalid');
    const v = await h.visitor();
    const { conversationId } = (await h.call('POST', '/v1/conversations', { token: v.visitorToken })).json as { conversationId: string };
    const bad = await h.call('POST', `/v1/conversations/${conversationId}/messages`, { token: v.visitorToken, body: { text: '', clientId: 'a' } });
    expect(bad.status).toBe(400);
    expect((await h.call('POST', `/v1/conversations/${conversationId}/messages`, { token: v.visitorToken, body: { text: 'x', clientId: 'x'.repeat(60) } })).status).toBe(400);
    const refreshed = await h.call('POST', '/v1/visitors/refresh', { token: v.visitorToken });
    expect(refreshed.status).toBe(200);
    expect(refreshed.json.visitorId).toBe(v.visitorId);
    expect((await openEvents(h.url, v.visitorToken, 'garbage')).status).toBe(400);
  });

  it('rate-limits visitor issuance per address with Retry-After', async () => {
    const statuses = [];
    for (let i = 0; i < 11; i += 1) statuses.push((await h.call('POST', '/v1/visitors')).status);
    expect(statuses.slice(0, 10).every((s) => s === 201)).toBe(true);
    const limited = h.answers[h.answers.length - 1];
    expect(limited?.status).toBe(429);
    expect(limited?.json.error.code).toBe('rate-limited');
    expect(Number(limited?.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(limited?.headers['access-control-expose-headers']).toContain('Retry-After');
  });

  it('renews the AppJWT exactly once when LivePerson rejects it under load (40102)', async () => {
    const visitors = await Promise.all(Array.from({ length: 5 }, () => h.visitor()));
    const conversations = await Promise.all(visitors.map(async (v) => ({ v, id: ((await h.call('POST', '/v1/conversations', { token: v.visitorToken })).json as { conversationId: string }).conversationId })));
    const before = lp.sentinelCalls;
    const renewalsBefore = h.broker.stats().appJwtRenewals;
    lp.expireAppJwts();
    lp.sentinelDelayMs = 50;
    const answers = await Promise.all(
      conversations.flatMap(({ v, id }) => Array.from({ length: 6 }, (_, i) => h.call('POST', `/v1/conversations/${id}/messages`, { token: v.visitorToken, body: { text: `m${i}`, clientId: `load-${i}` } }))),
    );
    lp.sentinelDelayMs = 0;
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    expect(lp.sentinelCalls - before).toBe(1);
    expect(h.broker.stats().appJwtRenewals - renewalsBefore).toBe(1);
  });

  it('never answers with the AppJWT, a ConsumerJWS or the secret', async () => {
    const v = await h.visitor();
    const { conversationId } = (await h.call('POST', '/v1/conversations', { token: v.visitorToken })).json as { conversationId: string };
    await h.call('POST', `/v1/conversations/${conversationId}/messages`, { token: v.visitorToken, body: { text: 'x', clientId: 'q' } });
    lp.expireAppJwts();
    await h.call('POST', `/v1/conversations/${conversationId}/typing`, { token: v.visitorToken, body: { on: false } });
    await h.call('POST', '/v1/conversations/nope/close', { token: v.visitorToken });
    const credentials = [FAKE_SECRET, ...lp.calls.flatMap((c) => [c.authorization, c.onBehalf]).filter((x): x is string => !!x)];
    expect(credentials.length).toBeGreaterThan(2);
    for (const answer of h.answers) {
      const everything = `${answer.text}\n${JSON.stringify(answer.headers)}`;
      for (const credential of credentials) expect(everything).not.toContain(credential);
    }
  });
});

describe('CORS', () => {
  it('answers preflights for allowed origins only; the webhook route has no CORS', async () => {
    const ok = await fetch(`${h.url}/v1/conversations/open`, { method: 'OPTIONS', headers: { Origin: TEST_ORIGIN, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' } });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(TEST_ORIGIN);
    expect(ok.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type, Last-Event-Id');
    const evil = await fetch(`${h.url}/v1/visitors`, { method: 'POST', headers: { Origin: 'https://evil.example' } });
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const hook = await fetch(webhook(), { method: 'OPTIONS', headers: { Origin: TEST_ORIGIN } });
    expect(hook.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('webhooks', () => {
  it('refuses bad signatures and foreign app/account headers without processing them', async () => {
    const v = await h.visitor();
    const { conversationId } = (await h.call('POST', '/v1/conversations', { token: v.visitorToken })).json as { conversationId: string };
    const events = await openEvents(h.url, v.visitorToken);
    const message = agentMessage(conversationId, 7, 'forged');
    expect((await FakeLivePerson.deliver(webhook(), message, { secret: 'not-the-secret' })).status).toBe(401);
    expect((await FakeLivePerson.deliver(webhook(), message, { signature: 'sha1=gnCKNCfYmYQ4gJhJfzuzpy8fedg=' })).status).toBe(401);
    expect((await FakeLivePerson.deliver(webhook(), message, { clientId: 'other-app' })).status).toBe(401);
    expect((await FakeLivePerson.deliver(webhook(), message, { account: '999' })).status).toBe(401);
    expect(h.broker.stats().webhooksRefused).toBe(4);
    // sha256 + hex is accepted (per-account signature settings).
    expect((await FakeLivePerson.deliver(webhook(), agentMessage(conversationId, 8, 'real'), { algorithm: 'sha256', encoding: 'hex' })).status).toBe(200);
    await h.broker.webhooksIdle();
    const got = await events.waitFor(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(got.map((e) => JSON.parse(e.data).text)).toEqual(['real']);
    events.close();
  });
});

describe('event stream lifetime', () => {
  it('sends keep-alive comments and ends with auth-expired when the visitor token expires', async () => {
    const short = await BrokerHarness.start(lp.url, {}, { visitorTokenTtlMs: 1_500, keepAliveMs: 100 });
    try {
      const { visitorToken } = await short.visitor();
      const response = await fetch(`${short.url}/v1/events`, { headers: { Authorization: `Bearer ${visitorToken}`, Origin: TEST_ORIGIN } });
      expect(response.headers.get('content-type')).toContain('text/event-stream');
      expect(response.headers.get('access-control-allow-origin')).toBe(TEST_ORIGIN);
      const text = await response.text(); // ends when the token expires
      expect(text).toContain(': keep-alive');
      expect(text).toMatch(/event: auth-expired\ndata: \{\}\n\n$/);
      const after = await short.call('GET', '/v1/events', { token: visitorToken });
      expect(after.status).toBe(401);
      expect(after.json.error.code).toBe('visitor-token-expired');
    } finally {
      await short.close();
    }
  });
});
