/**
 * Connector apps (LP contract §4.1 [SB]): the app installations whose `client_id`/`client_secret`
 * mint AppJWTs, and their webhook endpoints. The sandbox has no app-install API; apps come from
 * the defaults below and the admin API (`POST /admin/connector/apps`).
 */
import { isRecord } from '../../http.ts';

/** The webhook keys of a manifest's `capabilities.webhooks` (the doc's typos corrected, §4.1). */
export const WEBHOOK_EVENT_TYPES = [
  'ms.MessagingEventNotification.ContentEvent',
  'ms.MessagingEventNotification.RichContentEvent',
  'ms.MessagingEventNotification.AcceptStatusEvent',
  'ms.MessagingEventNotification.ChatStateEvent',
  'cqm.ExConversationChangeNotification',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export type SignatureAlgorithm = 'sha1' | 'sha256';
export type SignatureEncoding = 'base64' | 'hex';

export interface WebhookHeader {
  header_name: string;
  header_value: string;
}

export interface WebhookConfig {
  endpoint: string;
  /** 0–5; absent = 0 (by count). Under `retry.retention_time`, an explicit 0 keeps the type from triggering retries. */
  max_retries?: number;
  headers?: WebhookHeader[];
}

export interface ConnectorApp {
  /** The LivePerson account the app is installed on. */
  account: string;
  client_id: string;
  client_secret: string;
  webhooks: Partial<Record<WebhookEventType, WebhookConfig>>;
  /** Retry by time to live: seconds, 2–259200; overrides `max_retries`. */
  retry?: { retention_time: number };
  /** [SB] Per app: `sha256=` instead of `sha1=`, hex instead of Base64 (default sha1, base64). */
  signature: SignatureAlgorithm;
  encoding: SignatureEncoding;
}

/** What the admin API shows: everything but the secret. */
export type ConnectorAppListing = Omit<ConnectorApp, 'client_secret'>;

export const DEFAULT_CONNECTOR_ACCOUNT = '12345678';
export const DEFAULT_CLIENT_ID = 'guestchat-broker';
export const DEFAULT_CLIENT_SECRET = 'sandbox-secret';

/** The default app: no webhook endpoints until the admin API configures them. */
export function defaultApps(): ConnectorApp[] {
  return [
    {
      account: DEFAULT_CONNECTOR_ACCOUNT,
      client_id: DEFAULT_CLIENT_ID,
      client_secret: DEFAULT_CLIENT_SECRET,
      webhooks: {},
      signature: 'sha1',
      encoding: 'base64',
    },
  ];
}

/** Headers the sandbox sets itself; a configured header may not replace them. */
const RESERVED_HEADERS = ['x-liveperson-account-id', 'x-liveperson-client-id', 'x-liveperson-signature', 'content-type', 'content-length', 'host', 'connection', 'transfer-encoding'];
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const LOCAL_HOSTS = ['localhost', '127.0.0.1'];

export class ConnectorApps {
  private apps = new Map<string, ConnectorApp>();

  constructor() {
    this.reset();
  }

  reset(): void {
    this.apps = new Map(defaultApps().map((app) => [app.client_id, app]));
  }

  get(clientId: string): ConnectorApp | undefined {
    return this.apps.get(clientId);
  }

  /** The app of `clientId` if it is installed on `account`. */
  forAccount(account: string, clientId: string): ConnectorApp | undefined {
    const app = this.apps.get(clientId);
    return app && app.account === account ? app : undefined;
  }

  list(): ConnectorAppListing[] {
    return [...this.apps.values()].map(listing);
  }

  put(app: ConnectorApp): void {
    this.apps.set(app.client_id, app);
  }

  delete(clientId: string): boolean {
    return this.apps.delete(clientId);
  }
}

export function listing(app: ConnectorApp): ConnectorAppListing {
  const { client_secret: _secret, ...rest } = app;
  return structuredClone(rest);
}

/**
 * `POST /admin/connector/apps`: creates an app, or updates the one with that `client_id`. Fields
 * given replace the stored ones (`webhooks` as a whole, like the app-install PUT); `retry: null`
 * removes the TTL policy. Returns the error text or the resulting app.
 */
export function parseAppUpdate(input: Record<string, unknown>, existing: ConnectorApp | undefined, knownAccounts: ReadonlySet<string>): ConnectorApp | string {
  const { account, client_id, client_secret, webhooks, retry, signature, encoding } = input;
  for (const key of Object.keys(input)) {
    if (!['account', 'client_id', 'client_secret', 'webhooks', 'retry', 'signature', 'encoding'].includes(key)) return `unknown field "${key}"`;
  }
  if (typeof client_id !== 'string' || client_id === '' || client_id.length > 128) return 'client_id must be a non-empty string (at most 128 characters)';
  const app: ConnectorApp = existing
    ? structuredClone(existing)
    : { account: DEFAULT_CONNECTOR_ACCOUNT, client_id, client_secret: '', webhooks: {}, signature: 'sha1', encoding: 'base64' };
  if (account !== undefined) {
    if (typeof account !== 'string' || !knownAccounts.has(account)) return `account must be a known LivePerson account (${[...knownAccounts].join(', ')})`;
    app.account = account;
  }
  if (client_secret !== undefined) {
    if (typeof client_secret !== 'string' || client_secret === '') return 'client_secret must be a non-empty string';
    app.client_secret = client_secret;
  }
  if (app.client_secret === '') return 'client_secret is required for a new app';
  if (webhooks !== undefined) {
    const parsed = parseWebhooks(webhooks);
    if (typeof parsed === 'string') return parsed;
    app.webhooks = parsed;
  }
  if (retry !== undefined) {
    if (retry === null) delete app.retry;
    else {
      const time = isRecord(retry) ? retry.retention_time : undefined;
      if (!isRecord(retry) || Object.keys(retry).some((k) => k !== 'retention_time')) return 'retry must be { retention_time } or null';
      if (typeof time !== 'number' || !Number.isInteger(time) || time < 2 || time > 259_200) return 'retry.retention_time must be an integer number of seconds, 2–259200';
      app.retry = { retention_time: time };
    }
  }
  if (signature !== undefined) {
    if (signature !== 'sha1' && signature !== 'sha256') return 'signature must be sha1 or sha256';
    app.signature = signature;
  }
  if (encoding !== undefined) {
    if (encoding !== 'base64' && encoding !== 'hex') return 'encoding must be base64 or hex';
    app.encoding = encoding;
  }
  return app;
}

function parseWebhooks(input: unknown): ConnectorApp['webhooks'] | string {
  if (!isRecord(input)) return 'webhooks must be an object keyed by event type';
  const result: ConnectorApp['webhooks'] = {};
  for (const [key, value] of Object.entries(input)) {
    if (!(WEBHOOK_EVENT_TYPES as readonly string[]).includes(key)) return `unknown webhook event type "${key}" (known: ${WEBHOOK_EVENT_TYPES.join(', ')})`;
    if (value === null) continue;
    const parsed = parseWebhook(key, value);
    if (typeof parsed === 'string') return parsed;
    result[key as WebhookEventType] = parsed;
  }
  return result;
}

function parseWebhook(key: string, value: unknown): WebhookConfig | string {
  if (!isRecord(value)) return `${key} must be { endpoint, max_retries?, headers? }`;
  for (const field of Object.keys(value)) {
    if (!['endpoint', 'max_retries', 'headers'].includes(field)) return `${key}: unknown field "${field}"`;
  }
  const endpointError = checkEndpoint(value.endpoint);
  if (endpointError) return `${key}.endpoint ${endpointError}`;
  const config: WebhookConfig = { endpoint: value.endpoint as string };
  if (value.max_retries !== undefined) {
    const n = value.max_retries;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 5) return `${key}.max_retries must be an integer 0–5`;
    config.max_retries = n;
  }
  if (value.headers !== undefined) {
    const headers = parseHeaders(value.headers);
    if (typeof headers === 'string') return `${key}.headers ${headers}`;
    config.headers = headers;
  }
  return config;
}

