/**
 * LivePerson tokens (contract §3): the external anonymous token (issue/refresh) and the consumer
 * JWT (authenticate?v=3.0), plus verification of both against the sandbox clock.
 *
 * Identities are stateless: everything needed to refresh is in the signed external token
 * (`sub` = identity id, `fia` = first issue), so a sandbox restart keeps them working (§3.3).
 * The registry below only remembers what was issued, for `GET /admin/tokens`, and revocations.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { SandboxContext } from '../context.ts';
import { signJwt, toSeconds, verifyJwtSignature, type JwtClaims } from '../jwt.ts';

export interface IdpError {
  status: number;
  internalErrorCode: string;
}

export interface IdentityRecord {
  adapter: 'liveperson';
  account: string;
  identityId: string;
  /** The consumer JWT `sub` (consumerId). */
  subject: string;
  firstIssuedAt: number;
  windowEndsAt: number;
  externalExpiresAt: number;
  internalExpiresAt: number | null;
  revoked: boolean;
}

export interface ConsumerClaims {
  sub: string;
  aud: string;
  iss: string;
  iat: number;
  exp: number;
}

interface ExternalClaims {
  iss: string;
  sub: string;
  aud: string;
  iat: number;
  exp: number;
  fia: number;
}

const BAD_TOKEN: IdpError = { status: 401, internalErrorCode: '9007' };

