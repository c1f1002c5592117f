import { describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../index.ts';
import { postJson, useTestSandbox } from '../test-support.ts';
import { DEPLOYMENT, ORG, ORG18, SfClient, SseReader } from './test-client.ts';

let sandbox: RunningSandbox;
let sf: SfClient;
const streams: SseReader[] = [];

useTestSandbox((started) => {
  sandbox = started;
  sf = new SfClient(started.url);
}, streams);

const admin = (path: string, body?: unknown) => postJson(`${sandbox.url}/admin/${path}`, body);
async function open(token: string, options: Parameters<SfClient['stream']>[1] = {}): Promise<SseReader> {
  const reader = await sf.stream(token, options);
  streams.push(reader);
  return reader;
}
async function raw(token: string | undefined, headers: Record<string, string>, query = ''): Promise<SseReader> {
  const reader = await SseReader.open(sf.streamUrl(query), {
    Accept: 'text/event-stream',
    ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
    ...headers,
  });
  streams.push(reader);
  return reader;
}

describe('stream framing (S13)', () => {
  it('200 text/event-stream with headers at once; id/event/one-line data with a string entryPayload', async () => {
    const { accessToken } = await sf.token();
    // Opens before any conversation exists, and answers before any event (S16).
    const stream = await open(accessToken);
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toBe('text/event-stream');
    expect(stream.response.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(stream.response.headers.get('x-accel-buffering')).toBe('no');
    expect(stream.response.headers.get('content-encoding')).toBeNull();
    const id = await sf.create(accessToken);
    await sf.send(accessToken, id, 'line one\nline two');
    const message = await stream.named('CONVERSATION_MESSAGE');
    expect(message.id).toMatch(/^\d+$/);
    expect(message.json).toMatchObject({ channelType: 'embedded_messaging', conversationId: id, channelAddressIdentifier: expect.any(String), channelPlatformKey: expect.any(String) });
    const entry = message.json.conversationEntry;
    expect(typeof entry.entryPayload).toBe('string');
    expect(message.payload.entryType).toBe('Message');
    expect(message.payload.abstractMessage.staticContent.text).toBe('line one\nline two');
    expect(entry.sender.role).toBe('EndUser');
    expect(entry.senderDisplayName).toBe('Guest');
    expect(entry).toMatchObject({ transcriptedTimestamp: expect.any(Number), clientTimestamp: expect.any(Number), relatedRecords: [] });
    // Every frame: id, event, exactly one data line.
    const frames = stream.raw.split('\n\n').filter((f) => f !== '');
    for (const frame of frames) {
      const lines = frame.split('\n');
      expect(lines[0]).toMatch(/^id: \d+$/);
      expect(lines[1]).toMatch(/^event: CONVERSATION_[A-Z_]+$/);
      expect(lines[2]).toMatch(/^data: \{/);
      expect(lines).toHaveLength(3);
    }
    // Ids increase per identity.
    const ids = stream.events.filter((e) => e.id).map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('every conversation event carries sender.role, a non-empty senderDisplayName and a payload repeating entryType', async () => {
    const { accessToken } = await sf.token();
    const stream = await open(accessToken);
    const id = await sf.create(accessToken);
    await sf.send(accessToken, id, 'hi');
    await postJson(`${sandbox.url}/agent/conversations/${id}/typing`, { on: true });
    await postJson(`${sandbox.url}/agent/conversations/${id}/messages`, { text: 'Hello, I am Alex' });
    await postJson(`${sandbox.url}/agent/conversations/${id}/accept`, { status: 'ACCEPT' });
    await postJson(`${sandbox.url}/agent/conversations/${id}/accept`, { status: 'READ' });
    await sf.call('POST', `/conversation/${id}/entry`, accessToken, { entryType: 'TypingStartedIndicator', id: crypto.randomUUID() });
    await postJson(`${sandbox.url}/agent/conversations/${id}/close`);
    await sf.call('DELETE', `/conversation/${id}?esDeveloperName=${DEPLOYMENT}`, accessToken);
    const events = await stream.drain(200);
    expect(events.map((e) => e.event)).toEqual([
      'CONVERSATION_ROUTING_RESULT',
      'CONVERSATION_PARTICIPANT_CHANGED',
      'CONVERSATION_MESSAGE',
      'CONVERSATION_PARTICIPANT_CHANGED',
      'CONVERSATION_TYPING_STARTED_INDICATOR',
      'CONVERSATION_MESSAGE',
      'CONVERSATION_DELIVERY_ACKNOWLEDGEMENT',
      'CONVERSATION_READ_ACKNOWLEDGEMENT',
      'CONVERSATION_TYPING_STARTED_INDICATOR',
      'CONVERSATION_PARTICIPANT_CHANGED',
      'CONVERSATION_PARTICIPANT_CHANGED',
      'CONVERSATION_SESSION_STATUS_CHANGED',
      'CONVERSATION_CLOSE_CONVERSATION',
    ]);
    for (const e of events) {
      const entry = e.json.conversationEntry;
      expect(typeof entry.sender.role).toBe('string');
      expect(entry.senderDisplayName.length).toBeGreaterThan(0);
      expect(e.payload.entryType).toBe(entry.entryType);
      expect(e.id).toMatch(/^\d+$/);
    }
    const agentJoin = events[3]!;
    expect(agentJoin.payload.entries[0]).toMatchObject({ operation: 'add', displayName: 'Alex', participant: { role: 'Agent' } });
    expect(events[5]!.json.conversationEntry).toMatchObject({ sender: { role: 'Agent' }, senderDisplayName: 'Alex' });
    const userMessageId = events[2]!.json.conversationEntry.identifier;
    expect(events[6]!.json.conversationEntry).toMatchObject({ entryType: 'DeliveryAcknowledgement', relatedRecords: [userMessageId], sender: { role: 'Agent' } });
    expect(events[6]!.payload.acknowledgementTimestamp).toEqual(expect.any(Number));
    expect(events[7]!.json.conversationEntry.relatedRecords).toEqual([userMessageId]);
    expect(events[8]!.json.conversationEntry.sender.role).toBe('EndUser');
    expect(events[11]!.payload.sessionStatus).toBe('Ended');
  });
});

describe('connect rules (S14, S4, S17)', () => {
  it('ignores the query string and header-name case; accepts an 18-char X-Org-Id by its first 15', async () => {
    const { accessToken } = await sf.token();
    const lower = await raw(accessToken, { 'x-org-id': ORG, 'last-event-id': '0' }, `?_ts=${Date.now()}`);
    expect(lower.response.status).toBe(200);
    const upper = await raw(accessToken, { 'X-ORG-ID': ORG18 });
    expect(upper.response.status).toBe(200);
  });

  it('400 for a missing or mismatched X-Org-Id; strictOrgId refuses 18 chars', async () => {
    const { accessToken } = await sf.token();
    const missing = await raw(accessToken, {});
    expect(missing.response.status).toBe(400);
    expect(missing.response.headers.get('access-control-allow-origin')).toBe('*');
    const wrong = await raw(accessToken, { 'X-Org-Id': '00D5e000000SBOY' });
    expect(wrong.response.status).toBe(400);
    expect(await wrong.response.json()).toEqual({ message: 'OrgId in the header and token must match', code: 'ORG_ID_MISMATCH' });
    const wrongCase = await raw(accessToken, { 'X-Org-Id': ORG.toLowerCase() });
    expect(wrongCase.response.status).toBe(400);
    await admin('sf/options', { strictOrgId: true });
    expect((await raw(accessToken, { 'X-Org-Id': ORG18 })).response.status).toBe(400);
    expect((await raw(accessToken, { 'X-Org-Id': ORG })).response.status).toBe(200);
  });

  it('401 for a missing or bad token', async () => {
    expect((await raw(undefined, { 'X-Org-Id': ORG })).response.status).toBe(401);
    const bad = await raw('a.b.c', { 'X-Org-Id': ORG });
    expect(bad.response.status).toBe(401);
    expect(await bad.response.json()).toMatchObject({ code: 'INVALID_TOKEN' });
  });

  it('ends the open streams of an expired token on a clock jump; the reconnect gets 401 Jwt is expired', async () => {
    const { accessToken } = await sf.token();
    const a = await open(accessToken);
    const b = await open(accessToken);
    await admin('clock', { advanceMs: 3_600_000 });
    expect(await a.finished).toBe('end');
    expect(await b.finished).toBe('end');
    const again = await raw(accessToken, { 'X-Org-Id': ORG });
    expect(again.response.status).toBe(401);
    expect(await again.response.json()).toEqual({ message: 'Jwt is expired', code: 'JWT_EXPIRED' });
  });

  it('ends the stream by real time when a short-lived token expires', async () => {
    await admin('lifetimes', { sfTokenMs: 1000 });
    const { accessToken } = await sf.token();
    const stream = await open(accessToken);
    const started = Date.now();
    expect(await stream.finished).toBe('end');
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('sends ping frames without id at the configured interval', async () => {
    await admin('lifetimes', { sfPingMs: 100 });
    const { accessToken } = await sf.token();
    const stream = await open(accessToken);
    const ping = await stream.named('ping', 1000);
    expect(ping.id).toBeUndefined();
    expect(JSON.parse(ping.data)).toEqual({ timestamp: expect.any(Number) });
    expect(stream.raw).toMatch(/^event: ping\ndata: \{"timestamp":\d+\}\n\n/);
  });
});

describe('replay and tabs (S15, S16)', () => {
  it('replays after a known Last-Event-Id, then goes live; "0" replays from the start', async () => {
    const token = await sf.token();
    expect(token.lastEventId).toBe('0');
    const id = await sf.create(token.accessToken);
    await sf.send(token.accessToken, id, 'one');
    const fromZero = await open(token.accessToken, { lastEventId: token.lastEventId });
    const replayed = await fromZero.drain(100);
    expect(replayed.map((e) => e.event)).toEqual(['CONVERSATION_ROUTING_RESULT', 'CONVERSATION_PARTICIPANT_CHANGED', 'CONVERSATION_MESSAGE']);
    expect(replayed.map((e) => e.id)).toEqual(['1', '2', '3']);
    const resumed = await open(token.accessToken, { lastEventId: '2' });
    expect((await resumed.drain(100)).map((e) => e.id)).toEqual(['3']);
    await sf.send(token.accessToken, id, 'two');
    expect((await resumed.named('CONVERSATION_MESSAGE')).id).toBe('4');
    expect((await fromZero.named('CONVERSATION_MESSAGE')).id).toBe('4');
  });

  it('continuation lastEventId is the head: a stream opened with it replays nothing and misses nothing', async () => {
    const first = await sf.token();
    const id = await sf.create(first.accessToken);
    const next = (await (await sf.call('GET', '/authorization/continuation-access-token', first.accessToken)).json()) as any;
    expect(next.lastEventId).toBe('2');
    await sf.send(first.accessToken, id, 'in the gap');
    const stream = await open(next.accessToken, { lastEventId: next.lastEventId });
    expect((await stream.drain(100)).map((e) => e.event)).toEqual(['CONVERSATION_MESSAGE']);
  });

  it('goes live without error for an absent, unknown, future or malformed id', async () => {
    const { accessToken } = await sf.token();
    await sf.create(accessToken);
    for (const lastEventId of [undefined, '999', 'abc', '-1']) {
      const stream = await open(accessToken, lastEventId === undefined ? {} : { lastEventId });
      expect(stream.response.status).toBe(200);
      expect(await stream.drain(50)).toEqual([]);
      stream.close();
    }
  });

  it('keeps at most 1,000 events; a too-old id goes live', async () => {
    const { accessToken } = await sf.token();
    const id = await sf.create(accessToken);
    for (let i = 0; i < 1000; i++) {
      await sf.call('POST', `/conversation/${id}/entry`, accessToken, { entryType: 'TypingStartedIndicator', id: crypto.randomUUID() });
    }
    // Events 1..1002 exist; 3..1002 are kept.
    expect(await (await open(accessToken, { lastEventId: '1' })).drain(100)).toEqual([]);
    const kept = await (await open(accessToken, { lastEventId: '2' })).drain(200);
    expect(kept).toHaveLength(1000);
    expect(kept[0]?.id).toBe('3');
  }, 20_000);

  it('delivers every event to all open streams of the identity, none to another identity', async () => {
    const a = await sf.token();
    const other = await sf.token();
    const tab1 = await open(a.accessToken);
    const cont = (await (await sf.call('GET', '/authorization/continuation-access-token', a.accessToken)).json()) as any;
    const tab2 = await open(cont.accessToken);
    const stranger = await open(other.accessToken);
    const id = await sf.create(a.accessToken);
    await sf.send(cont.accessToken, id, 'from tab 2');
    const one = await tab1.drain(100);
    const two = await tab2.drain(0);
    expect(one.map((e) => e.id)).toEqual(two.map((e) => e.id));
    expect(one.map((e) => e.event)).toContain('CONVERSATION_MESSAGE');
    expect(await stranger.drain(0)).toEqual([]);
  });

  it('an unknown event type from the admin API reaches the stream with an id', async () => {
    const { accessToken } = await sf.token();
    const id = await sf.create(accessToken);
    const stream = await open(accessToken);
    const res = await admin('sf/emit', { conversationId: id, event: 'CONVERSATION_FUTURE_THING' });
    expect(res.status).toBe(200);
    const event = await stream.named('CONVERSATION_FUTURE_THING');
    expect(event.id).toMatch(/^\d+$/);
    expect(event.payload.entryType).toBe('FutureThing');
    expect(event.json.conversationId).toBe(id);
  });
});

describe('faults and drops on the stream', () => {
  it('sf.sse.connect: a status refuses the connect (429 with Retry-After), closeCode cuts a fresh stream', async () => {
    const { accessToken } = await sf.token();
    await admin('faults', { call: 'sf.sse.connect', status: 429 });
    const refused = await raw(accessToken, { 'X-Org-Id': ORG });
    expect(refused.response.status).toBe(429);
    expect(refused.response.headers.get('retry-after')).toBe('1');
    expect(refused.response.headers.get('access-control-allow-origin')).toBe('*');
    await admin('faults', { call: 'sf.sse.connect', closeCode: 1006 });
    const cut = await raw(accessToken, { 'X-Org-Id': ORG });
    expect(cut.response.status).toBe(200);
    expect(await cut.finished).toBe('error');
    const res = await fetch(`${sandbox.url}/admin/calls`);
    expect(((await res.json()) as Record<string, number>)['sf.sse.connect']).toBe(2);
  });

  it('POST /admin/drop {adapter: salesforce} cuts every live stream; closeCode 1000 ends them cleanly', async () => {
    const { accessToken } = await sf.token();
    const a = await open(accessToken);
    const b = await open(accessToken);
    const res = await admin('drop', { adapter: 'salesforce' });
    expect(await res.json()).toEqual({ dropped: 2 });
    expect(await a.finished).toBe('error');
    expect(await b.finished).toBe('error');
    const c = await open(accessToken);
    await admin('drop', { closeCode: 1000 });
    expect(await c.finished).toBe('end');
    expect(await (await admin('drop', { adapter: 'liveperson' })).json()).toEqual({ dropped: 0 });
  });
});
