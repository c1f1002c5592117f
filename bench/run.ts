/**
 * `npm run bench` (after `npm run build`): GuestChat's figures in one run on this machine —
 * bundle bytes, the cost before intent, click-to-ready, render cost as history grows, and the
 * sandbox relay under 1,000 WebSocket consumers. Figures, not pass/fail; ratios from this run.
 * Loopback only, every loop bounded; the whole run stops by itself.
 */
import { cpus, loadavg, totalmem } from 'node:os';
import { startSandbox, type RunningSandbox } from '../src/sandbox/index.ts';
import { startHostServer, type HostServer } from '../e2e/support/host-server.ts';
import { SandboxClient } from '../e2e/support/sandbox-client.ts';
import type { Browser } from '@playwright/test';
import { CHROMIUM_PATH, launchBrowser } from './browser.ts';
import type { BenchEnv } from './env.ts';
import { runIntent } from './intent.ts';
import { runReady } from './ready.ts';
import { runRelay } from './relay.ts';
import { runRender } from './render.ts';
import { APP_BUDGET, LOADER_BUDGET, measureSizes } from './sizes.ts';
import { errorText, fmt, heading, note } from './table.ts';
import { ADAPTERS } from './vendors.ts';

const started = performance.now();
/** The browser sections wrap up by then; the relay has its own bound after them. */
const BROWSER_BUDGET_MS = 105_000;
const RELAY_TIMEOUT_MS = 90_000;
/** The relay's bound shrinks so that the whole run ends by about this time. */
const TARGET_TOTAL_MS = 175_000;
/** Last resort: whatever happens, the process ends. */
const HARD_LIMIT_MS = 215_000;
const READY_REPEATS = 5;

const hardStop = setTimeout(() => {
  console.log('\nbench stopped: overall time limit reached');
  process.exit(2);
}, HARD_LIMIT_MS);
hardStop.unref();

const print = (text: string) => console.log(text);

async function main(): Promise<void> {
  const cpu = cpus();
  let browser: Browser | undefined;
  let sandbox: RunningSandbox | undefined;
  let host: HostServer | undefined;
  const summary: string[] = [];

  try {
    browser = await launchBrowser();
    print('GuestChat benchmark');
    print(`  machine   ${cpu[0]?.model.trim() ?? 'unknown CPU'} × ${cpu.length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    print(`  runtime   Node ${process.version}, Chromium ${browser.version()} (${CHROMIUM_PATH}), ${process.platform}/${process.arch}`);
    print(`  date      ${new Date().toISOString()}`);

    // Sizes for every built adapter (the broker mode too); the browser runs below cover the two vendors.
    const sizes = await measureSizes([...ADAPTERS, 'liveperson-connector']);
    print(sizes.text);
    // The worst case: the adapter file plus the largest on-demand chunk (a Hebrew page).
    const worstApp = Math.max(...sizes.adapters.map((a) => a.gzip + (a.lazy?.gzip ?? 0)));
    summary.push(
      `bytes gzip: loader ${sizes.loader.gzip} B (${fmt((sizes.loader.gzip / LOADER_BUDGET) * 100, 1)}% of ${LOADER_BUDGET}), app after intent up to ${worstApp} B with the Hebrew chunk (${fmt((worstApp / APP_BUDGET) * 100, 1)}% of ${APP_BUDGET})`,
    );

    sandbox = await startSandbox({ port: 0, quiet: true });
    host = await startHostServer();
    const env: BenchEnv = {
      browser,
      hostUrl: host.url,
      sandboxUrl: sandbox.url,
      sandbox: new SandboxClient(sandbox.url),
      deadline: performance.now() + BROWSER_BUDGET_MS,
    };

    const intent = await runIntent(env);
    print(intent.text);
    summary.push(intent.summary);
    const ready = await runReady(env, READY_REPEATS);
    print(ready.text);
    summary.push(ready.summary);
    const render = await runRender(env);
    print(render.text);
    const ratios = ADAPTERS.filter((a) => render.ratios[a] !== undefined).map((a) => `${a} ${render.ratios[a]!.toFixed(2)}x`);
    summary.push(`render 5,000 : 50: ${ratios.join(', ') || '–'} (the issue asks ≤ 2)`);
  } catch (error) {
    print(note(`browser sections stopped: ${errorText(error)}`));
  } finally {
    await browser?.close().catch(() => {});
    await host?.close().catch(() => {});
    await sandbox?.close().catch(() => {});
  }

  // The relay runs with the browser closed: the machine's cores go to the sandbox and the clients.
  const relay = await runRelay({ consumers: 1000, messagesEach: 10, batch: 100, agentSamples: 100, timeoutMs: Math.max(30_000, Math.min(RELAY_TIMEOUT_MS, TARGET_TOTAL_MS - (performance.now() - started))) });
  print(relay.text);
  if (relay.throughput !== undefined) summary.push(`relay: ${fmt(relay.throughput)} msg/s with 1,000 consumers, publish → response p99 ${fmt(relay.p99, 1)} ms`);

  print(heading('Summary'));
  for (const line of summary) print(note(line));
  print(note(`total ${fmt((performance.now() - started) / 1000, 1)} s (after the build)`));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
