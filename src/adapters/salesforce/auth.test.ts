import { describe, expect, it, vi } from 'vitest';
import { GuestChatError } from '../../errors.ts';
import { GUEST_TOKEN_LIFETIME_MS } from './auth.ts';
import { createSalesforceVendor } from './index.ts';
import { createPageMemory } from './memory.ts';
import { fakeFetch, fixedClock, json } from './test-helpers.ts';

const CONFIG = {
  adapter: 'salesforce' as const,
  scrtUrl: 'http://127.0.0.1:8787/',
  orgId: '00D5e000000SBOXEAW',
  deployment: 'GuestChat_Sandbox',
};

function tokenAnswer(deploymentType = 'api') {
  return {
    accessToken: 'aaa.bbb.ccc',
    lastEventId: '0',
    context: { deviceId: 'd', configuration: { embeddedServiceConfig: { name: 'GuestChat_Sandbox', deploymentType } } },
  };
}

describe('Salesforce auth adapter', () => {
  it('issues a guest token with the documented request (W1) and an opaque-token identity', async () => {
    const clock = fixedClock(1_000_000);
    const { fetch, requests } = fakeFetch(() => json(200, tokenAnswer()));
    const memory = createPageMemory();
    const vendor = createSalesforceVendor(CONFIG, clock, { fetch, memory, clientVersion: '9.9.9' });
    const identity = await vendor.auth.issue();

    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request!.method).toBe('POST');
    expect(request!.url).toBe('http://127.0.0.1:8787/iamessage/api/v2/authorization/unauthenticated/access-token');
    expect(request!.headers['authorization']).toBeUndefined();
    expect(Object.keys(request!.headers).sort()).toEqual(['accept', 'content-type']);
    expect(request!.credentials).toBe('omit');
    expect(request!.cache).toBe('no-store');
    expect(request!.json).toEqual({
      orgId: '00D5e000000SBOX',
      esDeveloperName: 'GuestChat_Sandbox',
      capabilitiesVersion: '1',
      platform: 'Web',
      context: { appName: 'GuestChat', clientVersion: '9.9.9' },
    });

    expect(identity.token).toBe('aaa.bbb.ccc');
    expect(identity.subject).toMatch(/^sf:[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(identity.issuedAt).toBe(1_000_000);
    expect(identity.expiresAt).toBe(1_000_000 + GUEST_TOKEN_LIFETIME_MS);
    expect(identity.windowEndsAt).toBe(identity.expiresAt);
    // Remembered as minted in this page, with its event-log position.
    expect(memory.minted.get('aaa.bbb.ccc')).toMatchObject({ token: 'aaa.bbb.ccc', lastEventId: '0' });
  });

  it('gives each identity its own subject', async () => {
    const { fetch } = fakeFetch(() => json(200, tokenAnswer()));
    const vendor = createSalesforceVendor(CONFIG, fixedClock(), { fetch, memory: createPageMemory() });
    const a = await vendor.auth.issue();
    const b = await vendor.auth.issue();
    expect(a.subject).not.toBe(b.subject);
  });

  it('refuses to refresh, without any network call', async () => {
    const { fetch, requests } = fakeFetch(() => json(500));
    const vendor = createSalesforceVendor(CONFIG, fixedClock(), { fetch, memory: createPageMemory() });
    const identity = { token: 't', subject: 'sf:x', issuedAt: 0, expiresAt: 1, windowEndsAt: 1 };
    await expect(vendor.auth.refresh(identity)).rejects.toMatchObject({ reason: 'token-refresh-refused' });
    expect(requests).toHaveLength(0);
  });

  it('exchanges without a call: the guest token is the access token', async () => {
    const { fetch, requests } = fakeFetch(() => json(500));
    const vendor = createSalesforceVendor(CONFIG, fixedClock(0), { fetch, memory: createPageMemory() });
    const identity = { token: 't', subject: 'sf:x', issuedAt: 5, expiresAt: 3_600_005, windowEndsAt: 3_600_005 };
    await expect(vendor.auth.exchange(identity)).resolves.toEqual({ token: 't', subject: 'sf:x', issuedAt: 5, expiresAt: 3_600_005 });
    expect(requests).toHaveLength(0);
  });

  it('reports a deployment that is not a Custom Client once on the console and refuses it', async () => {
    const { fetch } = fakeFetch(() => json(200, tokenAnswer('web')));
    const logError = vi.fn();
    const memory = createPageMemory();
    const vendor = createSalesforceVendor(CONFIG, fixedClock(), { fetch, memory, logError });
    await expect(vendor.auth.issue()).rejects.toMatchObject({ reason: 'config-bad-deployment' });
    await expect(vendor.auth.issue()).rejects.toMatchObject({ reason: 'config-bad-deployment' });
    expect(logError).toHaveBeenCalledTimes(1);
    expect(logError.mock.calls[0]![0]).toContain('GuestChat_Sandbox');
    expect(memory.minted.size).toBe(0);
  });

  it('classifies failures by status, surviving non-JSON bodies', async () => {
    const cases: Array<[Response | Error, string]> = [
      [json(400, { message: 'Set the esDeveloperName to a deploymentType that\'s set to api', code: 'BAD' }), 'token-issue-refused'],
      [new Response('<html>', { status: 404 }), 'token-issue-refused'],
      [json(429, undefined, { 'Retry-After': '7' }), 'rate-limited'],
      [new Response('', { status: 503 }), 'server-error'],
      [new TypeError('Failed to fetch'), 'network'],
      [json(200, { lastEventId: '1' }), 'bad-server-data'],
    ];
    for (const [answer, reason] of cases) {
      const { fetch } = fakeFetch(() => {
        if (answer instanceof Error) throw answer;
        return answer;
      });
      const vendor = createSalesforceVendor(CONFIG, fixedClock(), { fetch, memory: createPageMemory() });
      const error = await vendor.auth.issue().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GuestChatError);
      expect(error).toMatchObject({ reason });
    }
  });

  it('keeps Retry-After and the server code on a refusal', async () => {
    const { fetch } = fakeFetch(() => json(429, { message: 'slow down', code: 'RATE' }, { 'Retry-After': '7' }));
    const vendor = createSalesforceVendor(CONFIG, fixedClock(), { fetch, memory: createPageMemory() });
    await expect(vendor.auth.issue()).rejects.toMatchObject({ retryAfterSec: 7, serverCode: 'RATE', status: 429 });
  });

  it('refuses another vendor\'s configuration', () => {
    const lp = { adapter: 'liveperson' as const, account: '1', connectorId: 'c', domainApi: 'https://x' };
    expect(() => createSalesforceVendor(lp, fixedClock())).toThrow(expect.objectContaining({ reason: 'config-bad-adapter' }));
  });
});
