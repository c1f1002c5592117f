/**
 * The fault matrix, network and server half (issue 4): every scenario runs against both vendors
 * and asserts what the visitor sees (the dialog's messages and status line) and what the sandbox
 * received (the agent transcript and /admin/calls): no message lost, none duplicated, and the
 * expected number of token renewals. Each test records its row of the matrix (e2e/support/matrix.ts);
 * `npm run test:faults` prints the rows as a table.
 *
 * Time: the widget's waits (reconnect backoff, token retries at 5/10/15 s, Retry-After) are
 * skipped with `page.clock` (installed before the page loads, so the widget's timers are fake),
 * never with a test hook in the widget.
 */
import type { BrowserContext, Page } from '@playwright/test';
import { countDelivery, declareMatrixRow, recordMatrixRow } from './support/matrix.ts';
import { callsSince, type SandboxClient } from './support/sandbox-client.ts';
import {
  ADAPTERS,
  MIN,
  HOUR,
  chatDialog,
  expect,
  messageBox,
  openChat,
  startConversation,
  test,
  VENDORS,
  widgetStatus,
  type AdapterName,
} from './support/fixtures.ts';

/** What startConversation says on both sides. */
const FIRST_VISITOR = 'Hello, I need help with my order';
const FIRST_AGENT = 'Hi! Happy to help. What is your order number?';

/** Per vendor: the call that (re)opens the live connection, and the calls that renew a token. */
const CONNECT_CALL: Record<AdapterName, string> = { liveperson: 'lp.ws.connect', salesforce: 'sf.sse.connect' };
/** The first reconnect delay at most: LivePerson 5 s + 20 % jitter (§5.7), Salesforce 1 s + 20 % (§3.6). */
const FIRST_BACKOFF_MAX: Record<AdapterName, number> = { liveperson: 6_000, salesforce: 1_200 };
/** The first reconnect delay at least. */
const FIRST_BACKOFF_MIN: Record<AdapterName, number> = { liveperson: 4_000, salesforce: 1_000 };

// ---- what the visitor sees ---------------------------------------------------------------

/** A message's text as shown in the dialog (one bubble per shown message). */
const bubble = (page: Page, text: string) => chatDialog(page).getByText(text, { exact: true });
/** The list item of a shown message: its text plus its state (Sending…, Not sent, ...). */
const messageItem = (page: Page, text: string) => chatDialog(page).getByRole('listitem').filter({ has: page.getByText(text, { exact: true }) });
/** The connection status line ("Connecting…", "Reconnecting…"). */
const statusLine = (page: Page) => chatDialog(page).getByRole('status').filter({ hasText: /connecting/i });
/** The error line with its retry control. */
const errorAlert = (page: Page) => chatDialog(page).getByRole('alert');

/** Types a message and presses Enter; it shows at once, whatever the network does. */
async function type(page: Page, text: string) {
  await messageBox(page).fill(text);
  await messageBox(page).press('Enter');
  await expect(bubble(page, text)).toBeVisible();
}

// ---- what the sandbox received -----------------------------------------------------------

/** The call counts since `before`, plus the token renewals among them. */
async function renewalsSince(sandbox: SandboxClient, adapter: AdapterName, before: Record<string, number>): Promise<number> {
  const diff = callsSince(before, await sandbox.calls());
  // LivePerson renews by refreshing the identity; a Salesforce guest token cannot be renewed, so
  // any new guest token there would be a replacement — counted, and expected to be 0.
  return adapter === 'liveperson' ? (diff['lp.anonymous.refresh'] ?? 0) : (diff['sf.token'] ?? 0);
}

/**
 * The end of every scenario: wait until the sandbox holds every sent message, make one round
 * trip through the agent (whatever the widget still had in flight has had its chance to arrive
 * twice), record the row, then assert it: every message once, in order, on the server and on
 * screen, nothing left sending, the expected renewals.
 */
