import { describe, expect, it } from 'vitest';
import { createAgentProfiles, readAgentProfile, safeAvatarUrl } from './profile.ts';
import { fakeFetch, json, type RecordedRequest } from './test-helpers.ts';

const SANDBOX = 'http://127.0.0.1:8787';
const REAL = 'https://api.liveperson.net';
const ACC = '12345678';
const AGENT = 'agent-7';

describe('safeAvatarUrl', () => {
  it('takes https pictures from anywhere', () => {
    expect(safeAvatarUrl('https://cdn.example/p.png', REAL)).toBe('https://cdn.example/p.png');
    expect(safeAvatarUrl('https://cdn.example/p.png', SANDBOX)).toBe('https://cdn.example/p.png');
  });

  it('takes plain http only on the local sandbox origin', () => {
    expect(safeAvatarUrl(`${SANDBOX}/agent/avatar.svg`, SANDBOX)).toBe(`${SANDBOX}/agent/avatar.svg`);
    expect(safeAvatarUrl('http://localhost:8787/a.svg', 'http://localhost:8787')).toBe('http://localhost:8787/a.svg');
    // The acCdnDomain the sandbox named is its own origin too.
    expect(safeAvatarUrl('http://127.0.0.1:8787/a.svg', 'http://localhost:8787', ['http://127.0.0.1:8787'])).toBe('http://127.0.0.1:8787/a.svg');
    expect(safeAvatarUrl('http://127.0.0.1:9999/a.svg', SANDBOX)).toBeUndefined();
    expect(safeAvatarUrl('http://evil.example/a.svg', SANDBOX)).toBeUndefined();
    expect(safeAvatarUrl('http://cdn.example/a.png', REAL, ['http://cdn.example'])).toBeUndefined();
  });

  it('drops other schemes, credentials, junk and overlong URLs', () => {
    for (const value of [
      'javascript:alert(1)',
      'data:image/svg+xml,<svg/>',
      '//cdn.example/p.png',
      '/relative.png',
      'https://user:pw@cdn.example/p.png',
      '',
      42,
      undefined,
      `https://cdn.example/${'a'.repeat(2100)}`,
    ]) {
      expect(safeAvatarUrl(value, SANDBOX)).toBeUndefined();
    }
  });
});

describe('readAgentProfile', () => {
  it('keeps the nickname and a safe picture; fullName and employeeId are not shown', () => {
    expect(readAgentProfile({ nickname: ' Alex ', fullName: 'Alex Sandbox', employeeId: 'e1', pictureUrl: 'https://x.test/a.png' }, REAL)).toEqual({
      name: 'Alex',
      avatar: 'https://x.test/a.png',
    });
    expect(readAgentProfile({ nickname: '', fullName: 'Alex Sandbox', pictureUrl: '' }, REAL)).toEqual({});
    expect(readAgentProfile({ nickname: 'Bo', pictureUrl: 'http://x.test/a.png' }, REAL)).toEqual({ name: 'Bo' });
    expect(readAgentProfile('nope', REAL)).toEqual({});
  });
});

function server(overrides: { domain?: (r: RecordedRequest) => Response; profile?: (r: RecordedRequest) => Response } = {}) {
  return fakeFetch((request) => {
    if (request.url.includes('/service/')) {
      return overrides.domain?.(request) ?? json(200, { service: 'acCdnDomain', account: ACC, baseURI: 'cdn.sandbox:8787' });
    }
    return (
      overrides.profile?.(request) ??
      json(200, { nickname: 'Alex', fullName: 'Alex Sandbox', employeeId: 'e1', pictureUrl: 'http://cdn.sandbox:8787/agent/avatar.svg' })
    );
  });
}

