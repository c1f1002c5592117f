/**
 * Reads and validates the script tag's data-* attributes. Nothing here throws: every problem
 * comes back as an issue naming the attribute, so the loader can report it (console.error and
 * the `error` event) and leave the host page alone.
 *
 * Loader-only code: it must not share runtime modules with the app (the loader is a classic
 * script; anything shared would be split into a module chunk it cannot import).
 */
import type { VendorConfig } from '../adapters/types.ts';
import type { ReasonCode } from '../errors.ts';

export const DEFAULT_DOMAIN_API = 'https://api.liveperson.net';

export type Position = 'bottom-right' | 'bottom-left';

export interface WidgetOptions {
  locale: string;
  position: Position;
  /** Accent colour (CSS colour), or undefined for the default. */
  color?: string;
  title?: string;
  /** Play a short tone for unread replies (`data-sound`). */
  sound: boolean;
  debug: boolean;
}

export interface ConfigIssue {
  reason: ReasonCode;
  attribute: string;
  message: string;
}

export type ConfigResult =
  | { ok: true; config: VendorConfig; tenant: string; options: WidgetOptions; issues: ConfigIssue[] }
  | { ok: false; issues: ConfigIssue[] };

/** Anything with data-* attributes: a script element's `dataset`, or a plain record in tests. */
export type DataAttributes = Record<string, string | undefined>;

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * An origin the widget may call: https anywhere, http only on this machine (the sandbox).
 * Returns the origin-plus-path without a trailing slash, or undefined.
 */
export function parseServiceUrl(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.username || url.password || url.search || url.hash) return undefined;
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname))) return undefined;
  return (url.origin + url.pathname).replace(/\/+$/, '');
}

/** The tenant key: one stored record per adapter + account/org + connector/deployment. */
export function tenantKey(config: VendorConfig): string {
  switch (config.adapter) {
    case 'liveperson':
      return `liveperson:${config.account}:${config.connectorId}`;
    case 'salesforce':
      return `salesforce:${config.orgId.slice(0, 15)}:${config.deployment}`;
    case 'liveperson-connector':
      return `liveperson-connector:${config.brokerUrl}`;
  }
}

/** A required attribute: its dataset key, the rule it must meet, and what to tell a site owner. */
type Rule = [key: string, attribute: string, valid: (value: string) => string | undefined, expected: string];

const matching = (pattern: RegExp) => (value: string) => (pattern.test(value) ? value : undefined);

const RULES: Record<VendorConfig['adapter'], Rule[]> = {
  liveperson: [
    ['account', 'account', matching(/^\d{1,20}$/), 'your LivePerson account id, digits'],
    ['connectorId', 'connector-id', matching(/^[\w.-]{1,128}$/), 'the unauthenticated connector id (letters, digits, _ - .)'],
  ],
  salesforce: [
    ['scrtUrl', 'scrt-url', parseServiceUrl, 'your SCRT URL, https (http only for localhost)'],
    ['orgId', 'org-id', matching(/^00D[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$/), 'your org id, 15 or 18 characters starting with 00D'],
    ['deployment', 'deployment', matching(/^[A-Za-z]\w{0,79}$/), 'the Embedded Service deployment API name'],
  ],
  'liveperson-connector': [['brokerUrl', 'broker-url', parseServiceUrl, "your GuestChat broker's URL, https (http only for localhost)"]],
};

export function readConfig(data: DataAttributes): ConfigResult {
  const issues: ConfigIssue[] = [];
  /** Reason codes follow the attribute: config-missing-<name> / config-bad-<name> (src/errors.ts). */
  const issue = (missing: boolean, name: string, expected: string) => {
    issues.push({
      reason: `config-${missing ? 'missing' : 'bad'}-${name}` as ReasonCode,
      attribute: `data-${name}`,
      message: `data-${name} is ${missing ? 'required' : 'invalid'}: ${expected}`,
    });
  };
  const text = (key: string) => data[key]?.trim() || undefined;

  const adapter = text('adapter');
  if (adapter !== 'liveperson' && adapter !== 'salesforce' && adapter !== 'liveperson-connector') {
    issue(!adapter, 'adapter', '"liveperson", "salesforce" or "liveperson-connector"');
    return { ok: false, issues };
  }
  const values: Record<string, string> = {};
  for (const [key, name, valid, expected] of RULES[adapter]) {
    const raw = text(key);
    const value = raw && valid(raw);
    if (value) values[key] = value;
    else issue(!raw, name, expected);
  }
  if (adapter === 'liveperson') {
    const domainApi = parseServiceUrl(text('domainApi') ?? DEFAULT_DOMAIN_API);
    if (domainApi) values.domainApi = domainApi;
    else issue(false, 'domain-api', 'an https URL (http only for localhost)');
  }
  if (issues.length) return { ok: false, issues };
  const config = { adapter, ...values } as VendorConfig;

  // Presentation options are forgiving: a bad one is reported and replaced by its default.
  const flag = (key: string) => data[key] !== undefined && data[key] !== 'false';
  const options: WidgetOptions = { locale: 'en', position: 'bottom-right', sound: flag('sound'), debug: flag('debug') };
  const option = (key: string, pattern: RegExp, expected: string, apply: (value: string) => void) => {
    const value = text(key);
    if (!value) return;
    if (pattern.test(value)) apply(value);
    else issues.push({ reason: 'config-bad-option', attribute: `data-${key}`, message: `data-${key} is invalid: ${expected}` });
  };
  option('locale', /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'a language tag such as "en" or "he"', (v) => (options.locale = v));
  option('position', /^bottom-(right|left)$/, '"bottom-right" or "bottom-left"', (v) => (options.position = v as Position));
  // Only plain colour notations: nothing that could close the declaration or load a URL.
  option('color', /^(#[0-9a-fA-F]{3,8}|(rgb|hsl)a?\([0-9.,%\s/]+\)|[a-zA-Z]{3,20})$/, 'a CSS colour such as "#0b5fff"', (v) => (options.color = v));
  const title = text('title');
  if (title) options.title = title.slice(0, 80);
  return { ok: true, config, tenant: tenantKey(config), options, issues };
}
