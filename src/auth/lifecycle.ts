/**
 * The token lifecycle for one tenant: runs `plan()` against the stored record and carries the
 * decision out through the vendor's AuthAdapter, under the tenant's cross-tab lock.
 *
 * Inside the lock the record is read again first, so when five tabs reach expiry together the
 * first one renews and the other four find a fresh token and reuse it: one refresh call per
 * browser. A refusal from the server overrides the plan and falls back one step:
 * access refused -> renew; exchange refused -> refresh once and retry; refresh refused -> issue.
 */
import type { AdapterName, AuthAdapter, Identity } from '../adapters/types.ts';
import { toGuestChatError } from '../errors.ts';
import { withTenantLock } from './lock.ts';
import { plan, type Plan } from './plan.ts';
import { RECORD_VERSION, type StoredConversation, type TokenRecord } from './record.ts';
import type { RecordStore } from './store.ts';
import type { SkewClock } from './clock.ts';

export type AccessResult =
  /** What was done: reuse (no call), issue (first identity), renew, replace (new identity, old chat lost). */
  | { action: Exclude<Plan, 'refresh'>; record: TokenRecord }
  /**
   * The identity is past renewal and replacing it was not allowed (the visitor has not acted on
   * this page yet): the stored record is erased and nothing was minted.
   */
  | { action: 'expired' };

export interface AccessOptions {
  /** An access token the server just refused: not reused even if its expiry says it could be. */
  rejectedToken?: string;
  /** May a new identity be issued if the current one cannot be renewed? Default true. */
  mayReplace?: boolean;
}

export interface LifecycleOptions {
  adapter: AdapterName;
  tenant: string;
  auth: AuthAdapter;
  store: RecordStore;
  clock: SkewClock;
  /** Waits between attempts at a token call that failed on the network or with a 5xx. */
  retryDelaysMs?: readonly number[];
  sleep?: (ms: number) => Promise<void>;
}

/** LivePerson's retry advice for 5xx and network errors: 5, 10, 15 s (then give up to the visitor). */
export const TOKEN_RETRY_DELAYS_MS = [5_000, 10_000, 15_000] as const;

/** Token call failures worth another attempt (the lifecycle's retries, then the visitor's). */
export const RETRIED_TOKEN_FAILURES: readonly string[] = ['network', 'server-error', 'rate-limited'];

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export type TokenLifecycle = ReturnType<typeof createLifecycle>;
/**
 * The lifecycle for callers that construct it with `new` (a function declaration may be called
 * so: it answers the object it returns).
 */
export const TokenLifecycle = createLifecycle as unknown as new (options: LifecycleOptions) => TokenLifecycle;

export function createLifecycle({ adapter, tenant, auth, store, clock, retryDelaysMs = TOKEN_RETRY_DELAYS_MS, sleep = defaultSleep }: LifecycleOptions) {
  /** The stored record as it is now (no token call). */
  const read = () => store.load(tenant);

  /** Retry network errors and 5xx (not refusals) on LivePerson's documented schedule. */
  async function withRetry<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const failure = toGuestChatError(error);
        const delay = retryDelaysMs[attempt];
        if (!RETRIED_TOKEN_FAILURES.includes(failure.reason) || delay === undefined) throw failure;
        await sleep(failure.reason === 'rate-limited' ? Math.max(delay, (failure.retryAfterSec ?? 1) * 1000) : delay);
      }
    }
  }

  async function exchangeAndSave(identity: Identity, previous?: TokenRecord): Promise<TokenRecord> {
    const { token, subject, issuedAt, expiresAt } = await withRetry(() => auth.exchange(identity));
    const record: TokenRecord = {
      v: RECORD_VERSION,
      adapter,
      tenant,
      identity: { ...identity, subject },
      access: { token, subject, issuedAt, expiresAt },
      skewMs: clock.skewMs,
    };
    // The conversation belongs to the subject: it survives a renewal, never a new identity.
    if (previous?.conversation && (previous.access?.subject === subject || previous.identity.subject === subject)) {
      record.conversation = previous.conversation;
    }
    await store.save(record);
    return record;
  }

  const issue = async () => exchangeAndSave(await withRetry(() => auth.issue()));

  async function replace(mayReplace: boolean): Promise<AccessResult> {
    if (mayReplace) return { record: await issue(), action: 'replace' };
    await store.remove(tenant);
    return { action: 'expired' };
  }

  async function renew(record: TokenRecord, refresh: boolean, mayReplace: boolean): Promise<AccessResult> {
    try {
      const identity = refresh ? await withRetry(() => auth.refresh(record.identity)) : record.identity;
      return { record: await exchangeAndSave(identity, record), action: 'renew' };
    } catch (error) {
      const { reason } = toGuestChatError(error);
      // The external token was refused at the exchange: refresh it once and try again.
      if (reason === 'token-exchange-refused' && !refresh) return renew(record, true, mayReplace);
      // The identity cannot be extended any more: start a new one. The old chat is lost.
      if (reason === 'token-refresh-refused' || reason === 'token-exchange-refused') return replace(mayReplace);
      throw error;
    }
  }

  return {
    read,

    /** A record with an access token good to use now (see AccessOptions). */
    ensureAccess: ({ rejectedToken, mayReplace = true }: AccessOptions = {}) =>
      withTenantLock(tenant, async (): Promise<AccessResult> => {
        let record = await read();
        const refused = rejectedToken !== undefined && record?.access?.token === rejectedToken;
        if (refused) record = { ...record!, access: undefined };
        const decision = plan(record, clock.now());
        switch (decision) {
          case 'reuse':
            return { record: record!, action: 'reuse' };
          case 'issue':
            return { record: await issue(), action: 'issue' };
          case 'replace':
            return replace(mayReplace);
        }
        // After a refusal our clock may be the one that is wrong: follow the vendor's recovery
        // (LivePerson 4401/4407: refresh, then authenticate) rather than trust the external token.
        return renew(record!, refused || decision === 'refresh', mayReplace);
      }),

    /** Remember the conversation (and its resume cursor) alongside the identity that owns it. */
    saveConversation: (conversation: StoredConversation | undefined, subject: string): Promise<void> =>
      withTenantLock(tenant, async () => {
        const record = await read();
        // Never attach a conversation to a different identity than the one that opened it.
        // (An undefined `conversation` field is no conversation: parseRecord skips it.)
        if (record?.access?.subject === subject) await store.save({ ...record, conversation });
      }),

    async saveSkew(skewMs: number): Promise<void> {
      const record = await read();
      if (record && record.skewMs !== skewMs) await store.save({ ...record, skewMs });
    },
  };
}
