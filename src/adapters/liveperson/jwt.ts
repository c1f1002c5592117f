/**
 * Reading JWTs in the browser without verifying them: the widget only needs `sub`, `iat` and
 * `exp` of the consumer JWT (LivePerson's own clients base64url-decode the middle segment the
 * same way). The signature is the server's business.
 */
import { GuestChatError } from '../../errors.ts';

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Three base64url segments, the signature possibly empty. Length capped as InitConnection caps `jwt`. */
export function looksLikeJwt(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 8192 && JWT_SHAPE.test(value);
}

function base64UrlToText(segment: string): string {
  const base64 = segment.replace(/-/g, '+').replace(/_/g, '/');
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

/** The payload of a JWT as an object, or undefined when it is not one. */
export function decodeJwtPayload(token: string): Record<string, unknown> | undefined {
  if (!looksLikeJwt(token)) return undefined;
  const segment = token.split('.')[1];
  if (segment === undefined) return undefined;
  try {
    const payload: unknown = JSON.parse(base64UrlToText(segment));
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload)
      ? (payload as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export interface ConsumerClaims {
  /** consumerId: `originatorId` of our own events. */
  sub: string;
  /** Seconds since the epoch, when the token says. */
  iat: number | undefined;
  /** Seconds since the epoch. */
  exp: number;
}

/** The claims GuestChat relies on; anything else in the token is ignored. */
export function readConsumerClaims(token: string): ConsumerClaims {
  const payload = decodeJwtPayload(token);
  if (payload === undefined) {
    throw new GuestChatError('bad-server-data', 'The consumer token is not a readable JWT');
  }
  const { sub, iat, exp } = payload;
  if (typeof sub !== 'string' || sub.length === 0) {
    throw new GuestChatError('bad-server-data', 'The consumer token has no subject');
  }
  if (typeof exp !== 'number' || !Number.isFinite(exp)) {
    throw new GuestChatError('bad-server-data', 'The consumer token has no expiry');
  }
  return { sub, exp, iat: typeof iat === 'number' && Number.isFinite(iat) ? iat : undefined };
}
