/**
 * Visitor tokens: the broker's own anonymous identities. HS256 JWTs (jose) with
 * `sub` = a random visitor id, `fia` = first issue (epoch s), `iat`, `exp`; issuer and audience
 * fixed so no other token signed with the same key passes. Opaque to the browser.
 *
 * A token lives VISITOR_TOKEN_TTL_MS (24 h). It can be refreshed — same visitor id, new expiry —
 * even after it expired, until REFRESH_WINDOW_MS (30 days) after the identity's first issue; a
 * token never outlives that window. Past it, the visitor gets a new identity.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, compactVerify, errors as joseErrors, jwtVerify } from 'jose';
import { BrokerError } from './errors.ts';

export const VISITOR_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;
export const REFRESH_WINDOW_MS = 30 * 24 * 60 * 60 * 1000;
const ISSUER = 'guestchat-broker';
const AUDIENCE = 'guestchat-visitor';

export interface VisitorIdentity {
  visitorToken: string;
  visitorId: string;
  /** First issue of this identity (epoch ms); the refresh window is counted from it. */
  issuedAt: number;
  expiresAt: number;
  /** The identity can be refreshed until then (epoch ms). */
  windowEndsAt: number;
}

export interface VerifiedVisitor {
  visitorId: string;
  /** Token expiry (epoch ms). */
  expiresAt: number;
}

export interface VisitorTokenOptions {
  now?: () => number;
  ttlMs?: number;
  windowMs?: number;
}

export class VisitorTokens {
  private readonly key: Uint8Array;
  private readonly now: () => number;
  readonly ttlMs: number;
  readonly windowMs: number;

  constructor(secret: string | Uint8Array, options: VisitorTokenOptions = {}) {
    this.key = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
    this.now = options.now ?? Date.now;
    this.ttlMs = options.ttlMs ?? VISITOR_TOKEN_TTL_MS;
    this.windowMs = options.windowMs ?? REFRESH_WINDOW_MS;
  }

  /** A new anonymous identity. */
  issue(): Promise<VisitorIdentity> {
    const now = this.now();
    return this.sign(`v-${randomUUID()}`, Math.floor(now / 1000) * 1000, now);
  }

  /** Same visitor id, new expiry; accepts an expired token inside the refresh window. */
  async refresh(token: string): Promise<VisitorIdentity> {
    let payload: Record<string, unknown>;
    try {
      const verified = await compactVerify(token, this.key, { algorithms: ['HS256'] });
      payload = JSON.parse(new TextDecoder().decode(verified.payload)) as Record<string, unknown>;
    } catch {
      throw invalid();
    }
    const { sub, fia } = payload;
    if (payload['iss'] !== ISSUER || payload['aud'] !== AUDIENCE || typeof sub !== 'string' || typeof fia !== 'number') throw invalid();
    const now = this.now();
    const firstIssuedAt = fia * 1000;
    if (now >= firstIssuedAt + this.windowMs) {
      throw new BrokerError(401, 'refresh-window-ended', 'This visitor identity can no longer be refreshed; issue a new one');
    }
    return this.sign(sub, firstIssuedAt, now);
  }

  /** The visitor behind a token presented on a request; 401 errors for the browser otherwise. */
  async verify(token: string): Promise<VerifiedVisitor> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        issuer: ISSUER,
        audience: AUDIENCE,
        currentDate: new Date(this.now()),
        clockTolerance: 0,
      });
      if (typeof payload.sub !== 'string' || typeof payload.exp !== 'number') throw invalid();
      return { visitorId: payload.sub, expiresAt: payload.exp * 1000 };
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) {
        throw new BrokerError(401, 'visitor-token-expired', 'The visitor token expired; refresh it');
      }
      if (error instanceof BrokerError) throw error;
      throw invalid();
    }
  }

  private async sign(visitorId: string, firstIssuedAt: number, now: number): Promise<VisitorIdentity> {
    const windowEndsAt = firstIssuedAt + this.windowMs;
    const expiresAt = Math.min(now + this.ttlMs, windowEndsAt);
    const token = await new SignJWT({ fia: Math.floor(firstIssuedAt / 1000) })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(visitorId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(Math.floor(now / 1000))
      .setExpirationTime(Math.floor(expiresAt / 1000))
      .sign(this.key);
    return { visitorToken: token, visitorId, issuedAt: firstIssuedAt, expiresAt: Math.floor(expiresAt / 1000) * 1000, windowEndsAt };
  }
}

const invalid = (): BrokerError => new BrokerError(401, 'visitor-token-invalid', 'The visitor token is not valid');