/** One identity → one consumerId, derived so it survives restarts without storage. */
export function consumerIdFor(account: string, identityId: string): string {
  const hex = createHash('sha256').update(`lp-consumer:${account}:${identityId}`).digest('hex');
  const variant = ((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export class LivePersonTokens {
  private readonly identities = new Map<string, IdentityRecord>();
  private readonly revoked = new Set<string>();

  constructor(private readonly sandbox: SandboxContext) {
    sandbox.onReset(() => {
      this.identities.clear();
      this.revoked.clear();
    });
  }

  private get issuer(): string {
    return this.sandbox.origin;
  }

  /** `anonymous/authorize` without a body: a new identity. */
  async issue(account: string): Promise<string> {
    const now = this.sandbox.clock.now();
    return this.signExternal(account, randomUUID(), toSeconds(now), now);
  }

  /** `anonymous/authorize` with `{id_token}`: same identity, new token, inside the window. */
  async refresh(account: string, idToken: string): Promise<string | IdpError> {
    const claims = await this.verifyExternal(account, idToken);
    if ('internalErrorCode' in claims) return claims;
    const now = this.sandbox.clock.now();
    // [SB] The window counts from the identity's first issue, not from the last refresh; an
    // expired external token stays refreshable inside it; a refresh revokes nothing.
    if (now >= this.windowEnd(claims.fia)) return { status: 401, internalErrorCode: '9902' };
    return this.signExternal(account, claims.sub, claims.fia, now);
  }

  /** `authenticate?v=3.0`: an unexpired external token → a consumer JWT. */
  async authenticate(account: string, idToken: string): Promise<string | IdpError> {
    const claims = await this.verifyExternal(account, idToken);
    if ('internalErrorCode' in claims) return claims;
    const now = this.sandbox.clock.now();
    if (toSeconds(now) >= claims.exp) return { status: 401, internalErrorCode: '9901' };
    const windowEnd = this.windowEnd(claims.fia);
    // Only reachable when lpTokenMs is set longer than the window: the identity is over.
    if (now >= windowEnd) return { status: 401, internalErrorCode: '9902' };
    const iat = toSeconds(now);
    const exp = Math.min(toSeconds(now + this.sandbox.lifetimes.lpInternalTokenMs), toSeconds(windowEnd));
    const consumerId = consumerIdFor(account, claims.sub);
    const token = await signJwt(this.sandbox.keys, { sub: consumerId, aud: `acc:${account}`, iss: this.issuer, iat, exp });
    const record = this.remember(account, claims.sub, claims.fia, claims.exp);
    record.internalExpiresAt = exp * 1000;
    this.sandbox.core.registerConsumer('liveperson', account, consumerId);
    return token;
  }

  /**
   * Verifies a consumer JWT for a socket of `account`: signature, kind, audience, expiry on the
   * sandbox clock, revocation. Returns the claims or undefined (→ close 4401).
   */
  async verifyConsumerJwt(account: string, token: unknown): Promise<ConsumerClaims | undefined> {
    const verified = await verifyJwtSignature(this.sandbox.keys, token);
    if (!verified.ok) return undefined;
    const claims = verified.claims;
    if ('fia' in claims) return undefined; // an external token is not a consumer JWT
    if (typeof claims.sub !== 'string' || typeof claims.iat !== 'number' || typeof claims.exp !== 'number') return undefined;
    if (claims.aud !== `acc:${account}`) return undefined;
    if (toSeconds(this.sandbox.clock.now()) >= claims.exp) return undefined;
    if (this.revoked.has(claims.sub)) return undefined;
    return { sub: claims.sub, aud: claims.aud, iss: String(claims.iss), iat: claims.iat, exp: claims.exp };
  }

  isRevoked(consumerId: string): boolean {
    return this.revoked.has(consumerId);
  }

  /** Admin: revoke one identity (by consumerId or identity id) or all; returns the consumerIds revoked. */
  revoke(subject?: string): string[] {
    const records = [...this.identities.values()].filter(
      (r) => subject === undefined || r.subject === subject || r.identityId === subject,
    );
    const subjects = records.map((r) => r.subject);
    if (subject !== undefined && records.length === 0) subjects.push(subject);
    for (const s of subjects) this.revoked.add(s);
    for (const r of records) r.revoked = true;
    return subjects;
  }

  list(): IdentityRecord[] {
    // The window follows the current lifetime setting, as refresh() judges it.
    return [...this.identities.values()].map((r) => ({
      ...r,
      windowEndsAt: r.firstIssuedAt + this.sandbox.lifetimes.lpRefreshWindowMs,
      revoked: this.revoked.has(r.subject),
    }));
  }

  private windowEnd(fiaSeconds: number): number {
    return fiaSeconds * 1000 + this.sandbox.lifetimes.lpRefreshWindowMs;
  }

  private async signExternal(account: string, identityId: string, fia: number, now: number): Promise<string> {
    const iat = toSeconds(now);
    const exp = toSeconds(now + this.sandbox.lifetimes.lpTokenMs);
    // [SB] The contract lists iss/sub/iat/exp/fia; `aud` is added so a token of another account
    // can be refused (9007). The widget treats the token as opaque, so the extra claim is harmless.
    const claims: ExternalClaims = { iss: this.issuer, sub: identityId, aud: `acc:${account}`, iat, exp, fia };
    const token = await signJwt(this.sandbox.keys, { ...claims });
    this.remember(account, identityId, fia, exp);
    return token;
  }

  private remember(account: string, identityId: string, fia: number, externalExp: number): IdentityRecord {
    let record = this.identities.get(identityId);
    if (!record) {
      record = {
        adapter: 'liveperson',
        account,
        identityId,
        subject: consumerIdFor(account, identityId),
        firstIssuedAt: fia * 1000,
        windowEndsAt: this.windowEnd(fia),
        externalExpiresAt: externalExp * 1000,
        internalExpiresAt: null,
        revoked: false,
      };
      this.identities.set(identityId, record);
    }
    record.windowEndsAt = this.windowEnd(fia);
    record.externalExpiresAt = Math.max(record.externalExpiresAt, externalExp * 1000);
    return record;
  }

  /** Signature, kind (must carry `fia`), account; expiry is the caller's question. */
  private async verifyExternal(account: string, token: string): Promise<ExternalClaims | IdpError> {
    const verified = await verifyJwtSignature(this.sandbox.keys, token);
    if (!verified.ok) return BAD_TOKEN;
    const claims = parseExternalClaims(verified.claims);
    if (!claims || claims.aud !== `acc:${account}`) return BAD_TOKEN;
    if (this.revoked.has(consumerIdFor(account, claims.sub))) return BAD_TOKEN;
    return claims;
  }
}

function parseExternalClaims(claims: JwtClaims): ExternalClaims | undefined {
  const { iss, sub, aud, iat, exp, fia } = claims;
  if (typeof iss !== 'string' || typeof sub !== 'string' || typeof aud !== 'string') return undefined;
  if (typeof iat !== 'number' || typeof exp !== 'number' || typeof fia !== 'number') return undefined;
  return { iss, sub, aud, iat, exp, fia };
}
