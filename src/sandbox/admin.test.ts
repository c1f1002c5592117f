import { describe, expect, it } from 'vitest';
import type { RunningSandbox } from './index.ts';
import { ACCOUNT, LpClient, TestSocket, postJson, useTestSandbox } from './test-support.ts';

let sandbox: RunningSandbox;
let lp: LpClient;
const sockets: TestSocket[] = [];

useTestSandbox((started) => {
  sandbox = started;
  lp = new LpClient(started.url);
}, sockets);

const admin = (path: string, body?: unknown) => postJson(`${sandbox.url}/admin/${path}`, body);
const getJson = async (path: string) => (await fetch(`${sandbox.url}${path}`)).json();
const domainUrl = () => `${sandbox.url}/api/account/${ACCOUNT}/service/idp/baseURI.json?version=1.0`;

async function connected(): Promise<TestSocket> {
  const { jwt } = await lp.consumerJwt();
  const socket = await TestSocket.connect(lp, jwt);
  sockets.push(socket);
  return socket;
}

describe('admin clock and lifetimes', () => {
  it('moves the clock forward only and reports it', async () => {
    const before = (await getJson('/admin/clock')) as { now: number; offsetMs: number };
    expect(before.offsetMs).toBe(0);
    expect(Math.abs(before.now - Date.now())).toBeLessThan(1000);
    const after = (await (await admin('clock', { advanceMs: 3_600_000 })).json()) as { now: number; offsetMs: number };
    expect(after.offsetMs).toBe(3_600_000);
    expect(after.now - Date.now()).toBeGreaterThan(3_590_000);
    expect((await admin('clock', { advanceMs: -5 })).status).toBe(400);
    expect((await admin('clock', {})).status).toBe(400);
  });

  it('sets lifetimes partially, validates them, and reset restores defaults', async () => {
    const res = await admin('lifetimes', { lpTokenMs: 60_000 });
    expect(await res.json()).toMatchObject({ lpTokenMs: 60_000, lpRefreshWindowMs: 730 * 3_600_000, lpInternalTokenMs: 3_600_000, sfTokenMs: 3_600_000 });
    expect((await admin('lifetimes', { lpTokenMs: -1 })).status).toBe(400);
    expect((await admin('lifetimes', { bogus: 1 })).status).toBe(400);
    const token = await lp.issue();
    const [, payload = ''] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as { iat: number; exp: number };
    expect(claims.exp - claims.iat).toBe(60);
    await admin('reset');
    expect(await getJson('/admin/lifetimes')).toMatchObject({ lpTokenMs: 600_000 });
  });
});

describe('admin calls', () => {
  it('counts calls by stable names, not agent/admin calls, and reset clears them', async () => {
    await fetch(domainUrl());
    await fetch(`${sandbox.url}/csdr/account/${ACCOUNT}/service/baseURI.json?version=1.0`);
    const { external } = await lp.consumerJwt();
    await lp.refresh(external);
    const socket = await connected();
    await socket.request('.GetClock');
    await socket.request('cqm.SubscribeExConversations', { convState: ['OPEN'] });
    await fetch(`${sandbox.url}/agent/conversations`);
    expect(await getJson('/admin/calls')).toEqual({
      'lp.anonymous.issue': 2,
      'lp.anonymous.refresh': 1,
      'lp.authenticate': 2,
      'lp.domain': 2,
      'lp.ws..GetClock': 1,
      'lp.ws.InitConnection': 1,
      'lp.ws.connect': 1,
      'lp.ws.cqm.SubscribeExConversations': 1,
    });
    await admin('reset');
    expect(await getJson('/admin/calls')).toEqual({});
  });
});

