import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SandboxContext } from '../../context.ts';
import type { SigningKeys } from '../../keys.ts';
import { ConnectorApps } from './apps.ts';
import { WebhookDispatcher } from './webhooks.ts';

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

/** An endpoint that answers `status` after `waitMs` (never, with Infinity). */
async function endpoint(status: number, waitMs: number): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    if (Number.isFinite(waitMs)) setTimeout(() => res.writeHead(status).end(), waitMs);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
}

function setup(url: string): { dispatcher: WebhookDispatcher; context: SandboxContext } {
  // The dispatcher never signs JWTs: no keys needed.
  const context = new SandboxContext({} as SigningKeys);
  const apps = new ConnectorApps();
  const app = apps.get('guestchat-broker')!;
  app.webhooks = { 'cqm.ExConversationChangeNotification': { endpoint: url } };
  const dispatcher = new WebhookDispatcher(context, apps, { connectMs: 200, readMs: 200 });
  context.core.subscribe((change) => dispatcher.onCoreChange(change));
  const conversation = context.core.createConversation({ adapter: 'liveperson', tenant: '12345678', consumerId: 'c1' });
  dispatcher.track(conversation, app);
  return { dispatcher, context };
}

async function settled(dispatcher: WebhookDispatcher): Promise<ReturnType<WebhookDispatcher['list']>[number]> {
  for (let i = 0; i < 100; i++) {
    const [delivery] = dispatcher.list();
    if (delivery && delivery.state !== 'sending' && delivery.state !== 'queued') return delivery;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('delivery did not settle');
}

describe('WebhookDispatcher', () => {
  it('fails an attempt whose answer does not come within the read timeout', async () => {
    const { dispatcher } = setup(await endpoint(200, Infinity));
    const delivery = await settled(dispatcher);
    expect(delivery).toMatchObject({ state: 'dropped', statusCodes: [null] });
    expect(delivery.attemptLog[0]?.error).toBe('read timeout');
    dispatcher.close();
  });

  it('counts 201 as delivered, and a refused connection as failed', async () => {
    const ok = setup(await endpoint(201, 0));
    expect(await settled(ok.dispatcher)).toMatchObject({ state: 'delivered', statusCodes: [201] });
    ok.dispatcher.close();
    const closedPort = await endpoint(200, 0);
    servers.splice(0).forEach((s) => s.close());
    const refused = setup(closedPort);
    const delivery = await settled(refused.dispatcher);
    expect(delivery).toMatchObject({ state: 'dropped', statusCodes: [null] });
    expect(delivery.attemptLog[0]?.error).toMatch(/ECONNREFUSED/);
    refused.dispatcher.close();
  });
});
