/**
 * Salesforce guest access tokens (SF contract §5.3, not publicly documented — sandbox decision):
 * HS256 JWTs with a per-process random secret (`SANDBOX_SF_JWT_SECRET` sets one), claims
 * `{ iss, sub, clientId, orgId, esDeveloperName, deviceId?, iat, exp }`, `exp = iat + sfTokenMs`.
 * Every check reads the sandbox clock. Tokens are stateless: a sandbox reset forgets identities
 * but a token it issued stays valid until `exp`, as a Salesforce token outlives a UI reload.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT, errors, jwtVerify } from 'jose';
import type { SandboxContext } from '../context.ts';
import { toSeconds } from '../jwt.ts';
import { JWT_EXPIRED, sfError, type SfError } from './wire.ts';

export const SF_ISSUER = 'guestchat-sandbox';

export interface SfClaims {
  iss: string;
  /** The identity (end user) id. */
  sub: string;
  /** New for every token, continuation included. */
  clientId: string;
  /** 15 characters. */
  orgId: string;
  esDeveloperName: string;
  deviceId?: string;
  iat: number;
  exp: number;
}

export const INVALID_TOKEN = sfError(401, 'Invalid token', 'INVALID_TOKEN');
export const MISSING_TOKEN = sfError(401, 'Authorization header with a Bearer token is required', 'MISSING_AUTHORIZATION');

/** A process-wide secret: tokens survive a reset, not a restart (§5.3 "per-process"). */
const PROCESS_SECRET: Uint8Array = process.env.SANDBOX_SF_JWT_SECRET
  ? new TextEncoder().encode(process.env.SANDBOX_SF_JWT_SECRET)
  : new Uint8Array(randomBytes(32));

export class SalesforceTokens {
  private readonly revoked = new Set<string>();

  constructor(private readonly sandbox: SandboxContext) {
    sandbox.onReset(() => this.revoked.clear());
  }

  /** A new guest identity's first token. */
  async issue(orgId: string, esDeveloperName: string, deviceId?: string): Promise<{ token: string; claims: SfClaims }> {
    const now = this.sandbox.clock.now();
    const claims: SfClaims = {
      iss: SF_ISSUER,
      sub: randomUUID(),
      clientId: randomUUID(),
      orgId,
      esDeveloperName,
      ...(deviceId === undefined ? {} : { deviceId }),
      iat: toSeconds(now),
      exp: toSeconds(now + this.sandbox.lifetimes.sfTokenMs),
    };
    return { token: await this.sign(claims), claims };
  }

  /** §2.2: same sub, orgId, esDeveloperName, deviceId and exp; new clientId and iat. */
  async continuation(previous: SfClaims): Promise<{ token: string; claims: SfClaims }> {
    const claims: SfClaims = { ...previous, clientId: randomUUID(), iat: toSeconds(this.sandbox.clock.now()) };
    return { token: await this.sign(claims), claims };
  }

  /** `Authorization` header → claims, or the 401 to answer (§5.4 text for an expired token). */
  async verifyHeader(authorization: string | undefined): Promise<SfClaims | SfError> {
    const token = authorization === undefined ? undefined : /^Bearer\s+(\S+)\s*$/i.exec(authorization)?.[1];
    if (token === undefined) return MISSING_TOKEN;
    return this.verify(token);
  }

  async verify(token: string): Promise<SfClaims | SfError> {
    if (token.length > 4096 || token.split('.').length !== 3) return INVALID_TOKEN;
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, PROCESS_SECRET, {
        algorithms: ['HS256'],
        issuer: SF_ISSUER,
        currentDate: new Date(this.sandbox.clock.now()),
      }));
    } catch (error) {
      return error instanceof errors.JWTExpired ? JWT_EXPIRED : INVALID_TOKEN;
    }
    const claims = parseClaims(payload);
    if (!claims || this.revoked.has(claims.sub)) return INVALID_TOKEN;
    return claims;
  }

  revoke(subject: string): void {
    this.revoked.add(subject);
  }

  isRevoked(subject: string): boolean {
    return this.revoked.has(subject);
  }

  private async sign(claims: SfClaims): Promise<string> {
    return new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(PROCESS_SECRET);
  }
}

function parseClaims(payload: Record<string, unknown>): SfClaims | undefined {
  const { iss, sub, clientId, orgId, esDeveloperName, deviceId, iat, exp } = payload;
  if (typeof iss !== 'string' || typeof sub !== 'string' || typeof clientId !== 'string') return undefined;
  if (typeof orgId !== 'string' || typeof esDeveloperName !== 'string') return undefined;
  if (typeof iat !== 'number' || typeof exp !== 'number') return undefined;
  if (deviceId !== undefined && typeof deviceId !== 'string') return undefined;
  return { iss, sub, clientId, orgId, esDeveloperName, ...(deviceId === undefined ? {} : { deviceId }), iat, exp };
}

export const isSfError = (value: SfClaims | SfError): value is SfError => 'status' in value;
