import { describe, expect, it } from 'vitest';
import { ACCESS_SAFETY_MARGIN_MS, IDENTITY_SAFETY_MARGIN_MS, plan, renewAt } from './plan.ts';
import { parseRecord, RECORD_VERSION, type TokenRecord } from './record.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2026, 10, 20, 12, 0, 0);
const tenant = 'liveperson:12345678:guestchat-unauth';

/** A LivePerson-shaped record issued at T0: external token 10 min, window 730 h, access 60 min. */
function record(overrides: Partial<TokenRecord> = {}): TokenRecord {
  return {
    v: RECORD_VERSION,
    adapter: 'liveperson',
    tenant,
    identity: { token: 'ext', subject: 'sub-1', issuedAt: T0, expiresAt: T0 + 10 * MIN, windowEndsAt: T0 + 730 * HOUR },
    access: { token: 'int', subject: 'sub-1', issuedAt: T0, expiresAt: T0 + 60 * MIN },
    ...overrides,
  };
}

describe('plan()', () => {
  it('issues when there is no record', () => {
    expect(plan(undefined, T0)).toEqual('issue');
  });

  it('issues when the stored record is unreadable (parseRecord rejects it)', () => {
    for (const raw of [null, 'garbage', { v: 99 }, { ...record(), v: 0 }, { ...record(), identity: { token: 'x' } }, { ...record(), tenant: 'other' }]) {
      expect(plan(parseRecord(raw, tenant), T0)).toEqual('issue');
    }
  });

  it('reuses a valid access token without any call', () => {
    expect(plan(record(), T0)).toEqual('reuse');
    expect(plan(record(), T0 + 11 * MIN)).toEqual('reuse'); // external expired, access valid
  });

  it('reuses up to the safety margin and renews inside it', () => {
    const edge = T0 + 60 * MIN - ACCESS_SAFETY_MARGIN_MS;
    expect(plan(record(), edge - 1)).toEqual('reuse');
    expect(plan(record(), edge)).toEqual('refresh');
    expect(renewAt(record())).toBe(edge);
  });

  it('renews with an exchange only while the external token is still fresh', () => {
    const r = record({ access: { token: 'int', subject: 'sub-1', issuedAt: T0, expiresAt: T0 + 5 * MIN } });
    expect(plan(r, T0 + 5 * MIN)).toEqual('renew');
    expect(plan(r, T0 + 10 * MIN - IDENTITY_SAFETY_MARGIN_MS)).toEqual('refresh');
  });

  it('renews (refresh, then exchange) when the access token expired inside the window', () => {
    expect(plan(record(), T0 + 61 * MIN)).toEqual('refresh');
    expect(plan(record(), T0 + 730 * HOUR - 1)).toEqual('refresh');
  });

  it('renews when there is an identity but no access token yet', () => {
    const r = record();
    delete r.access;
    expect(plan(r, T0 + MIN)).toEqual('renew');
  });

  it('replaces the identity exactly at the window end and past it', () => {
    expect(plan(record(), T0 + 730 * HOUR)).toEqual('replace');
    expect(plan(record(), T0 + 731 * HOUR)).toEqual('replace');
  });

  it('uses an access token that lives to the window end until that end: no renewal could better it', () => {
    // A Salesforce guest token: the identity's window ends when its only token expires.
    const sf = record({
      adapter: 'salesforce',
      identity: { token: 'guest', subject: 's', issuedAt: T0, expiresAt: T0 + 60 * MIN, windowEndsAt: T0 + 60 * MIN },
      access: { token: 'guest', subject: 's', issuedAt: T0, expiresAt: T0 + 60 * MIN },
    });
    expect(plan(sf, T0 + 59 * MIN + 59_000)).toEqual('reuse');
    expect(renewAt(sf)).toBe(T0 + 60 * MIN);
    expect(plan(sf, T0 + 60 * MIN)).toEqual('replace');
    // A LivePerson access token the server capped at the window end behaves the same.
    const capped = record({ access: { token: 'int', subject: 'sub-1', issuedAt: T0, expiresAt: T0 + 730 * HOUR } });
    expect(plan(capped, T0 + 730 * HOUR - 1)).toEqual('reuse');
  });
});

describe('parseRecord()', () => {
  it('keeps a valid record and drops only a damaged optional part', () => {
    const good = record({ conversation: { id: 'c1', cursor: '4' } });
    expect(parseRecord(JSON.parse(JSON.stringify(good)), tenant)).toEqual(good);
    const damaged = { ...good, access: { token: 5 } };
    const parsed = parseRecord(damaged, tenant);
    expect(parsed?.access).toBeUndefined();
    expect(parsed?.identity.token).toBe('ext');
  });
});
