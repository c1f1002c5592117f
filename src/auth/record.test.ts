import { describe, expect, it } from 'vitest';
import { parseRecord } from './record.ts';

const identity = { token: 'id', issuedAt: 1, expiresAt: 2, windowEndsAt: 3 };
const access = { token: 'ac', subject: 's', issuedAt: 1, expiresAt: 2 };
const base = { v: 1, adapter: 'liveperson', tenant: 't', identity };

describe('parseRecord', () => {
  it('reads a full record back', () => {
    const full = { ...base, identity: { ...identity, subject: 's' }, access, conversation: { id: 'c', cursor: '' }, skewMs: -5 };
    expect(parseRecord(full, 't')).toStrictEqual(full);
    expect(parseRecord(base, 't')).toStrictEqual(base);
  });

  it('refuses missing, foreign, other-version and corrupted records', () => {
    for (const bad of [undefined, null, [], 'x', { ...base, v: 2 }, { ...base, tenant: 'u' }, { ...base, adapter: 'other' }, { ...base, identity: { ...identity, token: '' } }, { ...base, identity: { ...identity, expiresAt: -1 } }, { ...base, identity: { ...identity, subject: 5 } }, { ...base, identity: undefined }]) {
      expect(parseRecord(bad, 't')).toBeUndefined();
    }
  });

  it('drops only a damaged optional part', () => {
    expect(parseRecord({ ...base, access: { ...access, subject: '' }, conversation: { id: 'c', cursor: 5 }, skewMs: Number.NaN }, 't')).toStrictEqual(base);
    expect(parseRecord({ ...base, access: { ...access, extra: 1 }, conversation: { id: 'c', junk: 1 } }, 't')).toStrictEqual({ ...base, access, conversation: { id: 'c' } });
  });
});
