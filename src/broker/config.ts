/**
 * The broker's configuration, read once from the environment (README: "Environment"). Every
 * problem is a ConfigError naming the variable; no value of a secret is ever put in a message.
 */
import { ConfigError } from './errors.ts';

export interface BrokerConfig {
  /** LivePerson account (site) id. */
  account: string;
  /** The Connector API app's client id (also checked on every webhook). */
  clientId: string;
  /** The app's client secret: Sentinel credential and webhook HMAC key. Never leaves the broker. */
  clientSecret: string;
  /** Domain API origin, no trailing slash. Hosts it returns inherit its scheme. */
  domainApi: string;
  /** Skill for new conversations; undefined = the account's default routing. */
  skillId?: string;
  port: number;
  host: string;
  /** Public origin of this broker, for the webhook endpoint to register with LivePerson. */
  publicUrl: string;
  /** HS256 key for visitor tokens; undefined = a random key per process (restarts invalidate visitors). */
  secret?: string;
  /** Origins whose pages may call the browser routes; `['*']` = any (development only). */
  allowedOrigins: string[];
  /** How many reverse proxies in front of the broker append to X-Forwarded-For (0 = use the socket address). */
  trustProxy: number;
  /** Redis for shared state and event streams; undefined = one process, all in memory. */
  redisUrl?: string;
}

export const DEFAULT_DOMAIN_API = 'https://api.liveperson.net';
export const DEFAULT_BROKER_PORT = 8788;

type Env = Record<string, string | undefined>;

const nonEmpty = (env: Env, name: string): string | undefined => {
  const value = env[name]?.trim();
  return value ? value : undefined;
};

const required = (env: Env, name: string, what: string): string => {
  const value = nonEmpty(env, name);
  if (value === undefined) throw new ConfigError(`${name} is required (${what})`);
  return value;
};

/** `http:` is accepted only for localhost / 127.0.0.1 (a local sandbox), as in the widget. */
export function isLocalHttp(url: URL): boolean {
  return url.protocol === 'http:' && (url.hostname === 'localhost' || url.hostname === '127.0.0.1');
}

export function parseDomainApi(raw: string, name = 'LP_DOMAIN_API'): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an origin such as ${DEFAULT_DOMAIN_API}, got "${raw}"`);
  }
  if (url.protocol !== 'https:' && !isLocalHttp(url)) {
    throw new ConfigError(`${name} must use https (http only for localhost or 127.0.0.1), got "${raw}"`);
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username || url.password) {
    throw new ConfigError(`${name} must be an origin without path, query or credentials, got "${raw}"`);
  }
  return url.origin;
}

export function parseOrigins(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  const origins: string[] = [];
  for (const item of raw.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (item === '*') {
      origins.push('*');
      continue;
    }
    let url: URL;
    try {
      url = new URL(item);
    } catch {
      throw new ConfigError(`BROKER_ALLOWED_ORIGINS: "${item}" is not an origin (e.g. https://www.example.com)`);
    }
    if (url.origin === 'null' || url.origin !== item.replace(/\/$/, '')) {
      throw new ConfigError(`BROKER_ALLOWED_ORIGINS: "${item}" must be a bare origin (scheme://host[:port])`);
    }
    origins.push(url.origin);
  }
  return origins;
}

export function loadConfig(env: Env = process.env): BrokerConfig {
  const account = required(env, 'LP_ACCOUNT', 'the LivePerson account id');
  if (!/^[A-Za-z0-9]{1,32}$/.test(account)) throw new ConfigError(`LP_ACCOUNT must be an account id (digits), got "${account}"`);
  const clientId = required(env, 'LP_CLIENT_ID', "the Connector API app's client id");
  const clientSecret = required(env, 'LP_CLIENT_SECRET', "the Connector API app's client secret");
  const domainApi = parseDomainApi(nonEmpty(env, 'LP_DOMAIN_API') ?? DEFAULT_DOMAIN_API);

  const portRaw = nonEmpty(env, 'BROKER_PORT');
  const port = portRaw === undefined ? DEFAULT_BROKER_PORT : Number(portRaw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`BROKER_PORT must be a port number, got "${portRaw}"`);
  const host = nonEmpty(env, 'BROKER_HOST') ?? '127.0.0.1';

  const publicRaw = nonEmpty(env, 'BROKER_PUBLIC_URL') ?? `http://localhost:${port}`;
  let publicUrl: string;
  try {
    const url = new URL(publicRaw);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('scheme');
    publicUrl = url.href.replace(/\/$/, '');
  } catch {
    throw new ConfigError(`BROKER_PUBLIC_URL must be an http(s) URL, got "${publicRaw}"`);
  }

  const secret = nonEmpty(env, 'BROKER_SECRET');
  if (secret !== undefined && Buffer.byteLength(secret) < 32) {
    throw new ConfigError('BROKER_SECRET must be at least 32 bytes (e.g. `openssl rand -base64 48`)');
  }

  const trustRaw = nonEmpty(env, 'BROKER_TRUST_PROXY') ?? '0';
  const trustProxy = Number(trustRaw);
  if (!Number.isInteger(trustProxy) || trustProxy < 0 || trustProxy > 10) {
    throw new ConfigError(`BROKER_TRUST_PROXY must be the number of proxies in front of the broker (0-10), got "${trustRaw}"`);
  }

  const redisUrl = nonEmpty(env, 'REDIS_URL');
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) {
    throw new ConfigError('REDIS_URL must be a redis:// or rediss:// URL');
  }

  const skillId = nonEmpty(env, 'LP_SKILL_ID');
  return {
    account,
    clientId,
    clientSecret,
    domainApi,
    ...(skillId === undefined ? {} : { skillId }),
    port,
    host,
    publicUrl,
    ...(secret === undefined ? {} : { secret }),
    allowedOrigins: parseOrigins(nonEmpty(env, 'BROKER_ALLOWED_ORIGINS')),
    trustProxy,
    ...(redisUrl === undefined ? {} : { redisUrl }),
  };
}
