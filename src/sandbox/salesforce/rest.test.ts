import { describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../index.ts';
import { decodeJwt, postJson, useTestSandbox } from '../test-support.ts';
import { API, DEPLOYMENT, ORG, ORG18, SfClient, type SseReader } from './test-client.ts';

let sandbox: RunningSandbox;
let sf: SfClient;
const streams: SseReader[] = [];

useTestSandbox((started) => {
  sandbox = started;
  sf = new SfClient(started.url);
}, streams);

const admin = (path: string, body?: unknown) => postJson(`${sandbox.url}/admin/${path}`, body);
const getJson = async (path: string): Promise<any> => (await fetch(`${sandbox.url}${path}`)).json();
async function open(token: string, options: Parameters<SfClient['stream']>[1] = {}): Promise<SseReader> {
  const reader = await sf.stream(token, options);
  streams.push(reader);
  return reader;
}

describe('guest token (§2.1, S2, S3)', () => {
  it('issues a 3-part HS256 JWT without Authorization, with a string lastEventId and an api deployment', async () => {
    const res = await sf.tokenRequest({ deviceId: crypto.randomUUID(), context: { appName: 'GuestChat', clientVersion: '0.1.0' }, unknownField: 1 });
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.accessToken.split('.')).toHaveLength(3);
    expect(body.lastEventId).toBe('0');
    expect(body.context.configuration.embeddedServiceConfig).toMatchObject({ name: DEPLOYMENT, deploymentType: 'api', forms: [] });
    const { header, payload } = decodeJwt(body.accessToken);
    expect(header.alg).toBe('HS256');
    expect(payload).toMatchObject({ iss: 'guestchat-sandbox', orgId: ORG, esDeveloperName: DEPLOYMENT });
    expect(payload.exp - payload.iat).toBe(3600);
    expect(typeof payload.sub).toBe('string');
    expect(typeof payload.clientId).toBe('string');
  });

  it('ignores an Authorization header if sent, even a bogus one', async () => {
    expect((await sf.tokenRequest({}, { Authorization: 'Bearer nonsense' })).status).toBe(200);
  });

  it('accepts the 18-character org id and stores its first 15', async () => {
    const { accessToken } = await sf.token({ orgId: ORG18 });
    expect(decodeJwt(accessToken).payload.orgId).toBe(ORG);
  });

  it('refuses missing fields, unknown orgs and deployments, and non-api deployments with 400 {message, code}', async () => {
    for (const field of ['orgId', 'esDeveloperName', 'capabilitiesVersion', 'platform']) {
      const res = await sf.tokenRequest({ [field]: undefined });
      expect(res.status, field).toBe(400);
      const body = (await res.json()) as any;
      expect(typeof body.message).toBe('string');
      expect(body.code).toMatch(/^[A-Z_]+$/);
    }
    expect((await sf.tokenRequest({ orgId: '00D000000000XYZ' })).status).toBe(400);
    expect((await sf.tokenRequest({ orgId: 'not-an-org' })).status).toBe(400);
    expect((await sf.tokenRequest({ esDeveloperName: 'Nope' })).status).toBe(400);
    const legacy = await sf.tokenRequest({ esDeveloperName: 'GuestChat_Legacy' });
    expect(legacy.status).toBe(400);
    expect(await legacy.json()).toEqual({ message: "Set the esDeveloperName to a deploymentType that's set to api", code: 'INVALID_DEPLOYMENT_TYPE' });
  });

  it('serves the visible pre-chat form of a deployment that has one', async () => {
    const { context } = await sf.token({ esDeveloperName: 'GuestChat_Prechat' });
    const forms = context.configuration.embeddedServiceConfig.forms;
    expect(forms[0]).toMatchObject({ displayContext: 'Conversation', formFields: [{ name: 'FirstName', isHidden: false, type: 'Text' }] });
  });
});

