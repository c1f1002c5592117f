import { describe, expect, it } from 'vitest';
import { AppJwtCache, type FetchedToken } from './app-jwt.ts';
import { CredentialsError } from './errors.ts';

const HOUR = 3_600_000;

function setup(delayMs = 5) {
  let now = 0;
  let issued = 0;
  const cache = new AppJwtCache(async (): Promise<FetchedToken> => {
    issued += 1;
    const n = issued;
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    return { token: `app-jwt-${n}`, lifetimeMs: HOUR };
  }, () => now);
  return { cache, issued: () => issued, advance: (ms: number) => (now += ms) };
}

describe('AppJWT cache', () => {
  it('reuses the token until 80 % of its lifetime, then renews once for all concurrent callers', async () => {
    const { cache, issued, advance } = setup();
    const first = await Promise.all(Array.from({ length: 50 }, () => cache.get()));
    expect(new Set(first)).toEqual(new Set(['app-jwt-1']));
    expect(issued()).toBe(1);
    advance(0.8 * HOUR - 1);
    expect(await cache.get()).toBe('app-jwt-1');
    advance(1);
    const renewed = await Promise.all(Array.from({ length: 200 }, () => cache.get()));
    expect(new Set(renewed)).toEqual(new Set(['app-jwt-2']));
    expect(issued()).toBe(2);
  });

  it('renews exactly once when LivePerson rejects the token under load (40102)', async () => {
    const { cache, issued } = setup(20);
    const old = await cache.get();
    const results = await Promise.all(Array.from({ length: 100 }, () => cache.renewAfterRejection(old)));
    expect(new Set(results)).toEqual(new Set(['app-jwt-2']));
    expect(issued()).toBe(2);
    // A late rejection of the old token costs nothing: the newer one is returned.
    expect(await cache.renewAfterRejection(old)).toBe('app-jwt-2');
    expect(issued()).toBe(2);
  });

  it('keeps serving a valid token when a due renewal fails, and fails on bad credentials', async () => {
    let now = 0;
    let fail: Error | undefined;
    const cache = new AppJwtCache(async () => {
      if (fail) throw fail;
      return { token: 't', lifetimeMs: HOUR };
    }, () => now);
    await cache.get();
    fail = new Error('Sentinel 503');
    now = 0.9 * HOUR;
    expect(await cache.get()).toBe('t');
    now = HOUR;
    await expect(cache.get()).rejects.toThrow('Sentinel 503');
    fail = new CredentialsError('bad secret', 401);
    await expect(cache.prime()).rejects.toBeInstanceOf(CredentialsError);
  });
});

describe('AppJWT background renewal', () => {
  it('renews on its own at 80 % of the lifetime', async () => {
    let n = 0;
    const cache = new AppJwtCache(async () => ({ token: `t${++n}`, lifetimeMs: 100 }), Date.now, 0.8, { onError: () => {} });
    expect(await cache.prime()).toBe('t1');
    await new Promise((resolve) => setTimeout(resolve, 130));
    expect(n).toBe(2);
    cache.close();
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(n).toBe(2);
  });
});
