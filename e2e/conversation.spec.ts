/**
 * The anonymous chat, end to end, as a visitor drives it: host page and sandbox on two origins,
 * real Chromium, the sandbox playing the vendor strictly. One spec body per flow, run against
 * every adapter whose flow is the same.
 */
import type { Page } from '@playwright/test';
import { callsSince } from './support/sandbox-client.ts';
import {
  ADAPTERS,
  MIN,
  HOUR,
  chatDialog,
  databaseNames,
  expect,
  launcher,
  openChat,
  sendMessage,
  startConversation,
  test,
  VENDORS,
  widgetStatus,
  type AdapterName,
} from './support/fixtures.ts';


/** Token calls among a diff of call counts. */
function tokenCalls(adapter: AdapterName, diff: Record<string, number>) {
  return Object.fromEntries(Object.entries(diff).filter(([name]) => (VENDORS[adapter].tokenCalls as readonly string[]).includes(name)));
}

for (const adapter of ADAPTERS) {
  test.describe(adapter, () => {
    /** Move the sandbox clock and the browser's clock together (the widget reads both). */
    async function travel(page: Page, sandbox: { advanceClock(ms: number): Promise<void> }, state: { offset: number }, ms: number) {
      state.offset += ms;
      await sandbox.advanceClock(ms);
      await page.clock.setSystemTime(Date.now() + state.offset);
    }

    /**
     * The visitor leaves, time passes, the visitor comes back. (While a page is open the sandbox
     * would close its socket at token expiry and the widget would renew right then.)
     */
    async function comeBackLater(page: Page, sandbox: { advanceClock(ms: number): Promise<void> }, state: { offset: number }, ms: number, url: string) {
      await page.goto('about:blank');
      await travel(page, sandbox, state, ms);
      const before = await (sandbox as import('./support/sandbox-client.ts').SandboxClient).calls();
      await page.goto(url);
      return before;
    }

    test('a new visitor’s first message reaches the agent and the agent’s reply is shown', async ({ page, sandbox, hostPage }) => {
      const scripts: string[] = [];
      page.on('request', (request) => {
        if (request.url().includes('/dist/')) scripts.push(new URL(request.url()).pathname);
      });
      await page.goto(hostPage(adapter));
      await expect(launcher(page)).toBeVisible();
      await openChat(page);
      await expect(chatDialog(page).getByRole('textbox', { name: 'Message' })).toBeFocused();
      await sendMessage(page, 'Hello, I need help with my order');

      await expect.poll(async () => (await sandbox.conversations()).map((c) => c.messages.map((m) => m.text))).toEqual([
        ['Hello, I need help with my order'],
      ]);
      const conversation = await sandbox.openConversation();
      expect(conversation.adapter).toBe(adapter);
      await sandbox.agentSay(conversation.id, 'Hi! Happy to help.');
      await expect(chatDialog(page).getByText('Hi! Happy to help.', { exact: true })).toBeVisible();
      // The visitor's message is marked as stored by the server, not left "sending".
      const own = chatDialog(page).getByRole('listitem').filter({ hasText: 'Hello, I need help with my order' });
      await expect(own).toContainText(/Sent|Delivered|Read/);
      await expect(own).not.toContainText('Sending…');
      // This vendor's code was downloaded, the other vendor's never.
      const other = VENDORS[adapter === 'liveperson' ? 'salesforce' : 'liveperson'].chunk;
      expect(scripts).toContain(`/dist/chunks/${VENDORS[adapter].chunk}`);
      expect(scripts).not.toContain(`/dist/chunks/${other}`);
    });

    test('after a reload the same conversation and history are shown with no token call', async ({ page, sandbox, hostPage }) => {
      const conversation = await startConversation(page, sandbox, hostPage(adapter));
      const before = await sandbox.calls();
      await page.reload();
      await openChat(page);
      await expect(chatDialog(page).getByText('Hello, I need help with my order', { exact: true })).toBeVisible();
      await expect(chatDialog(page).getByText('Hi! Happy to help. What is your order number?', { exact: true })).toBeVisible();
      await expect.poll(() => widgetStatus(page)).toBe('online');
      expect(tokenCalls(adapter, callsSince(before, await sandbox.calls()))).toEqual(VENDORS[adapter].reloadCalls);

      await sendMessage(page, 'It is 4411');
      await expect.poll(async () => (await sandbox.openConversation()).messages.map((m) => m.text)).toContain('It is 4411');
      expect((await sandbox.openConversation()).id).toBe(conversation.id);
    });

    test('a returning visitor: no token call while valid, then renewal (or, past the window, a new identity)', async ({ page, sandbox, hostPage }) => {
      const clock = { offset: 0 };
      await page.clock.install();
      const conversation = await startConversation(page, sandbox, hostPage(adapter));

      // 11 minutes: the LivePerson external token has expired, the access token has not.
      let before = await comeBackLater(page, sandbox, clock, 11 * MIN, hostPage(adapter));
      await openChat(page);
      await expect(chatDialog(page).getByText('Hi! Happy to help. What is your order number?', { exact: true })).toBeVisible();
      await expect.poll(() => widgetStatus(page)).toBe('online');
      expect(tokenCalls(adapter, callsSince(before, await sandbox.calls()))).toEqual(VENDORS[adapter].reloadCalls);

      // 61 minutes: the access token has expired too.
      before = await comeBackLater(page, sandbox, clock, 50 * MIN, hostPage(adapter));
      const renewCalls = VENDORS[adapter].renewCalls;
      if (renewCalls) {
        // Inside the refresh window: one refresh, one exchange, the same subject and conversation.
        await openChat(page);
        await expect.poll(() => widgetStatus(page)).toBe('online');
        await expect(chatDialog(page).getByText('Hi! Happy to help. What is your order number?', { exact: true })).toBeVisible();
        expect(tokenCalls(adapter, callsSince(before, await sandbox.calls()))).toEqual(renewCalls);
        await sendMessage(page, 'Still there?');
        await expect.poll(async () => (await sandbox.openConversation()).messages.map((m) => m.text)).toContain('Still there?');
        const after = await sandbox.openConversation();
        expect(after.id).toBe(conversation.id);
        expect(after.consumerId).toBe(conversation.consumerId);
      } else {
        // The window ended with the token: the visitor is told, and a new identity chats on.
        await openChat(page);
        await expect(chatDialog(page).getByText(/previous chat could not be resumed/i)).toBeVisible();
        await expect.poll(async () => tokenCalls(adapter, callsSince(before, await sandbox.calls()))).toEqual({ [VENDORS[adapter].issueCall]: 1 });
        await sendMessage(page, 'Still there?');
        await expect.poll(async () => (await sandbox.conversations()).filter((c) => c.messages.some((m) => m.text === 'Still there?')).length).toBe(1);
        const second = (await sandbox.conversations()).find((c) => c.messages.some((m) => m.text === 'Still there?'))!;
        expect(second.id).not.toBe(conversation.id);
        expect(second.consumerId).not.toBe(conversation.consumerId);
      }
    });

    test('past the refresh window a new identity is issued, the visitor is told, and a new chat works', async ({ page, sandbox, hostPage }) => {
      const clock = { offset: 0 };
      await page.clock.install();
      const first = await startConversation(page, sandbox, hostPage(adapter));

      const before = await comeBackLater(page, sandbox, clock, 731 * HOUR, hostPage(adapter));
      await openChat(page);
      await expect(chatDialog(page).getByText(/previous chat could not be resumed/i)).toBeVisible();
      await expect.poll(async () => callsSince(before, await sandbox.calls())[VENDORS[adapter].issueCall]).toBe(1);

      await sendMessage(page, 'Hello again');
      await expect
        .poll(async () => (await sandbox.conversations()).filter((c) => c.state === 'OPEN' && c.id !== first.id).map((c) => c.messages.map((m) => m.text)))
        .toEqual([['Hello again']]);
      const second = (await sandbox.conversations()).find((c) => c.state === 'OPEN' && c.id !== first.id)!;
      expect(second.consumerId).not.toBe(first.consumerId);
      await sandbox.agentSay(second.id, 'Welcome back!');
      await expect(chatDialog(page).getByText('Welcome back!', { exact: true })).toBeVisible();
    });

    // LivePerson renews the same identity mid-conversation; a Salesforce guest token's expiry is a
    // new identity instead (salesforce.spec.ts).
    if (adapter === 'liveperson')
    test('when the access token expires mid-conversation the widget renews, reconnects and delivers a message typed meanwhile once', async ({
      page,
      sandbox,
      hostPage,
    }) => {
      const closeCodes: number[] = [];
      // Observe (not alter) the socket: every frame passes through to the real sandbox.
      await page.routeWebSocket(/\/messaging\/consumer/, (ws) => {
        const server = ws.connectToServer();
        server.onClose((code) => {
          if (code !== undefined) closeCodes.push(code);
          ws.close({ code, reason: '' });
        });
      });
      const clock = { offset: 0 };
      await page.clock.install();
      const conversation = await startConversation(page, sandbox, hostPage(adapter));
      // A slow exchange keeps the widget renewing long enough for the visitor to type.
      await sandbox.fault({ call: 'lp.authenticate', delayMs: 1_500 });
      const before = await sandbox.calls();

      await travel(page, sandbox, clock, 61 * MIN);
      await expect.poll(() => closeCodes).toContain(4407);
      await sendMessage(page, 'Typed while the token was renewed');

      await expect.poll(async () => (await sandbox.openConversation()).messages.filter((m) => m.text === 'Typed while the token was renewed').length).toBe(1);
      await expect.poll(() => widgetStatus(page)).toBe('online');
      const diff = callsSince(before, await sandbox.calls());
      expect(tokenCalls(adapter, diff)).toEqual({ 'lp.anonymous.refresh': 1, 'lp.authenticate': 1 });
      const after = await sandbox.openConversation();
      expect(after.id).toBe(conversation.id);
      // Give a late duplicate the chance to show up before asserting there is none.
      await page.waitForTimeout(1_000);
      expect((await sandbox.openConversation()).messages.filter((m) => m.text === 'Typed while the token was renewed')).toHaveLength(1);
      await sandbox.agentSay(conversation.id, 'Got it');
      await expect(chatDialog(page).getByText('Got it', { exact: true })).toBeVisible();
    });

    test('a visitor who never clicks causes no sandbox call and creates no IndexedDB database', async ({ page, sandbox, hostPage, sandboxUrl }) => {
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      await page.goto(hostPage(adapter));
      await expect(launcher(page)).toBeVisible();
      await page.waitForLoadState('networkidle');
      await page.waitForTimeout(1_000);

      expect(Object.values(await sandbox.calls()).reduce((a, b) => a + b, 0)).toBe(0);
      expect(requests.filter((url) => url.startsWith(sandboxUrl))).toEqual([]);
      expect(await databaseNames(page)).not.toContain('guestchat');
      // Only the page and the loader: no framework, no vendor code before intent.
      expect(requests.filter((url) => url.includes('/dist/')).map((url) => new URL(url).pathname)).toEqual(['/dist/guestchat.js']);
    });
  });
}

