/**
 * Section 4: render time and memory as history grows. A visitor's conversation is seeded with N
 * agent messages (agent API, parallel batches), a new page of the same browser context resumes
 * it and receives the history; then the launcher is clicked and the bench times, in the page,
 * click → two animation frames after the panel is visible with the newest message in it. Heap
 * after a forced GC (CDP) and the element count of the widget's shadow root follow.
 */
import { Agent, request } from 'node:http';
import type { Page } from '@playwright/test';
import { freshContext, heapAfterGc, hostPageUrl, launcher, readRecord, shadowNodes, waitOnline } from './browser.ts';
import { timeLeft, type BenchEnv } from './env.ts';
import { errorText, fmt, heading, mb, median, note, spread, table, withTimeout, type Cell } from './table.ts';
import { ADAPTERS, type AdapterName } from './vendors.ts';

export const SIZES = [50, 500, 5000] as const;
const OPENS = 5;
const SEED_CONCURRENCY = 32;
/** History is "in" when N + 1 message events arrived, or none arrived for this long. */
const HISTORY_SETTLE_MS = 2_000;
const HISTORY_TIMEOUT_MS = 30_000;

export interface RenderResult {
  adapter: AdapterName;
  n: number;
  seedMs: number;
  /** `message` events the resumed page received (N agent messages + the visitor's one, if all shown). */
  received: number;
  historyMs: number;
  renderMs: number[];
  shownMs: number[];
  heap: number;
  nodes: number;
  items: number;
}

/**
 * Posts N agent messages through the agent API; the newest (`msg N of N`) goes last, alone, so
 * it is the newest for sure. node:http with keep-alive: several times faster than fetch here.
 */
async function seed(sandboxUrl: string, conversationId: string, n: number): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: SEED_CONCURRENCY });
  const path = `/agent/conversations/${encodeURIComponent(conversationId)}/messages`;
  const post = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const body = JSON.stringify({ text });
      const req = request(`${sandboxUrl}${path}`, { method: 'POST', agent, timeout: 10_000, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`agent post -> ${res.statusCode}`))));
      });
      req.on('timeout', () => req.destroy(new Error('agent post timed out')));
      req.on('error', reject);
      req.end(body);
    });
  try {
    let next = 1;
    const worker = async () => {
      while (next < n) await post(`msg ${next++} of ${n}`);
    };
    await Promise.all(Array.from({ length: Math.min(SEED_CONCURRENCY, n) }, worker));
    await post(`msg ${n} of ${n}`);
  } finally {
    agent.destroy();
  }
}

/**
 * Arms a one-shot measurement in the page: on the next click, watch the shadow root until the
 * panel is visible with the newest message in its log, then wait two animation frames. Kept as
 * plain source text: the page must not see helpers the TypeScript loader adds to named functions.
 */
const ARM_RENDER = `(text) => {
  const root = document.getElementById('guestchat')?.shadowRoot;
  if (!root) throw new Error('no widget shadow root');
  window.__render = new Promise((resolve, reject) => {
    let clickAt;
    let done = false;
    const visible = () => {
      const panel = root.querySelector('[role=dialog]');
      if (!panel || panel.hidden || !panel.checkVisibility()) return false;
      return panel.querySelector('[role=log]')?.textContent?.includes(text) ?? false;
    };
    const check = () => {
      if (done || clickAt === undefined) return;
      if (!visible()) return void requestAnimationFrame(check);
      done = true;
      observer.disconnect();
      const shownAt = performance.now();
      requestAnimationFrame(() => requestAnimationFrame(() => {
        clearTimeout(timer);
        resolve({ total: performance.now() - clickAt, shown: shownAt - clickAt });
      }));
    };
    const observer = new MutationObserver(check);
    const timer = setTimeout(() => {
      observer.disconnect();
      reject(new Error('the panel never showed the newest message'));
    }, 10000);
    addEventListener('click', (event) => { clickAt = event.timeStamp; check(); }, { capture: true, once: true });
    observer.observe(root, { subtree: true, childList: true, attributes: true, characterData: true });
  });
}`;

async function armRender(page: Page, newest: string): Promise<void> {
  await page.evaluate(`(${ARM_RENDER})(${JSON.stringify(newest)})`);
}

