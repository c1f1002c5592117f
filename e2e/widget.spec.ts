/**
 * The widget as visitors and site owners meet it: accessibility (axe, keyboard only, the live
 * region), the public JS API, a strict-CSP host page and a hostile-CSS host page. One body for
 * both vendors where the flow is the same.
 */
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import {
  ADAPTERS,
  chatDialog,
  expect,
  launcher,
  messageBox,
  openChat,
  sendMessage,
  startConversation,
  test,
} from './support/fixtures.ts';


/** Accessibility violations inside the widget (WCAG 2.2 A and AA rules). */
async function axeViolations(page: Page) {
  const result = await new AxeBuilder({ page }).include('#guestchat').withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']).analyze();
  return result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

for (const adapter of ADAPTERS) {
  test.describe(adapter, () => {
    test('no accessibility violations in any state: launcher, open, mid-conversation, typing, ended, narrow, RTL', async ({ page, sandbox, hostPage }) => {
      await page.goto(hostPage(adapter));
      await expect(launcher(page)).toBeVisible();
      expect(await axeViolations(page), 'launcher').toEqual([]);

      await openChat(page);
      expect(await axeViolations(page), 'open and empty').toEqual([]);
      // 16 px text in the message field: mobile Safari zooms the page into smaller fields on focus.
      const fontSize = await chatDialog(page).getByRole('textbox').evaluate((field) => getComputedStyle(field).fontSize);
      expect(fontSize).toBe('16px');

      await sendMessage(page, 'Hello, I need help with my order');
      await expect.poll(async () => (await sandbox.conversations()).length).toBe(1);
      const conversation = await sandbox.openConversation();
      await sandbox.agentSay(conversation.id, 'Sure — what is your order number? See https://example.com/orders');
      await expect(chatDialog(page).getByRole('link', { name: 'https://example.com/orders' })).toBeVisible();
      expect(await axeViolations(page), 'mid-conversation').toEqual([]);

      await sandbox.agentTyping(conversation.id, true);
      await expect(chatDialog(page).getByText(/is typing/)).toBeVisible();
      expect(await axeViolations(page), 'typing shown').toEqual([]);

      await chatDialog(page).getByRole('button', { name: 'End chat' }).click();
      await expect(chatDialog(page).getByText(/chat has ended/i)).toBeVisible();
      expect(await axeViolations(page), 'conversation ended').toEqual([]);

      await page.setViewportSize({ width: 360, height: 640 });
      const box = await chatDialog(page).boundingBox();
      expect(box && Math.round(box.width)).toBe(360);
      expect(await axeViolations(page), 'narrow viewport').toEqual([]);
    });

    test('right-to-left locale: the panel is rtl and passes axe', async ({ page, hostPage }) => {
      await page.goto(hostPage(adapter, { locale: 'he' }));
      await launcher(page).click();
      await expect(chatDialog(page)).toBeVisible();
      await expect(chatDialog(page).locator('xpath=ancestor::*[@dir][1]')).toHaveAttribute('dir', 'rtl');
      await expect(chatDialog(page).getByRole('textbox', { name: 'הודעה' })).toBeFocused();
      expect(await axeViolations(page)).toEqual([]);
    });

    test('a whole conversation from the keyboard alone, with focus managed', async ({ page, sandbox, hostPage }) => {
      await page.goto(hostPage(adapter));
      await expect(launcher(page)).toBeVisible();
      // Tab from the top of the page to the launcher (it comes after the host page's controls).
      await page.getByRole('button', { name: 'Host page button' }).focus();
      await page.keyboard.press('Tab');
      await expect(launcher(page)).toBeFocused();
      await page.keyboard.press('Enter');
      await expect(chatDialog(page)).toBeVisible();
      await expect(messageBox(page)).toBeFocused();
      await page.keyboard.type('Typed with the keyboard only');
      await page.keyboard.press('Enter');
      await expect(chatDialog(page).getByText('Typed with the keyboard only', { exact: true })).toBeVisible();
      await expect.poll(async () => (await sandbox.conversations()).length).toBe(1);
      await sandbox.agentSay((await sandbox.openConversation()).id, 'Answered.');
      await expect(chatDialog(page).getByText('Answered.', { exact: true })).toBeVisible();
      // Shift+Enter is a new line, not a send.
      await page.keyboard.type('line one');
      await page.keyboard.press('Shift+Enter');
      await page.keyboard.type('line two');
      await expect(messageBox(page)).toHaveValue('line one\nline two');
      await page.keyboard.press('Escape');
      await expect(chatDialog(page)).toBeHidden();
      await expect(launcher(page)).toBeFocused();
      await expect(launcher(page)).toHaveAttribute('aria-expanded', 'false');
      await page.keyboard.press('Enter');
      await expect(messageBox(page)).toBeFocused();
      await expect(messageBox(page)).toHaveValue('line one\nline two');
    });

    test('screen readers hear each new agent message once, with the sender, through a polite live region', async ({ page, sandbox, hostPage }) => {
      const conversation = await startConversation(page, sandbox, hostPage(adapter));
      const live = chatDialog(page).locator('[aria-live="polite"]');
      await expect(live).toHaveCount(1);
      await sandbox.agentSay(conversation.id, 'Your order ships tomorrow.');
      await expect(live).toHaveText(/^(Alex|Agent): Your order ships tomorrow\.$/);
      // The visitor's own messages are not announced back to them.
      await sendMessage(page, 'Great, thanks');
      await expect(live).toHaveText(/Your order ships tomorrow\.$/);
      // The message log itself is not a second live region (no double announcements).
      await expect(chatDialog(page).getByRole('log')).toHaveAttribute('aria-live', 'off');
    });
  });
}

test('the JS API: calls made before the script loaded are queued, events arrive, unsubscribe stops them', async ({ page, sandbox, hostPage }) => {
  await page.addInitScript(() => {
    const seen: string[] = [];
    Object.assign(window, { seen });
    window.GuestChat = {
      q: [
        ['on', 'ready', () => seen.push('ready')],
        ['on', 'open', () => seen.push('open')],
        ['on', 'message', (m: { from: string; text: string }) => seen.push(`message:${m.from}:${m.text}`)],
        ['open'],
      ],
    };
  });
  await page.goto(hostPage('liveperson'));
  await expect(chatDialog(page)).toBeVisible();
  await expect.poll(() => page.evaluate(() => (window as unknown as { seen: string[] }).seen)).toEqual(['ready', 'open']);

  await page.evaluate(() => window.GuestChat && 'send' in window.GuestChat && window.GuestChat.send('Sent through the API'));
  await expect(chatDialog(page).getByText('Sent through the API', { exact: true })).toBeVisible();
  await expect.poll(() => page.evaluate(() => (window as unknown as { seen: string[] }).seen)).toContain('message:visitor:Sent through the API');

  // Unsubscribe: a listener added now hears the first agent message, then nothing after it unsubscribes.
  await page.evaluate(() => {
    const api = window.GuestChat as import('../src/loader/index.ts').GuestChatApi;
    const heard: string[] = [];
    Object.assign(window, { heard });
    const off = api.on('message', (m) => {
      heard.push(m.text);
      off();
    });
  });
  const conversation = await sandbox.openConversation();
  await sandbox.agentSay(conversation.id, 'First reply');
  await sandbox.agentSay(conversation.id, 'Second reply');
  await expect(chatDialog(page).getByText('Second reply', { exact: true })).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { heard: string[] }).heard)).toEqual(['First reply']);

  const state = await page.evaluate(() => (window.GuestChat as import('../src/loader/index.ts').GuestChatApi).state());
  expect(state).toMatchObject({ loaded: true, open: true, status: 'online', adapter: 'liveperson', conversationId: conversation.id });
  await page.evaluate(() => (window.GuestChat as import('../src/loader/index.ts').GuestChatApi).close());
  await expect(chatDialog(page)).toBeHidden();
});

