/**
 * Signing and signature checking of the sandbox's RS256 JWTs. Claim checks (audience, expiry on
 * the sandbox clock, token kind) belong to each face: they differ per vendor and token.
 */
import { SignJWT, compactVerify, decodeProtectedHeader } from 'jose';
import type { SigningKeys } from './keys.ts';

export type JwtClaims = Record<string, unknown>;

export async function signJwt(keys: SigningKeys, claims: JwtClaims): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: keys.kid }).sign(keys.privateKey);
}

export type VerifiedJwt = { ok: true; claims: JwtClaims } | { ok: false; reason: 'malformed' | 'signature' };

/** Checks form, algorithm, key id and signature; returns the claims unchecked otherwise. */
export async function verifyJwtSignature(keys: SigningKeys, token: unknown): Promise<VerifiedJwt> {
  if (typeof token !== 'string' || token.split('.').length !== 3) return { ok: false, reason: 'malformed' };
  try {
    const header = decodeProtectedHeader(token);
    if (header.alg !== 'RS256' || header.kid !== keys.kid) return { ok: false, reason: 'signature' };
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  try {
    const { payload } = await compactVerify(token, keys.publicKey, { algorithms: ['RS256'] });
    const claims = JSON.parse(new TextDecoder().decode(payload)) as unknown;
    if (typeof claims !== 'object' || claims === null || Array.isArray(claims)) return { ok: false, reason: 'malformed' };
    return { ok: true, claims: claims as JwtClaims };
  } catch {
    return { ok: false, reason: 'signature' };
  }
}

/** JWT NumericDate (seconds) for an epoch-ms instant. */
export const toSeconds = (ms: number): number => Math.floor(ms / 1000);