async function settle(
  page: Page,
  sandbox: SandboxClient,
  row: { scenario: string; adapter: AdapterName; sent: string[]; before: Record<string, number>; renewals?: number; pages?: Page[] },
) {
  await expect
    .poll(async () => countDelivery(row.sent, await sandbox.conversations()).delivered, { message: 'every sent message reaches the server' })
    .toBe(row.sent.length);
  const conversation = await sandbox.openConversation();
  const marker = `Agent check: ${row.scenario}`;
  await sandbox.agentSay(conversation.id, marker);
  const pages = row.pages ?? [page];
  for (const p of pages) await expect(bubble(p, marker)).toHaveCount(1);

  const delivery = countDelivery(row.sent, await sandbox.conversations());
  const renewals = await renewalsSince(sandbox, row.adapter, row.before);
  recordMatrixRow({ scenario: row.scenario, adapter: row.adapter, delivery, renewals });
  expect(delivery).toEqual({ sent: row.sent.length, delivered: row.sent.length, lost: 0, duplicated: 0, inOrder: true });
  expect(renewals).toBe(row.renewals ?? 0);
  for (const p of pages) {
    for (const text of row.sent) await expect(bubble(p, text)).toHaveCount(1);
    await expect(chatDialog(p).getByText(/Sending…|Not sent/)).toHaveCount(0);
  }
}

/**
 * Lets the page's fake clock run in steps until `done` holds: each step fires the widget's due
 * timers (backoff, retries), then gives the network a moment to answer.
 */
async function runClockUntil(page: Page, done: () => Promise<boolean>, { stepMs = 1_000, maxMs = 60_000 } = {}) {
  for (let elapsed = 0; ; elapsed += stepMs) {
    if (await done()) return;
    if (elapsed >= maxMs) throw new Error(`still waiting after ${maxMs} ms of page time`);
    await page.clock.runFor(stepMs);
    await expect.poll(done, { timeout: 250, intervals: [25, 50, 75] }).toBe(true).catch(() => undefined);
  }
}

const callCount = async (sandbox: SandboxClient, call: string) => (await sandbox.calls())[call] ?? 0;

/**
 * Retries on a schedule: for each `[waitMs, attempts]`, nothing new may happen before `waitMs` of
 * page time (a widget that waits less fails here), then attempt number `attempts` must come.
 * The installed page clock also moves with real time, so the real time since the sandbox received
 * the previous attempt counts (its call log's wall-clock time, not when this test happened to see
 * the count: on a loaded machine that can be seconds later). The widget starts each wait only
 * once that attempt's answer reached it, later still, so an attempt may come later in page time
 * than `waitMs`, never earlier. The margin covers the page time that flows while this check runs
 * (the runFor call's way to the page, the short poll below).
 */
async function expectAttempts(page: Page, sandbox: SandboxClient, call: string, schedule: readonly (readonly [number, number])[], onEach?: (attempts: number) => Promise<void>) {
  let seenAt = Date.now();
  for (const [waitMs, attempts] of schedule) {
    if (waitMs > 0) {
      await page.clock.runFor(Math.max(0, waitMs - (Date.now() - seenAt) - 700));
      // Give a too-early attempt the time to reach the sandbox before saying there was none.
      await expect.poll(() => callCount(sandbox, call), { timeout: 200 }).toBe(attempts).catch(() => undefined);
      expect(await callCount(sandbox, call), `no attempt ${attempts} before ${waitMs} ms`).toBe(attempts - 1);
      await runClockUntil(page, async () => (await callCount(sandbox, call)) >= attempts, { stepMs: 500, maxMs: 10_000 });
    } else {
      await expect.poll(() => callCount(sandbox, call)).toBeGreaterThanOrEqual(attempts);
    }
    expect(await callCount(sandbox, call)).toBe(attempts);
    seenAt = (await sandbox.callLog(call)).at(-1)!.wallAt;
    await onEach?.(attempts);
  }
}

/** Collects the `error` events the widget emits, through the public queue API, from page load on. */
async function listenForErrors(page: Page) {
  await page.addInitScript(() => {
    const seen: { reason: string; message: string }[] = [];
    (window as unknown as { seenErrors: unknown }).seenErrors = seen;
    (window as unknown as { GuestChat: unknown }).GuestChat = { q: [['on', 'error', (e: { reason: string; message: string }) => seen.push({ reason: e.reason, message: e.message })]] };
  });
  return () => page.evaluate(() => (window as unknown as { seenErrors: { reason: string; message: string }[] }).seenErrors);
}

