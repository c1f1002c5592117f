/**
 * Shared e2e fixtures. Each Playwright worker runs its own sandbox (in process, on a free port of
 * 127.0.0.1) and its own host-page server (on localhost): two origins, as on a real site. Every
 * test starts from a reset sandbox and a fresh browser context (no storage).
 */
import { test as base, expect, type Page } from '@playwright/test';
import { startSandbox } from '../../src/sandbox/index.ts';
import { startHostServer } from './host-server.ts';
import { SandboxClient, type AgentConversation } from './sandbox-client.ts';

export type AdapterName = 'liveperson' | 'salesforce';

/** The direct vendors every shared spec body runs against. */
export const ADAPTERS: readonly AdapterName[] = ['liveperson', 'salesforce'];
export const MIN = 60_000;
export const HOUR = 60 * MIN;

/**
 * What differs between vendors, as the contracts say: script-tag attributes, token call names,
 * what a returning visitor costs, and what happens past the access token's expiry (LivePerson
 * renews the same identity inside its 730-hour window; a Salesforce guest token cannot be
 * renewed, so its window ends at its expiry and a new identity follows).
 */
export const VENDORS = {
  liveperson: {
    attributes: (sandbox: string) => ({ adapter: 'liveperson', account: '12345678', connectorId: 'guestchat-unauth', domainApi: sandbox }),
    tokenCalls: ['lp.anonymous.issue', 'lp.anonymous.refresh', 'lp.authenticate'],
    issueCall: 'lp.anonymous.issue',
    /** Token calls of a reload while the access token is valid: none. */
    reloadCalls: {},
    /** Token calls of a return after the access token expired, inside the window. */
    renewCalls: { 'lp.anonymous.refresh': 1, 'lp.authenticate': 1 } as Record<string, number> | undefined,
    chunk: 'liveperson.js',
  },
  salesforce: {
    attributes: (sandbox: string) => ({ adapter: 'salesforce', scrtUrl: sandbox, orgId: '00D5e000000SBOX', deployment: 'GuestChat_Sandbox' }),
    tokenCalls: ['sf.token', 'sf.continuation'],
    issueCall: 'sf.token',
    /** The one continuation token per page load the contract asks for (§1.2). */
    reloadCalls: { 'sf.continuation': 1 },
    renewCalls: undefined as Record<string, number> | undefined,
    chunk: 'salesforce.js',
  },
} as const;

interface WorkerFixtures {
  sandboxUrl: string;
  hostUrl: string;
}

interface TestFixtures {
  sandbox: SandboxClient;
  /** URL of a host page embedding the widget for a vendor, with extra data-* attributes. */
  hostPage: (adapter: AdapterName, extra?: Record<string, string>) => string;
}

export const test = base.extend<TestFixtures, WorkerFixtures>({
  sandboxUrl: [
    async ({}, use) => {
      const sandbox = await startSandbox({ port: 0, quiet: true });
      await use(sandbox.url);
      await sandbox.close();
    },
    { scope: 'worker' },
  ],
  hostUrl: [
    async ({}, use) => {
      const host = await startHostServer();
      await use(host.url);
      await host.close();
    },
    { scope: 'worker' },
  ],
  sandbox: async ({ sandboxUrl }, use) => {
    const client = new SandboxClient(sandboxUrl);
    await client.reset();
    await use(client);
  },
  hostPage: async ({ hostUrl, sandboxUrl }, use) => {
    await use((adapter, extra = {}) => {
      const params = new URLSearchParams({ ...VENDORS[adapter].attributes(sandboxUrl), ...extra });
      return `${hostUrl}/host?${params}`;
    });
  },
});

export { expect };

// ---- what a visitor does -----------------------------------------------------------------

export const launcher = (page: Page) => page.getByRole('button', { name: /chat/i }).first();
export const chatDialog = (page: Page) => page.getByRole('dialog');
export const messageBox = (page: Page) => chatDialog(page).getByRole('textbox', { name: 'Message' });

export async function openChat(page: Page) {
  await launcher(page).click();
  await expect(chatDialog(page)).toBeVisible();
}

export async function sendMessage(page: Page, text: string) {
  await messageBox(page).fill(text);
  await messageBox(page).press('Enter');
  await expect(chatDialog(page).getByText(text, { exact: true })).toBeVisible();
}

/** Names of the IndexedDB databases the page's origin holds. */
export function databaseNames(page: Page): Promise<string[]> {
  return page.evaluate(async () => (await indexedDB.databases()).map((db) => db.name ?? ''));
}

/** The widget's connection status, through the public API. */
export const widgetStatus = (page: Page) => page.evaluate(() => (window.GuestChat as { state(): { status: string } }).state().status);

/** A visitor who has chatted: one message each way, both shown. */
export async function startConversation(page: Page, sandbox: SandboxClient, url: string): Promise<AgentConversation> {
  await page.goto(url);
  await openChat(page);
  await sendMessage(page, 'Hello, I need help with my order');
  await expect
    .poll(async () => (await sandbox.conversations()).map((c) => c.messages.map((m) => [m.from, m.text])))
    .toEqual([[['consumer', 'Hello, I need help with my order']]]);
  const conversation = await sandbox.openConversation();
  await sandbox.agentSay(conversation.id, 'Hi! Happy to help. What is your order number?');
  await expect(chatDialog(page).getByText('Hi! Happy to help. What is your order number?', { exact: true })).toBeVisible();
  return conversation;
}
