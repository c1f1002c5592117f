/**
 * LivePerson webhook signatures (contract §4.1): `x-liveperson-signature: sha1=<digest>` or
 * `sha256=<digest>`, the digest in Base64 or hex, of HMAC(key = client secret as UTF-8,
 * message = the raw body bytes). Verified on the bytes as received, before any parsing, and
 * compared in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const DIGEST_BYTES = { sha1: 20, sha256: 32 } as const;
type Algorithm = keyof typeof DIGEST_BYTES;

export function signBody(secret: string, body: Uint8Array | string, algorithm: Algorithm = 'sha1', encoding: 'base64' | 'hex' = 'base64'): string {
  return `${algorithm}=${createHmac(algorithm, secret).update(body).digest(encoding)}`;
}

/** Decode a digest given as hex or Base64 (standard or URL-safe); undefined when neither fits. */
function decodeDigest(text: string, bytes: number): Buffer | undefined {
  if (text.length === bytes * 2 && /^[0-9a-fA-F]+$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) {
    const decoded = Buffer.from(text.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (decoded.length === bytes) return decoded;
  }
  return undefined;
}

export function verifySignature(secret: string, body: Uint8Array, header: string | undefined): boolean {
  if (!header || !secret) return false;
  const match = /^\s*(sha1|sha256)=(\S+)\s*$/i.exec(header);
  if (!match) return false;
  const algorithm = (match[1] ?? '').toLowerCase() as Algorithm;
  const given = decodeDigest(match[2] ?? '', DIGEST_BYTES[algorithm]);
  if (!given) return false;
  const expected = createHmac(algorithm, secret).update(body).digest();
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Constant-time string equality (for the client-id and account-id headers). */
export function safeEqual(a: string | undefined, b: string): boolean {
  if (a === undefined) return false;
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