describe('expiry and continuation (S4, S5)', () => {
  it('continuation: a different token, same identity and exp, a fresh lastEventId', async () => {
    const first = await sf.token();
    const conversationId = await sf.create(first.accessToken);
    await admin('clock', { advanceMs: 60_000 });
    const res = await sf.call('GET', '/authorization/continuation-access-token', first.accessToken, undefined, { 'Content-Type': 'application/json' });
    expect(res.status).toBe(200);
    const next = (await res.json()) as any;
    expect(next.accessToken).not.toBe(first.accessToken);
    const a = decodeJwt(first.accessToken).payload;
    const b = decodeJwt(next.accessToken).payload;
    expect(b).toMatchObject({ sub: a.sub, exp: a.exp, orgId: a.orgId, esDeveloperName: a.esDeveloperName });
    expect(b.clientId).not.toBe(a.clientId);
    expect(Number(next.lastEventId)).toBeGreaterThan(0);
    const list = (await (await sf.call('GET', '/conversation/list', next.accessToken)).json()) as any;
    expect(list.conversations.map((c: any) => c.conversationId)).toEqual([conversationId]);
  });

  it('after the TTL every protected call gets 401 "Jwt is expired", the continuation too', async () => {
    const { accessToken } = await sf.token();
    const conversationId = await sf.create(accessToken);
    await admin('clock', { advanceMs: 3_600_000 });
    const calls = [
      sf.call('GET', '/authorization/continuation-access-token', accessToken),
      sf.call('GET', '/conversation/list', accessToken),
      sf.send(accessToken, conversationId, 'late'),
      sf.call('GET', `/conversation/${conversationId}/entries`, accessToken),
      sf.call('DELETE', `/conversation/${conversationId}?esDeveloperName=${DEPLOYMENT}`, accessToken),
    ];
    for (const res of await Promise.all(calls)) {
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ message: 'Jwt is expired', code: 'JWT_EXPIRED' });
    }
  });

  it('follows the sfTokenMs lifetime, and refuses missing or forged tokens with 401', async () => {
    await admin('lifetimes', { sfTokenMs: 120_000 });
    const { accessToken } = await sf.token();
    const { payload } = decodeJwt(accessToken);
    expect(payload.exp - payload.iat).toBe(120);
    expect((await sf.call('GET', '/conversation/list', undefined)).status).toBe(401);
    const [h, , s] = accessToken.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...payload, exp: payload.exp + 9999 })).toString('base64url')}.${s}`;
    const res = await sf.call('GET', '/conversation/list', forged);
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).code).toBe('INVALID_TOKEN');
  });
});

describe('conversations (S6, S10, S11)', () => {
  it('creates with 201, refuses a non-lowercase-UUID (400), another deployment (400) and reuse (409)', async () => {
    const { accessToken } = await sf.token();
    const id = crypto.randomUUID();
    const create = (conversationId: string, esDeveloperName = DEPLOYMENT) =>
      sf.call('POST', '/conversation', accessToken, { conversationId, esDeveloperName, routingAttributes: { FirstName: 'Sam' } });
    expect((await create(id.toUpperCase())).status).toBe(400);
    expect((await create('not-a-uuid')).status).toBe(400);
    expect((await create(id, 'GuestChat_Prechat')).status).toBe(400);
    expect((await create(id, 'GuestChat_Legacy')).status).toBe(400);
    expect((await sf.call('POST', '/conversation', accessToken, { esDeveloperName: DEPLOYMENT })).status).toBe(400);
    const created = await create(id);
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ conversationId: id });
    const again = await create(id);
    expect(again.status).toBe(409);
    expect(((await again.json()) as any).code).toBe('CONFLICT');
  });

  it('requires Content-Type: application/json on bodies (415)', async () => {
    const { accessToken } = await sf.token();
    const res = await fetch(`${sandbox.url}${API}/conversation`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${accessToken}`, 'Content-Type': 'text/plain' },
      body: JSON.stringify({ conversationId: crypto.randomUUID(), esDeveloperName: DEPLOYMENT }),
    });
    expect(res.status).toBe(415);
  });

  it('emits routing result then participant-added on create', async () => {
    const { accessToken } = await sf.token();
    const stream = await open(accessToken);
    const id = await sf.create(accessToken);
    const [routing, joined] = await Promise.all([stream.named('CONVERSATION_ROUTING_RESULT'), stream.named('CONVERSATION_PARTICIPANT_CHANGED')]);
    expect(Number(routing.id)).toBeLessThan(Number(joined.id));
    expect(routing.json.conversationId).toBe(id);
    expect(routing.payload).toMatchObject({ entryType: 'RoutingResult', routingType: 'Initial', failureType: 'None' });
    expect(routing.json.conversationEntry.sender.role).toBe('Router');
    expect(joined.payload.entries[0]).toMatchObject({ operation: 'add', displayName: 'Guest', participant: { role: 'EndUser' } });
  });

  it('lists only the caller identity’s conversations, newest first, closed ones on request with endTimestamp', async () => {
    const a = await sf.token();
    const b = await sf.token();
    const first = await sf.create(a.accessToken);
    await admin('clock', { advanceMs: 1000 });
    const second = await sf.create(a.accessToken);
    await sf.create(b.accessToken);
    const list = (await (await sf.call('GET', '/conversation/list?inclClosedConvs=false&limit=20', a.accessToken)).json()) as any;
    expect(list).toMatchObject({ openConversationsFound: 2, closedConversationsFound: 0 });
    expect(list.conversations.map((c: any) => c.conversationId)).toEqual([second, first]);
    expect(list.conversations[0]).not.toHaveProperty('endTimestamp');
    expect((await sf.call('DELETE', `/conversation/${first}?esDeveloperName=${DEPLOYMENT}`, a.accessToken)).status).toBe(204);
    const open = (await (await sf.call('GET', '/conversation/list', a.accessToken)).json()) as any;
    expect(open.conversations.map((c: any) => c.conversationId)).toEqual([second]);
    const all = (await (await sf.call('GET', '/conversation/list?inclClosedConvs=true&limit=1', a.accessToken)).json()) as any;
    expect(all.conversations).toHaveLength(1);
    const both = (await (await sf.call('GET', '/conversation/list?inclClosedConvs=true', a.accessToken)).json()) as any;
    expect(both).toMatchObject({ openConversationsFound: 1, closedConversationsFound: 1 });
    expect(both.conversations.find((c: any) => c.conversationId === first).endTimestamp).toEqual(expect.any(Number));
  });

  it('close: 204 + close event, again 204 without a second event; later writes 404, reads work', async () => {
    const { accessToken } = await sf.token();
    const id = await sf.create(accessToken);
    expect((await sf.send(accessToken, id, 'hello')).status).toBe(202);
    const stream = await open(accessToken);
    const close = () => sf.call('DELETE', `/conversation/${id}?esDeveloperName=${DEPLOYMENT}`, accessToken, undefined, { 'Content-Type': 'application/json' });
    const res = await close();
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    const event = await stream.named('CONVERSATION_CLOSE_CONVERSATION');
    expect(event.json.conversationId).toBe(id);
    expect(event.json.conversationEntry).toMatchObject({ entryType: 'CloseConversation', sender: { role: 'EndUser' }, senderDisplayName: 'Guest' });
    expect((await close()).status).toBe(204);
    expect(await stream.drain()).toEqual([]);
    expect((await sf.send(accessToken, id, 'after')).status).toBe(404);
    expect((await sf.call('POST', `/conversation/${id}/entry`, accessToken, { entryType: 'TypingStartedIndicator', id: crypto.randomUUID() })).status).toBe(404);
    expect((await sf.call('DELETE', `/conversation/${id}/session?esDeveloperName=${DEPLOYMENT}`, accessToken)).status).toBe(404);
    const entries = await sf.entries(accessToken, id);
    expect(entries.some((e) => e.entryType === 'Message')).toBe(true);
    expect((await sf.call('DELETE', `/conversation/${crypto.randomUUID()}?esDeveloperName=${DEPLOYMENT}`, accessToken)).status).toBe(404);
  });

  it('another identity gets 404 for a conversation it does not own', async () => {
    const a = await sf.token();
    const b = await sf.token();
    const id = await sf.create(a.accessToken);
    expect((await sf.send(b.accessToken, id, 'hi')).status).toBe(404);
    expect((await sf.call('GET', `/conversation/${id}/entries`, b.accessToken)).status).toBe(404);
  });
});

