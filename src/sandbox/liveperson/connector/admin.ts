/**
 * Admin API of the Connector API emulation (GuestChat's own, not LivePerson's; not counted in
 * /admin/calls):
 * - `GET /admin/connector/apps` — the apps, without their secrets;
 * - `POST /admin/connector/apps` `{ client_id, client_secret?, account?, webhooks?, retry?,
 *   signature?, encoding? }` — creates an app (secret required) or updates it: given fields replace
 *   the stored ones, `webhooks` as a whole (`{<event type>: {endpoint, max_retries?, headers?}}`),
 *   `retry: null` removes the TTL policy. Answers the app without its secret;
 * - `DELETE /admin/connector/apps/{client_id}` — uninstalls an app (its AppJWTs stop working);
 * - `GET /admin/connector/deliveries` (`?clientId=&conversationId=&eventType=`) — webhook
 *   deliveries, oldest first: id, event type, endpoint, attempts, status codes, state, delivered.
 */
import type { SandboxContext } from '../../context.ts';
import { isRecord, readJson, sendJson, type Router } from '../../http.ts';
import { listing, parseAppUpdate, type ConnectorApps } from './apps.ts';
import type { WebhookDispatcher } from './webhooks.ts';

export function addConnectorAdminRoutes(router: Router, sandbox: SandboxContext, apps: ConnectorApps, webhooks: WebhookDispatcher): void {
  router.add('GET', /^\/admin\/connector\/apps$/, ({ res }) => sendJson(res, 200, apps.list()));
  router.add('POST', /^\/admin\/connector\/apps$/, async ({ req, res }) => {
    const parsed = await readJson(req);
    if (!parsed.ok) return sendJson(res, 400, { error: parsed.error });
    if (!isRecord(parsed.value)) return sendJson(res, 400, { error: 'body must be a JSON object' });
    const existing = typeof parsed.value.client_id === 'string' ? apps.get(parsed.value.client_id) : undefined;
    const app = parseAppUpdate(parsed.value, existing, new Set(sandbox.tenants.liveperson.keys()));
    if (typeof app === 'string') return sendJson(res, 400, { error: app });
    apps.put(app);
    sendJson(res, existing ? 200 : 201, listing(app));
  });
  router.add('DELETE', /^\/admin\/connector\/apps\/([^/]+)$/, ({ res, params }) => {
    if (!apps.delete(params[0] ?? '')) return sendJson(res, 404, { error: 'Unknown app' });
    sendJson(res, 200, { ok: true });
  });
  router.add('GET', /^\/admin\/connector\/deliveries$/, ({ res, url }) => {
    const q = url.searchParams;
    sendJson(
      res,
      200,
      webhooks.list({
        ...(q.get('clientId') !== null ? { clientId: q.get('clientId') as string } : {}),
        ...(q.get('conversationId') !== null ? { conversationId: q.get('conversationId') as string } : {}),
        ...(q.get('eventType') !== null ? { eventType: q.get('eventType') as string } : {}),
      }),
    );
  });
}
