/**
 * Scale-out on a real Redis: shared state and per-visitor streams, two broker instances.
 * Needs Debian's redis-server (apt-get install -y redis-server); skipped with a message without it.
 */
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisEventLog } from './redis-event-log.ts';
import { RedisStore, type RedisCommander } from './redis-store.ts';
import { BrokerHarness } from './test-support/broker-harness.ts';
import { FakeLivePerson, agentMessage } from './test-support/fake-liveperson.ts';
import { REDIS_BINARY, redisAvailable, startRedis, type TestRedis } from './test-support/redis-server.ts';
import { openEvents } from './test-support/sse-client.ts';
import type { LoggedEvent } from './event-log.ts';

if (!redisAvailable) {
  console.warn(`[broker tests] ${REDIS_BINARY} not found: Redis tests skipped (apt-get install -y redis-server)`);
}

describe.skipIf(!redisAvailable)('with Redis', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await startRedis();
  }, 15_000);
  afterAll(async () => {
    await redis?.stop();
  });

  async function clients() {
    const client = createClient({ url: redis.url });
    await client.connect();
    const reader = client.duplicate();
    await reader.connect();
    return { client, reader, cmd: client as unknown as RedisCommander, readerCmd: reader as unknown as RedisCommander };
  }

  it('store: set-if-absent, compare-and-delete, expiry and a shared token bucket', async () => {
    const { client, reader, cmd } = await clients();
    const store = new RedisStore(cmd, `t${Date.now()}:`);
    expect(await store.setIfAbsent('k', 'a', 60_000)).toBe(true);
    expect(await store.setIfAbsent('k', 'b', 60_000)).toBe(false);
    await store.delIfEquals('k', 'b');
    expect(await store.get('k')).toBe('a');
    await store.delIfEquals('k', 'a');
    expect(await store.get('k')).toBeUndefined();
    await store.set('short', 'x', 20);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await store.get('short')).toBeUndefined();
    const results = await Promise.all(Array.from({ length: 12 }, () => store.take('rl:ip', 10, 60_000)));
    expect(results.filter((r) => r.allowed)).toHaveLength(10);
    const refused = results.find((r) => !r.allowed);
    expect(refused?.retryAfterMs).toBeGreaterThan(0);
    expect(refused?.retryAfterMs).toBeLessThanOrEqual(6_000);
    reader.destroy();
    await client.close();
  });

  it('event streams: resume from an id on another reader, live fan-out, no duplicates', async () => {
    const a = await clients();
    const b = await clients();
    const prefix = `t${Date.now()}:`;
    const logA = new RedisEventLog(a.cmd, a.readerCmd, prefix);
    const logB = new RedisEventLog(b.cmd, b.readerCmd, prefix);
    await logA.start();
    await logB.start();
    const seenA: LoggedEvent[] = [];
    const subA = await logA.subscribe('v1', undefined, { onEvent: (e) => seenA.push(e), onGap: () => {} });
    const ids = [];
    for (let i = 0; i < 5; i += 1) ids.push(await logB.append('v1', 'message', { n: i }));
    await logB.append('v2', 'message', { other: true });
    await waitUntil(() => seenA.length === 5);
    expect(seenA.map((e) => e.id)).toEqual(ids);
    subA.close();

    // Resume on the other instance from the second event while new ones keep coming.
    const seenB: LoggedEvent[] = [];
    let gaps = 0;
    const appending = (async () => {
      for (let i = 5; i < 25; i += 1) await logA.append('v1', 'message', { n: i });
    })();
    const subB = await logB.subscribe('v1', ids[1], { onEvent: (e) => seenB.push(e), onGap: () => (gaps += 1) });
    await appending;
    await waitUntil(() => seenB.length === 23);
    expect(seenB.map((e) => JSON.parse(e.data).n)).toEqual(Array.from({ length: 23 }, (_, i) => i + 2));
    expect(gaps).toBe(0);
    subB.close();

    // Resuming from an id of a stream that no longer exists is reported as a gap.
    let lost = 0;
    (await logB.subscribe('gone', '1-0', { onEvent: () => {}, onGap: () => (lost += 1) })).close();
    expect(lost).toBe(1);

    await logA.close();
    await logB.close();
    for (const c of [a, b]) {
      c.reader.destroy();
      await c.client.close();
    }
  });

  it('two brokers behind a load balancer: webhook on one, SSE on the other, resume on either, one publish per clientId', async () => {
    const lp = new FakeLivePerson();
    await lp.start();
    const one = await BrokerHarness.start(lp.url, { redisUrl: redis.url });
    const two = await BrokerHarness.start(lp.url, { redisUrl: redis.url });
    try {
      expect(one.broker.mode).toBe('redis');
      const { visitorToken } = await one.visitor();
      const { conversationId } = (await two.call('POST', '/v1/conversations', { token: visitorToken })).json as { conversationId: string };
      expect((await one.call('GET', '/v1/conversations/open', { token: visitorToken })).json).toEqual({ conversationId });

      const sends = lp.calls.filter((c) => c.path.endsWith('/send')).length;
      const body = { text: 'Hello', clientId: 'shared-1' };
      const path = `/v1/conversations/${conversationId}/messages`;
      const [x, y] = await Promise.all([one.call('POST', path, { token: visitorToken, body }), two.call('POST', path, { token: visitorToken, body })]);
      expect(x.json).toEqual(y.json);
      expect(lp.calls.filter((c) => c.path.endsWith('/send')).length - sends).toBe(1);

      const stream = await openEvents(one.url, visitorToken);
      await FakeLivePerson.deliver(two.broker.webhookUrl, agentMessage(conversationId, 1, 'from instance two'));
      await FakeLivePerson.deliver(one.broker.webhookUrl, agentMessage(conversationId, 1, 'from instance two')); // duplicate, other instance
      await FakeLivePerson.deliver(two.broker.webhookUrl, agentMessage(conversationId, 2, 'second'));
      const got = await stream.waitFor(2);
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(stream.events.map((e) => JSON.parse(e.data).text)).toEqual(['from instance two', 'second']);
      stream.close();

      await FakeLivePerson.deliver(one.broker.webhookUrl, agentMessage(conversationId, 3, 'while away'));
      await one.broker.webhooksIdle();
      const resumed = await openEvents(two.url, visitorToken, got[0]?.id);
      await resumed.waitFor(2);
      expect(resumed.events.map((e) => JSON.parse(e.data).text)).toEqual(['second', 'while away']);
      resumed.close();

      // Rate-limit counters are shared: 10 per address across both instances.
      const statuses = [];
      for (let i = 0; i < 12; i += 1) statuses.push((await (i % 2 ? one : two).call('POST', '/v1/visitors')).status);
      expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(3);
    } finally {
      await one.close();
      await two.close();
      await lp.close();
    }
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
