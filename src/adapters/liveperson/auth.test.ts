import { describe, expect, it } from 'vitest';
import type { IdpClient } from './idp.ts';
import { EXTERNAL_TOKEN_LIFETIME_MS, REFRESH_WINDOW_MS, createLivePersonAuth } from './auth.ts';
import { looksLikeJwt, readConsumerClaims } from './jwt.ts';
import { b64url, fixedClock, makeJwt } from './test-helpers.ts';

function fakeIdp(consumerToken: string): IdpClient & { calls: string[] } {
  const calls: string[] = [];
  let n = 0;
  return {
    calls,
    issue: async () => {
      calls.push('issue');
      return makeJwt({ n: ++n });
    },
    refresh: async (previous) => {
      calls.push(`refresh:${previous === '' ? 'empty' : 'token'}`);
      return makeJwt({ n: ++n });
    },
    authenticate: async () => {
      calls.push('authenticate');
      return consumerToken;
    },
  };
}

describe('JWT reading', () => {
  it('decodes the payload, UTF-8 included', () => {
    const token = makeJwt({ sub: 'é-consumer', iat: 10, exp: 20 });
    expect(looksLikeJwt(token)).toBe(true);
    expect(readConsumerClaims(token)).toEqual({ sub: 'é-consumer', iat: 10, exp: 20 });
  });

  it.each([
    ['not a jwt', 'abc'],
    ['payload not JSON', `${b64url('{}')}.${b64url('nope')}.sig`],
    ['payload an array', `${b64url('{}')}.${b64url('[1]')}.sig`],
    ['no sub', makeJwt({ exp: 20 })],
    ['sub not a string', makeJwt({ sub: 5, exp: 20 })],
    ['no exp', makeJwt({ sub: 'x' })],
    ['exp a string', makeJwt({ sub: 'x', exp: '20' })],
  ])('rejects a consumer token with %s as bad-server-data', (_label, token) => {
    expect(() => readConsumerClaims(token)).toThrow(expect.objectContaining({ reason: 'bad-server-data' }));
  });
});

describe('LivePerson AuthAdapter', () => {
  it('issue: opaque external token, 10 min life, 730 h window from now', async () => {
    const clock = fixedClock(1_000_000);
    const identity = await createLivePersonAuth(fakeIdp(''), clock).issue();
    expect(identity.issuedAt).toBe(1_000_000);
    expect(identity.expiresAt).toBe(1_000_000 + EXTERNAL_TOKEN_LIFETIME_MS);
    expect(identity.windowEndsAt).toBe(1_000_000 + REFRESH_WINDOW_MS);
    expect(EXTERNAL_TOKEN_LIFETIME_MS).toBe(600_000);
    expect(REFRESH_WINDOW_MS).toBe(730 * 3600 * 1000);
    expect(identity.subject).toBeUndefined();
  });

  it('refresh: new token and expiry; first issue, window and subject kept', async () => {
    const clock = fixedClock(1_000_000);
    const idp = fakeIdp('');
    const auth = createLivePersonAuth(idp, clock);
    const identity = { ...(await auth.issue()), subject: 'consumer-1' };
    clock.t = 5_000_000;
    const refreshed = await auth.refresh(identity);
    expect(refreshed.token).not.toBe(identity.token);
    expect(refreshed).toMatchObject({
      subject: 'consumer-1',
      issuedAt: 1_000_000,
      windowEndsAt: identity.windowEndsAt,
      expiresAt: 5_000_000 + EXTERNAL_TOKEN_LIFETIME_MS,
    });
    expect(idp.calls).toEqual(['issue', 'refresh:token']);
  });

  it('exchange: subject and times from the consumer JWT', async () => {
    const consumer = makeJwt({ sub: 'consumer-1', aud: 'acc:12345678', iat: 1_700_000_000, exp: 1_700_003_600 });
    const access = await createLivePersonAuth(fakeIdp(consumer), fixedClock()).exchange({
      token: makeJwt({}),
      issuedAt: 0,
      expiresAt: 0,
      windowEndsAt: 0,
    });
    expect(access).toEqual({ token: consumer, subject: 'consumer-1', issuedAt: 1_700_000_000_000, expiresAt: 1_700_003_600_000 });
  });

  it('exchange: a fresh token whose iat is far from our clock is a server-time reading (skew before any GetClock)', async () => {
    const identity = { token: makeJwt({}), issuedAt: 0, expiresAt: 0, windowEndsAt: 0 };
    // The browser is an hour ahead of the server.
    const ahead = fixedClock(1_700_000_000_000 + 3_600_000);
    await createLivePersonAuth(fakeIdp(makeJwt({ sub: 'c', iat: 1_700_000_000, exp: 1_700_003_600 })), ahead).exchange(identity);
    expect(ahead.observed).toEqual([[1_700_000_000_500, undefined]]);
    // A few seconds apart is left to GetClock (iat has 1 s resolution and may be backdated).
    const close = fixedClock(1_700_000_005_000);
    await createLivePersonAuth(fakeIdp(makeJwt({ sub: 'c', iat: 1_700_000_000, exp: 1_700_003_600 })), close).exchange(identity);
    expect(close.observed).toEqual([]);
    // No iat, no reading.
    const none = fixedClock(1_800_000_000_000);
    await createLivePersonAuth(fakeIdp(makeJwt({ sub: 'c', exp: 1_700_003_600 })), none).exchange(identity);
    expect(none.observed).toEqual([]);
  });

  it('exchange: a token without sub is bad-server-data', async () => {
    const auth = createLivePersonAuth(fakeIdp(makeJwt({ exp: 5 })), fixedClock());
    await expect(auth.exchange({ token: 'x', issuedAt: 0, expiresAt: 0, windowEndsAt: 0 })).rejects.toMatchObject({
      reason: 'bad-server-data',
    });
  });
});
