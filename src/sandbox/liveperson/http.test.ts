import { describe, expect, it } from 'vitest';
import type { RunningSandbox } from '../index.ts';
import { ACCOUNT, CONNECTOR, LpClient, decodeJwt, postJson, startTestSandbox, tempKeysDir, useTestSandbox } from '../test-support.ts';

let sandbox: RunningSandbox;
let lp: LpClient;
let host: string;

useTestSandbox((started) => {
  sandbox = started;
  lp = new LpClient(started.url);
  host = new URL(started.url).host;
});

describe('Domain API', () => {
  it('answers the single-service form, with and without /csdr, with the bare host:port', async () => {
    for (const prefix of ['api', 'csdr']) {
      for (const service of ['idp', 'asyncMessagingEnt', 'acCdnDomain']) {
        const res = await fetch(`${sandbox.url}/${prefix}/account/${ACCOUNT}/service/${service}/baseURI.json?version=1.0`);
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({ service, account: ACCOUNT, baseURI: host });
      }
    }
    expect(host).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('answers the all-services form', async () => {
    const res = await fetch(`${sandbox.url}/api/account/${ACCOUNT}/service/baseURI.json?version=1.0`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { baseURIs: { service: string; account: string; baseURI: string }[] };
    expect(body.baseURIs).toEqual(
      expect.arrayContaining([
        { service: 'idp', account: ACCOUNT, baseURI: host },
        { service: 'asyncMessagingEnt', account: ACCOUNT, baseURI: host },
      ]),
    );
  });

  it('refuses a missing version (400), an unknown account (401), an unknown or miscased service (404)', async () => {
    const base = `${sandbox.url}/api/account`;
    expect((await fetch(`${base}/${ACCOUNT}/service/idp/baseURI.json`)).status).toBe(400);
    expect((await fetch(`${base}/${ACCOUNT}/service/idp/baseURI.json?version=2.0`)).status).toBe(400);
    const unknown = await fetch(`${base}/99999999/service/idp/baseURI.json?version=1.0`);
    expect(unknown.status).toBe(401);
    expect(await unknown.json()).toHaveProperty('error');
    expect((await fetch(`${base}/${ACCOUNT}/service/IDP/baseURI.json?version=1.0`)).status).toBe(404);
    expect((await fetch(`${base}/${ACCOUNT}/service/sentinelX/baseURI.json?version=1.0`)).status).toBe(404);
  });
});

describe('CORS', () => {
  it('answers preflights on LP, agent and admin routes echoing Origin', async () => {
    for (const path of [`/api/account/${ACCOUNT}/anonymous/authorize`, '/agent/conversations', '/admin/clock']) {
      const res = await fetch(`${sandbox.url}${path}`, {
        method: 'OPTIONS',
        headers: {
          Origin: 'http://localhost:5173',
          'Access-Control-Request-Method': 'POST',
          'Access-Control-Request-Headers': 'content-type',
          'Access-Control-Request-Private-Network': 'true',
        },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
      expect(res.headers.get('vary')).toBe('Origin');
      expect(res.headers.get('access-control-allow-methods')).toContain('POST');
      expect(res.headers.get('access-control-allow-headers')).toBe('Content-Type');
      expect(res.headers.get('access-control-allow-private-network')).toBe('true');
    }
  });

  it('echoes Origin on actual responses, errors included, and exposes nothing else', async () => {
    const res = await fetch(`${sandbox.url}/api/account/${ACCOUNT}/service/idp/baseURI.json?version=1.0`, {
      headers: { Origin: 'https://shop.example' },
    });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(res.headers.get('access-control-expose-headers')).toBeNull();
    const refused = await postJson(`${sandbox.url}/api/account/1/anonymous/authorize`, undefined, { Origin: 'https://shop.example' });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBe('https://shop.example');
  });

  it('404s unknown paths without CORS', async () => {
    const res = await fetch(`${sandbox.url}/nope`, { method: 'OPTIONS', headers: { Origin: 'https://x.example' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('IdP', () => {
  it('issues an external token and exchanges it for an RS256 consumer JWT', async () => {
    const external = await lp.issue();
    const ext = decodeJwt(external);
    expect(ext.header).toMatchObject({ alg: 'RS256', kid: 'sandbox-1' });
    expect(ext.payload.exp - ext.payload.iat).toBe(600);
    expect(ext.payload.fia).toBe(ext.payload.iat);
    expect(ext.payload.iss).toBe(sandbox.url);

    const res = await lp.authenticate(external);
    expect(res.status).toBe(200);
    const { token } = (await res.json()) as { token: string };
    const jwt = decodeJwt(token);
    expect(jwt.header).toMatchObject({ alg: 'RS256', kid: 'sandbox-1', typ: 'JWT' });
    expect(jwt.payload).toMatchObject({ aud: `acc:${ACCOUNT}`, iss: sandbox.url });
    expect(jwt.payload.sub).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(jwt.payload.exp - jwt.payload.iat).toBe(3600);
  });

  it('refresh keeps the identity: same sub, fia unchanged, even with an expired token', async () => {
    const first = await lp.consumerJwt();
    await postJson(`${sandbox.url}/admin/clock`, { advanceMs: 11 * 60_000 });
    expect((await lp.authenticate(first.external)).status).toBe(401);
    const refreshed = await lp.refresh(first.external);
    expect(refreshed.status).toBe(200);
    const { token } = (await refreshed.json()) as { token: string };
    expect(decodeJwt(token).payload.fia).toBe(decodeJwt(first.external).payload.fia);
    const again = (await (await lp.authenticate(token)).json()) as { token: string };
    expect(decodeJwt(again.token).payload.sub).toBe(first.sub);
    // Refreshing revokes nothing: the old token refreshes too.
    expect((await lp.refresh(first.external)).status).toBe(200);
    // Two issues are two identities.
    expect((await lp.consumerJwt()).sub).not.toBe(first.sub);
  });

  it('refuses a refresh past the window from the first issue with 401 9902', async () => {
    const external = await lp.issue();
    await postJson(`${sandbox.url}/admin/clock`, { advanceMs: 700 * 3_600_000 });
    const mid = await lp.refresh(external);
    expect(mid.status).toBe(200);
    const { token } = (await mid.json()) as { token: string };
    await postJson(`${sandbox.url}/admin/clock`, { advanceMs: 31 * 3_600_000 });
    const late = await lp.refresh(token);
    expect(late.status).toBe(401);
    expect(await late.json()).toEqual({ internalErrorCode: '9902' });
  });

  it('caps the consumer JWT at the window end', async () => {
    await postJson(`${sandbox.url}/admin/lifetimes`, { lpRefreshWindowMs: 30 * 60_000 });
    const external = await lp.issue();
    const { token } = (await (await lp.authenticate(external)).json()) as { token: string };
    const { payload } = decodeJwt(token);
    expect(payload.exp - payload.iat).toBeLessThanOrEqual(1800);
  });

  it('refuses authenticate with an expired external token: 401 9901', async () => {
    const external = await lp.issue();
    await postJson(`${sandbox.url}/admin/clock`, { advanceMs: 10 * 60_000 });
    const res = await lp.authenticate(external);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ internalErrorCode: '9901' });
  });

  it('follows the error table of §3.2', async () => {
    const idp = `${sandbox.url}/api/account`;
    const external = await lp.issue();
    const codeOf = async (res: Response) => [res.status, ((await res.json()) as { internalErrorCode: string }).internalErrorCode];
    // body not JSON / id_token not a string
    expect(await codeOf(await fetch(`${idp}/${ACCOUNT}/anonymous/authorize`, { method: 'POST', body: '{nope' }))).toEqual([400, '9905']);
    expect(await codeOf(await postJson(`${idp}/${ACCOUNT}/anonymous/authorize`, { id_token: 5 }))).toEqual([400, '9905']);
    expect(await codeOf(await postJson(`${idp}/${ACCOUNT}/app/${CONNECTOR}/authenticate?v=3.0`, {}))).toEqual([400, '9905']);
    // malformed, bad signature
    expect(await codeOf(await lp.refresh('not.a.jwt'))).toEqual([401, '9007']);
    const [h, p] = external.split('.');
    expect(await codeOf(await lp.authenticate(`${h}.${p}.AAAA`))).toEqual([401, '9007']);
    // a consumer JWT is not an external token
    const { jwt } = await lp.consumerJwt();
    expect(await codeOf(await lp.refresh(jwt))).toEqual([401, '9007']);
    // unknown account, unknown connector
    expect(await codeOf(await postJson(`${idp}/87654321/anonymous/authorize`))).toEqual([403, '9904']);
    expect(await codeOf(await postJson(`${idp}/87654321/app/${CONNECTOR}/authenticate?v=3.0`, { id_token: external }))).toEqual([403, '9904']);
    expect(await codeOf(await postJson(`${idp}/${ACCOUNT}/app/other-connector/authenticate?v=3.0`, { id_token: external }))).toEqual([404, '9903']);
  });

  it('keeps tokens valid across a restart with the same keys', async () => {
    const keysDir = tempKeysDir();
    const first = await startTestSandbox(keysDir);
    const external = await new LpClient(first.url).issue();
    await first.close();
    const second = await startTestSandbox(keysDir);
    try {
      // The key is read back from keysDir, so the old signature still verifies.
      expect((await new LpClient(second.url).authenticate(external)).status).toBe(200);
    } finally {
      await second.close();
    }
  });
});

describe('agent profile', () => {
  it('serves the simulated agent, 404 for others', async () => {
    const list = await fetch(`${sandbox.url}/agent/conversations`);
    expect(list.status).toBe(200);
    const res = await fetch(`${sandbox.url}/api/account/${ACCOUNT}/configuration/le-users/users/a9d3c1e2-5b7f-4c8d-9e0a-1f2b3c4d5e6f`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      pictureUrl: `${sandbox.url}/agent/avatar.svg`,
      employeeId: 'sandbox-agent-1',
      nickname: 'Alex',
      fullName: 'Alex Sandbox',
    });
    expect((await fetch(`${sandbox.url}/api/account/${ACCOUNT}/configuration/le-users/users/nobody`)).status).toBe(404);
    expect((await fetch(`${sandbox.url}/api/account/99999999/configuration/le-users/users/nobody`)).status).toBe(401);
  });

  it('serves the agent picture as a cross-origin SVG without script', async () => {
    const res = await fetch(`${sandbox.url}/agent/avatar.svg`, { headers: { Origin: 'http://localhost:5173' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const svg = await res.text();
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg).not.toMatch(/<script|href=|on\w+=/i);
  });
});