describe('admin faults', () => {
  it('fails the next N calls with a status in the vendor error shape, then recovers', async () => {
    const res = await admin('faults', { call: 'lp.domain', status: 503, times: 2 });
    expect(res.status).toBe(200);
    expect(await getJson('/admin/faults')).toEqual([{ call: 'lp.domain', status: 503, remaining: 2 }]);
    const first = await fetch(domainUrl());
    expect(first.status).toBe(503);
    expect(await first.json()).toHaveProperty('error');
    expect((await fetch(domainUrl())).status).toBe(503);
    expect((await fetch(domainUrl())).status).toBe(200);
    expect(await getJson('/admin/faults')).toEqual([]);
  });

  it('adds Retry-After on 429 and uses the IdP error shape', async () => {
    await admin('faults', { call: 'lp.anonymous.issue', status: 429 });
    const res = await postJson(`${sandbox.url}/api/account/${ACCOUNT}/anonymous/authorize`);
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toHaveProperty('internalErrorCode');
    await admin('faults', { call: 'lp.authenticate', status: 500, internalErrorCode: '9007' });
    const external = await lp.issue();
    const auth = await lp.authenticate(external);
    expect(auth.status).toBe(500);
    expect(await auth.json()).toEqual({ internalErrorCode: '9007' });
  });

  it('times: 0 clears the faults on a call', async () => {
    await admin('faults', { call: 'lp.domain', status: 500, times: 5 });
    await admin('faults', { call: 'lp.domain', times: 0 });
    expect((await fetch(domainUrl())).status).toBe(200);
    expect((await admin('faults', { call: 'lp.domain' })).status).toBe(400);
  });

  it('delays a call', async () => {
    await admin('faults', { call: 'lp.domain', delayMs: 250 });
    const started = Date.now();
    expect((await fetch(domainUrl())).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
  });

  it('closes the socket with a code on a socket request fault', async () => {
    const socket = await connected();
    await admin('faults', { call: 'lp.ws.ms.PublishEvent', closeCode: 4407 });
    socket.sendRequest('ms.PublishEvent', { dialogId: 'x', event: { type: 'ContentEvent', contentType: 'text/plain', message: 'x' } });
    expect((await socket.closed).code).toBe(4407);
  });

  it('answers a socket request fault status as a response code', async () => {
    const socket = await connected();
    await admin('faults', { call: 'lp.ws.cm.ConsumerRequestConversation', status: 503 });
    expect((await socket.request('cm.ConsumerRequestConversation', {})).code).toBe(503);
    expect((await socket.request('cm.ConsumerRequestConversation', {})).code).toBe(200);
  });

  it('closes a new socket with a code, or refuses its upgrade with a status (lp.ws.connect)', async () => {
    await admin('faults', { call: 'lp.ws.connect', closeCode: 1011 });
    const first = await TestSocket.open(lp.socketUrl());
    expect((await first.closed).code).toBe(1011);
    await admin('faults', { call: 'lp.ws.connect', status: 503 });
    await expect(TestSocket.open(lp.socketUrl())).rejects.toThrow(/503/);
  });
});

describe('admin faults: lost answers, Retry-After, event types', () => {
  async function withConversation(): Promise<{ socket: TestSocket; dialogId: string }> {
    const socket = await connected();
    const created = await socket.request('cm.ConsumerRequestConversation', {});
    return { socket, dialogId: created.body.conversationId as string };
  }
  const text = (message: string) => ({ type: 'ContentEvent', contentType: 'text/plain', message });
  const transcript = async () => ((await getJson('/agent/conversations')) as { messages: { text: string }[] }[]).flatMap((c) => c.messages.map((m) => m.text));

  it('after: the publish is stored, then the socket ends with no answer (no close frame unless a code is given)', async () => {
    const { jwt } = await lp.consumerJwt();
    const socket = await TestSocket.connect(lp, jwt);
    sockets.push(socket);
    const dialogId = (await socket.request('cm.ConsumerRequestConversation', {})).body.conversationId as string;
    await admin('faults', { call: 'lp.ws.ms.PublishEvent', after: true });
    const id = socket.sendRequest('ms.PublishEvent', { dialogId, event: text('stored, answer lost') });
    expect((await socket.closed).code).toBe(1006);
    expect(socket.log.some((f) => f.reqId === id)).toBe(false);
    expect(await transcript()).toEqual(['stored, answer lost']);

    // The same consumer on a new socket: with a close code, the socket closes with it.
    const next = await TestSocket.connect(lp, jwt);
    sockets.push(next);
    await admin('faults', { call: 'lp.ws.ms.PublishEvent', after: true, closeCode: 1011 });
    next.sendRequest('ms.PublishEvent', { dialogId, event: text('second') });
    expect((await next.closed).code).toBe(1011);
    expect(await transcript()).toEqual(['stored, answer lost', 'second']);
  });

  it('eventType: only publishes of that event type take the fault', async () => {
    const { socket, dialogId } = await withConversation();
    await admin('faults', { call: 'lp.ws.ms.PublishEvent', eventType: 'ContentEvent', status: 500 });
    expect((await socket.request('ms.PublishEvent', { dialogId, event: { type: 'ChatStateEvent', chatState: 'COMPOSING' } })).code).toBe(200);
    expect((await socket.request('ms.PublishEvent', { dialogId, event: text('refused') })).code).toBe(500);
    expect((await socket.request('ms.PublishEvent', { dialogId, event: text('stored') })).code).toBe(200);
    expect(await transcript()).toEqual(['stored']);
  });

  it('retryAfterSec sets the Retry-After of a 429 or 503', async () => {
    await admin('faults', { call: 'lp.anonymous.issue', status: 429, retryAfterSec: 20 });
    await admin('faults', { call: 'lp.anonymous.issue', status: 503, retryAfterSec: 7 });
    await admin('faults', { call: 'lp.anonymous.issue', status: 503 });
    const url = `${sandbox.url}/api/account/${ACCOUNT}/anonymous/authorize`;
    expect((await postJson(url)).headers.get('retry-after')).toBe('20');
    expect((await postJson(url)).headers.get('retry-after')).toBe('7');
    expect((await postJson(url)).headers.get('retry-after')).toBeNull();
  });

  it('refuses fault combinations that mean nothing', async () => {
    expect((await admin('faults', { call: 'sf.message', after: true, status: 500 })).status).toBe(400);
    expect((await admin('faults', { call: 'sf.message', eventType: 'ContentEvent', status: 500 })).status).toBe(400);
    expect((await admin('faults', { call: 'sf.token', status: 500, retryAfterSec: 3 })).status).toBe(400);
    expect((await admin('faults', { call: 'sf.token', status: 429, retryAfterSec: -1 })).status).toBe(400);
    expect((await admin('faults', { call: 'sf.message', after: 'yes' })).status).toBe(400);
  });
});

describe('admin call log and LivePerson raw frames', () => {
  it('logs when each call happened, on the sandbox clock and in real time', async () => {
    await admin('clock', { advanceMs: 3_600_000 });
    const started = Date.now();
    await fetch(domainUrl());
    await lp.issue();
    const log = (await getJson('/admin/calls/log')) as { call: string; at: number; wallAt: number }[];
    expect(log.map((e) => e.call)).toEqual(['lp.domain', 'lp.anonymous.issue']);
    expect(log[0]!.wallAt).toBeGreaterThanOrEqual(started);
    expect(log[0]!.at - log[0]!.wallAt).toBeGreaterThan(3_599_000);
    expect(((await getJson('/admin/calls/log?call=lp.domain')) as unknown[]).length).toBe(1);
    await admin('reset');
    expect(await getJson('/admin/calls/log')).toEqual([]);
  });

  it('POST /admin/lp/emit writes a raw frame to every initialized consumer socket', async () => {
    const socket = await connected();
    const res = await admin('lp/emit', { frame: '{"kind":"notification","type":"ms.Future"}' });
    expect(await res.json()).toEqual({ sent: 1 });
    expect(await socket.notification('ms.Future')).toMatchObject({ kind: 'notification', type: 'ms.Future' });
    expect((await admin('lp/emit', { frame: 42 })).status).toBe(400);
  });
});

describe('admin drop, tokens, revoke, reset', () => {
  it('drops every live socket with a code', async () => {
    const a = await connected();
    const b = await connected();
    const res = await admin('drop', { adapter: 'liveperson', closeCode: 4401 });
    expect(await res.json()).toEqual({ dropped: 2 });
    expect((await a.closed).code).toBe(4401);
    expect((await b.closed).code).toBe(4401);
    expect((await admin('drop', { closeCode: 1005 })).status).toBe(400);
  });

  it('drops without a close frame when no code is given (client sees 1006)', async () => {
    const socket = await connected();
    await admin('drop', {});
    expect((await socket.closed).code).toBe(1006);
  });

  it('lists identities with their times, and revokes them', async () => {
    const { sub, external } = await lp.consumerJwt();
    const tokens = (await getJson('/admin/tokens')) as Record<string, unknown>[];
    expect(tokens).toHaveLength(1);
    const entry = tokens[0] as Record<string, number | string | null>;
    expect(entry).toMatchObject({ adapter: 'liveperson', subject: sub, revoked: false });
    expect(Number(entry.windowEndsAt) - Number(entry.firstIssuedAt)).toBe(730 * 3_600_000);
    expect(typeof entry.externalExpiresAt).toBe('number');
    expect(typeof entry.internalExpiresAt).toBe('number');

    const socket = await TestSocket.connect(lp, (await (await lp.authenticate(external)).json() as { token: string }).token);
    sockets.push(socket);
    expect(await (await admin('revoke', { subject: sub })).json()).toEqual({ revoked: [sub] });
    expect((await socket.closed).code).toBe(4401);
    expect((await lp.refresh(external)).status).toBe(401);
  });

  it('reset forgets conversations and identities and ends live sockets', async () => {
    const socket = await connected();
    await socket.request('cm.ConsumerRequestConversation', {});
    expect(await getJson('/agent/conversations')).toHaveLength(1);
    await admin('faults', { call: 'lp.domain', status: 500 });
    await admin('clock', { advanceMs: 1000 });
    await admin('reset');
    expect((await socket.closed).code).toBe(1012);
    expect(await getJson('/agent/conversations')).toEqual([]);
    expect(await getJson('/admin/tokens')).toEqual([]);
    expect(await getJson('/admin/faults')).toEqual([]);
    expect(((await getJson('/admin/clock')) as { offsetMs: number }).offsetMs).toBe(0);
  });
});

describe('agent console page', () => {
  it('serves a self-contained HTML page', async () => {
    const res = await fetch(`${sandbox.url}/agent`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('/agent/conversations');
    expect(html).not.toContain('innerHTML');
  });
});
