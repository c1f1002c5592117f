/**
 * The broker's side of LivePerson's Connector API (contract §4): ConsumerJWS per visitor, the
 * REST conversation create and the send request, each with `Authorization: <AppJWT>` and
 * `X-LP-ON-BEHALF: <ConsumerJWS>`. An AppJWT rejected with 401 40102 is renewed once (shared
 * with every concurrent caller) and the request retried; a ConsumerJWS rejected with 40103/40104
 * is minted again and the request retried. Nothing here ever puts a token in an error message.
 */
import type { AppJwtCache } from './app-jwt.ts';
import type { ServiceOrigins } from './domain.ts';
import { LivePersonError } from './errors.ts';
import { lifetimeMs, readClaims } from './jwt-claims.ts';
import type { Store } from './store.ts';
import { REFRESH_WINDOW_MS } from './visitor-tokens.ts';

/** ConsumerJWS lifetime when the token carries none (LivePerson does not document it). */
const JWS_FALLBACK_LIFETIME_MS = 30 * 60 * 1000;
const JWS_RENEW_FRACTION = 0.8;
const REQUEST_TIMEOUT_MS = 15_000;

export const APP_JWT_INVALID = 40102;
export const CONSUMER_JWS_INVALID = 40103;
export const CONSUMER_JWS_MISSING = 40104;
export const APP_JWT_MISSING = 40105;

export interface ConsumerJws {
  token: string;
  /** `lp_consumer_id` of the payload: the consumer's participant id in webhook events. */
  lpConsumerId?: string;
}

export type LpRequest = Record<string, unknown>;

export interface LivePersonOptions {
  account: string;
  services: ServiceOrigins;
  appJwt: AppJwtCache;
  store: Store;
  fetchImpl?: typeof fetch;
  log?: (line: string) => void;
}

export class LivePerson {
  private readonly fetchImpl: typeof fetch;
  private readonly minting = new Map<string, Promise<ConsumerJws>>();
  /** ConsumerJWS mints (tests and logs). */
  mints = 0;

  constructor(private readonly options: LivePersonOptions) {
    this.fetchImpl = options.fetchImpl ?? fetch;
  }

  private get account(): string {
    return encodeURIComponent(this.options.account);
  }

  /** The cached ConsumerJWS of a visitor, minted on first use. */
  async consumerJws(visitorId: string): Promise<ConsumerJws> {
    const cached = await this.options.store.get(`jws:${visitorId}`);
    if (cached) {
      try {
        return JSON.parse(cached) as ConsumerJws;
      } catch {
        // unreadable entry: mint again
      }
    }
    let pending = this.minting.get(visitorId);
    if (!pending) {
      pending = this.mint(visitorId).finally(() => this.minting.delete(visitorId));
      this.minting.set(visitorId, pending);
    }
    return pending;
  }

  /** Forget a ConsumerJWS LivePerson refused (only if it is still the cached one). */
  async dropConsumerJws(visitorId: string, jws: ConsumerJws): Promise<void> {
    await this.options.store.delIfEquals(`jws:${visitorId}`, JSON.stringify(jws));
  }

  private async mint(visitorId: string): Promise<ConsumerJws> {
    const url = `${this.options.services.idp}/api/account/${this.account}/consumer?v=1.0`;
    const json = await this.withAppJwt((appJwt) =>
      this.post(url, { Authorization: appJwt }, { ext_consumer_id: visitorId }),
    );
    const token = (json as { token?: unknown } | undefined)?.token;
    if (typeof token !== 'string' || !token) throw new LivePersonError(502, 'The IdP answered without a ConsumerJWS');
    this.mints += 1;
    const claims = readClaims(token);
    const lpConsumerId = typeof claims?.['lp_consumer_id'] === 'string' ? claims['lp_consumer_id'] : undefined;
    const jws: ConsumerJws = lpConsumerId === undefined ? { token } : { token, lpConsumerId };
    const ttl = lifetimeMs(claims, JWS_FALLBACK_LIFETIME_MS) * JWS_RENEW_FRACTION;
    await this.options.store.set(`jws:${visitorId}`, JSON.stringify(jws), ttl);
    if (lpConsumerId !== undefined) {
      await this.options.store.set(`lpc:${lpConsumerId}`, visitorId, REFRESH_WINDOW_MS + 24 * 60 * 60 * 1000);
    }
    return jws;
  }

  /** REST create: SetUserProfile then ConsumerRequestConversation; the new conversation id. */
  async createConversation(visitorId: string, skillId?: string): Promise<string> {
    const request: LpRequest = { channelType: 'MESSAGING', brandId: this.options.account };
    if (skillId !== undefined) request['skillId'] = skillId;
    const body = [
      { kind: 'req', id: '1', type: 'userprofile.SetUserProfile', body: { authenticatedData: { lp_sdes: [] } } },
      { kind: 'req', id: '2', type: 'cm.ConsumerRequestConversation', body: request },
    ];
    const url = `${this.options.services.asyncMessagingEnt}/api/account/${this.account}/messaging/consumer/conversation?v=3`;
    const reply = await this.onBehalf(visitorId, url, body);
    const items = Array.isArray(reply) ? reply : [reply];
    let conversationId: string | undefined;
    for (const item of items as Array<Record<string, unknown> | undefined>) {
      const failure = responseFailure(item);
      if (failure) throw failure;
      const id = (item?.['body'] as { conversationId?: unknown } | undefined)?.conversationId;
      if (typeof id === 'string' && id) conversationId = id;
    }
    if (conversationId === undefined) throw new LivePersonError(502, 'LivePerson answered the create without a conversationId');
    return conversationId;
  }