describe('messages and sessions (S7, S8)', () => {
  it('validates the send body', async () => {
    const { accessToken } = await sf.token();
    const id = await sf.create(accessToken);
    const send = (body: unknown) => sf.call('POST', `/conversation/${id}/message`, accessToken, body);
    const message = { id: crypto.randomUUID(), messageType: 'StaticContentMessage', staticContent: { formatType: 'Text', text: 'x' } };
    expect((await send({ esDeveloperName: DEPLOYMENT })).status).toBe(400);
    expect((await send({ message })).status).toBe(400);
    expect((await send({ message: { ...message, id: undefined }, esDeveloperName: DEPLOYMENT })).status).toBe(400);
    expect((await send({ message: { ...message, id: message.id.toUpperCase() }, esDeveloperName: DEPLOYMENT })).status).toBe(400);
    expect((await send({ message: { ...message, messageType: undefined }, esDeveloperName: DEPLOYMENT })).status).toBe(400);
    expect((await send({ message: { ...message, staticContent: { text: 'x' } }, esDeveloperName: DEPLOYMENT })).status).toBe(400);
    expect((await send({ message: { ...message, staticContent: { formatType: 'Text', text: '' } }, esDeveloperName: DEPLOYMENT })).status).toBe(400);
    expect((await send({ message, esDeveloperName: DEPLOYMENT, isNewMessagingSession: 'yes' })).status).toBe(400);
    expect((await send({ message, esDeveloperName: 'GuestChat_Legacy' })).status).toBe(400);
    expect((await sf.send(accessToken, crypto.randomUUID(), 'x')).status).toBe(404);
  });

  it('202 with the entry id, echo as EndUser/Guest with identifier = message.id; a repeated id is a no-op', async () => {
    const { accessToken } = await sf.token();
    const id = await sf.create(accessToken);
    const stream = await open(accessToken);
    await stream.drain(50);
    const messageId = crypto.randomUUID();
    const res = await sf.send(accessToken, id, 'Hello', messageId, { language: 'en_US', routingAttributes: { FirstName: 'Sam' } });
    expect(res.status).toBe(202);
    const body = (await res.json()) as any;
    expect(body).toEqual({ conversationEntries: [{ id: messageId, clientTimestamp: expect.any(Number) }] });
    const echo = await stream.named('CONVERSATION_MESSAGE');
    expect(echo.json.conversationEntry).toMatchObject({ identifier: messageId, entryType: 'Message', sender: { role: 'EndUser' }, senderDisplayName: 'Guest' });
    expect(echo.payload).toMatchObject({ entryType: 'Message', abstractMessage: { messageType: 'StaticContentMessage', id: messageId, staticContent: { formatType: 'Text', text: 'Hello' } } });
    const repeat = await sf.send(accessToken, id, 'Hello', messageId);
    expect(repeat.status).toBe(202);
    expect(await repeat.json()).toEqual(body);
    expect(await stream.drain()).toEqual([]);
    expect((await sf.entries(accessToken, id, '?entryTypeFilter=Message')).map((e) => e.identifier)).toEqual([messageId]);
  });

  it('after a session end a plain send gets 417; the same id with isNewMessagingSession starts a new session', async () => {
    const { accessToken } = await sf.token();
    const id = await sf.create(accessToken);
    const stream = await open(accessToken, { lastEventId: '0' });
    await stream.drain(50);
    const end = await sf.call('DELETE', `/conversation/${id}/session?esDeveloperName=${DEPLOYMENT}`, accessToken);
    expect(end.status).toBe(204);
    const ended = await stream.drain();
    expect(ended.map((e) => e.event)).toEqual(['CONVERSATION_PARTICIPANT_CHANGED', 'CONVERSATION_SESSION_STATUS_CHANGED']);
    expect(ended[0]?.payload.entries[0]).toMatchObject({ operation: 'remove', participant: { role: 'EndUser' } });
    expect(ended[1]?.payload).toMatchObject({ entryType: 'SessionStatusChanged', sessionStatus: 'Ended' });
    expect(ended[1]?.json.conversationEntry.sender.role).toBe('System');

    const messageId = crypto.randomUUID();
    const refused = await sf.send(accessToken, id, 'Are you there?', messageId);
    expect(refused.status).toBe(417);
    expect(((await refused.json()) as any).message).toEqual(expect.any(String));
    expect(await stream.drain()).toEqual([]);
    const resent = await sf.send(accessToken, id, 'Are you there?', messageId, { isNewMessagingSession: true });
    expect(resent.status).toBe(202);
    const events = await stream.drain();
    expect(events.map((e) => e.event)).toEqual(['CONVERSATION_MESSAGE', 'CONVERSATION_ROUTING_RESULT', 'CONVERSATION_PARTICIPANT_CHANGED']);
    expect(events[0]?.json.conversationEntry.identifier).toBe(messageId);
    // In an active session the flag is ignored.
    expect((await sf.send(accessToken, id, 'again', undefined, { isNewMessagingSession: true })).status).toBe(202);
    expect((await stream.drain()).map((e) => e.event)).toEqual(['CONVERSATION_MESSAGE']);
    // The conversation stayed open throughout.
    const list = (await (await sf.call('GET', '/conversation/list', accessToken)).json()) as any;
    expect(list.openConversationsFound).toBe(1);
  });

  it('autoStartSession replaces the 417 by a new session', async () => {
    await admin('sf/options', { autoStartSession: true });
    const { accessToken } = await sf.token();
    const id = await sf.create(accessToken);
    await sf.call('DELETE', `/conversation/${id}/session?esDeveloperName=${DEPLOYMENT}`, accessToken);
    expect((await sf.send(accessToken, id, 'hi')).status).toBe(202);
  });
});

