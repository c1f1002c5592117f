import { describe, expect, it } from 'vitest';
import type { ReasonCode } from '../../errors.ts';
import { readRetryAfter } from '../http.ts';
import { classifyIdpFailure, createIdpClient, type IdpCall } from './idp.ts';
import { fakeFetch, json, makeJwt } from './test-helpers.ts';

const EXT = makeJwt({ sub: 'identity-1', iat: 1, exp: 601 });
const CONSUMER = makeJwt({ sub: 'consumer-1', iat: 1, exp: 3601 });

function client(route: Parameters<typeof fakeFetch>[0]) {
  const { fetch, requests } = fakeFetch(route);
  const idp = createIdpClient({
    account: '12345678',
    connectorId: 'guestchat-unauth',
    idpOrigin: async () => 'https://idp.example.net',
    fetch,
  });
  return { idp, requests };
}

describe('IdP requests', () => {
  it('issues with a body-less POST: no Content-Type, no cookies', async () => {
    const { idp, requests } = client(() => json(200, { token: EXT }));
    expect(await idp.issue()).toBe(EXT);
    expect(requests[0]).toMatchObject({
      url: 'https://idp.example.net/api/account/12345678/anonymous/authorize',
      method: 'POST',
      body: undefined,
      credentials: 'omit',
    });
    expect(requests[0]?.headers['content-type']).toBeUndefined();
  });

  it('refreshes with the previous token as JSON', async () => {
    const { idp, requests } = client(() => json(200, { token: EXT }));
    await idp.refresh('previous.token.sig');
    expect(requests[0]?.url).toBe('https://idp.example.net/api/account/12345678/anonymous/authorize');
    expect(requests[0]?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(requests[0]?.body ?? '')).toEqual({ id_token: 'previous.token.sig' });
  });

  it('exchanges at authenticate?v=3.0 on the connector', async () => {
    const { idp, requests } = client(() => json(200, { token: CONSUMER }));
    expect(await idp.authenticate(EXT)).toBe(CONSUMER);
    expect(requests[0]?.url).toBe('https://idp.example.net/api/account/12345678/app/guestchat-unauth/authenticate?v=3.0');
    expect(JSON.parse(requests[0]?.body ?? '')).toEqual({ id_token: EXT });
  });

  it.each([{}, { token: 42 }, { token: 'not-a-jwt' }, undefined])('rejects 200 body %j as bad-server-data', async (body) => {
    const { idp } = client(() => json(200, body));
    await expect(idp.issue()).rejects.toMatchObject({ reason: 'bad-server-data', status: 200 });
  });

  it('reports a network failure as network', async () => {
    const idp = createIdpClient({
      account: '1',
      connectorId: 'c',
      idpOrigin: async () => 'https://idp.example.net',
      fetch: () => Promise.reject(new TypeError('Failed to fetch')),
    });
    await expect(idp.refresh(EXT)).rejects.toMatchObject({ reason: 'network' });
  });

  it('never puts a token in an error message', async () => {
    const { idp } = client(() => json(401, { internalErrorCode: '9902' }));
    const error = await idp.refresh(EXT).then(
      () => new Error('resolved'),
      (e: unknown) => e as Error,
    );
    expect(error.message).not.toContain(EXT);
    expect(error.message).not.toContain(EXT.split('.')[1]);
  });
});

describe('IdP error classification (contract §3.4)', () => {
  const cases: Array<[IdpCall, number, unknown, ReasonCode]> = [
    ['issue', 400, { internalErrorCode: '9905' }, 'token-issue-refused'],
    ['issue', 403, { internalErrorCode: '9904' }, 'token-issue-refused'],
    ['issue', 500, undefined, 'server-error'],
    ['issue', 503, { internalErrorCode: '1' }, 'server-error'],
    ['refresh', 401, { internalErrorCode: '9902' }, 'token-refresh-refused'],
    ['refresh', 400, undefined, 'token-refresh-refused'],
    ['refresh', 500, { internalErrorCode: '9007' }, 'token-refresh-refused'],
    ['refresh', 502, undefined, 'server-error'],
    ['authenticate', 401, { internalErrorCode: '9901' }, 'token-exchange-refused'],
    ['authenticate', 500, { internalErrorCode: 9007 }, 'token-exchange-refused'],
    ['authenticate', 500, undefined, 'server-error'],
    ['authenticate', 404, { internalErrorCode: '9903' }, 'request-refused'],
    ['authenticate', 403, { internalErrorCode: '9904' }, 'request-refused'],
    ['issue', 429, undefined, 'rate-limited'],
    ['refresh', 429, undefined, 'rate-limited'],
    ['authenticate', 429, undefined, 'rate-limited'],
  ];

  it.each(cases)('%s → %i %j → %s', async (call, status, body, reason) => {
    const { idp } = client(() => json(status, body));
    const run = call === 'issue' ? idp.issue() : call === 'refresh' ? idp.refresh(EXT) : idp.authenticate(EXT);
    const error = await run.catch((e: unknown) => e);
    const code = (body as { internalErrorCode?: unknown } | undefined)?.internalErrorCode;
    expect(error).toMatchObject({ reason, status, serverCode: code === undefined ? undefined : String(code) });
  });

  it('keeps Retry-After on 429', async () => {
    const { idp } = client(() => json(429, undefined, { 'Retry-After': '7' }));
    await expect(idp.issue()).rejects.toMatchObject({ reason: 'rate-limited', retryAfterSec: 7 });
  });

  it('classifies without a network round trip', () => {
    expect(classifyIdpFailure('refresh', { status: 404, body: undefined, retryAfterSec: undefined }).reason).toBe(
      'token-refresh-refused',
    );
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    expect(readRetryAfter('120')).toBe(120);
    expect(readRetryAfter(new Date(10_000).toUTCString(), 0)).toBe(10);
    expect(readRetryAfter('soon')).toBeUndefined();
    expect(readRetryAfter(null)).toBeUndefined();
  });
});
