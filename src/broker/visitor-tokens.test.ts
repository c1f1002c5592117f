import { describe, expect, it } from 'vitest';
import { BrokerError } from './errors.ts';
import { REFRESH_WINDOW_MS, VISITOR_TOKEN_TTL_MS, VisitorTokens } from './visitor-tokens.ts';

const SECRET = 'a-test-secret-of-at-least-32-bytes!!';
const HOUR = 3_600_000;

function setup(start = Date.UTC(2026, 0, 1)) {
  let now = start;
  const tokens = new VisitorTokens(SECRET, { now: () => now });
  return { tokens, advance: (ms: number) => (now += ms), now: () => now };
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'none';
  } catch (error) {
    return error instanceof BrokerError ? error.code : String(error);
  }
}

describe('visitor tokens', () => {
  it('issues an opaque signed identity with a 24 h expiry and a 30-day window', async () => {
    const { tokens, now } = setup();
    const identity = await tokens.issue();
    expect(identity.visitorId).toMatch(/^v-[0-9a-f-]{36}$/);
    expect(identity.issuedAt).toBe(now());
    expect(identity.expiresAt).toBe(now() + VISITOR_TOKEN_TTL_MS);
    expect(identity.windowEndsAt).toBe(now() + REFRESH_WINDOW_MS);
    expect(await tokens.verify(identity.visitorToken)).toEqual({ visitorId: identity.visitorId, expiresAt: identity.expiresAt });
    expect((await tokens.issue()).visitorId).not.toBe(identity.visitorId);
  });

  it('refuses expired, tampered and foreign tokens', async () => {
    const { tokens, advance } = setup();
    const { visitorToken } = await tokens.issue();
    const [h, p, s] = visitorToken.split('.');
    const payload = JSON.parse(Buffer.from(p ?? '', 'base64url').toString()) as Record<string, unknown>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...payload, sub: 'v-someone-else' })).toString('base64url')}.${s}`;
    expect(await codeOf(tokens.verify(forged))).toBe('visitor-token-invalid');
    expect(await codeOf(new VisitorTokens('another-secret-of-at-least-32-bytes!').verify(visitorToken))).toBe('visitor-token-invalid');
    expect(await codeOf(tokens.verify('not-a-token'))).toBe('visitor-token-invalid');
    advance(VISITOR_TOKEN_TTL_MS - 1000);
    expect(await codeOf(tokens.verify(visitorToken))).toBe('none');
    advance(1000);
    expect(await codeOf(tokens.verify(visitorToken))).toBe('visitor-token-expired');
  });

  it('refreshes to the same visitor id, also after expiry, until the window ends', async () => {
    const { tokens, advance } = setup();
    const first = await tokens.issue();
    advance(48 * HOUR); // expired
    const second = await tokens.refresh(first.visitorToken);
    expect(second.visitorId).toBe(first.visitorId);
    expect(second.issuedAt).toBe(first.issuedAt);
    expect(second.windowEndsAt).toBe(first.windowEndsAt);
    expect(second.expiresAt).toBe(first.issuedAt + 72 * HOUR);
    expect(await codeOf(tokens.verify(second.visitorToken))).toBe('none');

    // A token never outlives the window.
    advance(REFRESH_WINDOW_MS - 48 * HOUR - 2 * HOUR);
    const late = await tokens.refresh(second.visitorToken);
    expect(late.expiresAt).toBe(first.windowEndsAt);
    advance(2 * HOUR);
    expect(await codeOf(tokens.refresh(late.visitorToken))).toBe('refresh-window-ended');
    expect(await codeOf(tokens.refresh(first.visitorToken))).toBe('refresh-window-ended');
  });

  it('does not refresh a tampered token', async () => {
    const { tokens } = setup();
    const { visitorToken } = await tokens.issue();
    expect(await codeOf(tokens.refresh(`${visitorToken}x`))).toBe('visitor-token-invalid');
  });
});