test('a misconfigured tag names the attribute, draws nothing and leaves the page working', async ({ page, hostUrl }) => {
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  // A site that subscribes before the script loads (the documented queue) hears the error too.
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { seenErrors: string[] }).seenErrors = seen;
    (window as unknown as { GuestChat: unknown }).GuestChat = { q: [['on', 'error', (e: { reason: string }) => seen.push(e.reason)]] };
  });
  await page.goto(`${hostUrl}/host?adapter=liveperson&connectorId=guestchat-unauth`);
  await expect.poll(() => errors.join('\n')).toContain('data-account');
  await expect.poll(() => page.evaluate(() => (window as unknown as { seenErrors: string[] }).seenErrors)).toEqual(['config-missing-account']);
  await expect(page.getByRole('button', { name: /chat/i })).toHaveCount(0);
  // The API answers harmlessly: nothing to open, no exception for the site's code.
  const api = await page.evaluate(() => {
    const chat = window.GuestChat as { open(): void; toggle(): void; send(t: string): void; state(): { loaded: boolean; adapter: string | null } };
    chat.open();
    chat.toggle();
    chat.send('hello');
    return chat.state();
  });
  expect(api).toMatchObject({ loaded: false, adapter: null });
  await expect(page.getByRole('button', { name: /chat/i })).toHaveCount(0);
  await page.getByRole('button', { name: 'Host page button' }).click();
  expect(await databaseNames(page)).not.toContain('guestchat');
});