for (const adapter of ADAPTERS) {
  const vendor = VENDORS[adapter];
  const connectCall = CONNECT_CALL[adapter];

  test.describe(`fault matrix · ${adapter}`, () => {
    // 1 ----------------------------------------------------------------------------------------
    test('offline while sending: both messages wait as sending, then arrive once and in order', async ({ page, context, sandbox, hostPage }) => {
      const scenario = 'offline while sending';
      declareMatrixRow(scenario, adapter);
      await startConversation(page, sandbox, hostPage(adapter));
      const before = await sandbox.calls();

      await context.setOffline(true);
      await expect(statusLine(page)).toContainText('Reconnecting');
      const sent = ['First message while offline', 'Second message while offline'];
      for (const text of sent) await type(page, text);
      for (const text of sent) await expect(messageItem(page, text)).toContainText('Sending…');
      await expect(statusLine(page)).toContainText('Reconnecting');
      expect(countDelivery(sent, await sandbox.conversations()).delivered).toBe(0);

      await context.setOffline(false);
      await expect.poll(() => widgetStatus(page)).toBe('online');
      await expect(statusLine(page)).toHaveCount(0);
      await settle(page, sandbox, { scenario, adapter, sent, before });
    });

    // 2 ----------------------------------------------------------------------------------------
    test('reload while a message is unsent: shown once as sending, delivered once when the server is back', async ({ page, sandbox, hostPage }) => {
      const scenario = 'reload with an unsent message';
      declareMatrixRow(scenario, adapter);
      await page.clock.install();
      await startConversation(page, sandbox, hostPage(adapter));
      const before = await sandbox.calls();

      // The vendor is unreachable for the widget (the host page still loads): every reconnect fails.
      await sandbox.fault({ call: connectCall, status: 503, times: 1_000 });
      await sandbox.drop({ adapter });
      await expect(statusLine(page)).toContainText('Reconnecting');
      const sent = ['Typed before the reload'];
      await type(page, sent[0]!);
      await expect(messageItem(page, sent[0]!)).toContainText('Sending…');

      await page.reload();
      await openChat(page);
      await expect(bubble(page, sent[0]!)).toHaveCount(1);
      await expect(messageItem(page, sent[0]!)).toContainText('Sending…');
      await expect(statusLine(page)).toContainText('Reconnecting');
      expect(countDelivery(sent, await sandbox.conversations()).delivered).toBe(0);

      await sandbox.fault({ call: connectCall, times: 0 });
      await runClockUntil(page, async () => (await widgetStatus(page)) === 'online', { stepMs: 2_000 });
      // The history comes back with the connection, the unsent message after it, each once.
      await expect(bubble(page, FIRST_AGENT)).toHaveCount(1);
      await expect(bubble(page, FIRST_VISITOR)).toHaveCount(1);
      await settle(page, sandbox, { scenario, adapter, sent, before });
    });

    // 3 ----------------------------------------------------------------------------------------
    test('the connection drops without a close frame: agent messages meanwhile appear once, a message typed meanwhile is delivered once', async ({
      page,
      sandbox,
      hostPage,
    }) => {
      const scenario = 'drop without close frame';
      declareMatrixRow(scenario, adapter);
      await page.clock.install();
      const conversation = await startConversation(page, sandbox, hostPage(adapter));
      const before = await sandbox.calls();

      // Down for one reconnect attempt, so the agent's messages are surely written while it is.
      await sandbox.fault({ call: connectCall, status: 503, times: 1 });
      await sandbox.drop(); // POST /admin/drop {}: every live connection ends, with no close frame
      await expect(statusLine(page)).toContainText('Reconnecting');
      const written = ['Agent wrote while you were away (1)', 'Agent wrote while you were away (2)'];
      for (const text of written) await sandbox.agentSay(conversation.id, text);
      const sent = ['Visitor wrote while the connection was down'];
      // The visitor's send is a reason to try at once; if that try meets the outage, the backoff follows.
      await type(page, sent[0]!);
      await runClockUntil(page, async () => (await widgetStatus(page)) === 'online');

      for (const text of written) await expect(bubble(page, text)).toHaveCount(1);
      await settle(page, sandbox, { scenario, adapter, sent, before });
      for (const text of [...written, FIRST_AGENT, FIRST_VISITOR]) await expect(bubble(page, text)).toHaveCount(1);
    });

    // 4 ----------------------------------------------------------------------------------------
    test('a transient close: the widget backs off, reconnects and resumes from its cursor with no gap and no duplicate', async ({ page, sandbox, hostPage }) => {
      const scenario = 'transient close, resume';
      declareMatrixRow(scenario, adapter);
      // What the widget asks to resume from: LivePerson's fromSeq, Salesforce's Last-Event-Id.
      const resumes: string[] = [];
      if (adapter === 'liveperson') {
        await page.routeWebSocket(/\/messaging\/consumer/, (ws) => {
          const server = ws.connectToServer();
          ws.onMessage((message) => {
            const frame = JSON.parse(String(message)) as { type?: string; body?: { fromSeq?: number } };
            if (frame.type === 'ms.SubscribeMessagingEvents') resumes.push(String(frame.body?.fromSeq));
            server.send(message);
          });
        });
      } else {
        page.on('request', (request) => {
          if (request.url().includes('/eventrouter/v1/sse')) resumes.push(request.headers()['last-event-id'] ?? '');
        });
      }
      await page.clock.install();
      const conversation = await startConversation(page, sandbox, hostPage(adapter));
      const before = await sandbox.calls();
      const resumesBefore = resumes.length;

      // LivePerson: close code 1000 (transient, §5.7); Salesforce: the stream ends cleanly (SSE has no codes).
      const droppedAt = Date.now();
      await sandbox.drop({ adapter, closeCode: 1000 });
      await expect(statusLine(page)).toContainText('Reconnecting');
      const written = ['Written during the backoff (1)', 'Written during the backoff (2)'];
      for (const text of written) await sandbox.agentSay(conversation.id, text);
      // Not at once: the widget waits its backoff first (the page clock also moves with real time).
      await page.clock.runFor(Math.max(0, FIRST_BACKOFF_MIN[adapter] - (Date.now() - droppedAt) - 300));
      expect(callsSince(before, await sandbox.calls())[connectCall] ?? 0).toBe(0);
      await page.clock.runFor(FIRST_BACKOFF_MAX[adapter] - FIRST_BACKOFF_MIN[adapter] + 1_000);
      await expect.poll(() => widgetStatus(page)).toBe('online');
      expect(callsSince(before, await sandbox.calls())[connectCall]).toBe(1);

      for (const text of written) await expect(bubble(page, text)).toHaveCount(1);
      // It resumed from where it was (a cursor it held), not from the start.
      const resumedFrom = resumes.slice(resumesBefore);
      expect(resumedFrom).toHaveLength(1);
      if (adapter === 'liveperson') expect(Number(resumedFrom[0])).toBeGreaterThan(0);
      else expect(Number(resumedFrom[0])).toBeGreaterThan(Number(resumes[resumesBefore - 1] || 0));

      const sent = ['Typed after the resume'];
      await type(page, sent[0]!);
      await settle(page, sandbox, { scenario, adapter, sent, before });
      for (const text of [...written, FIRST_AGENT, FIRST_VISITOR]) await expect(bubble(page, text)).toHaveCount(1);
    });

    // 5 ----------------------------------------------------------------------------------------
    test('the token issue fails with 503 twice, then succeeds: the visitor sees connecting, the chat works', async ({ page, sandbox, hostPage }) => {
      const scenario = 'token issue 503 ×2';
      declareMatrixRow(scenario, adapter);
      await page.clock.install();
      await sandbox.fault({ call: vendor.issueCall, status: 503, times: 2 });
      const before = await sandbox.calls();
      await page.goto(hostPage(adapter));
      await openChat(page);
      const sent = ['Hello through a flaky token service'];
      await type(page, sent[0]!);

      // Retries after 5 and 10 s (LivePerson's advice for 5xx, used for both vendors).
      await expectAttempts(page, sandbox, vendor.issueCall, [[0, 1], [5_000, 2], [10_000, 3]], async (attempts) => {
        if (attempts === 3) return;
        await expect(statusLine(page)).toHaveText('Connecting…');
        await expect(errorAlert(page)).toHaveCount(0);
      });
      await expect.poll(() => widgetStatus(page)).toBe('online');
      const online = await sandbox.calls();
      const diff = callsSince(before, online);
      expect(diff[vendor.issueCall]).toBe(3);
      if (adapter === 'liveperson') expect(diff['lp.authenticate']).toBe(1);
      await settle(page, sandbox, { scenario, adapter, sent, before: online });
      expect(new Set((await sandbox.conversations()).map((c) => c.consumerId)).size).toBe(1);
    });

    // 6 ----------------------------------------------------------------------------------------
    test('a token call answered 429 with Retry-After: no second attempt before it', async ({ page, sandbox, hostPage }) => {
      const scenario = 'token 429 Retry-After';
      declareMatrixRow(scenario, adapter);
      // Salesforce exposes Retry-After to the browser (contract §4), so the widget can honour a wait
      // longer than its own 5 s. LivePerson's IdP exposes no header cross-origin (LP §2 [SB]): the
      // widget cannot read it and waits its own 5 s, which is ≥ LivePerson's documented "429 → ≥ 1 s";
      // the header asks for 3 s here, under that floor.
      const retryAfterSec = adapter === 'salesforce' ? 20 : 3;
      const earliestMs = adapter === 'salesforce' ? 20_000 : 5_000;
      await page.clock.install();
      await sandbox.fault({ call: vendor.issueCall, status: 429, retryAfterSec, times: 1 });
      const before = await sandbox.calls();
      await page.goto(hostPage(adapter));
      await openChat(page);
      const sent = ['Hello after a rate limit'];
      await type(page, sent[0]!);
      await expectAttempts(page, sandbox, vendor.issueCall, [[0, 1], [earliestMs, 2]], async (attempts) => {
        if (attempts === 1) await expect(statusLine(page)).toHaveText('Connecting…');
      });
      const log = await sandbox.callLog(vendor.issueCall);
      expect(log).toHaveLength(2);
      await expect.poll(() => widgetStatus(page)).toBe('online');
      expect(callsSince(before, await sandbox.calls())[vendor.issueCall]).toBe(2);
      await settle(page, sandbox, { scenario, adapter, sent, before: await sandbox.calls() });
    });

    // 7 ----------------------------------------------------------------------------------------
    test('token calls fail persistently: after the retries a clear error with "Try again"; pressing it once the server is back works', async ({
      page,
      sandbox,
      hostPage,
    }) => {
      const scenario = 'token 5xx persistent, Try again';
      declareMatrixRow(scenario, adapter);
      const errors = await listenForErrors(page);
      await page.clock.install();
      await sandbox.fault({ call: vendor.issueCall, status: 503, times: 1_000 });
      const before = await sandbox.calls();
      await page.goto(hostPage(adapter));
      await openChat(page);
      const sent = ['Hello while the token service is down'];
      await type(page, sent[0]!);

      // The first attempt and three retries, after 5, 10 and 15 s; then the widget waits for the visitor.
      await expectAttempts(page, sandbox, vendor.issueCall, [[0, 1], [5_000, 2], [10_000, 3], [15_000, 4]]);
      await expect(errorAlert(page)).toContainText('Chat is unavailable right now.');
      await expect(statusLine(page)).toHaveCount(0);
      await expect(messageItem(page, sent[0]!)).toContainText('Sending…');
      await page.clock.runFor(10 * MIN);
      expect(await callCount(sandbox, vendor.issueCall)).toBe(4);
      expect((await errors()).map((e) => e.reason)).toContain('server-error');

      await sandbox.fault({ call: vendor.issueCall, times: 0 });
      await errorAlert(page).getByRole('button', { name: 'Try again' }).click();
      await expect.poll(() => widgetStatus(page)).toBe('online');
      await expect(errorAlert(page)).toHaveCount(0);
      expect(callsSince(before, await sandbox.calls())[vendor.issueCall]).toBe(5);
      await settle(page, sandbox, { scenario, adapter, sent, before: await sandbox.calls() });
    });

    // 8 ----------------------------------------------------------------------------------------
    test('a send answered with a server error is retried and delivered once', async ({ page, sandbox, hostPage }) => {
      const scenario = 'send 5xx, retried';
      declareMatrixRow(scenario, adapter);
      await page.clock.install();
      await startConversation(page, sandbox, hostPage(adapter));
      const before = await sandbox.calls();
      if (adapter === 'liveperson') await sandbox.fault({ call: 'lp.ws.ms.PublishEvent', eventType: 'ContentEvent', status: 500, times: 1 });
      else await sandbox.fault({ call: 'sf.message', status: 503, times: 1 });

      const sent = ['A message the server first fails on'];
      await type(page, sent[0]!);
      await runClockUntil(page, async () => countDelivery(sent, await sandbox.conversations()).delivered === 1);
      if (adapter === 'salesforce') expect(callsSince(before, await sandbox.calls())['sf.message']).toBe(2);
      await settle(page, sandbox, { scenario, adapter, sent, before });
    });

    // 9 ----------------------------------------------------------------------------------------
    test('a send whose answer is lost: stored by the server, the connection cut before the answer — once on the server, once on screen', async ({
      page,
      sandbox,
      hostPage,
    }) => {
      const scenario = 'send answer lost';
      declareMatrixRow(scenario, adapter);
      await page.clock.install();
      await startConversation(page, sandbox, hostPage(adapter));
      const before = await sandbox.calls();
      // LivePerson: the publish is stored, then the socket ends with no close frame and no answer;
      // on resume the widget finds its event by the ExternalId metadata it sent. Salesforce: the
      // request's connection is cut after the message was stored; the retry repeats the same
      // message id, which the server takes as a no-op.
      if (adapter === 'liveperson') await sandbox.fault({ call: 'lp.ws.ms.PublishEvent', eventType: 'ContentEvent', after: true });
      else await sandbox.fault({ call: 'sf.message', after: true });

      const sent = ['The answer to this one is lost', 'And one more after it'];
      await type(page, sent[0]!);
      await expect.poll(async () => countDelivery(sent.slice(0, 1), await sandbox.conversations()).delivered).toBe(1);
      await type(page, sent[1]!);
      await runClockUntil(page, async () => countDelivery(sent, await sandbox.conversations()).delivered === 2 && (await widgetStatus(page)) === 'online');
      if (adapter === 'salesforce') expect(callsSince(before, await sandbox.calls())['sf.message']).toBe(3);
      else expect(callsSince(before, await sandbox.calls())['lp.ws.connect']).toBe(1);
      await settle(page, sandbox, { scenario, adapter, sent, before });
    });

    // 10 ---------------------------------------------------------------------------------------
    test('malformed frames and unknown events: an error event with a reason code for what cannot be read, nothing breaks, the chat goes on', async ({
      page,
      sandbox,
      hostPage,
    }) => {
      const scenario = 'malformed and unknown events';
      declareMatrixRow(scenario, adapter);
      const errors = await listenForErrors(page);
      const conversation = await startConversation(page, sandbox, hostPage(adapter));
      const before = await sandbox.calls();
      const pageErrors: Error[] = [];
      page.on('pageerror', (error) => pageErrors.push(error));

      if (adapter === 'liveperson') {
        // Unknown notification types are to be ignored (LP §5.2, widget checklist 5): no error for them.
        expect((await sandbox.lpEmit(JSON.stringify({ kind: 'notification', type: 'ms.FutureThingNotification', body: { x: 1 } }))).sent).toBe(1);
        await sandbox.agentSay(conversation.id, 'After an unknown notification');
        await expect(bubble(page, 'After an unknown notification')).toBeVisible();
        expect(await errors()).toEqual([]);
        // What cannot be read at all is reported and skipped.
        await sandbox.lpEmit('{"kind":"notification","type":');
        await sandbox.lpEmit(JSON.stringify({ kind: 'notification', type: 'ms.MessagingEventNotification', body: { changes: [{ sequence: 'x', event: 7 }] } }));
      } else {
        // Unknown event names are to be ignored, silently (SF §3.4, W6), the cursor still advancing.
        await sandbox.sfEmit({ conversationId: conversation.id, event: 'CONVERSATION_FUTURE_THING', payload: { whatever: true } });
        await sandbox.agentSay(conversation.id, 'After an unknown event');
        await expect(bubble(page, 'After an unknown event')).toBeVisible();
        expect(await errors()).toEqual([]);
        // A known event whose data cannot be read is reported and skipped.
        await sandbox.sfEmit({ conversationId: conversation.id, event: 'CONVERSATION_MESSAGE', data: '{"conversationId": oops' });
        await sandbox.sfEmit({ conversationId: conversation.id, event: 'CONVERSATION_MESSAGE', data: JSON.stringify({ conversationId: conversation.id, conversationEntry: 42 }) });
      }
      await expect.poll(async () => (await errors()).map((e) => e.reason)).toEqual(['bad-server-data', 'bad-server-data']);
      expect(await widgetStatus(page)).toBe('online');
      expect(pageErrors).toEqual([]);

      await sandbox.agentSay(conversation.id, 'The chat goes on');
      await expect(bubble(page, 'The chat goes on')).toHaveCount(1);
      const sent = ['Still here after the garbage'];
      await type(page, sent[0]!);
      await settle(page, sandbox, { scenario, adapter, sent, before });
      // The connection was not dropped over it.
      expect(callsSince(before, await sandbox.calls())[connectCall] ?? 0).toBe(0);
    });

    // 11 ---------------------------------------------------------------------------------------
    for (const skewMs of [HOUR, -HOUR]) {
      const label = skewMs > 0 ? '+1 h' : '−1 h';
      test(`the browser clock is ${label} off the server: first chat and reload work, the reload makes no token call, no premature renewal`, async ({
        page,
        sandbox,
        hostPage,
      }) => {
        const scenario = `clock skew ${label}`;
        declareMatrixRow(scenario, adapter);
        await page.clock.install({ time: Date.now() + skewMs });
        const start = await sandbox.calls();
        await startConversation(page, sandbox, hostPage(adapter));
        // One identity, no renewal (a misread expiry would renew at once).
        const first = callsSince(start, await sandbox.calls());
        expect(first[vendor.issueCall]).toBe(1);
        if (adapter === 'liveperson') expect([first['lp.anonymous.refresh'] ?? 0, first['lp.authenticate']]).toEqual([0, 1]);

        const beforeReload = await sandbox.calls();
        await page.reload();
        await openChat(page);
        await expect(bubble(page, FIRST_AGENT)).toHaveCount(1);
        await expect.poll(() => widgetStatus(page)).toBe('online');
        const reload = callsSince(beforeReload, await sandbox.calls());
        const tokenCalls = Object.fromEntries(Object.entries(reload).filter(([name]) => (vendor.tokenCalls as readonly string[]).includes(name)));
        expect(tokenCalls).toEqual(vendor.reloadCalls);

        const sent = ['Hello across time zones'];
        await type(page, sent[0]!);
        await settle(page, sandbox, { scenario, adapter, sent, before: beforeReload });
      });
    }

    // 12 ---------------------------------------------------------------------------------------
    for (const trigger of ['online', 'visibilitychange', 'pageshow'] as const) {
      test(`reconnects at once on ${trigger}, well before a pending backoff`, async ({ page, context, sandbox, hostPage }) => {
        const scenario = `reconnect at once on ${trigger}`;
        declareMatrixRow(scenario, adapter);
        await page.clock.install();
        await startConversation(page, sandbox, hostPage(adapter));
        const before = await sandbox.calls();

        // Fail reconnects until the pending backoff is long (LivePerson 8–12 s; Salesforce 5–6 s),
        // then let the server recover.
        const failures = adapter === 'liveperson' ? 1 : 5;
        await sandbox.fault({ call: connectCall, status: 503, times: failures });
        await sandbox.drop({ adapter });
        await expect(statusLine(page)).toContainText('Reconnecting');
        for (let n = 1; n <= failures; n++) {
          // Attempt n comes after the backoff of step n − 1: at most its base × 1.2 (jitter).
          const longest = adapter === 'liveperson' ? 6_000 : Math.ceil(1_200 * 1.5 ** (n - 1));
          await runClockUntil(page, async () => (callsSince(before, await sandbox.calls())[connectCall] ?? 0) >= n, { stepMs: longest });
        }
        const attempts = callsSince(before, await sandbox.calls())[connectCall];
        expect(attempts).toBe(failures);
        const triggeredAt = Date.now();
        if (trigger === 'online') {
          await context.setOffline(true);
          await context.setOffline(false);
        } else if (trigger === 'visibilitychange') {
          // The tab comes back to the front (headless Chromium keeps pages visible: the event is the signal).
          await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
        } else {
          // Back from the back/forward cache.
          await page.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pageshow', { persisted: true })));
        }
        // The page clock is not moved: only the event can cause this reconnect before the backoff ends.
        await expect.poll(async () => callsSince(before, await sandbox.calls())[connectCall], { timeout: 3_000 }).toBe(failures + 1);
        await expect.poll(() => widgetStatus(page), { timeout: 3_000 }).toBe('online');
        expect(Date.now() - triggeredAt).toBeLessThan(5_000);

        const sent = [`Typed after the ${trigger} reconnect`];
        await type(page, sent[0]!);
        await settle(page, sandbox, { scenario, adapter, sent, before });
      });
    }

    test('the network comes back while a failing attempt is under way: the next attempt starts at once, not after the backoff', async ({ page, sandbox, hostPage }) => {
      await page.clock.install();
      await startConversation(page, sandbox, hostPage(adapter));
      const before = await sandbox.calls();
      // The first reconnect attempt hangs for a while on the server, then fails.
      await sandbox.fault({ call: connectCall, status: 503, times: 1, delayMs: 2_000 });
      await sandbox.drop({ adapter });
      await expect(statusLine(page)).toContainText('Reconnecting');
      await runClockUntil(page, async () => (callsSince(before, await sandbox.calls())[connectCall] ?? 0) >= 1, { stepMs: 6_000 });
      // While it hangs, the browser says the network is back.
      await page.evaluate(() => window.dispatchEvent(new Event('online')));
      // The page clock is not moved: no backoff can end, only the remembered event starts attempt 2.
      await expect.poll(async () => callsSince(before, await sandbox.calls())[connectCall], { timeout: 6_000 }).toBe(2);
      await expect.poll(() => widgetStatus(page), { timeout: 3_000 }).toBe('online');
    });

    // 13 ---------------------------------------------------------------------------------------
    test(
      adapter === 'liveperson'
        ? 'five tabs open together at token expiry: one refresh and one exchange for the browser, all chat on in one conversation'
        : 'five tabs open together with a stored token: one continuation each, no new guest token, all chat on in one conversation',
      async ({ page, context, sandbox, hostPage }) => {
        const scenario = 'five tabs at token expiry';
        declareMatrixRow(scenario, adapter);
        const conversation = await startConversation(page, sandbox, hostPage(adapter));
        await page.close();
        // LivePerson: the visitor returns 61 minutes later, the internal token has expired (inside the
        // window). Salesforce: its guest token cannot be renewed, so the tabs come back while it is
        // valid — each takes its own continuation token (contract §1.2).
        const awayMs = adapter === 'liveperson' ? 61 * MIN : 10 * MIN;
        await sandbox.advanceClock(awayMs);
        const before = await sandbox.calls();
        const tabs = await openTabs(context, 5, awayMs);
        await Promise.all(tabs.map((tab) => tab.goto(hostPage(adapter))));
        for (const tab of tabs) await expect.poll(() => widgetStatus(tab)).toBe('online');

        const diff = callsSince(before, await sandbox.calls());
        const tokenCalls = Object.fromEntries(Object.entries(diff).filter(([name]) => (vendor.tokenCalls as readonly string[]).includes(name)));
        expect(tokenCalls).toEqual(adapter === 'liveperson' ? { 'lp.anonymous.refresh': 1, 'lp.authenticate': 1 } : { 'sf.continuation': 5 });

        for (const tab of tabs) await openChat(tab);
        for (const tab of tabs) await expect(bubble(tab, FIRST_AGENT)).toHaveCount(1);
        const sent = ['Written in the third tab'];
        await type(tabs[2]!, sent[0]!);
        for (const tab of tabs) await expect(bubble(tab, sent[0]!)).toHaveCount(1);
        expect((await sandbox.openConversation()).id).toBe(conversation.id);
        await settle(tabs[2]!, sandbox, { scenario, adapter, sent, before, renewals: adapter === 'liveperson' ? 1 : 0, pages: tabs });
        expect((await sandbox.conversations()).length).toBe(1);
      },
    );
  });
}

/** Tabs of one browser (one context), each with its clock `offsetMs` ahead of real time. */
async function openTabs(context: BrowserContext, count: number, offsetMs: number): Promise<Page[]> {
  const tabs: Page[] = [];
  for (let i = 0; i < count; i++) {
    const tab = await context.newPage();
    await tab.clock.install({ time: Date.now() + offsetMs });
    tabs.push(tab);
  }
  return tabs;
}
