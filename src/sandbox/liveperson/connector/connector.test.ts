import { describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../../index.ts';
import { ACCOUNT, decodeJwt, postJson, useTestSandbox } from '../../test-support.ts';
import { CLIENT_ID, CLIENT_SECRET, ConnectorClient } from './test-support.ts';

let sandbox: RunningSandbox;
let lp: ConnectorClient;

useTestSandbox((started) => {
  sandbox = started;
  lp = new ConnectorClient(started.url);
});

const admin = (path: string, body?: unknown) => postJson(`${sandbox.url}/admin/${path}`, body);
const getJson = async (path: string): Promise<any> => (await fetch(`${sandbox.url}${path}`)).json();

async function expectErrorResp(res: Response, status: number, errorCode: number): Promise<void> {
  expect(res.status).toBe(status);
  const body = (await res.json()) as any;
  expect(body).toMatchObject({ kind: 'resp', code: status, type: '.ReqBody$ErrorResp', body: { errorCode } });
  expect(typeof body.body.title).toBe('string');
  expect(typeof body.body.details).toBe('string');
}

describe('Domain API', () => {
  it('answers sentinel with the bare host:port', async () => {
    const res = await fetch(`${sandbox.url}/api/account/${ACCOUNT}/service/sentinel/baseURI.json?version=1.0`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ service: 'sentinel', account: ACCOUNT, baseURI: new URL(sandbox.url).host });
  });
});

describe('Sentinel app/token', () => {
  it('issues a 1-hour RS256 AppJWT for the default app', async () => {
    const res = await lp.tokenResponse({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { access_token: string; token_type: string };
    expect(body.token_type).toBe('Bearer');
    const { header, payload } = decodeJwt(body.access_token);
    expect(header.alg).toBe('RS256');
    expect(payload).toMatchObject({ aud: ACCOUNT, azp: CLIENT_ID, scope: 'msg.consumer', iss: 'Sentinel' });
    expect(payload.exp - payload.iat).toBe(3600);
    expect(Math.abs(payload.iat - Date.now() / 1000)).toBeLessThan(5);
  });

  it('follows lpAppJwtMs', async () => {
    await admin('lifetimes', { lpAppJwtMs: 120_000 });
    const { payload } = decodeJwt(await lp.appJwt());
    expect(payload.exp - payload.iat).toBe(120);
  });

  it('refuses a wrong secret or an unknown client (401 invalid_client)', async () => {
    for (const form of [
      { client_id: CLIENT_ID, client_secret: 'wrong' },
      { client_id: 'nobody', client_secret: CLIENT_SECRET },
    ]) {
      const res = await lp.tokenResponse(form);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ error: 'invalid_client' });
    }
  });

  it('refuses a JSON body, missing fields, a missing v or grant type (400)', async () => {
    const json = await fetch(`${sandbox.url}/sentinel/api/account/${ACCOUNT}/app/token?v=1.0&grant_type=client_credentials`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET }),
    });
    expect(json.status).toBe(400);
    expect(await json.json()).toMatchObject({ error: 'invalid_request' });
    expect((await lp.tokenResponse({ client_id: CLIENT_ID })).status).toBe(400);
    expect((await lp.tokenResponse({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET }, undefined, 'grant_type=client_credentials')).status).toBe(400);
    const grant = await lp.tokenResponse({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET }, undefined, 'v=1.0&grant_type=password');
    expect(grant.status).toBe(400);
    expect(await grant.json()).toMatchObject({ error: 'unsupported_grant_type' });
    // A charset parameter is fine.
    expect((await lp.tokenResponse({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET }, 'application/x-www-form-urlencoded; charset=UTF-8')).status).toBe(200);
  });
});