describe('typing and receipts (S9, S9a)', () => {
  it('typing: 202 without esDeveloperName, echoed as EndUser, no rate limit; bad entryType 400', async () => {
    const { accessToken } = await sf.token();
    const id = await sf.create(accessToken);
    const stream = await open(accessToken);
    await stream.drain(50);
    for (let i = 0; i < 20; i++) {
      const entryType = i % 2 === 0 ? 'TypingStartedIndicator' : 'TypingStoppedIndicator';
      expect((await sf.call('POST', `/conversation/${id}/entry`, accessToken, { entryType, id: crypto.randomUUID() })).status).toBe(202);
    }
    const events = await stream.drain();
    expect(events).toHaveLength(20);
    expect(events[0]?.event).toBe('CONVERSATION_TYPING_STARTED_INDICATOR');
    expect(events[1]?.event).toBe('CONVERSATION_TYPING_STOPPED_INDICATOR');
    expect(events[0]?.json.conversationEntry).toMatchObject({ sender: { role: 'EndUser' }, senderDisplayName: 'Guest' });
    expect(events[0]?.payload).toEqual({ entryType: 'TypingStartedIndicator', id: events[0]?.json.conversationEntry.identifier });
    expect((await sf.call('POST', `/conversation/${id}/entry`, accessToken, { entryType: 'Message', id: crypto.randomUUID() })).status).toBe(400);
    // Typing is not stored.
    expect((await sf.entries(accessToken, id)).some((e) => e.entryType.startsWith('Typing'))).toBe(false);
  });

  it('receipts: 202, unknown ids accepted, 400 only for missing/empty acks or another entryType; not echoed', async () => {
    const { accessToken } = await sf.token();
    const id = await sf.create(accessToken);
    await postJson(`${sandbox.url}/agent/conversations/${id}/messages`, { text: 'Hi there' });
    const agentMessage = (await sf.entries(accessToken, id, '?entryTypeFilter=Message'))[0];
    const stream = await open(accessToken);
    await stream.drain(50);
    const ack = (entryType: string, conversationEntryId: string) => ({ id: crypto.randomUUID(), entryType, conversationEntryId });
    const path = `/conversation/${id}/acknowledge-entries`;
    expect((await sf.call('POST', path, accessToken, { acks: [ack('Delivery', agentMessage.identifier), ack('Read', agentMessage.identifier)] })).status).toBe(202);
    expect((await sf.call('POST', path, accessToken, { acks: [ack('Read', crypto.randomUUID())] })).status).toBe(202);
    expect((await sf.call('POST', path, accessToken, { acks: [] })).status).toBe(400);
    expect((await sf.call('POST', path, accessToken, {})).status).toBe(400);
    expect((await sf.call('POST', path, accessToken, { acks: [ack('Seen', agentMessage.identifier)] })).status).toBe(400);
    expect(await stream.drain()).toEqual([]);
  });

  it('accepts Content-Type and Authorization on GET and DELETE', async () => {
    const { accessToken } = await sf.token();
    const id = await sf.create(accessToken);
    const headers = { 'Content-Type': 'application/json' };
    expect((await sf.call('GET', '/conversation/list', accessToken, undefined, headers)).status).toBe(200);
    expect((await sf.call('GET', `/conversation/${id}/entries`, accessToken, undefined, headers)).status).toBe(200);
    expect((await sf.call('DELETE', `/conversation/${id}/session?esDeveloperName=${DEPLOYMENT}`, accessToken, undefined, headers)).status).toBe(204);
    expect((await sf.call('DELETE', `/conversation/${id}?esDeveloperName=${DEPLOYMENT}`, accessToken, undefined, headers)).status).toBe(204);
  });

  it('file upload is 501', async () => {
    const { accessToken } = await sf.token();
    const id = await sf.create(accessToken);
    const form = new FormData();
    form.set('messageEntry', JSON.stringify({}));
    const res = await fetch(`${sandbox.url}${API}/conversation/${id}/file`, { method: 'POST', headers: { Authorization: `Bearer ${accessToken}` }, body: form });
    expect(res.status).toBe(501);
    expect(await res.json()).toEqual({ message: 'File upload is not emulated', code: 'NOT_IMPLEMENTED' });
  });
});

