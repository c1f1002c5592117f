import 'fake-indexeddb/auto';
import { beforeEach, describe, expect, it } from 'vitest';
import type { AccessToken, AuthAdapter, Identity } from '../adapters/types.ts';
import { GuestChatError } from '../errors.ts';
import { createClock } from './clock.ts';
import { TokenLifecycle, type AccessResult } from './lifecycle.ts';
import { createRecordStore } from './store.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const tenant = 'liveperson:12345678:guestchat-unauth';

/** A scripted vendor on a controllable clock, counting calls the way the sandbox does. */
function fakeVendor(now: () => number) {
  const calls = { issue: 0, refresh: 0, exchange: 0 };
  let identities = 0;
  let refuseRefresh = false;
  let refuseExchangeOnce = false;
  let accessMs = 60 * MIN;
  const auth: AuthAdapter = {
    async issue(): Promise<Identity> {
      calls.issue++;
      identities++;
      const t = now();
      return { token: `ext-${identities}-0`, issuedAt: t, expiresAt: t + 10 * MIN, windowEndsAt: t + 730 * HOUR };
    },
    async refresh(identity) {
      calls.refresh++;
      await new Promise((r) => setTimeout(r, 5));
      if (refuseRefresh) throw new GuestChatError('token-refresh-refused', 'refused', { status: 401, serverCode: '9902' });
      return { ...identity, token: `${identity.token}r`, expiresAt: now() + 10 * MIN };
    },
    async exchange(identity): Promise<AccessToken> {
      calls.exchange++;
      if (refuseExchangeOnce) {
        refuseExchangeOnce = false;
        throw new GuestChatError('token-exchange-refused', 'refused', { status: 401 });
      }
      const subject = `sub-${identity.token.split('-')[1]}`;
      return { token: `int-${identity.token}-${calls.exchange}`, subject, issuedAt: now(), expiresAt: now() + accessMs };
    },
  };
  return {
    auth,
    calls,
    refuseRefresh: () => (refuseRefresh = true),
    refuseExchangeOnce: () => (refuseExchangeOnce = true),
    shortAccess: (ms: number) => (accessMs = ms),
  };
}

/** The result of a call expected to yield a token. */
async function granted(pending: Promise<AccessResult>) {
  const result = await pending;
  if (result.action === 'expired') throw new Error('expected a token, the identity expired');
  return result;
}

