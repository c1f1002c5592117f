/**
 * The AppJWT: one per broker instance, from Sentinel with the app's client id and secret
 * (contract §4.1). Renewed before its hour is up — at `renewAt` (80 % of its own lifetime) —
 * and once more when LivePerson rejects it (401 40102). Renewals are single-flight: any number of
 * concurrent callers at expiry share one Sentinel call.
 *
 * Why per instance and not shared through Redis: a shared AppJWT would put a live credential at
 * rest in Redis for no gain; N instances simply hold N tokens (one Sentinel call per hour each).
 */
import { CredentialsError, LivePersonError } from './errors.ts';
import { lifetimeMs, readClaims } from './jwt-claims.ts';

export const APP_JWT_FALLBACK_LIFETIME_MS = 60 * 60 * 1000;
/** After a failed renewal, keep serving a still-valid token this long before trying again. */
const RENEW_RETRY_MS = 5_000;

export interface FetchedToken {
  token: string;
  lifetimeMs: number;
}

export type AppJwtFetcher = () => Promise<FetchedToken>;

interface Held {
  token: string;
  renewAt: number;
  expiresAt: number;
}

export class AppJwtCache {
  private held: Held | undefined;
  private inflight: Promise<string> | undefined;
  private retryAfter = 0;
  /** Sentinel calls made (tests and logs). */
  renewals = 0;

  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly fetchToken: AppJwtFetcher,
    private readonly now: () => number = Date.now,
    private readonly renewFraction = 0.8,
    /** Also renew in the background when a token is due, so no request waits for Sentinel. */
    private readonly background: { onError: (error: unknown) => void } | undefined = undefined,
  ) {}

  /** Stop background renewals. */
  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** A valid AppJWT: the held one, or a renewed one once it is due. */
  async get(): Promise<string> {
    const held = this.held;
    const now = this.now();
    if (held && now < held.renewAt) return held.token;
    if (held && now < held.expiresAt && now < this.retryAfter) return held.token;
    try {
      return await this.renew();
    } catch (error) {
      // A renewal that fails before expiry is not fatal: the old token still works for a while.
      if (held && this.now() < held.expiresAt && !(error instanceof CredentialsError)) return held.token;
      throw error;
    }
  }

  /**
   * LivePerson refused `rejected`. Renew unless someone already did (then the newer token is
   * returned without another Sentinel call), so a burst of 401s costs one renewal.
   */
  async renewAfterRejection(rejected: string): Promise<string> {
    if (this.held && this.held.token !== rejected) return this.held.token;
    return this.renew();
  }

  /** Start a renewal now (at start-up, to fail fast on bad credentials). */
  prime(): Promise<string> {
    return this.renew();
  }

  private renew(): Promise<string> {
    if (this.inflight) return this.inflight;
    const startedAt = this.now();
    this.renewals += 1;
    this.inflight = this.fetchToken()
      .then(({ token, lifetimeMs: lifetime }) => {
        this.held = { token, renewAt: startedAt + lifetime * this.renewFraction, expiresAt: startedAt + lifetime };
        this.retryAfter = 0;
        if (this.background) {
          const { onError } = this.background;
          clearTimeout(this.timer);
          this.timer = setTimeout(() => void this.renew().catch(onError), Math.min(lifetime * this.renewFraction, 2 ** 31 - 1));
          this.timer.unref();
        }
        return token;
      })
      .catch((error: unknown) => {
        this.retryAfter = this.now() + RENEW_RETRY_MS;
        throw error;
      })
      .finally(() => {
        this.inflight = undefined;
      });
    return this.inflight;
  }
}

/** Sentinel's `app/token` (client_credentials, form body). */
export function sentinelFetcher(options: {
  sentinel: string;
  account: string;
  clientId: string;
  clientSecret: string;
  fetchImpl?: typeof fetch;
}): AppJwtFetcher {
  const fetchImpl = options.fetchImpl ?? fetch;
  return async () => {
    const url = `${options.sentinel}/sentinel/api/account/${encodeURIComponent(options.account)}/app/token?v=1.0&grant_type=client_credentials`;
    const body = new URLSearchParams({ client_id: options.clientId, client_secret: options.clientSecret });
    let response: Response;
    try {
      response = await fetchImpl(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
        body: body.toString(),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (error) {
      throw new LivePersonError(0, `Sentinel unreachable: ${(error as Error).message}`);
    }
    if (response.status === 401 || response.status === 403 || response.status === 400) {
      await response.body?.cancel();
      throw new CredentialsError(
        `Sentinel refused the app credentials (HTTP ${response.status}): check LP_CLIENT_ID and LP_CLIENT_SECRET`,
        response.status,
      );
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new LivePersonError(response.status, `Sentinel answered HTTP ${response.status}`);
    }
    const json = (await response.json().catch(() => undefined)) as { access_token?: unknown } | undefined;
    const token = json?.access_token;
    if (typeof token !== 'string' || !token) throw new LivePersonError(502, 'Sentinel answered without access_token');
    return { token, lifetimeMs: lifetimeMs(readClaims(token), APP_JWT_FALLBACK_LIFETIME_MS) };
  };
}
