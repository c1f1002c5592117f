/**
 * Secrets (issue 4; LivePerson checklist "Widget must" 1): across a whole conversation with
 * renewal — LivePerson: issue, refresh, authenticate; Salesforce: guest token, continuation —
 * no token appears in any URL the page requests, in any console message (with data-debug, every
 * public event is logged), or in any `error` event. Tokens are harvested from what the sandbox
 * actually answered and what the widget actually sent, so the check knows every one of them.
 * The built files hold no client secret, AppJWT, sentinel URL or on-behalf header.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { JWT_PATTERN } from './support/payloads.ts';
import { callsSince } from './support/sandbox-client.ts';
import {
  ADAPTERS,
  MIN,
  chatDialog,
  expect,
  openChat,
  sendMessage,
  startConversation,
  test,
} from './support/fixtures.ts';

const DIST = join(import.meta.dirname, '..', 'dist');

interface Observed {
  tokens: Set<string>;
  urls: string[];
  console: Promise<string>[];
}

/** Watches the page: request URLs (HTTP and WebSocket), console output, and every token it handles. */
function observe(page: Page, sandboxUrl: string): Observed {
  const seen: Observed = { tokens: new Set(), urls: [], console: [] };
  const harvest = (text: string) => {
    for (const match of text.matchAll(JWT_PATTERN)) seen.tokens.add(match[0]);
  };
  page.on('request', (request) => {
    seen.urls.push(request.url());
    const authorization = request.headers()['authorization'];
    if (authorization) seen.tokens.add(authorization.replace(/^Bearer\s+/i, ''));
    const body = request.postData();
    if (body) harvest(body);
  });
  page.on('response', async (response) => {
    if (!response.url().startsWith(sandboxUrl)) return;
    const body = await response.text().catch(() => '');
    harvest(body);
    // Salesforce answers its tokens as { accessToken }, LivePerson as { token } / { jwt }.
    try {
      const json = JSON.parse(body) as Record<string, unknown>;
      for (const key of ['accessToken', 'token', 'jwt', 'access_token']) if (typeof json[key] === 'string') seen.tokens.add(json[key] as string);
    } catch {
      // not JSON: nothing more to harvest
    }
  });
  page.on('websocket', (socket) => {
    seen.urls.push(socket.url());
    socket.on('framesent', (frame) => harvest(String(frame.payload)));
    socket.on('framereceived', (frame) => harvest(String(frame.payload)));
  });
  page.on('console', (message) => {
    seen.console.push(
      Promise.all(message.args().map((arg) => arg.jsonValue().then((v) => JSON.stringify(v), () => String(arg)))).then(
        (args) => `${message.type()} ${message.text()} ${args.join(' ')}`,
      ),
    );
  });
  return seen;
}

/** Error events through the public API, from before the widget loads. */
async function listenForErrors(page: Page) {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { seenErrors: string[] }).seenErrors = seen;
    (window as unknown as { GuestChat: unknown }).GuestChat = { q: [['on', 'error', (e: unknown) => seen.push(JSON.stringify(e))]] };
  });
  return () => page.evaluate(() => (window as unknown as { seenErrors: string[] }).seenErrors);
}

function leaks(texts: string[], tokens: Set<string>): string[] {
  const found: string[] = [];
  for (const text of texts) {
    if (JWT_PATTERN.test(text)) found.push(`JWT-shaped: ${text.slice(0, 200)}`);
    JWT_PATTERN.lastIndex = 0;
    for (const token of tokens) {
      // The signature alone is as secret as the whole token.
      const signature = token.split('.').at(-1) ?? token;
      if (text.includes(token) || (signature.length >= 16 && text.includes(signature))) found.push(`token in: ${text.slice(0, 200)}`);
    }
  }
  return found;
}

/** Moves the sandbox's clock and the page's together. */
async function travel(page: Page, sandbox: { advanceClock(ms: number): Promise<void> }, ms: number, state: { offset: number }) {
  state.offset += ms;
  await sandbox.advanceClock(ms);
  await page.clock.setSystemTime(Date.now() + state.offset);
}