describe('entries (S12)', () => {
  it('object entryPayload, newest first by default, limit default 20 clamped to 1..50, filter, bounds, direction', async () => {
    const { accessToken } = await sf.token();
    const id = await sf.create(accessToken);
    const stamps: number[] = [];
    for (let i = 0; i < 60; i++) {
      await admin('clock', { advanceMs: 1000 });
      stamps.push(((await getJson('/admin/clock')) as { now: number }).now);
      expect((await sf.send(accessToken, id, `m${i}`)).status).toBe(202);
    }
    const text = (e: any) => e.entryPayload.abstractMessage?.staticContent?.text;
    const page = await sf.entries(accessToken, id);
    expect(page).toHaveLength(20);
    expect(typeof page[0].entryPayload).toBe('object');
    expect(page[0].entryPayload.entryType).toBe(page[0].entryType);
    expect(page[0]).not.toHaveProperty('conversationId');
    expect(page.map(text).slice(0, 3)).toEqual(['m59', 'm58', 'm57']);
    expect(await sf.entries(accessToken, id, '?limit=500')).toHaveLength(50);
    expect(await sf.entries(accessToken, id, '?limit=0')).toHaveLength(1);
    const messages = await sf.entries(accessToken, id, '?entryTypeFilter=Message&limit=50');
    expect(messages.every((e) => e.entryType === 'Message')).toBe(true);
    const routing = await sf.entries(accessToken, id, '?entryTypeFilter=RoutingResult,ParticipantChanged');
    expect(routing.map((e) => e.entryType).sort()).toEqual(['ParticipantChanged', 'RoutingResult']);
    const fromStart = await sf.entries(accessToken, id, '?direction=FromStart&entryTypeFilter=Message&limit=3');
    expect(fromStart.map(text)).toEqual(['m0', 'm1', 'm2']);
    // Paging back with endTimestamp (inclusive) = the oldest seen.
    const older = await sf.entries(accessToken, id, `?endTimestamp=${page[19].transcriptedTimestamp}&limit=2`);
    expect(older.map(text)).toEqual(['m40', 'm39']);
    const between = await sf.entries(accessToken, id, `?startTimestamp=${stamps[10]}&endTimestamp=${stamps[12]! + 500}&direction=FromStart`);
    expect(between.map(text)).toEqual(['m10', 'm11', 'm12']);
    expect((await sf.call('GET', `/conversation/${id}/entries?direction=Sideways`, accessToken)).status).toBe(400);
  });
});

