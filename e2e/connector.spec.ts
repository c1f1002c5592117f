/**
 * LivePerson through the Connector API (issue 7): the widget (`data-adapter="liveperson-connector"`)
 * talks only to the brand's broker; the broker holds the app's secret and AppJWT, relays to the
 * sandbox's Connector API and receives its signed webhooks.
 *
 * One visitor flow runs twice: with two broker instances sharing a Redis, the webhooks registered
 * on the instance the visitor is NOT connected to; and with one instance in memory mode. A visitor
 * chats with the agent; a reload resumes the conversation with its history; a webhook with a bad
 * signature is refused (the message is not shown) and its good resend is shown; the AppJWT,
 * expired under load by a sandbox clock jump, is renewed exactly once per instance that served
 * requests; and no response the page received — bodies, headers, preflights, event streams —
 * holds an AppJWT, a ConsumerJWS or the app secret. A wrong secret stops the broker at start
 * with a message for the site owner.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import type { RunningBroker } from '../src/broker/index.ts';
import { CredentialsError, startBroker } from '../src/broker/index.ts';
import { redisAvailable } from '../src/broker/test-support/redis-server.ts';
import {
  ApiVisitor,
  CLIENT_SECRET,
  ResponseWatch,
  brokerConfig,
  deliveries,
  isBrokerCredential,
  jwtsIn,
  responseText,
  sandboxAdmin,
  startConnector,
  type BrokerMode,
  type ConnectorSetup,
} from './support/broker.ts';
import { callsSince, type SandboxClient } from './support/sandbox-client.ts';
import {
  MIN,
  chatDialog,
  expect,
  openChat,
  sendMessage,
  test,
  widgetStatus,
} from './support/fixtures.ts';

const ROOT = join(import.meta.dirname, '..');

const connectorTest = test.extend<{ brokerMode: BrokerMode; connector: ConnectorSetup }>({
  brokerMode: ['single', { option: true }],
  // After the sandbox fixture's reset: the app's webhooks are configured for this test's brokers.
  connector: async ({ brokerMode, sandbox, sandboxUrl, hostUrl }, use) => {
    void sandbox;
    const setup = await startConnector(brokerMode, sandboxUrl, hostUrl);
    await use(setup);
    await setup.close();
  },
});

const shown = (page: Page, text: string) => chatDialog(page).getByText(text, { exact: true });

async function visitorChatsWithAgent(page: Page, sandbox: SandboxClient, connector: ConnectorSetup): Promise<string> {
  await page.goto(connector.pageUrl);
  await openChat(page);
  await sendMessage(page, 'Hello, I need help with my order');
  await expect
    .poll(async () => (await sandbox.conversations()).map((c) => c.messages.map((m) => [m.from, m.text])))
    .toEqual([[['consumer', 'Hello, I need help with my order']]]);
  const conversation = await sandbox.openConversation();
  await sandbox.agentSay(conversation.id, 'Hi! Happy to help. What is your order number?');
  await expect(shown(page, 'Hi! Happy to help. What is your order number?')).toBeVisible();
  await expect.poll(() => widgetStatus(page)).toBe('online');
  return conversation.id;
}

for (const mode of ['redis-pair', 'single'] as const) {
  connectorTest.describe(mode === 'redis-pair' ? 'two brokers sharing a Redis, webhooks on the other instance' : 'one broker, no Redis', () => {
    connectorTest.skip(mode === 'redis-pair' && !redisAvailable, 'needs /usr/bin/redis-server');
    connectorTest.use({ brokerMode: mode });

    connectorTest('a visitor chats through the broker; reload resumes; bad signatures are refused; the AppJWT is renewed once under load; no credential reaches the browser', async ({ page, sandbox, sandboxUrl, hostUrl, connector }) => {
      const watch = await ResponseWatch.attach(page);
      const { widgetBroker, webhookBroker, brokers } = connector;
      const tokenRequests: string[] = [];
      page.on('request', (request) => {
        if (request.url().startsWith(widgetBroker.url) && request.url().includes('/v1/visitors')) tokenRequests.push(request.url());
      });

      // ---- a visitor chats with the agent through the broker
      const conversationId = await visitorChatsWithAgent(page, sandbox, connector);
      const hooks = await deliveries(sandboxUrl);
      expect(hooks.length).toBeGreaterThan(0);
      expect(new Set(hooks.map((d) => d.endpoint))).toEqual(new Set([`${webhookBroker.url}/v1/webhooks/liveperson`]));
      expect(widgetBroker.stats().streams).toBe(1);
      if (mode === 'redis-pair') {
        // The webhooks landed on B; the visitor's stream is on A: the events crossed through Redis.
        expect(webhookBroker).not.toBe(widgetBroker);
        expect(webhookBroker.stats().webhooksReceived).toBeGreaterThan(0);
        expect(widgetBroker.stats().webhooksReceived).toBe(0);
        expect(webhookBroker.stats().streams).toBe(0);
      }

      // ---- reload: the same conversation, its history, no new visitor
      await page.reload();
      await openChat(page);
      await expect(shown(page, 'Hello, I need help with my order')).toBeVisible();
      await expect(shown(page, 'Hi! Happy to help. What is your order number?')).toBeVisible();
      await expect.poll(() => widgetStatus(page)).toBe('online');
      await sendMessage(page, 'It is 4411');
      await expect.poll(async () => (await sandbox.openConversation()).messages.map((m) => m.text)).toContain('It is 4411');
      expect((await sandbox.openConversation()).id).toBe(conversationId);
      expect(tokenRequests).toEqual([`${widgetBroker.url}/v1/visitors`]);
      // Each message once, even though the reload replayed the whole stream.
      await expect(shown(page, 'Hello, I need help with my order')).toHaveCount(1);

      // ---- a webhook with a bad signature is refused; its good resend is shown
      const refusedBefore = webhookBroker.stats().webhooksRefused;
      await sandboxAdmin(sandboxUrl, '/admin/faults', { call: 'lp.webhook', corruptSignature: true, eventType: 'ms.MessagingEventNotification.ContentEvent' });
      await sandbox.agentSay(conversationId, 'Signed with the wrong key');
      await expect
        .poll(async () => (await deliveries(sandboxUrl)).filter((d) => d.attemptLog.some((a) => a.signatureCorrupted)).map((d) => [d.eventType, d.statusCodes, d.state]))
        .toEqual([['ms.MessagingEventNotification.ContentEvent', [401], 'retrying']]);
      expect(webhookBroker.stats().webhooksRefused).toBe(refusedBefore + 1);
      // A later, well-signed message is shown; the refused one is not (events of one instance keep their order).
      await sandbox.agentSay(conversationId, 'Signed properly');
      await expect(shown(page, 'Signed properly')).toBeVisible();
      await expect(shown(page, 'Signed with the wrong key')).toHaveCount(0);
      // LivePerson resends it 30 s later (sandbox clock), correctly signed: now it is shown.
      await sandbox.advanceClock(30_000);
      await expect(shown(page, 'Signed with the wrong key')).toBeVisible();
      const resent = (await deliveries(sandboxUrl)).find((d) => d.attemptLog.some((a) => a.signatureCorrupted));
      expect(resent).toMatchObject({ statusCodes: [401, 200], delivered: true });

      // ---- the AppJWT expires under load: renewed once per instance that served requests
      const origin = new URL(hostUrl).origin;
      const others = await Promise.all(brokers.flatMap((broker) => [0, 1].map(() => new ApiVisitor(broker, origin).start())));
      const before = await sandbox.calls();
      const renewalsBefore = brokers.map((broker) => broker.stats().appJwtRenewals);
      await sandbox.advanceClock(61 * MIN);
      const load = others.flatMap((visitor, v) => [0, 1, 2].map((n) => visitor.send(`load ${v}.${n}`, `load-${v}-${n}`)));
      await sendMessage(page, 'Sent while the AppJWT expired');
      const answers = await Promise.all(load);
      expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
      await expect
        .poll(async () => (await sandbox.conversations()).find((c) => c.id === conversationId)?.messages.map((m) => m.text))
        .toContain('Sent while the AppJWT expired');
      await expect(chatDialog(page).getByText('Sent while the AppJWT expired')).toBeVisible();
      const calls = callsSince(before, await sandbox.calls());
      expect(calls['lp.sentinel.token']).toBe(brokers.length);
      expect(brokers.map((broker) => broker.stats().appJwtRenewals)).toEqual(renewalsBefore.map((n) => n + 1));
      // Every send was published once: 3 per API visitor and the page's one.
      expect(calls['lp.connector.send']).toBeGreaterThanOrEqual(others.length * 3 + 1);

      // ---- nothing the page received holds the AppJWT, a ConsumerJWS or the secret
      await expect(shown(page, 'Signed properly')).toBeVisible();
      const received = await watch.settled();
      const fromBroker = received.filter((r) => r.url.startsWith(widgetBroker.url));
      // The watch saw what it must: visitor tokens in bodies, and the agent's words on the event stream.
      expect(fromBroker.some((r) => jwtsIn(r.body).length > 0)).toBe(true);
      expect(received.some((r) => r.streamed && r.body.includes('Signed properly'))).toBe(true);
      expect(received.some((r) => r.headers['access-control-allow-origin'] === origin)).toBe(true);
      for (const response of received) {
        const text = responseText(response);
        expect(text, response.url).not.toContain(CLIENT_SECRET);
        const credentials = jwtsIn(text).filter((jwt) => isBrokerCredential(jwt.payload));
        expect(credentials.map((jwt) => jwt.payload), response.url).toEqual([]);
      }
      // The detector knows an AppJWT when it sees one (asked from Sentinel here, in Node).
      const sentinel = await fetch(`${sandboxUrl}/sentinel/api/account/12345678/app/token?v=1.0&grant_type=client_credentials`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: 'guestchat-broker', client_secret: CLIENT_SECRET }).toString(),
      }).then((r) => r.json() as Promise<{ access_token: string }>);
      expect(jwtsIn(`x ${sentinel.access_token} y`).filter((jwt) => isBrokerCredential(jwt.payload))).toHaveLength(1);
      // Nor does the broker log one.
      const logged = connector.logs.join('\n');
      expect(logged).not.toContain(CLIENT_SECRET);
      expect(jwtsIn(logged)).toEqual([]);
      await watch.detach();
    });
  });
}

connectorTest.describe('broker start', () => {
  connectorTest('a wrong client secret stops the broker at start with a message naming LP_CLIENT_SECRET, and no secret printed', async ({ sandboxUrl, hostUrl, sandbox }) => {
    const wrong = 'not-the-sandbox-secret-0451';
    const before = await sandbox.calls();
    const logs: string[] = [];
    let broker: RunningBroker | undefined;
    const failure = await startBroker({ config: brokerConfig(sandboxUrl, new URL(hostUrl).origin, { clientSecret: wrong }), log: (line) => logs.push(line) }).then(
      (started) => {
        broker = started;
        return undefined;
      },
      (error: unknown) => error,
    );
    await broker?.close();
    expect(failure).toBeInstanceOf(CredentialsError);
    expect(String((failure as Error).message)).toMatch(/LP_CLIENT_SECRET/);
    expect(String((failure as Error).message)).not.toContain(wrong);
    expect(logs.join('\n')).not.toContain(wrong);
    expect(callsSince(before, await sandbox.calls())['lp.sentinel.token']).toBe(1);

    // As the site owner runs it: `npm run broker` (tsx src/broker/main.ts) exits 1 with the message.
    const run = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), ['src/broker/main.ts'], {
        cwd: ROOT,
        env: {
          PATH: process.env['PATH'] ?? '',
          LP_ACCOUNT: '12345678',
          LP_CLIENT_ID: 'guestchat-broker',
          LP_CLIENT_SECRET: wrong,
          LP_DOMAIN_API: sandboxUrl,
          BROKER_PORT: '0',
          BROKER_ALLOWED_ORIGINS: new URL(hostUrl).origin,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.on('exit', (code) => resolve({ code, output }));
    });
    expect(run.code).toBe(1);
    expect(run.output).toContain('GuestChat broker cannot start: Sentinel refused the app credentials (HTTP 401): check LP_CLIENT_ID and LP_CLIENT_SECRET');
    expect(run.output).not.toContain(wrong);
  });
});
