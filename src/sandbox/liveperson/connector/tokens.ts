/**
 * Connector API tokens (LP contract §4): the Sentinel AppJWT and the IdP's ConsumerJWS, signed
 * with the sandbox's RS256 key and checked against the sandbox clock. Both are stateless, like the
 * IdP's tokens: what a check needs is in the signed claims (and the app still being installed).
 */
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { SandboxContext } from '../../context.ts';
import { sendJson } from '../../http.ts';
import { signJwt, toSeconds, verifyJwtSignature } from '../../jwt.ts';
import type { ConnectorApp, ConnectorApps } from './apps.ts';

export interface AppJwtClaims {
  aud: string;
  azp: string;
  scope: 'msg.consumer';
  iss: 'Sentinel';
  iat: number;
  exp: number;
}

export interface ConsumerJwsClaims {
  account_id: string;
  ext_consumer_id: string;
  lp_consumer_id: string;
  iat: number;
  exp: number;
}

/** The Send API's error codes (§4 item 5): HTTP status = the first three digits. */
export const SEND_API_ERRORS = {
  missingParameter: { errorCode: 40001, title: 'Missing parameter' },
  invalidAppJwt: { errorCode: 40102, title: 'Invalid AppJWT', details: 'AppJWT has expired or is invalid' },
  invalidConsumerJws: { errorCode: 40103, title: 'Invalid ConsumerJWS', details: 'ConsumerJWS is invalid' },
  consumerJwsMissing: { errorCode: 40104, title: 'ConsumerJWS is missing', details: 'X_ON_BEHALF_HEADER is not present' },
  appJwtMissing: { errorCode: 40105, title: 'AppJWT is missing', details: 'AUTHORIZATION header is not present' },
  /** [SB] Other invalid input; LivePerson documents only "400 The input was invalid". */
  badRequest: { errorCode: 40000, title: 'Bad request' },
} as const;

export interface SendApiError {
  errorCode: number;
  title: string;
  details: string;
}

export function sendApiError(kind: keyof typeof SEND_API_ERRORS, details?: string): SendApiError {
  const entry: { errorCode: number; title: string; details?: string } = SEND_API_ERRORS[kind];
  return { errorCode: entry.errorCode, title: entry.title, details: details ?? entry.details ?? entry.title };
}

/** `{"kind":"resp","code":401,"type":".ReqBody$ErrorResp","body":{title,details,errorCode}}`. */
export function sendErrorResp(res: ServerResponse, error: SendApiError, headers: Record<string, string> = {}): void {
  const code = Math.floor(error.errorCode / 100);
  sendJson(res, code, { kind: 'resp', code, type: '.ReqBody$ErrorResp', body: { title: error.title, details: error.details, errorCode: error.errorCode } }, headers);
}

/**
 * One `ext_consumer_id` of an account → one `lp_consumer_id`, derived so it survives restarts.
 * 64 hex digits, the form of LivePerson's published example [obs].
 */
export function lpConsumerIdFor(account: string, extConsumerId: string): string {
  return createHash('sha256').update(`lp-connector-consumer:${account}:${extConsumerId}`).digest('hex');
}

/** The token from `Authorization: <jwt>` (raw, as the docs show) or `Bearer <jwt>`. */
export function readAuthorization(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '') return undefined;
  return /^bearer\s+/i.test(value) ? value.replace(/^bearer\s+/i, '').trim() : value;
}

export class ConnectorTokens {
  constructor(
    private readonly sandbox: SandboxContext,
    private readonly apps: ConnectorApps,
  ) {}

  async issueAppJwt(app: ConnectorApp): Promise<{ token: string; claims: AppJwtClaims }> {
    const now = this.sandbox.clock.now();
    const claims: AppJwtClaims = {
      aud: app.account,
      azp: app.client_id,
      scope: 'msg.consumer',
      iss: 'Sentinel',
      exp: toSeconds(now + this.sandbox.lifetimes.lpAppJwtMs),
      iat: toSeconds(now),
    };
    return { token: await signJwt(this.sandbox.keys, { ...claims }), claims };
  }

  /**
   * An AppJWT for `account`. Bad form, signature, expiry, account or an app no longer installed
   * → 40102; a token of ours lacking the Sentinel claims (another kind of token) → 40001, as the
   * docs say for missing claims.
   */
  async verifyAppJwt(account: string, token: string): Promise<{ claims: AppJwtClaims; app: ConnectorApp } | SendApiError> {
    const verified = await verifyJwtSignature(this.sandbox.keys, token);
    if (!verified.ok) return sendApiError('invalidAppJwt');
    const { aud, azp, scope, iss, iat, exp } = verified.claims;
    if (iss !== 'Sentinel' || scope !== 'msg.consumer' || typeof aud !== 'string' || typeof azp !== 'string') {
      return sendApiError('missingParameter', 'AppJWT claims iss, scope, aud or azp are missing or wrong');
    }
    if (typeof iat !== 'number' || typeof exp !== 'number') return sendApiError('missingParameter', 'AppJWT claims iat or exp are missing');
    if (toSeconds(this.sandbox.clock.now()) >= exp) return sendApiError('invalidAppJwt');
    if (aud !== account) return sendApiError('invalidAppJwt');
    const app = this.apps.forAccount(account, azp);
    if (!app) return sendApiError('invalidAppJwt');
    return { claims: { aud, azp, scope, iss, iat, exp }, app };
  }

  async issueConsumerJws(account: string, extConsumerId: string): Promise<{ token: string; claims: ConsumerJwsClaims }> {
    const now = this.sandbox.clock.now();
    const claims: ConsumerJwsClaims = {
      account_id: account,
      ext_consumer_id: extConsumerId,
      lp_consumer_id: lpConsumerIdFor(account, extConsumerId),
      iat: toSeconds(now),
      exp: toSeconds(now + this.sandbox.lifetimes.lpConsumerJwsMs),
    };
    return { token: await signJwt(this.sandbox.keys, { ...claims }), claims };
  }

  /** A ConsumerJWS of `account`, unexpired; anything else → 40103. */
  async verifyConsumerJws(account: string, token: string): Promise<ConsumerJwsClaims | SendApiError> {
    const verified = await verifyJwtSignature(this.sandbox.keys, token);
    if (!verified.ok) return sendApiError('invalidConsumerJws');
    const { account_id, ext_consumer_id, lp_consumer_id, iat, exp } = verified.claims;
    if (account_id !== account || typeof ext_consumer_id !== 'string' || typeof lp_consumer_id !== 'string') return sendApiError('invalidConsumerJws');
    if (typeof iat !== 'number' || typeof exp !== 'number') return sendApiError('invalidConsumerJws');
    if (toSeconds(this.sandbox.clock.now()) >= exp) return sendApiError('invalidConsumerJws');
    return { account_id, ext_consumer_id, lp_consumer_id, iat, exp };
  }
}
