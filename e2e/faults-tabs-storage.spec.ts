/**
 * The fault matrix, tabs and storage half (issue 4): broken IndexedDB (missing, refusing to open,
 * full), unreadable records, many tabs of one browser, a message typed offline in one of them,
 * and forget(). Every scenario runs against both vendors and asserts what the visitor sees and
 * what the sandbox received (0 lost, 0 duplicated, the renewals expected), and records its row
 * of the matrix (e2e/support/matrix.ts; `npm run test:faults` prints the table).
 *
 * Faults are made by breaking the browser's own API (e2e/support/storage.ts), never GuestChat's.
 */
import type { BrowserContext, Page } from '@playwright/test';
import { countDelivery, declareMatrixRow, recordMatrixRow } from './support/matrix.ts';
import { callsSince, type SandboxClient } from './support/sandbox-client.ts';
import {
  breakIndexedDb,
  databaseNamesOf,
  listenToWidget,
  originStorage,
  readRawRecord,
  widgetErrors,
  writeRawRecords,
  type IndexedDbFault,
} from './support/storage.ts';
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
  VENDORS,
  type AdapterName,
} from './support/fixtures.ts';

const FIRST_VISITOR = 'Hello, I need help with my order';
const FIRST_AGENT = 'Hi! Happy to help. What is your order number?';
const TENANT: Record<AdapterName, string> = {
  liveperson: 'liveperson:12345678:guestchat-unauth',
  salesforce: 'salesforce:00D5e000000SBOX:GuestChat_Sandbox',
};

// ---- what the visitor sees ---------------------------------------------------------------

const bubble = (page: Page, text: string) => chatDialog(page).getByText(text, { exact: true });
const messageItem = (page: Page, text: string) => chatDialog(page).getByRole('listitem').filter({ has: page.getByText(text, { exact: true }) });
const endedLine = (page: Page) => chatDialog(page).getByText(/the chat has ended/i);
/** The connection status through the public API (undefined until the script has run). */
const widgetStatus = (page: Page) =>
  page.evaluate(() => (window.GuestChat as { state?: () => { status: string } } | undefined)?.state?.().status);
const closeButton = (page: Page) => chatDialog(page).getByRole('button', { name: 'Close chat' });

async function type(page: Page, text: string) {
  await messageBox(page).fill(text);
  await messageBox(page).press('Enter');
  await expect(bubble(page, text)).toBeVisible();
}

// ---- what the sandbox received -----------------------------------------------------------

/** LivePerson renews by refreshing its identity; a Salesforce guest token cannot be renewed, so a new one counts. */
function renewals(adapter: AdapterName, diff: Record<string, number>): number {
  return adapter === 'liveperson' ? (diff['lp.anonymous.refresh'] ?? 0) : (diff['sf.token'] ?? 0);
}

/** Token calls among a diff of call counts. */
function tokenCalls(adapter: AdapterName, diff: Record<string, number>) {
  return Object.fromEntries(Object.entries(diff).filter(([name]) => (VENDORS[adapter].tokenCalls as readonly string[]).includes(name)));
}

/**
 * The end of every scenario: every sent message on the server, one round trip through the agent
 * (a late duplicate has had its chance), the row recorded, then asserted on both sides.
 */
async function settle(
  sandbox: SandboxClient,
  row: { scenario: string; adapter: AdapterName; sent: string[]; before: Record<string, number>; renewals?: number; pages: Page[] },
) {
  await expect
    .poll(async () => countDelivery(row.sent, await sandbox.conversations()).delivered, { message: 'every sent message reaches the server' })
    .toBe(row.sent.length);
  const conversations = await sandbox.conversations();
  const live = conversations.filter((c) => c.messages.some((m) => row.sent.includes(m.text)));
  const marker = `Agent check: ${row.scenario}`;
  await sandbox.agentSay(live.at(-1)!.id, marker);
  for (const p of row.pages) await expect(bubble(p, marker)).toHaveCount(1);

  const delivery = countDelivery(row.sent, await sandbox.conversations());
  const renewed = renewals(row.adapter, callsSince(row.before, await sandbox.calls()));
  recordMatrixRow({ scenario: row.scenario, adapter: row.adapter, delivery, renewals: renewed });
  expect(delivery).toEqual({ sent: row.sent.length, delivered: row.sent.length, lost: 0, duplicated: 0, inOrder: true });
  expect(renewed).toBe(row.renewals ?? 0);
  for (const p of row.pages) {
    for (const text of row.sent) await expect(bubble(p, text)).toHaveCount(1);
    await expect(chatDialog(p).getByText(/Sending…|Not sent/)).toHaveCount(0);
  }
}