/** `https://` anywhere; `http://` only on localhost / 127.0.0.1 (§4.1 [SB]). Query strings are allowed. */
export function checkEndpoint(endpoint: unknown): string | undefined {
  if (typeof endpoint !== 'string') return 'must be a URL string';
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username || url.password) return 'must not carry credentials';
  if (url.hash) return 'must not carry a fragment';
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && LOCAL_HOSTS.includes(url.hostname)) return undefined;
  return 'must be https:// (http:// only on localhost or 127.0.0.1)';
}

/** The manifest's `[{header_name, header_value}]`, or a plain `{name: value}` object. */
function parseHeaders(input: unknown): WebhookHeader[] | string {
  const entries: [unknown, unknown][] = Array.isArray(input)
    ? input.map((h) => (isRecord(h) ? [h.header_name, h.header_value] : [undefined, undefined]))
    : isRecord(input)
      ? Object.entries(input)
      : [];
  if (!Array.isArray(input) && !isRecord(input)) return 'must be [{header_name, header_value}] or an object';
  const headers: WebhookHeader[] = [];
  for (const [name, value] of entries) {
    if (typeof name !== 'string' || !HEADER_NAME.test(name)) return 'need header_name: a valid header name';
    if (RESERVED_HEADERS.includes(name.toLowerCase())) return `may not set ${name} (the sandbox sets it)`;
    if (typeof value !== 'string' || /[\r\n\0]/.test(value)) return `${name}: header_value must be a string without line breaks`;
    headers.push({ header_name: name, header_value: value });
  }
  return headers;
}
