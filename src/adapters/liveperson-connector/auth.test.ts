import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import { TokenLifecycle, createClock, createRecordStore } from '../../auth/index.ts';
import { createConnectorAuth } from './auth.ts';
import { brokerError, fakeFetch, fixedClock, json } from './test-helpers.ts';

const BROKER = 'https://broker.example';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = 1_700_000_000_000;

const identityBody = (overrides: Record<string, unknown> = {}) => ({
  visitorToken: 'vt-1',
  visitorId: 'v-abc',
  issuedAt: T0,
  expiresAt: T0 + DAY,
  windowEndsAt: T0 + 30 * DAY,
  ...overrides,
});

function setup(route: Parameters<typeof fakeFetch>[0]) {
  const clock = fixedClock(T0);
  const { fetch, requests } = fakeFetch(route);
  const auth = createConnectorAuth({ brokerUrl: BROKER, clock, fetch, requestTimeoutMs: 1_000, localNow: () => T0 - 5_000 });
  return { auth, clock, requests };
}

describe('connector auth: issue', () => {
  it('POST /v1/visitors with no token and no cookies → the broker\'s identity; its time is a skew reading', async () => {
    const { auth, clock, requests } = setup(() => json(201, identityBody()));
    await expect(auth.issue()).resolves.toEqual({ token: 'vt-1', subject: 'v-abc', issuedAt: T0, expiresAt: T0 + DAY, windowEndsAt: T0 + 30 * DAY });
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({ url: `${BROKER}/v1/visitors`, method: 'POST', credentials: 'omit', json: undefined });
    expect(Object.keys(requests[0]!.headers).sort()).toEqual(['accept']);
    expect(clock.observed).toEqual([T0]);
  });

  it('reports a rate limit with its Retry-After, a refusal (origin not allowed) and an unreadable answer', async () => {
    await expect(setup(() => brokerError(429, 'rate-limited', { 'Retry-After': '7' })).auth.issue()).rejects.toMatchObject({
      reason: 'rate-limited', status: 429, retryAfterSec: 7, serverCode: 'rate-limited',
    });
    await expect(setup(() => brokerError(403, 'origin-not-allowed')).auth.issue()).rejects.toMatchObject({ reason: 'token-issue-refused', serverCode: 'origin-not-allowed' });
    await expect(setup(() => brokerError(502, 'upstream-unavailable')).auth.issue()).rejects.toMatchObject({ reason: 'server-error' });
    await expect(setup(() => json(201, { visitorToken: 'x' })).auth.issue()).rejects.toMatchObject({ reason: 'bad-server-data' });
    await expect(setup(() => Promise.reject(new TypeError('offline'))).auth.issue()).rejects.toMatchObject({ reason: 'network' });
  });
});

describe('connector auth: refresh', () => {
  it('sends the (maybe expired) token as Bearer, gets the same visitor with a new token', async () => {
    const { auth, requests } = setup(() => json(200, identityBody({ visitorToken: 'vt-2', expiresAt: T0 + 2 * DAY })));
    const old = { token: 'vt-1', subject: 'v-abc', issuedAt: T0, expiresAt: T0, windowEndsAt: T0 + 30 * DAY };
    await expect(auth.refresh(old)).resolves.toMatchObject({ token: 'vt-2', subject: 'v-abc', expiresAt: T0 + 2 * DAY });
    expect(requests[0]).toMatchObject({ url: `${BROKER}/v1/visitors/refresh`, method: 'POST', credentials: 'omit' });
    expect(requests[0]!.headers['authorization']).toBe('Bearer vt-1');
    expect(requests[0]!.url).not.toContain('vt-1');
  });

  it('a refusal past the window (or of a token not the broker\'s) is token-refresh-refused; another visitor is bad data', async () => {
    const old = { token: 'vt-1', subject: 'v-abc', issuedAt: T0, expiresAt: T0, windowEndsAt: T0 + 30 * DAY };
    await expect(setup(() => brokerError(401, 'refresh-window-ended')).auth.refresh(old)).rejects.toMatchObject({ reason: 'token-refresh-refused', serverCode: 'refresh-window-ended' });
    await expect(setup(() => brokerError(401, 'visitor-token-invalid')).auth.refresh(old)).rejects.toMatchObject({ reason: 'token-refresh-refused' });
    await expect(setup(() => brokerError(429, 'rate-limited', { 'Retry-After': '3' })).auth.refresh(old)).rejects.toMatchObject({ reason: 'rate-limited', retryAfterSec: 3 });
    await expect(setup(() => json(200, identityBody({ visitorId: 'v-other' }))).auth.refresh(old)).rejects.toMatchObject({ reason: 'bad-server-data' });
  });
});

describe('connector auth: exchange', () => {
  it('makes no call: the access token is the visitor token, its subject the visitor id', async () => {
    const { auth, requests } = setup(() => json(500));
    const identity = { token: 'vt-1', subject: 'v-abc', issuedAt: T0, expiresAt: T0 + DAY, windowEndsAt: T0 + 30 * DAY };
    await expect(auth.exchange(identity)).resolves.toEqual({ token: 'vt-1', subject: 'v-abc', issuedAt: T0, expiresAt: T0 + DAY });
    expect(requests).toHaveLength(0);
  });

  it('issue → reuse → one refresh when the token comes due → a new visitor past the window', async () => {
    let now = T0;
    let tokens = 0;
    const calls: string[] = [];
    const { fetch } = fakeFetch((request) => {
      calls.push(request.path);
      tokens += 1;
      if (request.path === '/v1/visitors') return json(201, identityBody({ visitorToken: `vt-${tokens}`, visitorId: `v-${tokens}`, issuedAt: now, expiresAt: now + DAY, windowEndsAt: now + 30 * DAY }));
      if (now >= T0 + 30 * DAY) return brokerError(401, 'refresh-window-ended');
      return json(200, identityBody({ visitorToken: `vt-${tokens}`, visitorId: 'v-1', issuedAt: T0, expiresAt: Math.min(now + DAY, T0 + 30 * DAY), windowEndsAt: T0 + 30 * DAY }));
    });
    const clock = createClock(0, () => now);
    const auth = createConnectorAuth({ brokerUrl: BROKER, clock, fetch, requestTimeoutMs: 1_000, localNow: () => now });
    const lifecycle = new TokenLifecycle({ adapter: 'liveperson-connector', tenant: `liveperson-connector:${BROKER}:${Math.random()}`, auth, store: createRecordStore(), clock, sleep: async () => {} });

    const first = await lifecycle.ensureAccess();
    expect(first).toMatchObject({ action: 'issue', record: { access: { token: 'vt-1', subject: 'v-1' }, identity: { subject: 'v-1' } } });
    now += 12 * HOUR;
    expect((await lifecycle.ensureAccess()).action).toBe('reuse');
    // The lifecycle renews a minute before expiry: the exchange refuses the dying token, so it is refreshed once.
    now = T0 + DAY - 60_000;
    const renewed = await lifecycle.ensureAccess();
    expect(renewed).toMatchObject({ action: 'renew', record: { access: { token: 'vt-2', subject: 'v-1' } } });
    expect((await lifecycle.ensureAccess()).action).toBe('reuse');
    expect(calls).toEqual(['/v1/visitors', '/v1/visitors/refresh']);
    // Past the 30-day window: a new visitor.
    now = T0 + 31 * DAY;
    expect(await lifecycle.ensureAccess()).toMatchObject({ action: 'replace', record: { access: { subject: 'v-3' } } });
  });
});
