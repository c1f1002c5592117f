/**
 * Section 5: the sandbox relay under 1,000 concurrent LivePerson consumers on loopback. The
 * sandbox runs as its own process (`node --import tsx src/sandbox/main.ts`, SANDBOX_PORT=0: the system picks the port);
 * the consumers live in this process (`ws`). Each one takes its tokens (IdP issue, then
 * authenticate), connects, sends InitConnection, subscribes ExConversations, requests a
 * conversation and subscribes to its messaging events (contract §5.1–5.3); then each publishes
 * M text messages one after another. Measured: publish → response, publish → echo notification,
 * throughput over the publish phase, and agent API post → notification for a sample.
 * Everything is bounded; on time-out the section prints what completed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { errorText, fmt, heading, note, percentile, table, type Cell } from './table.ts';

const ROOT = join(import.meta.dirname, '..');
const ACCOUNT = '12345678';
const CONNECTOR = 'guestchat-unauth';
const REQUEST_TIMEOUT_MS = 15_000;

export interface RelayOptions {
  consumers: number;
  messagesEach: number;
  batch: number;
  agentSamples: number;
  /** Whole section, sandbox start to kill. */
  timeoutMs: number;
}

export interface RelayResult {
  text: string;
  throughput?: number;
  p99?: number;
}

/** The sandbox as a process of its own, on a port the system picks (it prints the address it got). */
async function startSandboxProcess(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/sandbox/main.ts')], {
    cwd: ROOT,
    env: { ...process.env, SANDBOX_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => void (stderr = (stderr + chunk.toString()).slice(-2000)));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`sandbox did not say "listening" within 20 s ${stderr}`)), 20_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sandbox exited with ${code}: ${stderr}`));
    });
  });
  child.stdout?.resume();
  return { child, url };
}

async function stopSandboxProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}

async function postJson(url: string, body?: unknown): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${new URL(url).pathname} -> ${response.status} ${text.slice(0, 120)}`);
  return text ? JSON.parse(text) : undefined;
}

interface Frame {
  kind?: string;
  reqId?: string;
  code?: number;
  type?: string;
  body?: unknown;
}

interface ContentChange {
  originatorMetadata?: { role?: string };
  event?: { type?: string; message?: string };
}

/** One consumer: a socket, its pending requests, and waiters for notifications by message text. */
class Consumer {
  private ws: WebSocket | undefined;
  private nextId = 1;
  private readonly pending = new Map<string, { resolve: (f: Frame) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> }>();
  /** Message text → called with the arrival time of its notification (echo or agent message). */
  readonly waiting = new Map<string, (at: number) => void>();
  conversationId = '';

  constructor(private readonly base: string) {}

  async setup(): Promise<void> {
    const { token: external } = (await postJson(`${this.base}/api/account/${ACCOUNT}/anonymous/authorize`)) as { token: string };
    const { token: jwt } = (await postJson(`${this.base}/api/account/${ACCOUNT}/app/${CONNECTOR}/authenticate?v=3.0`, { id_token: external })) as { token: string };
    const wsUrl = `${this.base.replace(/^http/, 'ws')}/ws_api/account/${ACCOUNT}/messaging/consumer?v=3`;
    const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
    this.ws = ws;
    ws.on('message', (data) => this.onFrame(data.toString()));
    ws.on('close', (code) => this.failAll(new Error(`socket closed ${code}`)));
    ws.on('error', (error) => this.failAll(error));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const init = await this.request('InitConnection', undefined, [
      { type: '.ams.headers.ClientProperties', deviceFamily: 'DESKTOP', os: 'LINUX', features: ['RICH_CONTENT', 'QUICK_REPLIES'] },
      { type: '.ams.headers.ConsumerAuthentication', jwt },
    ]);
    expectOk(init, 'InitConnection');
    expectOk(await this.request('cqm.SubscribeExConversations', { convState: ['OPEN'] }), 'cqm.SubscribeExConversations');
    const created = await this.request('cm.ConsumerRequestConversation', { channelType: 'MESSAGING', brandId: ACCOUNT });
    expectOk(created, 'cm.ConsumerRequestConversation');
    this.conversationId = (created.body as { conversationId: string }).conversationId;
    expectOk(
      await this.request('ms.SubscribeMessagingEvents', { dialogId: this.conversationId, conversationId: this.conversationId, fromSeq: 0 }),
      'ms.SubscribeMessagingEvents',
    );
  }

  publish(text: string): Promise<Frame> {
    return this.request('ms.PublishEvent', {
      dialogId: this.conversationId,
      conversationId: this.conversationId,
      event: { type: 'ContentEvent', contentType: 'text/plain', message: text },
    });
  }

