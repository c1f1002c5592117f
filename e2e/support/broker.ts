/**
 * e2e support for the `liveperson-connector` adapter: brokers started in process against the
 * worker's sandbox (one instance in memory mode, or two sharing a throwaway Redis), the sandbox
 * app's webhooks pointed at one of them, the broker's browser API from Node (extra visitors for
 * load), and a watch on every response the page receives — SSE streams included — to prove no
 * credential of the broker's ever reaches the browser.
 */
import type { CDPSession, Page } from '@playwright/test';
import { startBroker, type BrokerConfig, type RunningBroker } from '../../src/broker/index.ts';
import { startRedis, type TestRedis } from '../../src/broker/test-support/redis-server.ts';

export const LP_ACCOUNT = '12345678';
export const CLIENT_ID = 'guestchat-broker';
/** The sandbox's default connector app secret. */
export const CLIENT_SECRET = 'sandbox-secret';
/** Shared by every instance, as behind a load balancer. */
const BROKER_SECRET = 'e2e-broker-visitor-token-key-of-at-least-32-bytes';

export const WEBHOOK_TYPES = [
  'ms.MessagingEventNotification.ContentEvent',
  'ms.MessagingEventNotification.RichContentEvent',
  'ms.MessagingEventNotification.AcceptStatusEvent',
  'ms.MessagingEventNotification.ChatStateEvent',
  'cqm.ExConversationChangeNotification',
] as const;

export type BrokerMode = 'redis-pair' | 'single';

export function brokerConfig(sandboxUrl: string, hostOrigin: string, overrides: Partial<BrokerConfig> = {}): BrokerConfig {
  return {
    account: LP_ACCOUNT,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    domainApi: sandboxUrl,
    port: 0,
    host: '127.0.0.1',
    publicUrl: 'http://127.0.0.1',
    secret: BROKER_SECRET,
    allowedOrigins: [hostOrigin],
    trustProxy: 0,
    ...overrides,
  };
}

export const webhookEndpoint = (broker: RunningBroker): string => `${broker.url}/v1/webhooks/liveperson`;

export interface ConnectorSetup {
  mode: BrokerMode;
  /** The instance the widget talks to (data-broker-url). */
  widgetBroker: RunningBroker;
  /** The instance LivePerson's webhooks are registered on: the other one in the pair. */
  webhookBroker: RunningBroker;
  brokers: RunningBroker[];
  /** Every line the brokers logged. */
  logs: string[];
  /** The host page embedding the widget with the connector adapter. */
  pageUrl: string;
  close(): Promise<void>;
}

