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
  | { action: Plan['action']; record: TokenRecord }
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

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class TokenLifecycle {
  readonly #options: Required<LifecycleOptions>;

  constructor(options: LifecycleOptions) {
    this.#options = { retryDelaysMs: TOKEN_RETRY_DELAYS_MS, sleep: defaultSleep, ...options };
  }

  /** The stored record as it is now (no token call). */
  read(): Promise<TokenRecord | undefined> {
    return this.#options.store.load(this.#options.tenant);
  }

  /** A record with an access token good to use now (see AccessOptions). */
  ensureAccess({ rejectedToken, mayReplace = true }: AccessOptions = {}): Promise<AccessResult> {
    const { tenant } = this.#options;
    return withTenantLock(tenant, async () => {
      let record = await this.read();
      const refused = record !== undefined && rejectedToken !== undefined && record.access?.token === rejectedToken;
      if (refused) {
        record = { ...record! };
        delete record.access;
      }
      const decision = plan(record, this.#options.clock.now());
      // After a refusal our clock may be the one that is wrong: follow the vendor's recovery
      // (LivePerson 4401/4407: refresh, then authenticate) rather than trust the external token.
      if (refused && decision.action === 'renew') decision.refreshIdentity = true;
      switch (decision.action) {
        case 'reuse':
          return { record: record!, action: 'reuse' };
        case 'issue':
          return { record: await this.#issueIdentity(), action: 'issue' };
        case 'replace':
          return this.#replace(mayReplace);
        case 'renew':
          return this.#renew(record!, decision.refreshIdentity, mayReplace);
      }
    });
  }

  async #replace(mayReplace: boolean): Promise<AccessResult> {
    if (mayReplace) return { record: await this.#issueIdentity(), action: 'replace' };
    await this.#options.store.remove(this.#options.tenant);
    return { action: 'expired' };
  }

  /** Remember the conversation (and its resume cursor) alongside the identity that owns it. */
  async saveConversation(conversation: StoredConversation | undefined, subject: string): Promise<void> {
    await withTenantLock(this.#options.tenant, async () => {
      const record = await this.read();
      // Never attach a conversation to a different identity than the one that opened it.
      if (!record || record.access?.subject !== subject) return;
      const next: TokenRecord = { ...record };
      if (conversation) next.conversation = conversation;
      else delete next.conversation;
      await this.#options.store.save(next);
    });
  }

  async saveSkew(skewMs: number): Promise<void> {
    const record = await this.read();
    if (record && record.skewMs !== skewMs) await this.#options.store.save({ ...record, skewMs });
  }

  async #renew(record: TokenRecord, refreshFirst: boolean, mayReplace: boolean): Promise<AccessResult> {
    const { auth } = this.#options;
    let identity: Identity = record.identity;
    try {
      if (refreshFirst) identity = await this.#withRetry(() => auth.refresh(identity));
      try {
        return { record: await this.#exchangeAndSave(identity, record), action: 'renew' };
      } catch (error) {
        if (toGuestChatError(error).reason !== 'token-exchange-refused' || refreshFirst) throw error;
        // The external token was refused at the exchange: refresh it once and try again.
        identity = await this.#withRetry(() => auth.refresh(identity));
        return { record: await this.#exchangeAndSave(identity, record), action: 'renew' };
      }
    } catch (error) {
      const reason = toGuestChatError(error).reason;
      if (reason === 'token-refresh-refused' || reason === 'token-exchange-refused') {
        // The identity cannot be extended any more: start a new one. The old chat is lost.
        return this.#replace(mayReplace);
      }
      throw error;
    }
  }

  async #issueIdentity(): Promise<TokenRecord> {
    const identity = await this.#withRetry(() => this.#options.auth.issue());
    return this.#exchangeAndSave(identity, undefined);
  }

  async #exchangeAndSave(identity: Identity, previous: TokenRecord | undefined): Promise<TokenRecord> {
    const access = await this.#withRetry(() => this.#options.auth.exchange(identity));
    const { adapter, tenant, store, clock } = this.#options;
    const record: TokenRecord = {
      v: RECORD_VERSION,
      adapter,
      tenant,
      identity: { ...identity, subject: access.subject },
      access: { token: access.token, subject: access.subject, issuedAt: access.issuedAt, expiresAt: access.expiresAt },
      skewMs: clock.skewMs,
    };
    // The conversation belongs to the subject: it survives a renewal, never a new identity.
    if (previous?.conversation && previous.access?.subject === access.subject) record.conversation = previous.conversation;
    else if (previous?.conversation && previous.identity.subject === access.subject) record.conversation = previous.conversation;
    await store.save(record);
    return record;
  }

  /** Retry network errors and 5xx (not refusals) on LivePerson's documented schedule. */
  async #withRetry<T>(call: () => Promise<T>): Promise<T> {
    const delays = this.#options.retryDelaysMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        const failure = toGuestChatError(error);
        const transient = failure.reason === 'network' || failure.reason === 'server-error' || failure.reason === 'rate-limited';
        const delay = delays[attempt];
        if (!transient || delay === undefined) throw failure;
        const wait = failure.reason === 'rate-limited' ? Math.max(delay, (failure.retryAfterSec ?? 1) * 1000) : delay;
        await this.#options.sleep(wait);
      }
    }
  }
}