async function measureOne(env: BenchEnv, adapter: AdapterName, n: number): Promise<RenderResult> {
  await env.sandbox.reset();
  const url = hostPageUrl(env.hostUrl, env.sandboxUrl, adapter);
  const context = await freshContext(env.browser);
  try {
    // A visitor starts a conversation, then leaves.
    const first = await context.newPage();
    await first.goto(url, { waitUntil: 'load' });
    await launcher(first).click();
    await waitOnline(first, 0, 15_000);
    const text = `render bench ${adapter} ${n}`;
    const box = first.getByRole('dialog').getByRole('textbox', { name: 'Message' });
    await box.fill(text);
    await box.press('Enter');
    let conversationId: string | undefined;
    for (const until = Date.now() + 10_000; !conversationId && Date.now() < until; ) {
      conversationId = (await env.sandbox.conversations()).find((c) => c.messages.some((m) => m.text === text))?.id;
      if (!conversationId) await first.waitForTimeout(50);
    }
    if (!conversationId) throw new Error('the visitor message never reached the agent API');
    await first.close();

    const seedStart = performance.now();
    await seed(env.sandboxUrl, conversationId, n);
    const seedMs = performance.now() - seedStart;

    // The visitor comes back: the widget resumes the stored conversation and receives the history.
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await page.goto(url, { waitUntil: 'load' });
    let received = 0;
    let changedAt = Date.now();
    for (const until = Date.now() + HISTORY_TIMEOUT_MS; Date.now() < until; ) {
      const count = (await readRecord(page)).messages;
      if (count !== received) {
        received = count;
        changedAt = Date.now();
      }
      if (received >= n + 1) break;
      if (received > 0 && Date.now() - changedAt > HISTORY_SETTLE_MS) break;
      await page.waitForTimeout(100);
    }
    await waitOnline(page, 0, 10_000);
    const record = await readRecord(page);
    await page.waitForTimeout(300); // let the page go quiet (receipts, idle callbacks)

    const renderMs: number[] = [];
    const shownMs: number[] = [];
    for (let i = 0; i < OPENS; i++) {
      await armRender(page, `msg ${n} of ${n}`);
      await launcher(page).click();
      const r = await page.evaluate(() => (window as unknown as { __render: Promise<{ total: number; shown: number }> }).__render);
      renderMs.push(r.total);
      shownMs.push(r.shown);
      if (i === OPENS - 1) break;
      await page.evaluate(() => (window as unknown as { GuestChat: { close(): void } }).GuestChat.close());
      await page.waitForTimeout(250);
    }
    const heap = await heapAfterGc(cdp);
    const nodes = await shadowNodes(page);
    const items = await page.evaluate(() => document.getElementById('guestchat')?.shadowRoot?.querySelectorAll('[role=log] ol > *').length ?? 0);
    return { adapter, n, seedMs, received: record.messages, historyMs: record.lastMessageAt, renderMs, shownMs, heap, nodes, items };
  } finally {
    await context.close();
  }
}

export interface RenderSection {
  text: string;
  /** render(5000) / render(50) per adapter (medians). */
  ratios: Partial<Record<AdapterName, number>>;
}

export async function runRender(env: BenchEnv): Promise<RenderSection> {
  const rows: Cell[][] = [];
  const notes: string[] = [];
  const ratios: Partial<Record<AdapterName, number>> = {};
  const ratioRows: Cell[][] = [];
  for (const adapter of ADAPTERS) {
    const results: RenderResult[] = [];
    for (const n of SIZES) {
      if (timeLeft(env) < 15_000) {
        notes.push(note(`${adapter} N=${n}: skipped (time budget)`));
        continue;
      }
      try {
        const r = await withTimeout(measureOne(env, adapter, n), Math.min(60_000, timeLeft(env)), `render (${adapter}, N=${n})`);
        results.push(r);
        rows.push([
          adapter,
          n,
          fmt(r.seedMs),
          `${r.received}`,
          r.items,
          fmt(r.historyMs),
          fmt(r.renderMs[0]),
          spread(r.renderMs, 1),
          spread(r.shownMs, 1),
          mb(r.heap),
          r.nodes,
        ]);
      } catch (error) {
        rows.push([adapter, n, `failed: ${errorText(error)}`]);
      }
    }
    const small = results.find((r) => r.n === SIZES[0]);
    const large = results.find((r) => r.n === SIZES[SIZES.length - 1]);
    if (small && large) {
      const ratio = median(large.renderMs)! / median(small.renderMs)!;
      ratios[adapter] = ratio;
      ratioRows.push([adapter, `${ratio.toFixed(2)}x`, `${(median(large.shownMs)! / median(small.shownMs)!).toFixed(2)}x`, `${(large.historyMs / small.historyMs).toFixed(2)}x`, `${(large.heap / small.heap).toFixed(2)}x`, `${(large.nodes / small.nodes).toFixed(2)}x`, `${large.received - 1} of ${large.n}`]);
    }
  }
  return {
    text: [
      heading('4. Render time and memory as history grows'),
      table(['adapter', 'N', 'seed ms', 'msg events', 'items in DOM', 'history in ms', 'open #1 ms', `open ms (${OPENS} opens)`, 'visible ms', 'heap MB', 'shadow nodes'], rows),
      '',
      table(['adapter', `render ${SIZES[SIZES.length - 1]}:${SIZES[0]}`, 'visible', 'history in', 'heap', 'shadow nodes', 'messages shown at 5,000'], ratioRows),
      ...notes,
      note('msg events = `message` events on the resumed page (N agent messages + the visitor\'s first one when all arrive);'),
      note('history in ms = navigation start → last of them. open = click → 2 animation frames after the panel is visible with'),
      note('the newest message (median (min–max)); visible = click → that moment. heap = JS heap used after a forced GC.'),
      note('Two animation frames are 17–33 ms at 60 Hz, so open ms is mostly frame alignment; visible ms is the DOM-dependent part.'),
      note('Seeding goes through the agent API (one POST per message, keep-alive, 32 in flight).'),
    ].join('\n'),
    ratios,
  };
}