/** A second tab of the same browser on the same host page. */
async function openTab(context: BrowserContext, url: string): Promise<Page> {
  const tab = await context.newPage();
  await tab.goto(url);
  return tab;
}

for (const adapter of ADAPTERS) {
  test.describe(`fault matrix · ${adapter}`, () => {
    // 1 -------------------------------------------------------------------------------------
    for (const fault of ['missing', 'open-throws'] as IndexedDbFault[]) {
      const scenario = fault === 'missing' ? 'IndexedDB missing' : 'IndexedDB refuses to open';
      test(`${scenario}: the chat works in memory for the page's life and says storage-unavailable`, async ({ page, sandbox, hostPage }) => {
        declareMatrixRow(scenario, adapter);
        const pageErrors: string[] = [];
        page.on('pageerror', (error) => pageErrors.push(error.message));
        await page.addInitScript(breakIndexedDb, fault);
        await page.addInitScript(listenToWidget);
        const start = await sandbox.calls();

        const conversation = await startConversation(page, sandbox, hostPage(adapter));
        const before = await sandbox.calls();
        const storageErrors = async () => (await widgetErrors(page)).filter((reason) => reason === 'storage-unavailable');
        await expect.poll(storageErrors).toEqual(['storage-unavailable']);
        // The identity lives in memory: a dropped connection comes back without a new token.
        await sandbox.drop({ adapter });
        await expect.poll(() => widgetStatus(page)).toBe('reconnecting');
        // (Typing is a reason to reconnect at once rather than after the backoff.)
        await type(page, 'Sent after the connection dropped');
        await expect.poll(() => widgetStatus(page)).toBe('online');
        // Closing and reopening the panel keeps the page's history.
        await closeButton(page).click();
        await openChat(page);
        await expect(bubble(page, FIRST_AGENT)).toBeVisible();

        await settle(sandbox, { scenario, adapter, sent: [FIRST_VISITOR, 'Sent after the connection dropped'], before, pages: [page] });
        expect((await sandbox.openConversation()).id).toBe(conversation.id);
        expect(tokenCalls(adapter, callsSince(start, await sandbox.calls()))).toEqual(
          adapter === 'liveperson' ? { 'lp.anonymous.issue': 1, 'lp.authenticate': 1 } : { 'sf.token': 1 },
        );
        // Said once, not once per failed read or write.
        expect(await storageErrors()).toEqual(['storage-unavailable']);
        expect(await databaseNamesOf(page)).not.toContain('guestchat');
        expect(pageErrors).toEqual([]);
      });
    }

    // 2 -------------------------------------------------------------------------------------
    test('IndexedDB full (QuotaExceededError on write) mid-conversation: handled, the chat goes on, nothing lost', async ({ page, sandbox, hostPage }) => {
      const scenario = 'IndexedDB quota exceeded on write';
      declareMatrixRow(scenario, adapter);
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.addInitScript(breakIndexedDb, 'quota-on-write' as IndexedDbFault);
      await page.addInitScript(listenToWidget);
      await startConversation(page, sandbox, hostPage(adapter));
      const before = await sandbox.calls();
      // Network trouble is not this scenario's business; storage errors are.
      const storageErrors = async () => (await widgetErrors(page)).filter((reason) => reason === 'storage-unavailable');
      expect(await storageErrors()).toEqual([]);

      // The disk fills up; the connection drops; the visitor writes on meanwhile.
      await page.evaluate(() => ((window as unknown as { __quotaFull: boolean }).__quotaFull = true));
      await type(page, 'Written when the disk was full');
      await expect.poll(storageErrors).toEqual(['storage-unavailable']);
      await sandbox.drop({ adapter });
      await type(page, 'Written while reconnecting');
      await type(page, 'Written after that');

      await settle(sandbox, {
        scenario,
        adapter,
        sent: ['Written when the disk was full', 'Written while reconnecting', 'Written after that'],
        before,
        pages: [page],
      });
      // Reported once, not once per failed write.
      expect(await storageErrors()).toEqual(['storage-unavailable']);
      expect(pageErrors).toEqual([]);
    });

    // 3 -------------------------------------------------------------------------------------
    const unreadable: Record<string, (tenant: string) => [string, unknown][]> = {
      'corrupted record': (tenant) => [
        [tenant, { v: 1, adapter, tenant, identity: { token: 42, issuedAt: 'yesterday' }, conversation: { id: 'conversation-from-a-corrupted-record' } }],
        [`${tenant}#outbox`, '%%% not an outbox %%%'],
      ],
      'older-version record': (tenant) => [
        [
          tenant,
          {
            v: 0,
            adapter,
            tenant,
            token: 'eyJold.token.value',
            identity: { token: 'old-external-token', subject: 'old-subject', issuedAt: 1, expiresAt: 2, windowEndsAt: 3 },
            conversation: { id: 'conversation-from-an-older-version' },
          },
        ],
        [`${tenant}#outbox`, [{ id: 'old-shape', body: 'an outbox entry of another version' }, null, 7]],
      ],
    };
    for (const [kind, records] of Object.entries(unreadable)) {
      test(`a ${kind} is discarded without a crash: no call before intent, a new identity, the chat works`, async ({ page, sandbox, hostPage, hostUrl }) => {
        const scenario = kind === 'corrupted record' ? 'corrupted stored record' : 'older-version stored record';
        declareMatrixRow(scenario, adapter);
        const pageErrors: string[] = [];
        page.on('pageerror', (error) => pageErrors.push(error.message));
        await page.addInitScript(listenToWidget);
        // Written on the host's origin before the widget's page loads.
        await page.goto(`${hostUrl}/not-the-widget`);
        await writeRawRecords(page, records(TENANT[adapter]));
        const before = await sandbox.calls();

        await page.goto(hostPage(adapter));
        await expect(launcher(page)).toBeVisible();
        await page.waitForLoadState('networkidle');
        // The stored conversation id is not to be trusted: nothing is resumed, nothing minted.
        expect(tokenCalls(adapter, callsSince(before, await sandbox.calls()))).toEqual({});

        await openChat(page);
        await sendMessage(page, 'Hello after a bad record');
        await expect.poll(async () => (await sandbox.conversations()).length).toBe(1);
        const conversation = await sandbox.openConversation();
        await sandbox.agentSay(conversation.id, 'Hello, new visitor');
        await expect(bubble(page, 'Hello, new visitor')).toBeVisible();
        const afterIssue = await sandbox.calls();
        expect(tokenCalls(adapter, callsSince(before, afterIssue))[VENDORS[adapter].issueCall]).toBe(1);
        // The record now is a valid one of this version, for the new identity.
        const stored = (await readRawRecord(page, TENANT[adapter])) as { v: number; identity: { token: string; subject: string }; conversation?: { id: string } };
        expect(stored.v).toBe(1);
        expect(stored.conversation?.id).toBe(conversation.id);
        expect(stored.identity.subject).not.toBe('old-subject');
        expect(stored.identity.token).not.toBe('old-external-token');
        await sendMessage(page, 'And a second message');
        // Renewals counted from the new identity on (its own issue is not one).
        await settle(sandbox, { scenario, adapter, sent: ['Hello after a bad record', 'And a second message'], before: afterIssue, pages: [page] });
        // Nothing of the unreadable outbox was sent or shown.
        await expect(chatDialog(page).getByText(/another version|not an outbox/)).toHaveCount(0);
        expect((await sandbox.openConversation()).messages.filter((m) => m.from === 'consumer').map((m) => m.text)).toEqual([
          'Hello after a bad record',
          'And a second message',
        ]);
        expect(pageErrors).toEqual([]);
      });
    }

    // 4 -------------------------------------------------------------------------------------
    test('many tabs agree: messages, unread counts, reading and ending the chat', async ({ page, context, sandbox, hostPage }) => {
      const scenario = 'two tabs: messages, unread, end';
      declareMatrixRow(scenario, adapter);
      const start = await sandbox.calls();
      const conversation = await startConversation(page, sandbox, hostPage(adapter));
      const before = await sandbox.calls();
      const other = await openTab(context, hostPage(adapter));
      // The other tab resumes the open conversation at once (no click), with its history.
      await expect.poll(() => widgetStatus(other)).toBe('online');
      await openChat(other);
      await expect(bubble(other, FIRST_AGENT)).toBeVisible();

      // A message sent in one tab shows in the other.
      await sendMessage(page, 'Sent from the first tab');
      await expect(bubble(other, 'Sent from the first tab')).toHaveCount(1);
      await sendMessage(other, 'Sent from the second tab');
      await expect(bubble(page, 'Sent from the second tab')).toHaveCount(1);

      // Both panels closed: an agent message is unread on both launchers.
      await closeButton(page).click();
      await closeButton(other).click();
      await sandbox.agentSay(conversation.id, 'Are you still there?');
      await expect(launcher(page)).toHaveAccessibleName(/1 unread/);
      await expect(launcher(other)).toHaveAccessibleName(/1 unread/);
      // Reading it in one tab clears the other's badge.
      await openChat(page);
      await expect(bubble(page, 'Are you still there?')).toBeVisible();
      await expect(launcher(other)).not.toHaveAccessibleName(/unread/);
      await expect.poll(() => other.evaluate(() => (window.GuestChat as { state(): { unread: number } }).state().unread)).toBe(0);

      await settle(sandbox, { scenario, adapter, sent: ['Sent from the first tab', 'Sent from the second tab'], before, pages: [page] });
      await openChat(other);
      // Ending the chat in one tab ends it in all.
      await chatDialog(page).getByRole('button', { name: 'End chat' }).click();
      await expect(endedLine(page)).toBeVisible();
      await expect(endedLine(other)).toBeVisible();
      await expect(chatDialog(other).getByRole('button', { name: 'End chat' })).toHaveCount(0);
      await expect.poll(async () => (await sandbox.conversations()).map((c) => c.state)).toEqual(['CLOSE']);
      // One conversation for both tabs, no ghost chat; the second tab cost no new identity.
      const diff = tokenCalls(adapter, callsSince(start, await sandbox.calls()));
      expect(diff[VENDORS[adapter].issueCall]).toBe(1);
      expect(diff).toEqual(adapter === 'liveperson' ? { 'lp.anonymous.issue': 1, 'lp.authenticate': 1 } : { 'sf.token': 1, 'sf.continuation': 1 });
    });

    // 5 -------------------------------------------------------------------------------------
    test('a message typed offline in one tab shows as sending in the other too and is delivered once', async ({ page, context, sandbox, hostPage }) => {
      const scenario = 'offline message across two tabs';
      declareMatrixRow(scenario, adapter);
      await startConversation(page, sandbox, hostPage(adapter));
      const before = await sandbox.calls();
      const other = await openTab(context, hostPage(adapter));
      await expect.poll(() => widgetStatus(other)).toBe('online');
      await openChat(other);

      await context.setOffline(true);
      await sandbox.drop({ adapter });
      await expect.poll(() => widgetStatus(page)).toBe('reconnecting');
      await expect.poll(() => widgetStatus(other)).toBe('reconnecting');
      await type(page, 'Typed while offline');
      await expect(messageItem(other, 'Typed while offline')).toContainText('Sending…');
      await expect(messageItem(page, 'Typed while offline')).toContainText('Sending…');

      await context.setOffline(false);
      await settle(sandbox, { scenario, adapter, sent: ['Typed while offline'], before, pages: [page, other] });
    });

    // 6 -------------------------------------------------------------------------------------
    test('forget() leaves nothing behind in this tab and tears down the other tab too', async ({ page, context, sandbox, hostPage }) => {
      const scenario = 'forget() with two tabs';
      declareMatrixRow(scenario, adapter);
      const conversation = await startConversation(page, sandbox, hostPage(adapter));
      const before = await sandbox.calls();
      const other = await openTab(context, hostPage(adapter));
      await expect.poll(() => widgetStatus(other)).toBe('online');
      await openChat(other);
      await expect(bubble(other, FIRST_AGENT)).toBeVisible();
      expect((await originStorage(page)).databases).toContain('guestchat');

      await page.evaluate(() => (window.GuestChat as { forget(): Promise<void> }).forget());
      const nothing = { databases: [], localStorage: [], sessionStorage: [], caches: [] };
      expect(await originStorage(page)).toEqual(nothing);
      // The other tab's widget is gone too: no panel, no conversation, no badge.
      await expect(chatDialog(other)).toHaveCount(0);
      await expect(chatDialog(page)).toHaveCount(0);
      // An agent message now reaches neither tab, and neither writes storage back.
      await sandbox.agentSay(conversation.id, 'Anyone there?');
      await expect(launcher(other)).not.toHaveAccessibleName(/unread/);
      await expect(launcher(page)).not.toHaveAccessibleName(/unread/);
      expect(await originStorage(other)).toEqual(nothing);
      const delivery = countDelivery([FIRST_VISITOR], await sandbox.conversations());
      recordMatrixRow({ scenario, adapter, delivery, renewals: renewals(adapter, callsSince(before, await sandbox.calls())) });

      // The launcher still works in both: a fresh start, nothing of the old chat.
      for (const tab of [page, other]) {
        await openChat(tab);
        await expect(bubble(tab, FIRST_AGENT)).toHaveCount(0);
        await expect(bubble(tab, 'Anyone there?')).toHaveCount(0);
      }
      await sendMessage(other, 'A new start');
      await expect.poll(async () => (await sandbox.conversations()).filter((c) => c.state === 'OPEN' && c.id !== conversation.id).length).toBe(1);
      const fresh = (await sandbox.conversations()).find((c) => c.id !== conversation.id)!;
      expect(fresh.consumerId).not.toBe(conversation.consumerId);
      expect(delivery).toEqual({ sent: 1, delivered: 1, lost: 0, duplicated: 0, inOrder: true });
    });

    test('forget() from a tab where the app never loaded tears down the tab where it runs', async ({ page, context, sandbox, hostPage }) => {
      // The visitor opened the chat in one tab but wrote nothing: no conversation, so a second
      // tab has no reason to load the app.
      await page.goto(hostPage(adapter));
      await openChat(page);
      await expect.poll(() => widgetStatus(page)).toBe('online');
      const other = await openTab(context, hostPage(adapter));
      await expect(launcher(other)).toBeVisible();
      await expect.poll(() => other.evaluate(() => (window.GuestChat as { state(): { loaded: boolean } }).state().loaded)).toBe(false);
      expect((await originStorage(other)).databases).toContain('guestchat');

      await other.evaluate(() => (window.GuestChat as { forget(): Promise<void> }).forget());
      const nothing = { databases: [], localStorage: [], sessionStorage: [], caches: [] };
      expect(await originStorage(other)).toEqual(nothing);
      await expect(chatDialog(page)).toHaveCount(0);
      expect(await page.evaluate(() => (window.GuestChat as { state(): { loaded: boolean } }).state().loaded)).toBe(false);
      // The torn-down tab does not write its identity back.
      await sandbox.drop({ adapter });
      await page.waitForTimeout(500);
      expect(await originStorage(page)).toEqual(nothing);
      // And its launcher starts afresh.
      const before = await sandbox.calls();
      await openChat(page);
      await sendMessage(page, 'Hello after forgetting');
      await expect.poll(async () => countDelivery(['Hello after forgetting'], await sandbox.conversations()).delivered).toBe(1);
      expect(callsSince(before, await sandbox.calls())[VENDORS[adapter].issueCall]).toBe(1);
    });
  });
}
