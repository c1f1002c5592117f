/**
 * The GuestChat broker (Node only): holds a LivePerson Connector API app's credentials, gives
 * each anonymous visitor a token of its own, relays the visitor's conversation requests to
 * LivePerson with the AppJWT and the visitor's ConsumerJWS, and streams LivePerson's webhook
 * events to the visitor's browser. `startBroker()` is the one entry point (main.ts runs it from
 * the environment; tests run it in-process). Browser code never imports this folder.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createClient } from 'redis';
import { BrowserApi, DEFAULT_ISSUE_LIMIT, DEFAULT_REFRESH_LIMIT, type RateLimit } from './api.ts';
import { AppJwtCache, sentinelFetcher } from './app-jwt.ts';
import type { BrokerConfig } from './config.ts';
import { Conversations } from './conversations.ts';
import { discoverServices, type ServiceOrigins } from './domain.ts';
import { MemoryEventLog, type EventLog } from './event-log.ts';
import { Cors } from './http.ts';
import { LivePerson } from './liveperson.ts';
import { RedisEventLog } from './redis-event-log.ts';
import { RedisStore, type RedisCommander } from './redis-store.ts';
import { createBrokerServer } from './server.ts';
import { EventStreams } from './sse.ts';
import { MemoryStore, type Store } from './store.ts';
import { VisitorTokens } from './visitor-tokens.ts';
import { WEBHOOK_PATH, WebhookReceiver } from './webhook.ts';

export type { BrokerConfig } from './config.ts';
export { loadConfig } from './config.ts';
export { ConfigError, CredentialsError } from './errors.ts';

export interface BrokerOptions {
  config: BrokerConfig;
  /** For tests: the broker's clock (token expiries, cache lifetimes). */
  now?: () => number;
  fetchImpl?: typeof fetch;
  /** Log lines (default console.log with a `[broker]` prefix); `quiet` drops them. */
  log?: (line: string) => void;
  quiet?: boolean;
  issueLimit?: RateLimit;
  refreshLimit?: RateLimit;
  visitorTokenTtlMs?: number;
  refreshWindowMs?: number;
  keepAliveMs?: number;
}

export interface RunningBroker {
  /** Origin the broker listens on, e.g. `http://127.0.0.1:8788`. */
  url: string;
  port: number;
  /** The endpoint to register for every webhook event type (from BROKER_PUBLIC_URL). */
  webhookUrl: string;
  /** Which mode the shared state runs in. */
  mode: 'memory' | 'redis';
  /** Internals for tests and diagnostics (no credential is reachable from here). */
  stats(): { appJwtRenewals: number; consumerJwsMints: number; webhooksReceived: number; webhooksRefused: number; streams: number };
  /** Resolves once every acknowledged webhook has been processed (tests). */
  webhooksIdle(): Promise<void>;
  close(): Promise<void>;
}

export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const { config } = options;
  const now = options.now ?? Date.now;
  const log = options.quiet ? () => {} : (options.log ?? ((line: string) => console.log(`[broker] ${line}`)));
  const fetchImpl = options.fetchImpl ?? fetch;
  const secrets = [config.clientSecret];

  const services: ServiceOrigins = await discoverServices(config.domainApi, config.account, fetchImpl);
  const appJwt = new AppJwtCache(
    sentinelFetcher({ sentinel: services.sentinel, account: config.account, clientId: config.clientId, clientSecret: config.clientSecret, fetchImpl }),
    now,
    0.8,
    { onError: (error) => log(`AppJWT background renewal failed (${error instanceof Error ? error.name : 'error'}); will retry on the next request`) },
  );
  // Fail at start, with a message for the site owner, when the credentials are wrong.
  await appJwt.prime();

  let secret = config.secret;
  if (secret === undefined) {
    secret = randomBytes(32).toString('base64');
    log('warning: BROKER_SECRET is not set; a random key is used, so a restart invalidates every visitor token (and every instance needs the same key)');
  }
  const tokens = new VisitorTokens(secret, {
    now,
    ...(options.visitorTokenTtlMs === undefined ? {} : { ttlMs: options.visitorTokenTtlMs }),
    ...(options.refreshWindowMs === undefined ? {} : { windowMs: options.refreshWindowMs }),
  });

  let store: Store;
  let events: EventLog;
  const cleanups: Array<() => Promise<void>> = [];
  if (config.redisUrl) {
    const prefix = `gcb:${config.account}:`;
    const client = createClient({ url: config.redisUrl });
    client.on('error', (error: Error) => log(`redis: ${error.message}`));
    await client.connect();
    const reader = client.duplicate();
    reader.on('error', (error: Error) => log(`redis (reader): ${error.message}`));
    await reader.connect();
    const commander = client as unknown as RedisCommander;
    store = new RedisStore(commander, prefix);
    const redisEvents = new RedisEventLog(commander, reader as unknown as RedisCommander, prefix, log);
    await redisEvents.start();
    events = redisEvents;
    cleanups.push(async () => {
      reader.destroy();
      await client.close();
    });
  } else {
    store = new MemoryStore(now);
    events = new MemoryEventLog(now);
  }
  if (config.allowedOrigins.length === 0) {
    log('warning: BROKER_ALLOWED_ORIGINS is empty; no web page may call the broker');
  }

  const conversations = new Conversations(store);
  const lp = new LivePerson({ account: config.account, services, appJwt, store, fetchImpl, log });
  const api = new BrowserApi({
    tokens,
    store,
    conversations,
    lp,
    ...(config.skillId === undefined ? {} : { skillId: config.skillId }),
    trustProxy: config.trustProxy,
    issueLimit: options.issueLimit ?? DEFAULT_ISSUE_LIMIT,
    refreshLimit: options.refreshLimit ?? DEFAULT_REFRESH_LIMIT,
    now,
    secrets,
    log,
  });
  const streams = new EventStreams({ events, tokens, now, ...(options.keepAliveMs === undefined ? {} : { keepAliveMs: options.keepAliveMs }) });
  const webhook = new WebhookReceiver({
    account: config.account,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    store,
    conversations,
    events,
    now,
    log,
  });
  const server = createBrokerServer({ api, streams, webhook, cors: new Cors(config.allowedOrigins), secrets, log });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const publicUrl = config.port === 0 && config.publicUrl === `http://localhost:${config.port}` ? url : config.publicUrl;

  return {
    url,
    port,
    webhookUrl: `${publicUrl}${WEBHOOK_PATH}`,
    mode: config.redisUrl ? 'redis' : 'memory',
    stats: () => ({
      appJwtRenewals: appJwt.renewals,
      consumerJwsMints: lp.mints,
      webhooksReceived: webhook.received,
      webhooksRefused: webhook.refused,
      streams: streams.connections,
    }),
    webhooksIdle: () => webhook.idle(),
    close: async () => {
      appJwt.close();
      streams.closeAll();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await webhook.idle();
      await events.close();
      await store.close();
      for (const cleanup of cleanups) await cleanup();
    },
  };
}
