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

const LOCAL_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/**
 * An origin the widget may call: https anywhere, http only on this machine (the sandbox), no
 * credentials, query or fragment. Returns the origin-plus-path without a trailing slash, or undefined.
 */
export function parseServiceUrl(value: string): string | undefined {
  try {
    const { href, origin, pathname, protocol, hostname } = new URL(value);
    const base = origin + pathname;
    // href === origin + path: no credentials, no query, no fragment.
    if (href === base && (protocol === 'https:' || (protocol === 'http:' && LOCAL_HOSTS.includes(hostname)))) return base.replace(/\/+$/, '');
  } catch {
    // not a URL
  }
  return undefined;
}

type Check = (value: string) => string | undefined;

/** An attribute: its dataset key, its check, what a site owner must put there, and its default. */
type Rule = [key: string, check: Check, expected: string, fallback?: string];

const matching = (pattern: RegExp) => (value: string) => (pattern.test(value) ? value : undefined);

const URL_EXPECTED = 'an https URL (http only for localhost)';

/**
 * Per adapter: its required attributes (domainApi has a default, so it can only be malformed)
 * and its tenant key — one stored record per adapter + account/org + connector/deployment.
 */
const ADAPTERS: Record<VendorConfig['adapter'], [rules: Rule[], tenant: (values: Record<string, string | undefined>) => string]> = {
  liveperson: [
    [
      ['account', matching(/^\d{1,20}$/), 'digits'],
      ['connectorId', matching(/^[\w.-]{1,128}$/), 'letters, digits, _ - .'],
      ['domainApi', parseServiceUrl, URL_EXPECTED, DEFAULT_DOMAIN_API],
    ],
    (c) => `${c.account}:${c.connectorId}`,
  ],
  salesforce: [
    [
      ['scrtUrl', parseServiceUrl, URL_EXPECTED],
      // 00D and 12 or 15 letters or digits (a 15- or 18-character id).
      ['orgId', matching(/^00D([A-Za-z\d]{3}){4,5}$/), '15 or 18 characters starting with 00D'],
      ['deployment', matching(/^[A-Za-z]\w{0,79}$/), 'an API name like GuestChat_Web'],
    ],
    // The 15-character form: an 18-character org id is the same org.
    (c) => `${c.orgId!.slice(0, 15)}:${c.deployment}`,
  ],
  'liveperson-connector': [[['brokerUrl', parseServiceUrl, URL_EXPECTED]], (c) => c.brokerUrl!],
};

/** Presentation options are forgiving: a bad one is reported and replaced by its default. */
const OPTIONS: Rule[] = [
  ['locale', matching(/^[a-z]{2,3}(-[a-z\d]{2,8})*$/i), 'a language tag like en or he', 'en'],
  ['position', matching(/^bottom-(right|left)$/), 'bottom-right or bottom-left', 'bottom-right'],
  // Only plain colour notations: nothing that could close the declaration or load a URL.
  ['color', matching(/^(#[\dA-Fa-f]{3,8}|(rgb|hsl)a?\([\d.,%\s/]+\)|[A-Za-z]{3,20})$/), 'a CSS colour like #0b5fff'],
];

const flag = (value?: string) => value !== undefined && value !== 'false';

export function readConfig(data: DataAttributes): ConfigResult {
  const issues: ConfigIssue[] = [];
  /**
   * One attribute's value, or undefined after reporting it. Reason codes follow the attribute:
   * config-missing-<name> / config-bad-<name>, and config-bad-option for any option (src/errors.ts).
   */
  const read = ([key, check, expected, fallback]: Rule, option?: boolean) => {
    const name = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    const raw = data[key]?.trim();
    const value = check(raw || fallback || '');
    if (!value && (raw || !option)) {
      issues.push({
        reason: `config-${raw ? 'bad' : 'missing'}-${option ? 'option' : name}` as ReasonCode,
        attribute: `data-${name}`,
        message: `data-${name} is ${raw ? 'invalid' : 'required'}: ${expected}`,
      });
    }
    // A bad option falls back to its default (a bad required attribute fails the whole config).
    return value || fallback;
  };
  const readAll = (rules: Rule[], option?: boolean) => Object.fromEntries(rules.map((rule) => [rule[0], read(rule, option)]));

  const adapter = read(['adapter', (v) => (Object.hasOwn(ADAPTERS, v) ? v : undefined), `one of ${Object.keys(ADAPTERS).join(', ')}`]) as
    | VendorConfig['adapter']
    | undefined;
  if (!adapter) return { ok: false, issues };
  const [rules, tenant] = ADAPTERS[adapter];
  const values = readAll(rules);
  if (issues.length) return { ok: false, issues };
  const config = { adapter, ...values } as VendorConfig;
  const options = {
    ...readAll(OPTIONS, true),
    title: data.title?.trim().slice(0, 80) || undefined,
    sound: flag(data.sound),
    debug: flag(data.debug),
  } as WidgetOptions;
  return { ok: true, config, tenant: `${adapter}:${tenant(values)}`, options, issues };
}
