/**
 * Domain API (contract §2): both the single-service and the all-services form, with and without
 * the older `/csdr` prefix [SB]. Every service the sandbox emulates answers with the sandbox's
 * own bare `host:port`. Errors: `{"error":"<text>"}` — 400 without `version=1.0`, 401 unknown
 * account, 404 unknown service (names are case-sensitive).
 */
import type { SandboxContext } from '../context.ts';
import { sendJson, type RouteContext, type Router } from '../http.ts';

/** `sentinel` serves the Connector API's AppJWT (server-side only, contract §4; see `connector/`). */
export const LP_SERVICES = ['idp', 'asyncMessagingEnt', 'acCdnDomain', 'sentinel'] as const;

const errorBody = (status: number): { error: string } => ({ error: status === 429 ? 'Too many requests' : 'Injected fault' });

export function addDomainRoutes(router: Router, sandbox: SandboxContext): void {
  const single = async ({ res, url, params }: RouteContext): Promise<void> => {
    if (await sandbox.enterHttpCall('lp.domain', res, errorBody)) return;
    const [account = '', service = ''] = params;
    const refusal = refuse(sandbox, account, url);
    if (refusal) return sendJson(res, refusal.status, { error: refusal.error });
    if (!(LP_SERVICES as readonly string[]).includes(service)) {
      return sendJson(res, 404, { error: `Unknown service ${service}` });
    }
    sendJson(res, 200, { service, account, baseURI: sandbox.host });
  };
  const all = async ({ res, url, params }: RouteContext): Promise<void> => {
    if (await sandbox.enterHttpCall('lp.domain', res, errorBody)) return;
    const [account = ''] = params;
    const refusal = refuse(sandbox, account, url);
    if (refusal) return sendJson(res, refusal.status, { error: refusal.error });
    sendJson(res, 200, { baseURIs: LP_SERVICES.map((service) => ({ service, account, baseURI: sandbox.host })) });
  };
  for (const prefix of ['api', 'csdr']) {
    router.add('GET', new RegExp(`^/${prefix}/account/([^/]+)/service/([^/]+)/baseURI\\.json$`), single);
    router.add('GET', new RegExp(`^/${prefix}/account/([^/]+)/service/baseURI\\.json$`), all);
  }
}

function refuse(sandbox: SandboxContext, account: string, url: URL): { status: number; error: string } | undefined {
  if (url.searchParams.get('version') !== '1.0') return { status: 400, error: 'Missing or unsupported version (expected 1.0)' };
  if (!sandbox.tenants.liveperson.has(account)) return { status: 401, error: `Invalid account ${account}` };
  return undefined;
}