for (const adapter of ADAPTERS) {
  test(`${adapter}: works on a strict-CSP page with no violation`, async ({ page, sandbox, hostPage, sandboxUrl }) => {
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        (window as unknown as { cspViolations?: string[] }).cspViolations ??= [];
        (window as unknown as { cspViolations: string[] }).cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
      });
    });
    const ws = sandboxUrl.replace('http://', 'ws://');
    await page.goto(hostPage(adapter, { page: 'csp', connect: `${sandboxUrl} ${ws}`, img: sandboxUrl }));
    const conversation = await startConversation(page, sandbox, page.url());
    await sandbox.agentSay(conversation.id, 'Styled and connected under a strict policy.');
    await expect(chatDialog(page).getByText('Styled and connected under a strict policy.', { exact: true })).toBeVisible();
    // Styles applied (constructable stylesheets need no exception): the launcher is a 56px circle.
    const size = await launcher(page).evaluate((el) => (el as HTMLElement).offsetWidth);
    expect(size).toBe(56);
    await page.screenshot({ path: test.info().outputPath(`csp-${adapter}.png`) });
    expect(await page.evaluate(() => (window as unknown as { cspViolations?: string[] }).cspViolations ?? [])).toEqual([]);
    expect(violations).toEqual([]);
  });
}