describe('ConsumerJWS', () => {
  it('answers 201 {token}, the same lp_consumer_id for the same ext_consumer_id', async () => {
    const appJwt = await lp.appJwt();
    const res = await lp.consumerJwsResponse(appJwt, { ext_consumer_id: 'visitor-1' });
    expect(res.status).toBe(201);
    const first = decodeJwt(((await res.json()) as { token: string }).token);
    expect(first.header.alg).toBe('RS256');
    expect(first.payload).toMatchObject({ account_id: ACCOUNT, ext_consumer_id: 'visitor-1' });
    expect(first.payload.lp_consumer_id).toMatch(/^[0-9a-f]{64}$/);
    expect(first.payload.exp - first.payload.iat).toBe(24 * 3600);
    // Raw or Bearer, again later: same lp_consumer_id; another ext id: another one.
    const again = await lp.consumerJwsResponse(`Bearer ${appJwt}`, { ext_consumer_id: 'visitor-1' });
    expect(again.status).toBe(201);
    expect(decodeJwt(((await again.json()) as { token: string }).token).payload.lp_consumer_id).toBe(first.payload.lp_consumer_id);
    const other = decodeJwt(await lp.consumerJws(appJwt, 'visitor-2'));
    expect(other.payload.lp_consumer_id).not.toBe(first.payload.lp_consumer_id);
  });

  it('refuses a missing (40105) or invalid (40102) AppJWT and a missing ext_consumer_id (40001)', async () => {
    await expectErrorResp(await lp.consumerJwsResponse(undefined, { ext_consumer_id: 'v' }), 401, 40105);
    await expectErrorResp(await lp.consumerJwsResponse('not-a-jwt', { ext_consumer_id: 'v' }), 401, 40102);
    const appJwt = await lp.appJwt();
    await expectErrorResp(await lp.consumerJwsResponse(appJwt, {}), 400, 40001);
    await expectErrorResp(await lp.consumerJwsResponse(appJwt, { ext_consumer_id: 'v' }, 'v=2.0'), 400, 40000);
    // A ConsumerJWS is not an AppJWT: it lacks the Sentinel claims.
    const jws = await lp.consumerJws(appJwt, 'v');
    await expectErrorResp(await lp.consumerJwsResponse(jws, { ext_consumer_id: 'v' }), 400, 40001);
  });
});

