/**
 * LivePerson IdP calls (contract §3): anonymous issue and refresh of the external token, and the
 * exchange of an external token for a consumer JWT. This module only talks and classifies; the
 * retry schedule and the fall-back steps belong to the token lifecycle (auth/).
 *
 * Tokens never appear in an error message or a log line.
 */
import { GuestChatError, type ReasonCode } from '../../errors.ts';
import { accountUrl, requestJson, type FetchLike, type HttpAnswer } from './http.ts';
import { looksLikeJwt } from './jwt.ts';
import { field, str } from './protocol.ts';

export type IdpCall = 'issue' | 'refresh' | 'authenticate';

/**
 * Contract §3.4, on HTTP status only (LivePerson's code table is not public):
 * - 429 anywhere → `rate-limited` (with Retry-After when readable).
 * - issue 4xx → `token-issue-refused`: a configuration problem, the caller must not loop.
 * - refresh 4xx, or 5xx with `internalErrorCode` → `token-refresh-refused`: drop the identity.
 * - authenticate 401, or 5xx with `internalErrorCode` (LivePerson's one public code, 9007
 *   "customer JWT not valid", comes with 500) → `token-exchange-refused`: refresh once, retry.
 * - authenticate other 4xx (400 bad body, 403 account/feature off, 404 unknown connector)
 *   → `request-refused`: a refreshed token would not help; no retry.
 * - 5xx without `internalErrorCode` (and anything else unexpected) → `server-error`: retry later.
 */
export function classifyIdpFailure(call: IdpCall, { status, body, retryAfterSec }: HttpAnswer): GuestChatError {
  const code = field(body, 'internalErrorCode');
  const serverCode = Number.isFinite(code) ? String(code) : str(code);
  const is4xx = status >= 400 && status < 500;
  const refused5xx = status >= 500 && status < 600 && serverCode !== undefined;
  const reason: ReasonCode =
    status === 429
      ? 'rate-limited'
      : call === 'refresh' && (is4xx || refused5xx)
        ? 'token-refresh-refused'
        : call === 'authenticate' && (status === 401 || refused5xx)
          ? 'token-exchange-refused'
          : is4xx
            ? call === 'issue'
              ? 'token-issue-refused'
              : 'request-refused'
            : 'server-error';
  return new GuestChatError(reason, `IdP ${call} answered ${status}${serverCode ? ` (code ${serverCode})` : ''}`, {
    status,
    serverCode,
    retryAfterSec,
  });
}

export interface IdpClientOptions {
  account: string;
  connectorId: string;
  /** The IdP origin (`https://host[:port]`), resolved through the Domain API. */
  idpOrigin: () => Promise<string>;
  fetch: FetchLike;
}

export interface IdpClient {
  /** A new anonymous identity: its external token. */
  issue(): Promise<string>;
  /** A new external token for the identity behind `previous`. */
  refresh(previous: string): Promise<string>;
  /** The consumer JWT for an external token. */
  authenticate(external: string): Promise<string>;
}

export function createIdpClient(options: IdpClientOptions): IdpClient {
  /** POST and return the `token` of the 200 body, which must look like a JWT. */
  async function call(kind: IdpCall, path: string, idToken?: string): Promise<string> {
    const url = accountUrl(await options.idpOrigin(), options.account, path);
    // 15 s per request.
    const answer = await requestJson(options.fetch, url, 15_000, 'POST', idToken === undefined ? undefined : { id_token: idToken });
    if (answer.status !== 200) throw classifyIdpFailure(kind, answer);
    const token = field(answer.body, 'token');
    if (!looksLikeJwt(token)) throw new GuestChatError('bad-server-data', `IdP ${kind}: bad token`, { status: 200 });
    return token;
  }

  return {
    issue: () => call('issue', '/anonymous/authorize'),
    refresh: (previous) => call('refresh', '/anonymous/authorize', previous),
    authenticate: (external) => call('authenticate', `/app/${encodeURIComponent(options.connectorId)}/authenticate?v=3.0`, external),
  };
}