for (const adapter of ADAPTERS) {
  test(`${adapter}: no token in any URL, console line or error event across a conversation with renewal`, async ({ page, sandbox, hostPage, sandboxUrl }) => {
    const seen = observe(page, sandboxUrl);
    const errors = await listenForErrors(page);
    await page.clock.install();
    const url = hostPage(adapter, { debug: '' });
    const start = await sandbox.calls();
    const conversation = await startConversation(page, sandbox, url);

    if (adapter === 'liveperson') {
      // The access token expires mid-conversation: refresh, then authenticate, then reconnect.
      await travel(page, sandbox, 61 * MIN, { offset: 0 });
      await expect.poll(async () => callsSince(start, await sandbox.calls())['lp.authenticate'] ?? 0).toBe(2);
    } else {
      // A reload: the continuation token the contract asks for, once per page.
      await page.reload();
      await openChat(page);
    }
    await sendMessage(page, 'After the renewal');
    await expect.poll(async () => (await sandbox.openConversation()).messages.map((m) => m.text)).toContain('After the renewal');
    // An error event, so the error check below has something to look at.
    await sandbox.drop({ adapter });
    await expect.poll(async () => (await errors()).length).toBeGreaterThan(0);
    await sandbox.agentSay(conversation.id, 'Still here');
    await expect(chatDialog(page).getByText('Still here', { exact: true })).toBeVisible();

    const diff = callsSince(start, await sandbox.calls());
    if (adapter === 'liveperson') {
      expect(diff).toMatchObject({ 'lp.anonymous.issue': 1, 'lp.anonymous.refresh': 1, 'lp.authenticate': 2 });
    } else {
      expect(diff).toMatchObject({ 'sf.token': 1, 'sf.continuation': 1 });
    }
    // Every token was seen (issued, refreshed, exchanged), so the checks below are not vacuous.
    expect(seen.tokens.size).toBeGreaterThanOrEqual(adapter === 'liveperson' ? 4 : 2);
    const consoleLines = await Promise.all(seen.console);
    expect(consoleLines.some((line) => line.includes('[GuestChat]') && line.includes('token'))).toBe(true);

    expect(leaks(seen.urls, seen.tokens)).toEqual([]);
    expect(leaks(consoleLines, seen.tokens)).toEqual([]);
    expect(leaks(await errors(), seen.tokens)).toEqual([]);
    // The widget talks only to its vendor's documented endpoints on the sandbox.
    const paths = [...new Set(seen.urls.filter((u) => u.startsWith(sandboxUrl) || u.startsWith(sandboxUrl.replace('http', 'ws'))).map((u) => new URL(u).pathname))];
    const allowed =
      adapter === 'liveperson'
        ? /^\/(api\/account\/12345678\/service\/[\w.]+\/baseURI\.json|api\/account\/12345678\/anonymous\/authorize|api\/account\/12345678\/app\/[\w-]+\/authenticate|api\/account\/12345678\/messaging\/consumer.*|ws_api\/account\/12345678\/messaging\/consumer|api\/account\/12345678\/configuration\/le-users\/users\/.*|agent\/avatar\.svg)$/
        : /^\/(iamessage\/api\/v2\/.*|eventrouter\/v1\/sse)$/;
    expect(paths.filter((p) => !allowed.test(p))).toEqual([]);
  });
}

test('the built files hold no client secret, AppJWT, sentinel URL or on-behalf header', () => {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else if (/\.(js|map|mjs|d\.ts)$/.test(entry.name)) files.push(join(dir, entry.name));
    }
  };
  walk(DIST);
  expect(files.some((f) => f.endsWith('liveperson.js'))).toBe(true);
  // The code a site serves names none of the server-side credentials or endpoints. (Source maps
  // carry the sources' comments, which may name them to say they stay on a server: they are
  // checked for the credentials themselves instead.)
  const code = [/client_secret/i, /appjwt/i, /sentinel/i, /x-lp-on-behalf/i];
  const credentials = [/client_secret["']?\s*[:=]/i, /x-lp-on-behalf["']?\s*[:=]/i, JWT_PATTERN];
  const found = files.flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    const patterns = file.endsWith('.map') ? credentials : [...code, ...credentials];
    return patterns.filter((pattern) => new RegExp(pattern.source, pattern.flags.replace('g', '')).test(text)).map((pattern) => `${file}: ${pattern}`);
  });
  expect(found).toEqual([]);
});