describe('REST conversation and send', () => {
  it('creates a conversation the agent API sees, sends, and closes', async () => {
    const appJwt = await lp.appJwt();
    const consumerJws = await lp.consumerJws(appJwt, 'visitor-rest');
    const lpConsumerId = decodeJwt(consumerJws).payload.lp_consumer_id as string;
    const created = await lp.rest('', { appJwt, consumerJws }, lp.createBody(), { 'Client-Properties': JSON.stringify({ type: '.ClientProperties', os: 'LINUX' }) });
    expect(created.status).toBe(200);
    const entries = (await created.json()) as any[];
    expect(entries).toEqual([
      { code: 'OK', body: { msg: expect.any(String) }, reqId: '1,' },
      { code: 'OK', body: { conversationId: expect.any(String) }, reqId: '2,' },
    ]);
    const conversationId = entries[1].body.conversationId as string;

    const sent = await lp.sendText({ appJwt, consumerJws }, conversationId, 'Hello from the server');
    expect(sent.status).toBe(200);
    expect(await sent.json()).toEqual({ reqId: '1', code: 'OK', body: { sequence: 0 } });
    const typing = await lp.rest('/send', { appJwt, consumerJws }, { kind: 'req', id: 2, type: 'ms.PublishEvent', body: { dialogId: conversationId, event: { type: 'ChatStateEvent', chatState: 'COMPOSING' } } });
    expect(await typing.json()).toEqual({ reqId: '2', code: 'OK', body: { sequence: 0 } });

    const listed = (await getJson('/agent/conversations')) as any[];
    expect(listed).toEqual([
      expect.objectContaining({ id: conversationId, adapter: 'liveperson', consumerId: lpConsumerId, state: 'OPEN', messages: [expect.objectContaining({ from: 'consumer', text: 'Hello from the server' })] }),
    ]);
    await postJson(`${sandbox.url}/agent/conversations/${conversationId}/messages`, { text: 'Hi, agent here' });
    const accept = await lp.rest('/send', { appJwt, consumerJws }, { kind: 'req', id: '3', type: 'ms.PublishEvent', body: { dialogId: conversationId, event: { type: 'AcceptStatusEvent', status: 'READ', sequenceList: [1] } } });
    expect(await accept.json()).toEqual({ reqId: '3', code: 'OK', body: { sequence: 2 } });

    // One open conversation per consumer: an error entry.
    const second = await lp.rest('', { appJwt, consumerJws }, lp.createBody());
    expect(second.status).toBe(400);
    expect(await second.json()).toEqual([
      { code: 'OK', body: { msg: expect.any(String) }, reqId: '1,' },
      { code: 'BAD_REQUEST', body: { msg: 'Consumer already has an open conversation' }, reqId: '2,' },
    ]);

    const close = await lp.rest('/send', { appJwt, consumerJws }, {
      kind: 'req',
      id: '4',
      type: 'cm.UpdateConversationField',
      body: { conversationId, conversationField: [{ field: 'ConversationStateField', conversationState: 'CLOSE' }] },
    });
    expect(close.status).toBe(200);
    expect(await close.json()).toMatchObject({ reqId: '4', code: 'OK' });
    expect(((await getJson('/agent/conversations')) as any[])[0].state).toBe('CLOSE');
    const late = await lp.sendText({ appJwt, consumerJws }, conversationId, 'too late');
    expect(late.status).toBe(400);
    expect(await late.json()).toMatchObject({ code: 'BAD_REQUEST' });
    // After the close a new conversation may start.
    expect((await lp.rest('', { appJwt, consumerJws }, lp.createBody())).status).toBe(200);
  });

  it('answers each auth error code', async () => {
    const { appJwt, consumerJws, conversationId } = await lp.conversation('visitor-auth');
    const text = { kind: 'req', id: '1', type: 'ms.PublishEvent', body: { dialogId: conversationId, event: { type: 'ContentEvent', contentType: 'text/plain', message: 'x' } } };
    for (const path of ['', '/send'] as const) {
      const body = path === '' ? lp.createBody() : text;
      await expectErrorResp(await lp.rest(path, { consumerJws }, body), 401, 40105);
      await expectErrorResp(await lp.rest(path, { appJwt: 'garbage', consumerJws }, body), 401, 40102);
      await expectErrorResp(await lp.rest(path, { appJwt }, body), 401, 40104);
      await expectErrorResp(await lp.rest(path, { appJwt, consumerJws: 'garbage' }, body), 401, 40103);
      // An AppJWT is not a ConsumerJWS.
      await expectErrorResp(await lp.rest(path, { appJwt, consumerJws: appJwt }, body), 401, 40103);
      await expectErrorResp(await lp.rest(path, { appJwt, consumerJws }, body, {}, ''), 400, 40001);
    }
    // Missing brandId: 40001 "Brand Id is missing".
    const other = await lp.consumerJws(appJwt, 'visitor-auth-2');
    const noBrand = await lp.rest('', { appJwt, consumerJws: other }, lp.createBody(null));
    expect(noBrand.status).toBe(400);
    expect(await noBrand.json()).toMatchObject({ body: { errorCode: 40001, details: 'Brand Id is missing' } });
    // Malformed bodies: 400 ErrorResp 40000.
    await expectErrorResp(await lp.rest('', { appJwt, consumerJws: other }, { not: 'an array' }), 400, 40000);
    await expectErrorResp(await lp.rest('', { appJwt, consumerJws: other }, [...lp.createBody()].reverse()), 400, 40000);
    // Someone else's conversation is unknown.
    const foreign = await lp.sendText({ appJwt, consumerJws: other }, conversationId, 'not mine');
    expect(foreign.status).toBe(404);
    expect(await foreign.json()).toMatchObject({ reqId: '1', code: 'NOT_FOUND' });
  });

  it('refuses an AppJWT that expired on the sandbox clock (40102) and an expired ConsumerJWS (40103)', async () => {
    const { appJwt, consumerJws, conversationId } = await lp.conversation('visitor-clock');
    expect((await lp.sendText({ appJwt, consumerJws }, conversationId, 'before')).status).toBe(200);
    await admin('clock', { advanceMs: 3_600_000 });
    await expectErrorResp(await lp.sendText({ appJwt, consumerJws }, conversationId, 'after'), 401, 40102);
    await expectErrorResp(await lp.consumerJwsResponse(appJwt, { ext_consumer_id: 'visitor-clock' }), 401, 40102);
    const fresh = await lp.appJwt();
    expect((await lp.sendText({ appJwt: fresh, consumerJws }, conversationId, 'renewed')).status).toBe(200);
    await admin('clock', { advanceMs: 24 * 3_600_000 });
    await expectErrorResp(await lp.sendText({ appJwt: await lp.appJwt(), consumerJws }, conversationId, 'old jws'), 401, 40103);
  });

  it('refuses AppJWTs of an app that no longer exists', async () => {
    await admin('connector/apps', { client_id: 'temp-app', client_secret: 's3cret' });
    const appJwt = await lp.appJwt('temp-app', 's3cret');
    expect((await lp.consumerJwsResponse(appJwt, { ext_consumer_id: 'v' })).status).toBe(201);
    await admin('reset');
    await expectErrorResp(await lp.consumerJwsResponse(appJwt, { ext_consumer_id: 'v' }), 401, 40102);
    expect((await lp.tokenResponse({ client_id: 'temp-app', client_secret: 's3cret' })).status).toBe(401);
  });
});

describe('server-to-server only', () => {
  it('refuses requests with an Origin header (403, no CORS headers) and has no preflight', async () => {
    const appJwt = await lp.appJwt();
    const consumerJws = await lp.consumerJws(appJwt, 'visitor-origin');
    const origin = { Origin: 'http://localhost:5173' };
    const responses = [
      await fetch(`${sandbox.url}/sentinel/api/account/${ACCOUNT}/app/token?v=1.0&grant_type=client_credentials`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...origin },
        body: `client_id=${CLIENT_ID}&client_secret=${CLIENT_SECRET}`,
      }),
      await fetch(`${sandbox.url}/api/account/${ACCOUNT}/consumer?v=1.0`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: appJwt, ...origin },
        body: JSON.stringify({ ext_consumer_id: 'x' }),
      }),
      await lp.rest('', { appJwt, consumerJws }, lp.createBody(), origin),
      await lp.rest('/send', { appJwt, consumerJws }, {}, origin),
    ];
    for (const res of responses) {
      expect(res.status).toBe(403);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
      const text = await res.text();
      expect(text).not.toContain('access_token');
    }
    expect(await getJson('/agent/conversations')).toEqual([]);
    const preflight = await fetch(`${sandbox.url}/sentinel/api/account/${ACCOUNT}/app/token`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://localhost:5173', 'Access-Control-Request-Method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.status).toBe(405);
  });
});