describe('CORS (S1)', () => {
  const preflight = (path: string, requestHeaders: string, extra: Record<string, string> = {}) =>
    fetch(`${sandbox.url}${path}`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://shop.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': requestHeaders, ...extra },
    });

  it('answers preflights on every Salesforce path with exactly the §4 headers', async () => {
    for (const path of [`${API}/authorization/unauthenticated/access-token`, `${API}/conversation/abc/message`, '/eventrouter/v1/sse', `${API}/unknown/path`]) {
      const res = await preflight(path, 'authorization,content-type,x-org-id,last-event-id,cache-control,accept', {
        'Access-Control-Request-Private-Network': 'true',
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-allow-methods')).toBe('GET, POST, DELETE, OPTIONS');
      expect(res.headers.get('access-control-allow-headers')).toBe('Authorization, Content-Type, X-Org-Id, Last-Event-Id, Cache-Control, Accept');
      expect(res.headers.get('access-control-max-age')).toBe('600');
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      expect(res.headers.get('access-control-allow-private-network')).toBe('true');
    }
  });

  it('allows no other request header', async () => {
    const res = await preflight(`${API}/conversation`, 'authorization,x-requested-with');
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(/,\s*/);
    expect(allowed).not.toContain('x-requested-with');
    expect(allowed).not.toContain('*');
  });

  it('puts Allow-Origin * and Expose-Headers on successes, errors and the stream; never counts preflights', async () => {
    const ok = await sf.tokenRequest({}, { Origin: 'https://shop.example' });
    const bad = await sf.call('GET', '/conversation/list', 'x.y.z', undefined, { Origin: 'https://shop.example' });
    const missing = await fetch(`${sandbox.url}${API}/nothing-here`);
    const { accessToken } = (await ok.json()) as any;
    const stream = await open(accessToken, { headers: { Origin: 'https://shop.example' } });
    for (const res of [ok, bad, missing, stream.response]) {
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-expose-headers')).toBe('Retry-After');
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
    }
    expect(bad.status).toBe(401);
    expect(missing.status).toBe(404);
    await preflight(`${API}/authorization/unauthenticated/access-token`, 'content-type');
    expect((await getJson('/admin/calls'))['sf.token']).toBe(1);
  });
});

describe('call counts and faults', () => {
  it('counts every Salesforce call by its stable name', async () => {
    const { accessToken } = await sf.token();
    await sf.call('GET', '/authorization/continuation-access-token', accessToken);
    const id = await sf.create(accessToken);
    await sf.call('GET', '/conversation/list', accessToken);
    await sf.send(accessToken, id, 'x');
    await sf.call('POST', `/conversation/${id}/entry`, accessToken, { entryType: 'TypingStartedIndicator', id: crypto.randomUUID() });
    await sf.call('POST', `/conversation/${id}/acknowledge-entries`, accessToken, { acks: [{ id: crypto.randomUUID(), entryType: 'Read', conversationEntryId: 'x' }] });
    await sf.call('GET', `/conversation/${id}/entries`, accessToken);
    await sf.call('POST', `/conversation/${id}/file`, accessToken, {});
    await sf.call('DELETE', `/conversation/${id}/session?esDeveloperName=${DEPLOYMENT}`, accessToken);
    await sf.call('DELETE', `/conversation/${id}?esDeveloperName=${DEPLOYMENT}`, accessToken);
    (await open(accessToken)).close();
    expect(await getJson('/admin/calls')).toEqual({
      'sf.acknowledge': 1,
      'sf.continuation': 1,
      'sf.conversation.close': 1,
      'sf.conversation.create': 1,
      'sf.conversation.list': 1,
      'sf.entries': 1,
      'sf.file': 1,
      'sf.message': 1,
      'sf.session.end': 1,
      'sf.sse.connect': 1,
      'sf.token': 1,
      'sf.typing': 1,
    });
  });

  it('fails the next N calls with a status in the {message, code} shape; 429 carries Retry-After: 1', async () => {
    await admin('faults', { call: 'sf.token', status: 429, times: 1 });
    await admin('faults', { call: 'sf.message', status: 503, times: 2 });
    const limited = await sf.tokenRequest();
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('access-control-allow-origin')).toBe('*');
    expect(await limited.json()).toEqual({ message: 'Too many requests', code: 'TOO_MANY_REQUESTS' });
    const { accessToken } = await sf.token();
    const id = await sf.create(accessToken);
    const messageId = crypto.randomUUID();
    expect((await sf.send(accessToken, id, 'x', messageId)).status).toBe(503);
    expect((await sf.send(accessToken, id, 'x', messageId)).status).toBe(503);
    expect((await sf.send(accessToken, id, 'x', messageId)).status).toBe(202);
    expect((await getJson('/admin/calls'))['sf.message']).toBe(3);
  });

  it('cuts the connection of a call with closeCode, and delays with delayMs', async () => {
    await admin('faults', { call: 'sf.conversation.list', closeCode: 1006 });
    const { accessToken } = await sf.token();
    await expect(sf.call('GET', '/conversation/list', accessToken)).rejects.toThrow();
    expect((await sf.call('GET', '/conversation/list', accessToken)).status).toBe(200);
    await admin('faults', { call: 'sf.conversation.list', delayMs: 200 });
    const started = Date.now();
    expect((await sf.call('GET', '/conversation/list', accessToken)).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
  });
});
