import { describe, expect, it } from 'vitest';
import { openEventStream, type EventSourceMessage } from './stream.ts';
import { FakeEventStream, fakeFetch, json } from './test-helpers.ts';

const URL_ = 'http://127.0.0.1:8787/eventrouter/v1/sse?_ts=1';

function request(abort = new AbortController(), lastEventId: string | null = '41') {
  return { url: URL_, token: 'tok', orgId15: '00D5e000000SBOX', lastEventId: lastEventId ?? undefined, abort, openTimeoutMs: 1_000 };
}

describe('event stream over fetch', () => {
  it('sends only the §3.1 headers, no cookies, no cache', async () => {
    const stream = new FakeEventStream();
    const { fetch, requests } = fakeFetch(() => stream.response());
    await openEventStream(fetch, request());
    const [sent] = requests;
    expect(sent!.headers).toEqual({
      accept: 'text/event-stream',
      authorization: 'Bearer tok',
      'x-org-id': '00D5e000000SBOX',
      'last-event-id': '41',
      'cache-control': 'no-cache',
    });
    expect(sent!.credentials).toBe('omit');
    expect(sent!.cache).toBe('no-store');
    expect(sent!.url).toBe(URL_);
  });

  it('sends no Last-Event-Id without a cursor', async () => {
    const stream = new FakeEventStream();
    const { fetch, requests } = fakeFetch(() => stream.response());
    await openEventStream(fetch, request(undefined, null));
    expect(requests[0]!.headers['last-event-id']).toBeUndefined();
  });

  it('parses events split across chunk boundaries (mid-line, mid-character, CRLF, comments)', async () => {
    const stream = new FakeEventStream();
    const { fetch } = fakeFetch(() => stream.response());
    const open = await openEventStream(fetch, request());
    const events: EventSourceMessage[] = [];
    let bytes = 0;
    const done = open.read({ onEvent: (e) => events.push(e), onBytes: () => bytes++ });

    const text = ': hello\n\nid: 42\nevent: CONVERSATION_MESSAGE\ndata: {"text":"héllo ☕"}\n\nevent: ping\r\ndata: {"timestamp":1}\r\n\r\n';
    const encoded = new TextEncoder().encode(text);
    // Split inside the multi-byte characters and inside field names.
    const cuts = [3, 10, 20, 47, 48, 52, 53, 54, 70, encoded.length];
    let from = 0;
    for (const cut of cuts) {
      (stream as unknown as { controller: ReadableStreamDefaultController<Uint8Array> }).controller.enqueue(encoded.slice(from, cut));
      from = cut;
      await new Promise((r) => setTimeout(r, 0));
    }
    stream.end();
    await done;
    expect(events).toEqual([
      { id: '42', event: 'CONVERSATION_MESSAGE', data: '{"text":"héllo ☕"}' },
      { id: undefined, event: 'ping', data: '{"timestamp":1}' },
    ]);
    expect(bytes).toBe(cuts.length);
  });

  it('skips a leading BOM once, even split across chunks (the UTF-8 decoding consumes it)', async () => {
    const stream = new FakeEventStream();
    const { fetch } = fakeFetch(() => stream.response());
    const open = await openEventStream(fetch, request());
    const events: EventSourceMessage[] = [];
    const done = open.read({ onEvent: (e) => events.push(e), onBytes: () => {} });
    const encoded = new TextEncoder().encode('\uFEFFdata: a\n\n\uFEFFdata: b\n\ndata: c\n\n');
    for (const [from, to] of [[0, 1], [1, 2], [2, encoded.length]] as const) {
      (stream as unknown as { controller: ReadableStreamDefaultController<Uint8Array> }).controller.enqueue(encoded.slice(from, to));
      await new Promise((r) => setTimeout(r, 0));
    }
    stream.end();
    await done;
    // A BOM later in the stream is text: here it makes an unknown field name, ignored.
    expect(events).toEqual([
      { id: undefined, event: undefined, data: 'a' },
      { id: undefined, event: undefined, data: 'c' },
    ]);
  });

  it('rejects the read when the stream fails, and when it is aborted', async () => {
    const failing = new FakeEventStream();
    const { fetch } = fakeFetch(() => failing.response());
    const open = await openEventStream(fetch, request());
    const read = open.read({ onEvent: () => {}, onBytes: () => {} });
    failing.fail();
    await expect(read).rejects.toBeDefined();

    const controller = new AbortController();
    const aborted = new FakeEventStream(controller.signal);
    const second = fakeFetch(() => aborted.response());
    const open2 = await openEventStream(second.fetch, request(controller));
    const read2 = open2.read({ onEvent: () => {}, onBytes: () => {} });
    controller.abort();
    await expect(read2).rejects.toBeDefined();
  });

  it('classifies refusals by status (§3.5, §3.6), surviving odd bodies', async () => {
    const cases: Array<[() => Response, string]> = [
      [() => json(401, { message: 'Jwt is expired', code: 'JWT_EXPIRED' }), 'auth-rejected'],
      [() => json(400, { message: 'OrgId in the header and token must match' }), 'request-refused'],
      [() => new Response('nope', { status: 403 }), 'request-refused'],
      [() => new Response(null, { status: 404 }), 'request-refused'],
      [() => json(429, undefined, { 'Retry-After': '3' }), 'rate-limited'],
      [() => new Response('<html>', { status: 502 }), 'server-error'],
    ];
    for (const [answer, reason] of cases) {
      const { fetch } = fakeFetch(answer);
      await expect(openEventStream(fetch, request())).rejects.toMatchObject({ reason });
    }
    const { fetch } = fakeFetch(() => {
      throw new TypeError('Failed to fetch');
    });
    await expect(openEventStream(fetch, request())).rejects.toMatchObject({ reason: 'network' });
  });

  it('gives up on a server that never answers', async () => {
    const { fetch } = fakeFetch(
      (r) =>
        new Promise<Response>((_, reject) => {
          r.signal?.addEventListener('abort', () => reject(new DOMException('Aborted', 'AbortError')));
        }),
    );
    await expect(openEventStream(fetch, { ...request(), openTimeoutMs: 20 })).rejects.toMatchObject({
      reason: 'network',
      message: 'Event stream timed out',
    });
  });
});
