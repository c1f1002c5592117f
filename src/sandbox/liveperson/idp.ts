/**
 * LivePerson IdP (contract §3): `anonymous/authorize` (issue without body, refresh with
 * `{"id_token"}`) and `app/{connectorId}/authenticate?v=3.0`. Errors carry
 * `{"internalErrorCode":"<digits>"}` per the sandbox table of §3.2.
 */
import type { SandboxContext } from '../context.ts';
import type { Fault } from '../faults.ts';
import { isRecord, parseJsonText, readBody, sendJson, type RouteContext, type Router } from '../http.ts';
import type { IdpError, LivePersonTokens } from './tokens.ts';

/**
 * Injected faults: 4xx carry a sandbox-only code 9999 unless the fault names one; 5xx carry none
 * unless named, because a 5xx without a code is the "server trouble, retry" case of §3.4.
 */
function faultBody(status: number, fault: Fault): Record<string, string> {
  if (fault.internalErrorCode !== undefined) return { internalErrorCode: fault.internalErrorCode };
  return status < 500 ? { internalErrorCode: '9999' } : { error: 'Injected server fault' };
}

function sendIdpError(ctx: RouteContext, error: IdpError): void {
  sendJson(ctx.res, error.status, { internalErrorCode: error.internalErrorCode });
}

const BAD_BODY: IdpError = { status: 400, internalErrorCode: '9905' };

export function addIdpRoutes(router: Router, sandbox: SandboxContext, tokens: LivePersonTokens): void {
  router.add('POST', /^\/api\/account\/([^/]+)\/anonymous\/authorize$/, async (ctx) => {
    const [account = ''] = ctx.params;
    let text: string;
    try {
      text = await readBody(ctx.req);
    } catch {
      text = '\u0000'; // too large: counts as a refresh attempt with a bad body
    }
    const isIssue = text.trim() === '';
    if (await sandbox.enterHttpCall(isIssue ? 'lp.anonymous.issue' : 'lp.anonymous.refresh', ctx.res, faultBody)) return;
    const accountError = checkAccount(sandbox, account);
    if (accountError) return sendIdpError(ctx, accountError);
    if (isIssue) return sendJson(ctx.res, 200, { token: await tokens.issue(account) });
    const idToken = readIdToken(text);
    if (idToken === undefined) return sendIdpError(ctx, BAD_BODY);
    const result = await tokens.refresh(account, idToken);
    if (typeof result !== 'string') return sendIdpError(ctx, result);
    sendJson(ctx.res, 200, { token: result });
  });

  router.add('POST', /^\/api\/account\/([^/]+)\/app\/([^/]+)\/authenticate$/, async (ctx) => {
    const [account = '', connectorId = ''] = ctx.params;
    let text: string;
    try {
      text = await readBody(ctx.req);
    } catch {
      text = '\u0000';
    }
    if (await sandbox.enterHttpCall('lp.authenticate', ctx.res, faultBody)) return;
    const accountError = checkAccount(sandbox, account);
    if (accountError) return sendIdpError(ctx, accountError);
    if (!sandbox.tenants.liveperson.get(account)?.connectors.includes(connectorId)) {
      return sendIdpError(ctx, { status: 404, internalErrorCode: '9903' });
    }
    // [SB] Only v=3.0 is emulated; any other version is a bad request.
    if (ctx.url.searchParams.get('v') !== '3.0') return sendIdpError(ctx, BAD_BODY);
    const idToken = readIdToken(text);
    if (idToken === undefined) return sendIdpError(ctx, BAD_BODY);
    const result = await tokens.authenticate(account, idToken);
    if (typeof result !== 'string') return sendIdpError(ctx, result);
    sendJson(ctx.res, 200, { token: result });
  });
}

function checkAccount(sandbox: SandboxContext, account: string): IdpError | undefined {
  const known = sandbox.tenants.liveperson.get(account);
  if (!known || !known.unauthMessaging) return { status: 403, internalErrorCode: '9904' };
  return undefined;
}

/** `{"id_token":"<string>"}`, else undefined (→ 400 9905). */
function readIdToken(text: string): string | undefined {
  const parsed = parseJsonText(text);
  if (!parsed.ok || parsed.empty || !isRecord(parsed.value)) return undefined;
  const idToken = parsed.value.id_token;
  return typeof idToken === 'string' ? idToken : undefined;
}
