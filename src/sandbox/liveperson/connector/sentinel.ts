/**
 * Sentinel (LP contract §4 item 1): OAuth 2.0 client credentials for connector apps.
 * `POST /sentinel/api/account/{acc}/app/token?v=1.0&grant_type=client_credentials`,
 * `Content-Type: application/x-www-form-urlencoded`, form `client_id`, `client_secret`
 * → 200 `{"access_token":"<AppJWT>","token_type":"Bearer"}`.
 *
 * [SB] Errors follow OAuth 2.0 (RFC 6749 §5.2), which Sentinel says it answers by:
 * 400 `invalid_request` (wrong content type, missing `v`/field), 400 `unsupported_grant_type`,
 * 401 `invalid_client` (unknown client for the account, or wrong secret).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { SandboxContext } from '../../context.ts';
import { sendJson, type RouteContext, type Router } from '../../http.ts';
import type { ConnectorApps } from './apps.ts';
import { readBodyOrUndefined, refuseBrowser } from './guard.ts';
import type { ConnectorTokens } from './tokens.ts';

export const SENTINEL_CALL = 'lp.sentinel.token';

const FORM_TYPE = 'application/x-www-form-urlencoded';

function faultBody(status: number): { error: string; error_description: string } {
  const error = status === 429 ? 'too_many_requests' : status >= 500 ? 'server_error' : 'invalid_request';
  return { error, error_description: 'Injected fault' };
}

function oauthError(ctx: RouteContext, status: number, error: string, description: string): void {
  sendJson(ctx.res, status, { error, error_description: description }, status === 401 ? { 'WWW-Authenticate': 'Basic realm="Sentinel"' } : {});
}

export function addSentinelRoutes(router: Router, sandbox: SandboxContext, apps: ConnectorApps, tokens: ConnectorTokens): void {
  router.add(
    'POST',
    /^\/sentinel\/api\/account\/([^/]+)\/app\/token$/,
    async (ctx) => {
      const text = await readBodyOrUndefined(ctx);
      if (await sandbox.enterHttpCall(SENTINEL_CALL, ctx.res, faultBody)) return;
      if (refuseBrowser(ctx)) return;
      const [account = ''] = ctx.params;
      const query = ctx.url.searchParams;
      if (query.get('v') !== '1.0') return oauthError(ctx, 400, 'invalid_request', 'Missing or unsupported v (expected 1.0)');
      const grantType = query.get('grant_type');
      if (grantType === null) return oauthError(ctx, 400, 'invalid_request', 'grant_type is missing');
      if (grantType !== 'client_credentials') return oauthError(ctx, 400, 'unsupported_grant_type', 'Only client_credentials is supported');
      const mediaType = (ctx.req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
      if (mediaType !== FORM_TYPE) return oauthError(ctx, 400, 'invalid_request', `Content-Type must be ${FORM_TYPE}`);
      if (text === undefined) return oauthError(ctx, 400, 'invalid_request', 'Body too large');
      const form = new URLSearchParams(text);
      const clientId = form.get('client_id');
      const clientSecret = form.get('client_secret');
      if (!clientId || !clientSecret) return oauthError(ctx, 400, 'invalid_request', 'client_id and client_secret are required');
      const app = apps.forAccount(account, clientId);
      if (!app || !sameSecret(app.client_secret, clientSecret)) return oauthError(ctx, 401, 'invalid_client', 'Client authentication failed');
      const { token } = await tokens.issueAppJwt(app);
      sendJson(ctx.res, 200, { access_token: token, token_type: 'Bearer' });
    },
    null,
  );
}

/** Constant-time comparison (of digests, so lengths never leak either). */
function sameSecret(expected: string, given: string): boolean {
  const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(expected), digest(given));
}