test('a hostile host stylesheet cannot deform the widget, and the widget changes nothing on the host page', async ({ page, sandbox, hostPage, browser }) => {
  // The same widget on a plain page, for reference.
  const plain = await browser.newPage();
  await plain.goto(hostPage('liveperson'));
  const plainLauncher = await plain.getByRole('button', { name: /chat/i }).boundingBox();
  await plain.getByRole('button', { name: /chat/i }).click();
  const reference = {
    launcher: plainLauncher,
    dialog: await plain.getByRole('dialog').boundingBox(),
    font: await plain.getByRole('dialog').getByRole('textbox', { name: 'Message' }).evaluate((el) => getComputedStyle(el).fontSize),
  };
  await plain.close();

  await page.goto(hostPage('liveperson', { page: 'hostile' }));
  const before = await page.evaluate(() => ({
    globals: Object.keys(window).sort(),
    bodyFont: getComputedStyle(document.body).fontFamily,
    h1Color: getComputedStyle(document.querySelector('h1')!).color,
    scroll: [window.scrollX, window.scrollY],
    focus: document.activeElement?.tagName,
  }));
  await expect(launcher(page)).toBeVisible();
  expect(await launcher(page).boundingBox()).toEqual(reference.launcher);

  await openChat(page);
  expect(await chatDialog(page).boundingBox()).toEqual(reference.dialog);
  expect(await messageBox(page).evaluate((el) => getComputedStyle(el).fontSize)).toBe(reference.font);
  await sendMessage(page, 'Hello from a hostile page');
  await expect.poll(async () => (await sandbox.conversations()).length).toBe(1);
  await sandbox.agentSay((await sandbox.openConversation()).id, 'Still looks right.');
  await expect(chatDialog(page).getByText('Still looks right.', { exact: true })).toBeVisible();
  await page.screenshot({ path: test.info().outputPath('hostile-css.png') });
  await page.keyboard.press('Escape');

  const after = await page.evaluate(() => ({
    globals: Object.keys(window).sort(),
    bodyFont: getComputedStyle(document.body).fontFamily,
    h1Color: getComputedStyle(document.querySelector('h1')!).color,
    scroll: [window.scrollX, window.scrollY],
  }));
  expect(after.globals.filter((name) => !before.globals.includes(name))).toEqual([]);
  expect(before.globals).toContain('GuestChat');
  expect(after.bodyFont).toBe(before.bodyFont);
  expect(after.h1Color).toBe(before.h1Color);
  expect(after.scroll).toEqual(before.scroll);
  // Loading the widget never stole focus from the page.
  expect(before.focus).toBe('BODY');
});

test('the ES-module entry: `mount()` from a bundled site starts the same widget and returns the API', async ({ page, sandbox, hostUrl, sandboxUrl }) => {
  const params = new URLSearchParams({ adapter: 'salesforce', scrtUrl: sandboxUrl, orgId: '00D5e000000SBOX', deployment: 'GuestChat_Sandbox' });
  await page.goto(`${hostUrl}/module-host?${params}`);
  // No global is installed by the module entry: the site holds the API it was given.
  expect(await page.evaluate(() => 'GuestChat' in window)).toBe(false);
  const conversation = await startConversation(page, sandbox, page.url());
  await sandbox.agentSay(conversation.id, 'Hello, bundler user.');
  await expect(chatDialog(page).getByText('Hello, bundler user.', { exact: true })).toBeVisible();
  expect(await page.evaluate(() => (window as unknown as { chat: { state(): { status: string } } }).chat.state().status)).toBe('online');
});

