import { describe, expect, it } from 'vitest';
import { MemoryStore } from './store.ts';

describe('memory store', () => {
  it('expires keys and sets only if absent', async () => {
    let now = 1_000;
    const store = new MemoryStore(() => now);
    expect(await store.setIfAbsent('k', 'a', 100)).toBe(true);
    expect(await store.setIfAbsent('k', 'b', 100)).toBe(false);
    expect(await store.get('k')).toBe('a');
    await store.delIfEquals('k', 'b');
    expect(await store.get('k')).toBe('a');
    now += 100;
    expect(await store.get('k')).toBeUndefined();
    expect(await store.setIfAbsent('k', 'b', 100)).toBe(true);
    await store.close();
  });

  it('rate-limits with a token bucket: 10 per minute, then Retry-After', async () => {
    let now = 0;
    const store = new MemoryStore(() => now);
    for (let i = 0; i < 10; i += 1) expect((await store.take('ip:1', 10, 60_000)).allowed).toBe(true);
    const refused = await store.take('ip:1', 10, 60_000);
    expect(refused).toEqual({ allowed: false, retryAfterMs: 6_000 });
    expect((await store.take('ip:2', 10, 60_000)).allowed).toBe(true); // another address
    now += 6_000;
    expect((await store.take('ip:1', 10, 60_000)).allowed).toBe(true);
    expect((await store.take('ip:1', 10, 60_000)).allowed).toBe(false);
    now += 600_000;
    for (let i = 0; i < 10; i += 1) expect((await store.take('ip:1', 10, 60_000)).allowed).toBe(true);
    expect((await store.take('ip:1', 10, 60_000)).allowed).toBe(false);
    await store.close();
  });
});
