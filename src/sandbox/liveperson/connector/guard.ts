/**
 * What every Connector API route shares: the Connector API is server-to-server only (§4: an
 * AppJWT and its secret must never reach a browser), so [SB] a request carrying an `Origin`
 * header gets 403 and no CORS headers. The routes are registered without a CORS policy, so a
 * preflight gets 405 with none either.
 */
import type { RouteContext } from '../../http.ts';
import { BodyTooLargeError, readBody, sendJson } from '../../http.ts';

export const BROWSER_REFUSAL = 'The Connector API is server-to-server only: requests with an Origin header are refused';

/** Answers 403 when the request comes from a browser page; returns true when it did. */
export function refuseBrowser(ctx: RouteContext): boolean {
  if (ctx.req.headers.origin === undefined) return false;
  sendJson(ctx.res, 403, { error: BROWSER_REFUSAL });
  return true;
}

/** The raw body, or undefined when it is larger than the limit. */
export async function readBodyOrUndefined(ctx: RouteContext): Promise<string | undefined> {
  try {
    return await readBody(ctx.req);
  } catch (error) {
    if (error instanceof BodyTooLargeError) return undefined;
    throw error;
  }
}