describe('createAgentProfiles', () => {
  it('discovers acCdnDomain lazily, then GETs the profile without credentials; one lookup per agent', async () => {
    const { fetch, requests } = server();
    const profiles = createAgentProfiles({ domainApi: 'http://localhost:8787', account: ACC }, { fetch });
    expect(requests).toHaveLength(0);
    expect(profiles(AGENT).profile).toBeUndefined(); // starts the lookup
    await profiles(AGENT).settled;
    expect(profiles(AGENT).profile).toEqual({ name: 'Alex', avatar: 'http://cdn.sandbox:8787/agent/avatar.svg' });
    expect(requests.map((r) => r.url)).toEqual([
      `http://localhost:8787/api/account/${ACC}/service/acCdnDomain/baseURI.json?version=1.0`,
      `http://cdn.sandbox:8787/api/account/${ACC}/configuration/le-users/users/${AGENT}`,
    ]);
    expect(requests[1]).toMatchObject({ method: 'GET', credentials: 'omit' });
    expect(requests[1]?.headers['authorization']).toBeUndefined();
    // Cached: another agent reuses the discovery, the same agent asks nothing.
    await profiles(AGENT).settled;
    await profiles('agent-8').settled;
    expect(requests.map((r) => r.url.split('/').at(-1))).toEqual(['baseURI.json?version=1.0', AGENT, 'agent-8']);
  });

  it('uses https for the CDN of a real account, and percent-encodes the agent id', async () => {
    const { fetch, requests } = server({ domain: () => json(200, { baseURI: 'z1.acr.liveperson.net' }) });
    const profiles = createAgentProfiles({ domainApi: REAL, account: ACC }, { fetch });
    await profiles('a/b c').settled;
    expect(requests[1]?.url).toBe(`https://z1.acr.liveperson.net/api/account/${ACC}/configuration/le-users/users/a%2Fb%20c`);
    // The sandbox-style http picture is not loaded for a real account.
    expect(profiles('a/b c').profile).toEqual({ name: 'Alex' });
  });

  it('settles a failed lookup as no profile ({}), never rejecting; retries it only after a while', async () => {
    let t = 0;
    let status = 404;
    const { fetch, requests } = server({ profile: () => json(status, status === 200 ? { nickname: 'Alex' } : { error: 'Unknown user' }) });
    const profiles = createAgentProfiles({ domainApi: SANDBOX, account: ACC }, { fetch, now: () => t, retryFailedAfterMs: 60_000 });
    await expect(profiles(AGENT).settled).resolves.toBeUndefined();
    expect(profiles(AGENT).profile).toEqual({});
    t = 59_999;
    expect(profiles(AGENT).profile).toEqual({});
    await profiles(AGENT).settled;
    expect(requests).toHaveLength(2);
    t = 60_000;
    status = 200;
    expect(profiles(AGENT).profile).toBeUndefined(); // retry started
    await profiles(AGENT).settled;
    expect(profiles(AGENT).profile).toMatchObject({ name: 'Alex' });
  });

  it('a failed discovery (or a network error) is non-fatal and asked again next time', async () => {
    let domainStatus = 500;
    const { fetch, requests } = server({
      domain: () => json(domainStatus, domainStatus === 200 ? { baseURI: 'cdn.sandbox:8787' } : { error: 'down' }),
    });
    const profiles = createAgentProfiles({ domainApi: SANDBOX, account: ACC }, { fetch, retryFailedAfterMs: 0 });
    await profiles(AGENT).settled;
    domainStatus = 200;
    expect(profiles(AGENT).profile).toBeUndefined(); // failed, retry due at once: started again
    await profiles(AGENT).settled;
    expect(profiles(AGENT).profile).toMatchObject({ name: 'Alex' });
    expect(requests.filter((r) => r.url.includes('/service/'))).toHaveLength(2);

    const broken = createAgentProfiles({ domainApi: SANDBOX, account: ACC }, {
      fetch: () => Promise.reject(new TypeError('Failed to fetch')),
    });
    await expect(broken(AGENT).settled).resolves.toBeUndefined();
    expect(broken(AGENT).profile).toEqual({});
  });
});