  request(type: string, body?: unknown, headers?: unknown[]): Promise<Frame> {
    const id = String(this.nextId++);
    const frame = { kind: 'req', id, type, ...(headers ? { headers } : {}), ...(body === undefined ? {} : { body }) };
    return new Promise<Frame>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${type}: no response in ${REQUEST_TIMEOUT_MS} ms`));
      }, REQUEST_TIMEOUT_MS);
      this.pending.set(id, { resolve, reject, timer });
      this.ws!.send(JSON.stringify(frame));
    });
  }

  private onFrame(text: string): void {
    const at = performance.now();
    const frame = JSON.parse(text) as Frame;
    if (frame.kind === 'resp' && frame.reqId !== undefined) {
      const waiter = this.pending.get(frame.reqId);
      if (!waiter) return;
      this.pending.delete(frame.reqId);
      clearTimeout(waiter.timer);
      waiter.resolve(frame);
      return;
    }
    if (frame.kind === 'notification' && frame.type === 'ms.MessagingEventNotification') {
      const changes = ((frame.body as { changes?: ContentChange[] } | undefined)?.changes ?? []) as ContentChange[];
      for (const change of changes) {
        const message = change.event?.type === 'ContentEvent' ? change.event.message : undefined;
        const waiter = message === undefined ? undefined : this.waiting.get(message);
        if (waiter) {
          this.waiting.delete(message!);
          waiter(at);
        }
      }
    }
  }

  private failAll(error: Error): void {
    for (const [id, waiter] of this.pending) {
      clearTimeout(waiter.timer);
      this.pending.delete(id);
      waiter.reject(error);
    }
  }

  close(): void {
    this.ws?.terminate();
  }
}

function expectOk(frame: Frame, what: string): void {
  if (frame.code !== 200) throw new Error(`${what} -> ${frame.code} ${JSON.stringify(frame.body).slice(0, 120)}`);
}

function stats(values: number[]): Cell[] {
  const sorted = [...values].sort((a, b) => a - b);
  return [sorted.length, fmt(percentile(sorted, 50), 1), fmt(percentile(sorted, 99), 1), fmt(sorted[sorted.length - 1], 1)];
}

export async function runRelay(options: RelayOptions): Promise<RelayResult> {
  const started = performance.now();
  const deadline = started + options.timeoutMs;
  const left = () => deadline - performance.now();
  const lines: string[] = [heading(`5. Sandbox relay (${options.consumers.toLocaleString('en-US')} LivePerson consumers on loopback, ${options.messagesEach} messages each)`)];
  const phases: Cell[][] = [];
  const latencyRows: Cell[][] = [];
  const problems: string[] = [];
  const consumers: Consumer[] = [];
  let sandbox: { child: ChildProcess; url: string } | undefined;
  let throughput: number | undefined;
  let p99: number | undefined;

  try {
    const t0 = performance.now();
    sandbox = await startSandboxProcess();
    phases.push(['sandbox process start', fmt(performance.now() - t0), '', '']);

    // Setup, in batches so token signing is not one thundering herd.
    const setupStart = performance.now();
    const setupErrors = new Map<string, number>();
    const batchMs: number[] = [];
    for (let i = 0; i < options.consumers && left() > 20_000; i += options.batch) {
      const batchStart = performance.now();
      const batch = Array.from({ length: Math.min(options.batch, options.consumers - i) }, () => new Consumer(sandbox!.url));
      const settled = await Promise.allSettled(batch.map((c) => c.setup()));
      settled.forEach((result, j) => {
        if (result.status === 'fulfilled') consumers.push(batch[j]!);
        else {
          batch[j]!.close();
          const reason = errorText(result.reason);
          setupErrors.set(reason, (setupErrors.get(reason) ?? 0) + 1);
        }
      });
      batchMs.push(performance.now() - batchStart);
    }
    const setupMs = performance.now() - setupStart;
    const sortedBatches = [...batchMs].sort((a, b) => a - b);
    phases.push([
      `setup: tokens + connect + init + subscribe + conversation (batches of ${options.batch})`,
      fmt(setupMs),
      `${consumers.length.toLocaleString('en-US')} of ${options.consumers.toLocaleString('en-US')} connected`,
      `batch ms p50 ${fmt(percentile(sortedBatches, 50))}, max ${fmt(sortedBatches[sortedBatches.length - 1])}`,
    ]);
    for (const [reason, count] of setupErrors) problems.push(`setup failed ×${count}: ${reason}`);

    // Publish phase: every consumer publishes M messages, each after the previous one's response.
    const response: number[] = [];
    const echo: number[] = [];
    const echoes: Promise<void>[] = [];
    let publishErrors = 0;
    const publishStart = performance.now();
    let lastResponseAt = publishStart;
    const publishing = Promise.all(
      consumers.map(async (consumer, c) => {
        for (let m = 0; m < options.messagesEach; m++) {
          if (left() < 8_000) return;
          const text = `relay c${c} m${m}`;
          const sentAt = performance.now();
          echoes.push(new Promise<void>((resolve) => consumer.waiting.set(text, (at) => (echo.push(at - sentAt), resolve()))));
          try {
            const frame = await consumer.publish(text);
            expectOk(frame, 'ms.PublishEvent');
            lastResponseAt = performance.now();
            response.push(lastResponseAt - sentAt);
          } catch {
            publishErrors++;
            consumer.waiting.delete(text);
            return;
          }
        }
      }),
    );
    await Promise.race([publishing, new Promise((resolve) => setTimeout(resolve, Math.max(0, left() - 7_000)))]);
    await Promise.race([Promise.all(echoes), new Promise((resolve) => setTimeout(resolve, Math.min(3_000, Math.max(0, left() - 5_000))))]);
    const publishMs = lastResponseAt - publishStart;
    const attempted = consumers.length * options.messagesEach;
    throughput = response.length / (publishMs / 1000);
    phases.push([
      'publish phase (first publish → last response)',
      fmt(publishMs),
      `${response.length.toLocaleString('en-US')} of ${attempted.toLocaleString('en-US')} answered`,
      `${fmt(throughput)} msg/s relayed; ${echo.length.toLocaleString('en-US')} echoes`,
    ]);
    if (publishErrors) problems.push(`publish failed or timed out ×${publishErrors}`);
    latencyRows.push(['publish → response', ...stats(response)]);
    latencyRows.push(['publish → echo notification', ...stats(echo)]);
    const sortedResponse = [...response].sort((a, b) => a - b);
    p99 = percentile(sortedResponse, 99);

    // Agent → consumer: agent API post → notification at the consumer, a sample, 10 at a time.
    const agent: number[] = [];
    const agentPost: number[] = [];
    const sample = consumers.slice(0, options.agentSamples);
    const agentStart = performance.now();
    let cursor = 0;
    await Promise.all(
      Array.from({ length: Math.min(10, sample.length) }, async () => {
        while (cursor < sample.length && left() > 3_000) {
          const consumer = sample[cursor]!;
          const text = `agent sample ${cursor++}`;
          const sentAt = performance.now();
          const arrived = new Promise<number>((resolve) => consumer.waiting.set(text, resolve));
          try {
            await postJson(`${sandbox!.url}/agent/conversations/${encodeURIComponent(consumer.conversationId)}/messages`, { text });
            agentPost.push(performance.now() - sentAt);
            const at = await Promise.race([arrived, new Promise<undefined>((resolve) => setTimeout(resolve, 5_000))]);
            if (at === undefined) problems.push(`agent message "${text}" never reached its consumer`);
            else agent.push(at - sentAt);
          } catch (error) {
            problems.push(`agent post failed: ${errorText(error)}`);
          }
        }
      }),
    );
    phases.push(['agent → consumer sample', fmt(performance.now() - agentStart), `${agent.length} of ${sample.length} delivered`, '10 posts in flight']);
    latencyRows.push(['agent API post → response', ...stats(agentPost)]);
    latencyRows.push(['agent API post → consumer notification', ...stats(agent)]);
  } catch (error) {
    problems.push(`stopped: ${errorText(error)}`);
  } finally {
    for (const consumer of consumers) consumer.close();
    if (sandbox) await stopSandboxProcess(sandbox.child);
  }

  lines.push(table(['phase', 'ms', 'completed', 'detail'], phases));
  lines.push('');
  lines.push(table(['latency', 'samples', 'p50 ms', 'p99 ms', 'max ms'], latencyRows));
  for (const problem of problems.slice(0, 10)) lines.push(note(problem));
  if (problems.length > 10) lines.push(note(`… and ${problems.length - 10} more problems`));
  lines.push(note(`Bounded at ${options.timeoutMs / 1000} s in all (took ${fmt((performance.now() - started) / 1000, 1)} s). Latencies are measured in the bench process,`));
  lines.push(note(`which also runs all ${options.consumers.toLocaleString('en-US')} clients; the sandbox is its own process (node --import tsx src/sandbox/main.ts).`));
  return { text: lines.join('\n'), ...(throughput === undefined ? {} : { throughput }), ...(p99 === undefined ? {} : { p99 }) };
}