  /** One `ms.PublishEvent` or `cm.UpdateConversationField`; the response body. */
  async send(visitorId: string, type: string, body: LpRequest, metadata?: unknown[]): Promise<Record<string, unknown>> {
    const request: LpRequest = { kind: 'req', id: '1', type, body };
    if (metadata !== undefined) request['metadata'] = metadata;
    const url = `${this.options.services.asyncMessagingEnt}/api/account/${this.account}/messaging/consumer/conversation/send?v=3`;
    const reply = await this.onBehalf(visitorId, url, request);
    const item = (Array.isArray(reply) ? reply[0] : reply) as Record<string, unknown> | undefined;
    const failure = responseFailure(item);
    if (failure) throw failure;
    const result = item?.['body'];
    return typeof result === 'object' && result !== null ? (result as Record<string, unknown>) : {};
  }

  /** A Connector API request with both headers, renewing the AppJWT or the ConsumerJWS once each on refusal. */
  private async onBehalf(visitorId: string, url: string, body: unknown): Promise<unknown> {
    let renewedApp = false;
    let renewedJws = false;
    for (;;) {
      const appJwt = await this.options.appJwt.get();
      const jws = await this.consumerJws(visitorId);
      try {
        return await this.post(url, { Authorization: appJwt, 'X-LP-ON-BEHALF': jws.token }, body);
      } catch (error) {
        if (!(error instanceof LivePersonError) || error.status !== 401) throw error;
        const code = error.errorCode;
        if ((code === CONSUMER_JWS_INVALID || code === CONSUMER_JWS_MISSING) && !renewedJws) {
          renewedJws = true;
          await this.dropConsumerJws(visitorId, jws);
          continue;
        }
        if ((code === APP_JWT_INVALID || code === APP_JWT_MISSING || code === undefined) && !renewedApp) {
          renewedApp = true;
          this.options.log?.(`AppJWT refused by LivePerson (401${code ? ` ${code}` : ''}); renewing`);
          await this.options.appJwt.renewAfterRejection(appJwt);
          continue;
        }
        throw error;
      }
    }
  }

  private async withAppJwt<T>(call: (appJwt: string) => Promise<T>): Promise<T> {
    const appJwt = await this.options.appJwt.get();
    try {
      return await call(appJwt);
    } catch (error) {
      if (!(error instanceof LivePersonError) || error.status !== 401) throw error;
      this.options.log?.(`AppJWT refused by the IdP (401${error.errorCode ? ` ${error.errorCode}` : ''}); renewing`);
      return call(await this.options.appJwt.renewAfterRejection(appJwt));
    }
  }

  private async post(url: string, headers: Record<string, string>, body: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json', ...headers },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      throw new LivePersonError(0, `LivePerson unreachable: ${(error as Error).name}`);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!response.ok) throw errorFrom(response, json, text);
    return json;
  }
}

function errorFrom(response: Response, json: unknown, text: string): LivePersonError {
  const root = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const body = (typeof root['body'] === 'object' && root['body'] !== null ? root['body'] : {}) as Record<string, unknown>;
  const rawCode = body['errorCode'] ?? root['errorCode'] ?? root['internalErrorCode'];
  const errorCode = rawCode === undefined || rawCode === null || Number.isNaN(Number(rawCode)) ? undefined : Number(rawCode);
  const detail = [body['title'], body['details'], typeof root['body'] === 'string' ? root['body'] : undefined, root['error'], root['message']]
    .filter((v): v is string => typeof v === 'string' && v.length > 0)
    .join(': ');
  const retryAfter = Number(response.headers.get('retry-after'));
  return new LivePersonError(
    response.status,
    detail || text.slice(0, 200) || `HTTP ${response.status}`,
    errorCode,
    Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined,
  );
}

/** A response item whose `code` is not OK/2xx, as an error. */
function responseFailure(item: Record<string, unknown> | undefined): LivePersonError | undefined {
  if (!item) return undefined;
  const code = item['code'];
  if (code === undefined || code === 'OK' || code === 200 || code === 201 || code === '200') return undefined;
  const numeric = Number(code);
  const status = Number.isInteger(numeric) && numeric >= 400 && numeric < 600 ? numeric : 502;
  const body = item['body'];
  const message = typeof body === 'string' ? body : typeof body === 'object' && body !== null ? JSON.stringify(body).slice(0, 200) : `code ${String(code)}`;
  return new LivePersonError(status, message);
}