/** Admin calls to the sandbox this spec needs beyond SandboxClient. */
export async function sandboxAdmin<T = unknown>(sandboxUrl: string, path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${sandboxUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${path} -> ${response.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

export interface Delivery {
  id: string;
  conversationId: string;
  eventType: string;
  change: string;
  sequence?: number;
  endpoint: string;
  state: string;
  delivered: boolean;
  statusCodes: (number | null)[];
  attemptLog: Array<{ status: number | null; signatureCorrupted?: true }>;
}

export const deliveries = (sandboxUrl: string): Promise<Delivery[]> => sandboxAdmin<Delivery[]>(sandboxUrl, '/admin/connector/deliveries');

/**
 * Brokers for one test, against a freshly reset sandbox. The sandbox app's webhooks go to the
 * webhook broker; `ms.MessagingEventNotification.ContentEvent` may be resent once (30 s later on
 * the sandbox clock), so a refused delivery can be followed by a good one.
 */
export async function startConnector(mode: BrokerMode, sandboxUrl: string, hostUrl: string): Promise<ConnectorSetup> {
  const logs: string[] = [];
  const hostOrigin = new URL(hostUrl).origin;
  let redis: TestRedis | undefined;
  const brokers: RunningBroker[] = [];
  const close = async (): Promise<void> => {
    for (const broker of brokers) await broker.close().catch(() => {});
    await redis?.stop();
  };
  try {
    if (mode === 'redis-pair') redis = await startRedis();
    const config = brokerConfig(sandboxUrl, hostOrigin, redis === undefined ? {} : { redisUrl: redis.url });
    for (let i = 0; i < (mode === 'redis-pair' ? 2 : 1); i++) {
      const name = String.fromCharCode(65 + i);
      brokers.push(await startBroker({ config, log: (line) => logs.push(`[${name}] ${line}`) }));
    }
    const widgetBroker = brokers[0]!;
    const webhookBroker = brokers[brokers.length - 1]!;
    const endpoint = webhookEndpoint(webhookBroker);
    await sandboxAdmin(sandboxUrl, '/admin/connector/apps', {
      client_id: CLIENT_ID,
      webhooks: Object.fromEntries(
        WEBHOOK_TYPES.map((type) => [type, type === 'ms.MessagingEventNotification.ContentEvent' ? { endpoint, max_retries: 1 } : { endpoint }]),
      ),
    });
    const params = new URLSearchParams({ adapter: 'liveperson-connector', brokerUrl: widgetBroker.url });
    return { mode, widgetBroker, webhookBroker, brokers, logs, pageUrl: `${hostUrl}/host?${params}`, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A visitor driven from Node through the broker's browser API (load beside the real page). */
export class ApiVisitor {
  private token = '';
  conversationId = '';

  constructor(
    private readonly broker: RunningBroker,
    private readonly origin: string,
  ) {}

  private async call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
    const headers: Record<string, string> = { Origin: this.origin };
    if (this.token) headers['Authorization'] = `Bearer ${this.token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const response = await fetch(`${this.broker.url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : undefined };
  }

  async start(): Promise<this> {
    const visitor = await this.call('POST', '/v1/visitors');
    if (visitor.status !== 201) throw new Error(`visitor: ${visitor.status} ${JSON.stringify(visitor.json)}`);
    this.token = visitor.json.visitorToken;
    const created = await this.call('POST', '/v1/conversations', {});
    if (created.status !== 201) throw new Error(`conversation: ${created.status} ${JSON.stringify(created.json)}`);
    this.conversationId = created.json.conversationId;
    return this;
  }

  send(text: string, clientId: string): Promise<{ status: number; json: any }> {
    return this.call('POST', `/v1/conversations/${this.conversationId}/messages`, { text, clientId });
  }
}

// ---- what the page receives --------------------------------------------------------------

export interface ReceivedResponse {
  url: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Read as a stream (Server-Sent Events), chunk by chunk. */
  streamed: boolean;
}

/**
 * Every response the page receives, with its headers and body. Bodies of ordinary responses come
 * through `page.on('response')`; an event stream never ends while the page lives, so its bytes are
 * taken as they arrive through the DevTools protocol (`Network.streamResourceContent`). Preflight
 * answers and raw header blocks come from the protocol too.
 */
export class ResponseWatch {
  readonly responses: ReceivedResponse[] = [];
  private readonly pending: Promise<unknown>[] = [];
  private readonly streams = new Map<string, ReceivedResponse>();

  private constructor(private readonly cdp: CDPSession) {}

  static async attach(page: Page): Promise<ResponseWatch> {
    const cdp = await page.context().newCDPSession(page);
    const watch = new ResponseWatch(cdp);
    await cdp.send('Network.enable');
    cdp.on('Network.responseReceived', (event) => {
      const { response, requestId } = event;
      if (response.mimeType !== 'text/event-stream') {
        // Preflights are invisible to page.on('response'): their headers are recorded here.
        if (event.type === 'Preflight') watch.responses.push({ url: response.url, status: response.status, headers: lower(response.headers), body: '', streamed: false });
        return;
      }
      const entry: ReceivedResponse = { url: response.url, status: response.status, headers: lower(response.headers), body: '', streamed: true };
      watch.responses.push(entry);
      watch.streams.set(requestId, entry);
      watch.pending.push(
        cdp
          .send('Network.streamResourceContent', { requestId })
          .then((result) => (entry.body = Buffer.from(result.bufferedData, 'base64').toString('utf8') + entry.body))
          .catch(() => {}),
      );
    });
    cdp.on('Network.dataReceived', (event) => {
      const entry = watch.streams.get(event.requestId);
      if (entry !== undefined && event.data) entry.body += Buffer.from(event.data, 'base64').toString('utf8');
    });
    cdp.on('Network.responseReceivedExtraInfo', (event) => {
      // The raw header block as received (Set-Cookie and friends included).
      watch.responses.push({ url: `(raw headers ${event.requestId})`, status: event.statusCode, headers: lower(event.headers), body: event.headersText ?? '', streamed: false });
    });
    page.on('response', (response) => {
      watch.pending.push(
        (async () => {
          const headers = await response.allHeaders().catch(() => ({}) as Record<string, string>);
          if ((headers['content-type'] ?? '').startsWith('text/event-stream')) return;
          const body = await response.text().catch(() => '');
          watch.responses.push({ url: response.url(), status: response.status(), headers, body, streamed: false });
        })(),
      );
    });
    return watch;
  }

  /** Everything collected so far (waits for bodies still being read). */
  async settled(): Promise<ReceivedResponse[]> {
    await Promise.all(this.pending);
    return this.responses;
  }

  async detach(): Promise<void> {
    await this.cdp.detach().catch(() => {});
  }
}

const lower = (headers: Record<string, unknown>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers).map(([key, value]) => [key.toLowerCase(), String(value)]));

const JWT = /eyJ[\w-]{4,}\.eyJ[\w-]{4,}\.[\w-]*/g;

export function jwtPayload(token: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/** JWTs in a text, with their payloads. */
export function jwtsIn(text: string): Array<{ token: string; payload: Record<string, unknown> | undefined }> {
  return [...text.matchAll(JWT)].map((match) => ({ token: match[0], payload: jwtPayload(match[0]) }));
}

/** A LivePerson credential the broker holds: an AppJWT (Sentinel) or a ConsumerJWS. */
export function isBrokerCredential(payload: Record<string, unknown> | undefined): boolean {
  if (payload === undefined) return false;
  return payload['iss'] === 'Sentinel' || payload['scope'] === 'msg.consumer' || 'lp_consumer_id' in payload || 'ext_consumer_id' in payload;
}

/** The text of a response, headers included, for scanning. */
export const responseText = (response: ReceivedResponse): string =>
  `${Object.entries(response.headers).map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${response.body}`;
