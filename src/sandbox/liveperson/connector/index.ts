/**
 * LivePerson's Connector API (contract §4, §4.1), server-to-server only: Sentinel AppJWTs, the
 * ConsumerJWS, the Send API's REST conversation and send requests, and webhook delivery of the
 * consumer-side events to the apps' endpoints. Call names: `lp.sentinel.token`,
 * `lp.consumer.jws`, `lp.connector.conversation`, `lp.connector.send`; webhook faults use
 * `lp.webhook`. See `admin.ts` for the admin routes.
 */
import type { SandboxContext } from '../../context.ts';
import type { Router } from '../../http.ts';
import { addConnectorAdminRoutes } from './admin.ts';
import { ConnectorApps } from './apps.ts';
import { addConsumerJwsRoutes } from './consumer-jws.ts';
import { addRestRoutes } from './rest.ts';
import { addSentinelRoutes } from './sentinel.ts';
import { ConnectorTokens } from './tokens.ts';
import { WebhookDispatcher } from './webhooks.ts';

export { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, WEBHOOK_EVENT_TYPES, type ConnectorApp, type WebhookEventType } from './apps.ts';
export { lpConsumerIdFor } from './tokens.ts';
export { webhookSignature, type DeliveryListing } from './webhooks.ts';

export class ConnectorFace {
  readonly apps = new ConnectorApps();
  readonly tokens: ConnectorTokens;
  readonly webhooks: WebhookDispatcher;

  constructor(readonly sandbox: SandboxContext) {
    this.tokens = new ConnectorTokens(sandbox, this.apps);
    this.webhooks = new WebhookDispatcher(sandbox, this.apps);
    sandbox.core.subscribe((change) => this.webhooks.onCoreChange(change));
    // Apps back to the defaults; conversations, queues and deliveries forgotten. Tokens are
    // stateless: those of an app that no longer exists stop working.
    sandbox.onReset(() => {
      this.apps.reset();
      this.webhooks.reset();
    });
  }

  addRoutes(router: Router): void {
    addSentinelRoutes(router, this.sandbox, this.apps, this.tokens);
    addConsumerJwsRoutes(router, this.sandbox, this.tokens);
    addRestRoutes(router, { sandbox: this.sandbox, tokens: this.tokens, track: (conversation, app) => this.webhooks.track(conversation, app) });
    addConnectorAdminRoutes(router, this.sandbox, this.apps, this.webhooks);
  }

  close(): void {
    this.webhooks.close();
  }
}
