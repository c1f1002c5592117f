/**
 * Reading JWTs in the browser without verifying them: the widget only needs `sub`, `iat` and
 * `exp` of the consumer JWT (LivePerson's own clients base64url-decode the middle segment the
 * same way). The signature is the server's business.
 */
import { badData, field, finite, str } from './protocol.ts';

/** `\w` and `-`: the base64url alphabet. */
const JWT_SHAPE = /^[\w-]+\.[\w-]+\.[\w-]*$/;

/** Three base64url segments, the signature possibly empty. Length capped as InitConnection caps `jwt`. */
export function looksLikeJwt(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 8192 && JWT_SHAPE.test(value);
}

export interface ConsumerClaims {
  /** consumerId: `originatorId` of our own events. */
  sub: string;
  /** Seconds since the epoch, when the token says. */
  iat: number | undefined;
  /** Seconds since the epoch. */
  exp: number;
}

/**
 * The claims GuestChat relies on; anything else in the token is ignored. Only given tokens whose
 * shape was checked where they were received (`looksLikeJwt` on the IdP's answer): not checked again.
 */
export function readConsumerClaims(token: string): ConsumerClaims {
  let payload: unknown;
  try {
    // atob decodes without the padding (forgiving-base64), and refuses the same lengths with or without it.
    const binary = atob((token.split('.')[1] as string).replace(/-/g, '+').replace(/_/g, '/'));
    payload = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (char) => char.charCodeAt(0))));
  } catch {
    // reported below: no claims
  }
  const sub = str(field(payload, 'sub'));
  const exp = finite(field(payload, 'exp'));
  if (!sub || exp === undefined) throw badData('Consumer JWT: no sub/exp');
  return { sub, exp, iat: finite(field(payload, 'iat')) };
}
