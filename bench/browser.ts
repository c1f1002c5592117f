/**
 * The browser side of the bench: Debian's Chromium through the Playwright library, host pages
 * that embed the widget by its script tag (e2e/support/host-server.ts), and the in-page
 * instrumentation every page gets before the widget's script runs.
 */
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from '@playwright/test';
import { VENDOR_ATTRIBUTES, type AdapterName } from './vendors.ts';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-gpu'],
  });
}

/** A first-time visitor: a fresh context (no storage), with the bench instrumentation. */
export async function freshContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  await context.addInitScript(INSTRUMENT);
  return context;
}

export function hostPageUrl(hostUrl: string, sandboxUrl: string, adapter: AdapterName): string {
  return `${hostUrl}/host?${new URLSearchParams(VENDOR_ATTRIBUTES[adapter](sandboxUrl))}`;
}

export const launcher = (page: Page) => page.getByRole('button', { name: /chat/i }).first();

/** What the instrumentation records, in page time (performance.now(), ms from navigation start). */
export interface BenchRecord {
  status: { status: string; at: number }[];
  messages: number;
  lastMessageAt: number;
  lastMessageText: string;
  tokens: { action: string; at: number }[];
  ready: number | null;
  clicks: number[];
  longtasks: { start: number; duration: number }[];
}

/**
 * Installed by `addInitScript`, so it runs before the widget's async script: a buffered long-task
 * observer, the public API's pre-load queue (`window.GuestChat = { q: [...] }`) with listeners
 * for the events the bench times, and the timestamp of every click (captured on window; the
 * launcher's click is composed out of its shadow root).
 */
const INSTRUMENT = `(() => {
  if (window !== window.top) return;
  const b = window.__bench = { status: [], messages: 0, lastMessageAt: 0, lastMessageText: '', tokens: [], ready: null, clicks: [], longtasks: [] };
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) b.longtasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch {}
  window.GuestChat = { q: [
    ['on', 'status', (e) => b.status.push({ status: e.status, at: performance.now() })],
    ['on', 'message', (e) => { b.messages++; b.lastMessageAt = performance.now(); b.lastMessageText = String(e.text); }],
    ['on', 'token', (e) => b.tokens.push({ action: e.action, at: performance.now() })],
    ['on', 'ready', () => { b.ready = performance.now(); }],
  ] };
  addEventListener('click', (e) => { b.clicks.push(e.timeStamp); }, true);
})();`;

export function readRecord(page: Page): Promise<BenchRecord> {
  return page.evaluate(() => (window as unknown as { __bench: BenchRecord }).__bench);
}

/** Waits (polling every animation frame) until the widget reported `online` after `since` (page ms). */
export async function waitOnline(page: Page, since: number, timeoutMs: number): Promise<number> {
  const handle = await page.waitForFunction(
    (after) => {
      const b = (window as unknown as { __bench?: BenchRecord }).__bench;
      return b?.status.find((s) => s.status === 'online' && s.at >= after)?.at ?? false;
    },
    since,
    { polling: 'raf', timeout: timeoutMs },
  );
  return (await handle.jsonValue()) as number;
}

/** JS heap in use after a forced GC (bytes), through the page's CDP session. */
export async function heapAfterGc(cdp: CDPSession): Promise<number> {
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.collectGarbage');
  const usage = await cdp.send('Runtime.getHeapUsage');
  return usage.usedSize;
}

/** Element count in the widget's shadow root. */
export function shadowNodes(page: Page): Promise<number> {
  return page.evaluate(() => document.getElementById('guestchat')?.shadowRoot?.querySelectorAll('*').length ?? 0);
}

export function idbNames(page: Page): Promise<string[]> {
  return page.evaluate(async () => (await indexedDB.databases()).map((db) => db.name ?? ''));
}