describe('admin', () => {
  it('counts the new call names (not OPTIONS)', async () => {
    const { appJwt, consumerJws, conversationId } = await lp.conversation('visitor-calls');
    await lp.sendText({ appJwt, consumerJws }, conversationId, 'hi');
    await fetch(`${sandbox.url}/api/account/${ACCOUNT}/consumer?v=1.0`, { method: 'OPTIONS' });
    expect(await getJson('/admin/calls')).toEqual({
      'lp.connector.conversation': 1,
      'lp.connector.send': 1,
      'lp.consumer.jws': 1,
      'lp.sentinel.token': 1,
    });
  });

  it('injects faults on the connector calls (429 with Retry-After)', async () => {
    await admin('faults', { call: 'lp.sentinel.token', status: 429 });
    const limited = await lp.tokenResponse({ client_id: CLIENT_ID, client_secret: CLIENT_SECRET });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    const { appJwt, consumerJws } = await lp.conversation('visitor-fault');
    await admin('faults', { call: 'lp.connector.conversation', status: 429, retryAfterSec: 3 });
    const res = await lp.rest('', { appJwt, consumerJws }, lp.createBody());
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3');
    expect(await res.json()).toMatchObject({ kind: 'resp', code: 429, type: '.ReqBody$ErrorResp' });
  });

  it('lists apps without secrets, creates and updates apps, validates endpoints, resets to the default', async () => {
    expect(await getJson('/admin/connector/apps')).toEqual([{ account: ACCOUNT, client_id: CLIENT_ID, webhooks: {}, signature: 'sha1', encoding: 'base64' }]);
    const created = await admin('connector/apps', {
      client_id: 'my-app',
      client_secret: 'my-secret',
      webhooks: { 'ms.MessagingEventNotification.ContentEvent': { endpoint: 'https://hooks.example.com/lp?x=1', max_retries: 3, headers: [{ header_name: 'X-Key', header_value: 'v' }] } },
      retry: { retention_time: 60 },
      signature: 'sha256',
      encoding: 'hex',
    });
    expect(created.status).toBe(201);
    const listed = JSON.stringify(await getJson('/admin/connector/apps'));
    expect(listed).toContain('my-app');
    expect(listed).not.toContain('my-secret');
    expect(listed).not.toContain('sandbox-secret');
    // Update: the secret stays unless given.
    expect((await admin('connector/apps', { client_id: 'my-app', retry: null })).status).toBe(200);
    expect((await lp.tokenResponse({ client_id: 'my-app', client_secret: 'my-secret' }, undefined)).status).toBe(200);

    const bad = async (body: unknown) => (await admin('connector/apps', body)).status;
    expect(await bad({ client_id: 'x' })).toBe(400); // a new app needs a secret
    expect(await bad({ client_id: CLIENT_ID, webhooks: { 'cqm.ExConversationChangeNotification': { endpoint: 'http://example.com/hook' } } })).toBe(400);
    expect(await bad({ client_id: CLIENT_ID, webhooks: { 'ms.AccpetStatusEvent': { endpoint: 'https://a.example' } } })).toBe(400);
    expect(await bad({ client_id: CLIENT_ID, webhooks: { 'cqm.ExConversationChangeNotification': { endpoint: 'https://a.example', max_retries: 6 } } })).toBe(400);
    expect(await bad({ client_id: CLIENT_ID, retry: { retention_time: 1 } })).toBe(400);
    expect(await bad({ client_id: CLIENT_ID, webhooks: { 'cqm.ExConversationChangeNotification': { endpoint: 'https://a.example', headers: { 'x-liveperson-signature': 'forged' } } } })).toBe(400);
    expect(await bad({ client_id: CLIENT_ID, signature: 'md5' })).toBe(400);
    expect(await bad({ client_id: CLIENT_ID, webhooks: { 'cqm.ExConversationChangeNotification': { endpoint: 'http://localhost:9/hook' } } })).toBe(200);

    await admin('reset');
    expect(await getJson('/admin/connector/apps')).toEqual([{ account: ACCOUNT, client_id: CLIENT_ID, webhooks: {}, signature: 'sha1', encoding: 'base64' }]);
  });
});
