/**
 * The ConsumerJWS (LP contract §4 item 2), on the `idp` host:
 * `POST /api/account/{acc}/consumer?v=1.0`, `Authorization: <AppJWT>` (raw as documented, or
 * `Bearer <AppJWT>`), JSON `{"ext_consumer_id":"<id>"}` → 201 `{"token":"<ConsumerJWS>"}`.
 *
 * [SB] The JWS is an RS256 JWT with `account_id`, `ext_consumer_id`, `lp_consumer_id`, `iat`,
 * `exp` (24 h, `lpConsumerJwsMs`); one `ext_consumer_id` of an account always gets the same
 * `lp_consumer_id`. Errors use the Send API's ErrorResp shape: 40105 no Authorization, 40102
 * invalid AppJWT (40001 for a token of ours lacking the Sentinel claims), 40001 missing `v` or
 * `ext_consumer_id`, 40000 other bad input (`v` other than 1.0, an id over 256 characters).
 */
import type { SandboxContext } from '../../context.ts';
import type { Fault } from '../../faults.ts';
import { isRecord, parseJsonText, sendJson, type Router } from '../../http.ts';
import { readBodyOrUndefined, refuseBrowser } from './guard.ts';
import { readAuthorization, sendApiError, sendErrorResp, type ConnectorTokens } from './tokens.ts';

export const CONSUMER_JWS_CALL = 'lp.consumer.jws';

const MAX_EXT_CONSUMER_ID = 256;

/** Injected faults answer in the ErrorResp shape with `errorCode` = status × 100. */
export function errorRespFaultBody(status: number, _fault: Fault): Record<string, unknown> {
  const title = status === 429 ? 'Too many requests' : 'Injected fault';
  return { kind: 'resp', code: status, type: '.ReqBody$ErrorResp', body: { title, details: 'Injected fault', errorCode: status * 100 } };
}

export function addConsumerJwsRoutes(router: Router, sandbox: SandboxContext, tokens: ConnectorTokens): void {
  router.add(
    'POST',
    /^\/api\/account\/([^/]+)\/consumer$/,
    async (ctx) => {
      const text = await readBodyOrUndefined(ctx);
      if (await sandbox.enterHttpCall(CONSUMER_JWS_CALL, ctx.res, errorRespFaultBody)) return;
      if (refuseBrowser(ctx)) return;
      const [account = ''] = ctx.params;
      const appJwt = readAuthorization(ctx.req.headers.authorization);
      if (appJwt === undefined) return sendErrorResp(ctx.res, sendApiError('appJwtMissing'));
      const app = await tokens.verifyAppJwt(account, appJwt);
      if ('errorCode' in app) return sendErrorResp(ctx.res, app);
      const version = ctx.url.searchParams.get('v');
      if (version === null) return sendErrorResp(ctx.res, sendApiError('missingParameter', 'v is missing'));
      if (version !== '1.0') return sendErrorResp(ctx.res, sendApiError('badRequest', 'Unsupported v (expected 1.0)'));
      if (text === undefined) return sendErrorResp(ctx.res, sendApiError('badRequest', 'Body too large'));
      const parsed = parseJsonText(text);
      if (!parsed.ok) return sendErrorResp(ctx.res, sendApiError('badRequest', 'Body is not valid JSON'));
      const extConsumerId = isRecord(parsed.value) ? parsed.value.ext_consumer_id : undefined;
      if (typeof extConsumerId !== 'string' || extConsumerId === '') {
        return sendErrorResp(ctx.res, sendApiError('missingParameter', 'ext_consumer_id is missing'));
      }
      if (extConsumerId.length > MAX_EXT_CONSUMER_ID) {
        return sendErrorResp(ctx.res, sendApiError('badRequest', `ext_consumer_id is longer than ${MAX_EXT_CONSUMER_ID} characters`));
      }
      const { token, claims } = await tokens.issueConsumerJws(account, extConsumerId);
      sandbox.core.registerConsumer('liveperson', account, claims.lp_consumer_id);
      sendJson(ctx.res, 201, { token });
    },
    null,
  );
}
