import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signBody, verifySignature } from './signature.ts';

const SECRET = 'sandbox-secret';
const BODY = Buffer.from('{"kind":"notification","body":{"changes":[]},"type":"ms.MessagingEventNotification"}', 'utf8');

describe('webhook signature', () => {
  it("matches the contract's check value (sha1, Base64)", () => {
    expect(signBody(SECRET, BODY)).toBe('sha1=gnCKNCfYmYQ4gJhJfzuzpy8fedg=');
    expect(verifySignature(SECRET, BODY, 'sha1=gnCKNCfYmYQ4gJhJfzuzpy8fedg=')).toBe(true);
  });

  it('refuses a tampered body, a wrong key, and malformed headers', () => {
    const tampered = Buffer.from(BODY.toString().replace('[]', '[{}]'));
    expect(verifySignature(SECRET, tampered, 'sha1=gnCKNCfYmYQ4gJhJfzuzpy8fedg=')).toBe(false);
    expect(verifySignature('other-secret', BODY, 'sha1=gnCKNCfYmYQ4gJhJfzuzpy8fedg=')).toBe(false);
    for (const header of [undefined, '', 'gnCKNCfYmYQ4gJhJfzuzpy8fedg=', 'md5=gnCKNCfYmYQ4gJhJfzuzpy8fedg=', 'sha1=', 'sha1=abc', 'sha256=gnCKNCfYmYQ4gJhJfzuzpy8fedg=']) {
      expect(verifySignature(SECRET, BODY, header)).toBe(false);
    }
  });

  it('accepts hex and sha256 variants', () => {
    const hex = createHmac('sha1', SECRET).update(BODY).digest('hex');
    expect(verifySignature(SECRET, BODY, `sha1=${hex}`)).toBe(true);
    expect(verifySignature(SECRET, BODY, `sha1=${hex.toUpperCase()}`)).toBe(true);
    expect(verifySignature(SECRET, BODY, signBody(SECRET, BODY, 'sha256'))).toBe(true);
    expect(verifySignature(SECRET, BODY, signBody(SECRET, BODY, 'sha256', 'hex'))).toBe(true);
    expect(verifySignature(SECRET, tamper(BODY), signBody(SECRET, BODY, 'sha256', 'hex'))).toBe(false);
  });

  it('signs the raw bytes: non-ASCII text is not re-encoded', () => {
    const raw = Buffer.from('{"message":"שלום 👋"}', 'utf8');
    const header = signBody(SECRET, raw);
    expect(verifySignature(SECRET, raw, header)).toBe(true);
    expect(verifySignature(SECRET, Buffer.from(JSON.stringify(JSON.parse(raw.toString())), 'ascii'), header)).toBe(false);
  });
});

function tamper(body: Buffer): Buffer {
  const copy = Buffer.from(body);
  copy[copy.length - 2] = 0x20;
  return copy;
}
