/**
 * Section 2: before intent. A first-time visitor loads the host page and never touches the
 * widget: what did that cost beyond the page itself? Requests and bytes (from
 * `requestfinished` + `request.sizes()`), sandbox calls, IndexedDB, and long tasks.
 */
import { freshContext, hostPageUrl, idbNames, readRecord } from './browser.ts';
import type { BenchEnv } from './env.ts';
import { bytes, errorText, fmt, heading, note, table, withTimeout, type Cell } from './table.ts';
import { ADAPTERS, type AdapterName } from './vendors.ts';

/** How long the page is left alone after `load` (nothing should happen in it). */
const QUIET_MS = 2_000;

interface IntentResult {
  adapter: AdapterName;
  requests: { path: string; bytes: number; body: number }[];
  sandboxCalls: Record<string, number>;
  databases: string[];
  longtasks: { start: number; duration: number }[];
  loadMs: number;
}

async function beforeIntent(env: BenchEnv, adapter: AdapterName): Promise<IntentResult> {
  await env.sandbox.reset();
  const context = await freshContext(env.browser);
  try {
    const page = await context.newPage();
    const url = hostPageUrl(env.hostUrl, env.sandboxUrl, adapter);
    const finished: Promise<{ path: string; bytes: number; body: number }>[] = [];
    page.on('requestfinished', (request) => {
      if (request.url() === url) return; // the page itself
      finished.push(
        request.sizes().then((s) => {
          const u = new URL(request.url());
          return { path: `${u.origin === env.sandboxUrl ? 'sandbox:' : ''}${u.pathname}`, bytes: s.responseHeadersSize + s.responseBodySize + s.requestHeadersSize + s.requestBodySize, body: s.responseBodySize };
        }),
      );
    });
    page.on('websocket', (ws) => finished.push(Promise.resolve({ path: `websocket ${ws.url()}`, bytes: 0, body: 0 })));
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForTimeout(QUIET_MS);
    const record = await readRecord(page);
    const loadMs = await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined)?.loadEventEnd ?? 0);
    const [requests, sandboxCalls, databases] = await Promise.all([Promise.all(finished), env.sandbox.calls(), idbNames(page)]);
    return { adapter, requests, sandboxCalls, databases, longtasks: record.longtasks, loadMs };
  } finally {
    await context.close();
  }
}

const RUNS = 3;

export async function runIntent(env: BenchEnv): Promise<{ text: string; summary: string }> {
  const rows: Cell[][] = [];
  const brief: string[] = [];
  const details: string[] = [];
  for (const adapter of ADAPTERS) {
    const runs: IntentResult[] = [];
    const failures: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      try {
        runs.push(await withTimeout(beforeIntent(env, adapter), 20_000, `before intent (${adapter})`));
      } catch (error) {
        failures.push(errorText(error));
      }
    }
    for (const failure of failures) details.push(note(`${adapter}: a run failed: ${failure}`));
    if (runs.length === 0) {
      rows.push([adapter, 'failed']);
      continue;
    }
    const perRun = (pick: (r: IntentResult) => number | string) => runs.map(pick).join(' / ');
    const callCount = (r: IntentResult) => Object.values(r.sandboxCalls).reduce((a, b) => a + b, 0);
    const longMs = (r: IntentResult) => r.longtasks.reduce((sum, t) => sum + t.duration, 0);
    rows.push([
      adapter,
      perRun((r) => r.requests.length),
      perRun((r) => bytes(r.requests.reduce((sum, q) => sum + q.bytes, 0))),
      perRun((r) => bytes(r.requests.reduce((sum, q) => sum + q.body, 0))),
      perRun(callCount),
      perRun((r) => (r.databases.length ? `yes (${r.databases.join(', ')})` : 'no')),
      perRun((r) => r.longtasks.length),
      perRun((r) => fmt(longMs(r))),
      perRun((r) => fmt(r.loadMs)),
    ]);
    const max = (pick: (r: IntentResult) => number) => Math.max(...runs.map(pick));
    brief.push(
      `${adapter} ≤${max((r) => r.requests.length)} request, ${max(callCount)} sandbox calls, ${runs.some((r) => r.databases.length) ? 'IndexedDB created' : 'no IndexedDB'}, long tasks ${perRun((r) => r.longtasks.length)}`,
    );
    const paths = [...new Set(runs.flatMap((r) => r.requests.map((q) => q.path)))];
    const calls = runs.find((r) => callCount(r) > 0)?.sandboxCalls;
    details.push(note(`${adapter}: ${paths.join(', ') || 'no requests'}${calls ? `; sandbox calls ${JSON.stringify(calls)}` : ''}`));
  }
  const text = [
    heading(`2. Before intent (first-time visitor, page loaded, never clicked; ${RUNS} runs, a / b / c)`),
    table(['adapter', 'requests', 'bytes on wire', 'body B', 'sandbox calls', 'IndexedDB', 'long tasks', 'long task ms', 'page load ms'], rows),
    ...details,
    note(`Requests beyond the page itself, counted until ${QUIET_MS / 1000} s after load. The test host serves files uncompressed (bytes on wire`),
    note('= request + response headers and body); section 1 has the gzip size a CDN would send. Long tasks are the whole page\'s'),
    note('(the host page included), from a buffered PerformanceObserver registered before any script.'),
  ].join('\n');
  return { text, summary: `before intent: ${brief.join('; ')}` };
}