describe('TokenLifecycle', () => {
  let t: number;
  let vendor: ReturnType<typeof fakeVendor>;
  const make = () =>
    new TokenLifecycle({ adapter: 'liveperson', tenant, auth: vendor.auth, store: createRecordStore(), clock: createClock(0, () => t), sleep: async () => {} });

  beforeEach(async () => {
    t = Date.UTC(2026, 10, 20);
    vendor = fakeVendor(() => t);
    await createRecordStore().forgetAll();
  });

  it('issues once, then reuses across instances (reloads) with no call', async () => {
    const first = await granted(make().ensureAccess());
    expect(first.action).toBe('issue');
    t += 11 * MIN;
    const again = await granted(make().ensureAccess());
    expect(again.action).toBe('reuse');
    expect(again.record.access?.token).toBe(first.record.access?.token);
    expect(vendor.calls).toEqual({ issue: 1, refresh: 0, exchange: 1 });
  });

  it('renews once for five concurrent callers at expiry, keeping the subject and the conversation', async () => {
    const lifecycle = make();
    const first = await granted(lifecycle.ensureAccess());
    await lifecycle.saveConversation({ id: 'conv-1' }, first.record.access!.subject);
    t += 61 * MIN;
    const tabs = [make(), make(), make(), make(), make()];
    const results = await Promise.all(tabs.map((tab) => granted(tab.ensureAccess())));
    expect(vendor.calls).toEqual({ issue: 1, refresh: 1, exchange: 2 });
    expect(results.filter((r) => r.action === 'renew')).toHaveLength(1);
    expect(new Set(results.map((r) => r.record.access?.token)).size).toBe(1);
    expect(results[0]!.record.access?.subject).toBe(first.record.access?.subject);
    expect(results[0]!.record.conversation).toEqual({ id: 'conv-1' });
  });

  it('does not reuse a token the server refused, but reuses one another tab already renewed', async () => {
    const lifecycle = make();
    const first = await granted(lifecycle.ensureAccess());
    const renewed = await granted(lifecycle.ensureAccess({ rejectedToken: first.record.access!.token }));
    expect(renewed.action).toBe('renew');
    // A refusal renews the external token too, even one our clock thinks is fresh.
    expect(vendor.calls.refresh).toBe(1);
    expect(renewed.record.access!.token).not.toBe(first.record.access!.token);
    // A second tab reporting the same (old) refused token finds the fresh one and reuses it.
    const other = await granted(make().ensureAccess({ rejectedToken: first.record.access!.token }));
    expect(other.action).toBe('reuse');
    expect(vendor.calls.exchange).toBe(2);
  });

  it('replaces the identity when the refresh is refused, dropping the conversation', async () => {
    const lifecycle = make();
    const first = await granted(lifecycle.ensureAccess());
    await lifecycle.saveConversation({ id: 'conv-1' }, first.record.access!.subject);
    t += 61 * MIN;
    vendor.refuseRefresh();
    const result = await granted(lifecycle.ensureAccess());
    expect(result.action).toBe('replace');
    expect(result.record.access!.subject).not.toBe(first.record.access!.subject);
    expect(result.record.conversation).toBeUndefined();
  });

  it('refreshes once and retries when the exchange refuses a still-fresh external token', async () => {
    vendor.shortAccess(3 * MIN);
    const lifecycle = make();
    await granted(lifecycle.ensureAccess());
    t += 2 * MIN + 30_000; // access inside its safety margin, external token still fresh
    vendor.refuseExchangeOnce();
    const result = await granted(lifecycle.ensureAccess());
    expect(result.action).toBe('renew');
    expect(vendor.calls).toEqual({ issue: 1, refresh: 1, exchange: 3 });
  });

  it('erases the identity and mints nothing when replacing is not allowed yet', async () => {
    await granted(make().ensureAccess());
    t += 731 * HOUR;
    const result = await make().ensureAccess({ mayReplace: false });
    expect(result).toEqual({ action: 'expired' });
    expect(await make().read()).toBeUndefined();
    expect(vendor.calls).toEqual({ issue: 1, refresh: 0, exchange: 1 });
  });

  it('replaces past the window without trying to refresh', async () => {
    await granted(make().ensureAccess());
    t += 731 * HOUR;
    const result = await granted(make().ensureAccess());
    expect(result.action).toBe('replace');
    expect(vendor.calls).toEqual({ issue: 2, refresh: 0, exchange: 2 });
  });

  it('retries network failures on the schedule, then gives up with the reason', async () => {
    const failing: AuthAdapter = {
      ...vendor.auth,
      issue: async () => {
        vendor.calls.issue++;
        throw new TypeError('Failed to fetch');
      },
    };
    const waits: number[] = [];
    const lifecycle = new TokenLifecycle({
      adapter: 'liveperson',
      tenant,
      auth: failing,
      store: createRecordStore(),
      clock: createClock(0, () => t),
      sleep: async (ms) => void waits.push(ms),
    });
    await expect(lifecycle.ensureAccess()).rejects.toMatchObject({ reason: 'network' });
    expect(waits).toEqual([5_000, 10_000, 15_000]);
    expect(vendor.calls.issue).toBe(4);
  });

  it('discards a corrupted stored record and issues a new identity', async () => {
    const { set, createStore } = await import('idb-keyval');
    await set(tenant, { v: 1, tenant, adapter: 'liveperson', identity: 'garbage' }, createStore('guestchat', 'records'));
    const result = await granted(make().ensureAccess());
    expect(result.action).toBe('issue');
  });
});
