/**
 * Section 3: click-to-ready. First-time visitor: fresh context, click the launcher, time until
 * the `status` event says `online` (in the page: from the click's event timestamp; in Node: wall
 * time around the click, as a cross-check), with the round trips made meanwhile. Returning
 * visitor: one who chatted reloads; time from navigation start to `online` and the token calls.
 */
import type { Page } from '@playwright/test';
import { callsSince } from '../e2e/support/sandbox-client.ts';
import { freshContext, hostPageUrl, launcher, readRecord, waitOnline } from './browser.ts';
import { timeLeft, type BenchEnv } from './env.ts';
import { errorText, heading, median, note, spread, table, withTimeout, type Cell } from './table.ts';
import { ADAPTERS, tokenCallText, type AdapterName } from './vendors.ts';

const ONLINE_TIMEOUT_MS = 15_000;

interface Sample {
  inPageMs: number;
  wallMs: number;
  /** Click → `ready` (app and vendor chunks loaded and mounted); first-time only. */
  readyMs?: number;
  chunkRequests: number;
  apiRequests: number;
  framesSent: number;
  sandboxCalls: number;
  tokens: string;
}

/** Counts what the page sends from `start()` on: HTTP requests (host vs sandbox) and WebSocket frames. */
function traffic(page: Page, sandboxUrl: string) {
  let counting = false;
  let chunk = 0;
  let api = 0;
  let frames = 0;
  page.on('request', (request) => {
    if (!counting) return;
    if (request.url().startsWith(sandboxUrl)) api++;
    else chunk++;
  });
  page.on('websocket', (ws) => ws.on('framesent', () => void (counting && frames++)));
  return {
    start() {
      chunk = api = frames = 0;
      counting = true;
    },
    stop() {
      counting = false;
      return { chunkRequests: chunk, apiRequests: api, framesSent: frames };
    },
  };
}

const sum = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);

async function oneVisitor(env: BenchEnv, adapter: AdapterName, run: number): Promise<{ first: Sample; returning: Sample }> {
  const context = await freshContext(env.browser);
  try {
    const page = await context.newPage();
    const net = traffic(page, env.sandboxUrl);
    await page.goto(hostPageUrl(env.hostUrl, env.sandboxUrl, adapter), { waitUntil: 'load' });
    await page.waitForTimeout(200); // let the loader finish its start-up (it looks for a stored conversation)

    // First-time: click → online.
    const clicksBefore = (await readRecord(page)).clicks.length;
    let callsBefore = await env.sandbox.calls();
    net.start();
    const t0 = performance.now();
    await launcher(page).click();
    const onlineAt = await waitOnline(page, 0, ONLINE_TIMEOUT_MS);
    const wallMs = performance.now() - t0;
    const firstNet = net.stop();
    let diff = callsSince(callsBefore, await env.sandbox.calls());
    const record = await readRecord(page);
    const clickAt = record.clicks[clicksBefore];
    if (clickAt === undefined) throw new Error('the click was not seen by the page');
    const first: Sample = {
      inPageMs: onlineAt - clickAt,
      wallMs,
      ...(record.ready === null ? {} : { readyMs: record.ready - clickAt }),
      ...firstNet,
      sandboxCalls: sum(diff),
      tokens: tokenCallText(adapter, diff),
    };

    // The visitor chats: one message, stored by the sandbox.
    const text = `bench ${adapter} visitor ${run} ${Date.now()}`;
    const box = page.getByRole('dialog').getByRole('textbox', { name: 'Message' });
    await box.fill(text);
    await box.press('Enter');
    const stored = Date.now() + 10_000;
    while (!(await env.sandbox.conversations()).some((c) => c.messages.some((m) => m.from === 'consumer' && m.text === text))) {
      if (Date.now() > stored) throw new Error('the visitor message never reached the agent API');
      await page.waitForTimeout(50);
    }

    // Returning: reload; the widget reconnects on its own (a conversation is stored).
    callsBefore = await env.sandbox.calls();
    net.start();
    const t1 = performance.now();
    await page.reload({ waitUntil: 'commit' });
    const backOnline = await waitOnline(page, 0, ONLINE_TIMEOUT_MS);
    const wallBack = performance.now() - t1;
    const backNet = net.stop();
    diff = callsSince(callsBefore, await env.sandbox.calls());
    const returning: Sample = { inPageMs: backOnline, wallMs: wallBack, ...backNet, sandboxCalls: sum(diff), tokens: tokenCallText(adapter, diff) };
    return { first, returning };
  } finally {
    await context.close();
  }
}

export async function runReady(env: BenchEnv, repeats: number): Promise<{ text: string; summary: string }> {
  const rows: Cell[][] = [];
  const notes: string[] = [];
  const brief: string[] = [];
  for (const adapter of ADAPTERS) {
    await env.sandbox.reset();
    const first: Sample[] = [];
    const returning: Sample[] = [];
    for (let run = 0; run < repeats; run++) {
      if (timeLeft(env) < 10_000) {
        notes.push(note(`${adapter}: stopped after ${run} of ${repeats} runs (time budget)`));
        break;
      }
      try {
        const r = await withTimeout(oneVisitor(env, adapter, run), 45_000, `click-to-ready (${adapter}, run ${run + 1})`);
        first.push(r.first);
        returning.push(r.returning);
      } catch (error) {
        notes.push(note(`${adapter} run ${run + 1} failed: ${errorText(error)}`));
      }
    }
    for (const [label, samples] of [['first-time', first], ['returning', returning]] as const) {
      const values = (pick: (s: Sample) => number | undefined) => samples.map(pick).filter((v): v is number => v !== undefined);
      const tokenSets = [...new Set(samples.map((s) => s.tokens))];
      const mid = median(values((s) => s.inPageMs));
      brief.push(`${adapter} ${label} ${mid === undefined ? '–' : mid.toFixed(0)} ms${label === 'returning' ? ` (tokens: ${tokenSets.join(' | ') || '–'})` : ''}`);
      rows.push([
        adapter,
        label,
        samples.length,
        spread(values((s) => s.inPageMs)),
        spread(values((s) => s.wallMs)),
        label === 'first-time' ? spread(values((s) => s.readyMs)) : undefined,
        spread(values((s) => s.chunkRequests)),
        spread(values((s) => s.apiRequests)),
        spread(values((s) => s.framesSent)),
        spread(values((s) => s.sandboxCalls)),
        tokenSets.join(' | ') || undefined,
      ]);
    }
  }
  const text = [
    heading(`3. Click-to-ready (median (min–max) of ${repeats} runs)`),
    table(['adapter', 'visitor', 'n', 'to online ms', 'wall ms', 'to ready ms', 'chunk reqs', 'API reqs', 'WS frames sent', 'sandbox calls', 'token calls'], rows),
    ...notes,
    note('first-time: from the click\'s event timestamp to the `online` status event (page clock); the click is Playwright\'s (pointer moves'),
    note('  onto the launcher just before it, so the hint-of-intent preload starts a few ms early). wall = bench process, around click()'),
    note('  until it saw `online` (adds Playwright\'s actionability checks and one frame of polling). to ready = click → `ready` event.'),
    note('returning: the visitor sent one message (stored by the sandbox), then reloads: navigation start → `online`, no click.'),
    note('Requests and frames are those the page made between the click (or reload) and `online`; sandbox and token calls from /admin/calls.'),
    note('chunk reqs = requests to the host site (after a reload: the page, the loader and the chunks).'),
  ].join('\n');
  return { text, summary: `to online: ${brief.join(', ')}` };
}
