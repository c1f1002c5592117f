/**
 * Reading the claims of a token LivePerson gave us (AppJWT, ConsumerJWS). We only read times and
 * ids to schedule renewals and route webhooks; the signature is LivePerson's business, checked by
 * LivePerson when the token comes back. Never logs or returns the token.
 */
export type Claims = Record<string, unknown>;

export function readClaims(token: string): Claims | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Claims) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How long a token lives, from its own `exp - iat` (so a skewed clock on either side does not
 * shorten or stretch it); `fallbackMs` when it carries no usable times.
 */
export function lifetimeMs(claims: Claims | undefined, fallbackMs: number): number {
  const exp = claims?.['exp'];
  const iat = claims?.['iat'];
  if (typeof exp === 'number' && typeof iat === 'number' && exp > iat) return (exp - iat) * 1000;
  return fallbackMs;
}