test('a long history renders only its newest window; "Show earlier messages" brings more without moving the reader', async ({ page, sandbox, hostPage }) => {
  const conversation = await startConversation(page, sandbox, hostPage('liveperson'));
  for (let i = 1; i <= 60; i++) await sandbox.agentSay(conversation.id, `History line ${i}`);
  await expect(chatDialog(page).getByText('History line 60', { exact: true })).toBeVisible();
  await page.reload();
  await openChat(page);
  await expect(chatDialog(page).getByText('History line 60', { exact: true })).toBeVisible();
  // 62 messages and a "joined" line: the oldest ones are not in the DOM until asked for.
  await expect(chatDialog(page).getByText('History line 5', { exact: true })).toHaveCount(0);
  const earlier = chatDialog(page).getByRole('button', { name: 'Show earlier messages' });
  await earlier.click();
  await expect(chatDialog(page).getByText('History line 5', { exact: true })).toHaveCount(1);
  await expect(earlier).toHaveCount(0);
  // The line that was at the top of the window stays where the reader was.
  await expect(chatDialog(page).getByText('History line 60', { exact: true })).not.toBeInViewport();
});

const QUICK_REPLIES = {
  type: 'quickReplies',
  itemsPerRow: 8,
  replies: [
    { type: 'button', title: 'Track my order', click: { actions: [{ type: 'publishText', text: 'Track my order' }], metadata: [{ type: 'ExternalId', id: 'qr-track' }] } },
    { type: 'button', title: 'Talk to a person', click: { actions: [{ type: 'publishText', text: 'Talk to a person' }], metadata: [{ type: 'ExternalId', id: 'qr-person' }] } },
  ],
};

for (const adapter of ADAPTERS) {
  test(`${adapter}: quick replies are offered as buttons, a tap answers, and they go away`, async ({ page, sandbox, hostPage, sandboxUrl }) => {
    const conversation = await startConversation(page, sandbox, hostPage(adapter));
    const response = await fetch(`${sandboxUrl}/agent/conversations/${conversation.id}/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ text: 'What can I do for you?', quickReplies: QUICK_REPLIES }),
    });
    expect(response.ok).toBe(true);
    const choices = chatDialog(page).getByRole('group', { name: 'Suggested replies' });
    await expect(choices.getByRole('button')).toHaveText(['Track my order', 'Talk to a person']);
    await choices.getByRole('button', { name: 'Track my order' }).click();
    await expect.poll(async () => (await sandbox.openConversation()).messages.filter((m) => m.from === 'consumer').map((m) => m.text)).toContain('Track my order');
    await expect(choices).toHaveCount(0);
    expect(await axeViolations(page)).toEqual([]);
  });
}

test('liveperson: the agent is shown by name and picture, and the post-chat survey sends a rating once', async ({ page, sandbox, hostPage, sandboxUrl }) => {
  const conversation = await startConversation(page, sandbox, hostPage('liveperson'));
  const reply = chatDialog(page).getByRole('listitem').filter({ hasText: 'Hi! Happy to help. What is your order number?' });
  await expect(reply).toContainText('Alex');
  await expect(reply.locator('img.avatar')).toHaveAttribute('src', new RegExp(`^${sandboxUrl}/`));
  await expect(chatDialog(page).getByText('Alex joined the chat', { exact: true })).toBeVisible();

  await chatDialog(page).getByRole('button', { name: 'End chat' }).click();
  const survey = chatDialog(page).getByRole('group', { name: 'How was your chat?' });
  await expect(survey).toBeVisible();
  expect(await axeViolations(page), 'conversation ended with survey').toEqual([]);
  await survey.getByRole('button', { name: /^5 of 5/ }).click();
  await expect(chatDialog(page).getByText('Thanks for your feedback!', { exact: true })).toBeVisible();
  const details = (await (await fetch(`${sandboxUrl}/agent/conversations/${conversation.id}`)).json()) as { csat?: { csatRate?: number } };
  expect(details.csat?.csatRate).toBe(5);
});

test('attention: a reply while the panel is closed shows on the badge and flashes the title until the visitor looks', async ({ page, sandbox, hostPage }) => {
  const conversation = await startConversation(page, sandbox, hostPage('liveperson'));
  await page.keyboard.press('Escape');
  await expect(chatDialog(page)).toBeHidden();
  await sandbox.agentSay(conversation.id, 'Are you still there?');
  await expect(launcher(page)).toHaveAccessibleName(/1 unread/);
  await expect.poll(() => page.title(), { timeout: 5_000 }).toBe('(1) New message');
  await launcher(page).click();
  await expect(chatDialog(page).getByText('Are you still there?', { exact: true })).toBeVisible();
  await expect.poll(() => page.title()).toBe('Host page');
  await expect(launcher(page)).toHaveAccessibleName('Open chat');
});
