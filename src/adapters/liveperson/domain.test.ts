import { beforeEach, describe, expect, it } from 'vitest';
import { GuestChatError } from '../../errors.ts';
import type { LivePersonConfig } from '../types.ts';
import { clearDomainCache, createDomainResolver, isBareHost, schemeOf } from './domain.ts';
import { fakeFetch, json } from './test-helpers.ts';

const config = (domainApi: string, account = '12345678'): LivePersonConfig => ({
  adapter: 'liveperson',
  account,
  connectorId: 'guestchat-unauth',
  domainApi,
});

const hostsFor: Record<string, string> = { idp: 'idp.example.net', asyncMessagingEnt: 'msg.example.net:8443' };

function serviceOf(url: string): string {
  return /\/service\/([^/]+)\/baseURI\.json/.exec(url)?.[1] ?? '';
}

describe('Domain API discovery', () => {
  beforeEach(() => clearDomainCache());

  it('looks up idp and asyncMessagingEnt with the single-service form and https/wss schemes', async () => {
    const { fetch, requests } = fakeFetch((r) => json(200, { service: serviceOf(r.url), account: '12345678', baseURI: hostsFor[serviceOf(r.url)] }));
    const hosts = await createDomainResolver(config('https://api.liveperson.net'), { fetch }).resolve();
    expect(hosts).toEqual({ idp: 'https://idp.example.net', messaging: 'wss://msg.example.net:8443' });
    expect(requests.map((r) => r.url).sort()).toEqual([
      'https://api.liveperson.net/api/account/12345678/service/asyncMessagingEnt/baseURI.json?version=1.0',
      'https://api.liveperson.net/api/account/12345678/service/idp/baseURI.json?version=1.0',
    ]);
    expect(requests.every((r) => r.method === 'GET' && r.credentials === 'omit')).toBe(true);
  });

  it('inherits http/ws from a local sandbox Domain API', async () => {
    const { fetch } = fakeFetch(() => json(200, { baseURI: '127.0.0.1:8787' }));
    const hosts = await createDomainResolver(config('http://127.0.0.1:8787'), { fetch }).resolve();
    expect(hosts).toEqual({ idp: 'http://127.0.0.1:8787', messaging: 'ws://127.0.0.1:8787' });
    expect([schemeOf('http://localhost:9000', 'http'), schemeOf('http://localhost:9000', 'ws')]).toEqual(['http://', 'ws://']);
    expect([schemeOf('https://api.example', 'http'), schemeOf('https://api.example', 'ws')]).toEqual(['https://', 'wss://']);
  });

  it('refuses cleartext to a non-local Domain API', () => {
    expect(() => schemeOf('http://api.liveperson.net', 'ws')).toThrow(GuestChatError);
  });

  it.each(['https://idp.example.net', 'idp.example.net/path', 'idp.example.net:99999', '', 'a b', 'user@host', 'host?x=1'])(
    'rejects baseURI %j',
    async (baseURI) => {
      expect(isBareHost(baseURI)).toBe(false);
      const { fetch } = fakeFetch(() => json(200, { baseURI }));
      await expect(createDomainResolver(config('https://d.example'), { fetch }).resolve()).rejects.toMatchObject({
        reason: 'domain-lookup-failed',
      });
    },
  );

  it('accepts bare hosts with ports and IPv6 literals', () => {
    expect(isBareHost('va.idp.liveperson.net')).toBe(true);
    expect(isBareHost('localhost:8787')).toBe(true);
    expect(isBareHost('[::1]:8787')).toBe(true);
  });

  it('reports a failed lookup with its status', async () => {
    const { fetch } = fakeFetch(() => json(401, { error: 'unknown account' }));
    await expect(createDomainResolver(config('https://d.example'), { fetch }).resolve()).rejects.toMatchObject({
      reason: 'domain-lookup-failed',
      status: 401,
    });
  });

  it('reports a network failure as domain-lookup-failed', async () => {
    const fetch = () => Promise.reject(new TypeError('Failed to fetch'));
    await expect(createDomainResolver(config('https://d.example'), { fetch }).resolve()).rejects.toMatchObject({
      reason: 'domain-lookup-failed',
    });
  });

  it('reuses the last good answer while fresh, and when a re-lookup fails', async () => {
    let fail = false;
    const { fetch, requests } = fakeFetch((r) => (fail ? json(503, undefined) : json(200, { baseURI: hostsFor[serviceOf(r.url)] })));
    const first = createDomainResolver(config('https://d.example', '111'), { fetch });
    const good = await first.resolve();
    expect(requests).toHaveLength(2);

    // Another resolver for the same account (same page) uses the cached answer without asking.
    expect(await createDomainResolver(config('https://d.example', '111'), { fetch }).resolve()).toEqual(good);
    expect(requests).toHaveLength(2);

    first.markStale();
    fail = true;
    expect(await first.resolve()).toEqual(good);
    expect(requests).toHaveLength(4); // it did ask again
  });

  it('re-looks up after the freshness period and takes a new answer', async () => {
    let now = 0;
    let host = 'one.example';
    const { fetch, requests } = fakeFetch(() => json(200, { baseURI: host }));
    const resolver = createDomainResolver(config('https://d.example', '222'), { fetch, now: () => now, freshForMs: 1000 });
    expect((await resolver.resolve()).idp).toBe('https://one.example');
    host = 'two.example';
    now = 500;
    expect((await resolver.resolve()).idp).toBe('https://one.example');
    now = 1500;
    expect((await resolver.resolve()).idp).toBe('https://two.example');
    expect(requests).toHaveLength(4);
  });

  it('shares one lookup between concurrent callers', async () => {
    const { fetch, requests } = fakeFetch(() => json(200, { baseURI: 'h.example' }));
    const resolver = createDomainResolver(config('https://d.example', '333'), { fetch });
    const [a, b] = await Promise.all([resolver.resolve(), resolver.resolve()]);
    expect(a).toEqual(b);
    expect(requests).toHaveLength(2);
  });
});
