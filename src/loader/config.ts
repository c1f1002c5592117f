/**
 * Reads and validates the script tag's data-* attributes. Nothing here throws: every problem
 * goes to the caller's report with a message naming the attribute, so the loader can tell the
 * site (console.error and the `error` event) and leave the host page alone.
 *
 * Loader-only code: it must not share runtime modules with the app (the loader is a classic
 * script; anything shared would be split into a module chunk it cannot import).
 */
import type { VendorConfig } from '../adapters/types.ts';
import type { ReasonCode } from '../errors.ts';

export const DEFAULT_DOMAIN_API = 'https://api.liveperson.net';

export type Position = 'bottom-right' | 'bottom-left';

/**
 * What the launcher needs, checked here (position, colour) and the language; the other
 * presentation attributes go to the app as written (`data-title`, `data-sound`, `data-debug`:
 * free text and flags the app reads — see src/ui/index.ts), so the loader carries no code for them.
 */
export interface WidgetOptions {
  locale: string;
  position: Position;
  /** Accent colour (CSS colour), or undefined for the default. */
  color?: string;
  title?: string;
  sound?: string;
  debug?: string;
}

/** Where each problem goes: its reason code and a message naming the attribute. */
export type Report = (reason: ReasonCode, message: string) => void;

/** A usable configuration: what the app's mount() takes from it, as it takes it. */
export interface Parsed {
  config: VendorConfig;
  tenant: string;
  options: WidgetOptions;
}

/** Anything with data-* attributes: a script element's `dataset`, or a plain record in tests. */
export type DataAttributes = Record<string, string | undefined>;

/**
 * A check with a regular expression's shape, so every rule is tested the same way: the value is
 * what it matches (the whole attribute, or the part the widget uses), none if it does not.
 */
type Check = { exec(value: string): [string] | RegExpExecArray | null };

/**
 * An attribute: its dataset key, its check (none: a service URL, see serviceUrl), and its
 * default. What each must hold is in the README's data-* table; the console names the attribute
 * and the reason code, so a site owner knows which line to read (the loader every visitor
 * downloads carries no prose about formats).
 */
type Rule = [key: string, check?: Check, fallback?: string];

/**
 * A service origin the widget may call: https anywhere, http only on this machine (the sandbox);
 * no credentials, query or fragment (the adapters parse it in full when they use it). It matches
 * the URL without its trailing slashes (the shortest path the lookahead allows).
 */
const SERVICE_URL = /^(https:\/\/[\w.-]+|http:\/\/(localhost|127\.0\.0\.1|\[::1\]))(:\d+)?(\/[\w.~%/-]*?)??(?=\/*$)/;

/**
 * Per adapter, its required attributes (domainApi has a default, so it can only be malformed).
 * The tenant key — one stored record per adapter + account/org + connector/deployment — is the
 * adapter and the values of its checked attributes (the broker mode has only its URL).
 */
const ADAPTERS: Record<VendorConfig['adapter'], Rule[]> = {
  liveperson: [['account', /^\d{1,20}$/], ['connectorId', /^[\w.-]{1,128}$/], ['domainApi', , DEFAULT_DOMAIN_API]],
  // An org id is 00D and 12 or 15 letters or digits; the 15-character form (the match) is used
  // throughout (an 18-character id is the same org).
  salesforce: [['scrtUrl'], ['orgId', /^00D[A-Za-z\d]{12}(?=([A-Za-z\d]{3})?$)/], ['deployment', /^[A-Za-z]\w{0,79}$/]],
  'liveperson-connector': [['brokerUrl']],
};

/** Presentation options are forgiving: a bad one is reported and replaced by its default. */
const OPTIONS: Rule[] = [
  ['locale', /^[a-z]{2,3}(-[a-z\d]{2,8})*$/i, 'en'],
  ['position', /^bottom-(right|left)$/, 'bottom-right'],
  // Only plain colour notations: nothing that could close the declaration or load a URL. (CSS
  // names are case-insensitive, function names included.)
  ['color', /^(#[\da-f]{3,8}|(rgb|hsl)a?\([\d.,%\s/]+\)|[a-z]{3,20})$/i],
];

/** The configuration, unless a required attribute is missing or malformed; every problem is reported. */
export function readConfig(data: DataAttributes, report: Report): Parsed | undefined {
  let ok = true;
  /**
   * One attribute's value, or its default after reporting it. Reason codes follow the
   * attribute: config-missing-<name> / config-bad-<name>, and config-bad-option for any option
   * (src/errors.ts).
   */
  const read = ([key, check, fallback]: Rule, option?: boolean) => {
    const name = key.replace(/[A-Z]/g, '-$&').toLowerCase();
    const raw = data[key]?.trim() || fallback;
    const value = raw && (check ?? SERVICE_URL).exec(raw)?.[0];
    if (!value && (raw || !option)) {
      const what = raw ? 'bad' : 'missing';
      if (!option) ok = false;
      report(`config-${what}-${option ? 'option' : name}` as ReasonCode, `${what} data-${name}`);
    }
    return value || fallback;
  };
  const values = <T>(rules: Rule[], option?: boolean) => Object.fromEntries(rules.map((rule) => [rule[0], read(rule, option)])) as T;

  const adapter = read(['adapter', { exec: (v) => (Object.hasOwn(ADAPTERS, v) ? [v] : null) }]) as VendorConfig['adapter'] | undefined;
  const rules = adapter && ADAPTERS[adapter];
  const required = rules && values<Record<string, string>>(rules);
  if (!required || !ok) return;
  return {
    config: { adapter, ...required } as VendorConfig,
    // The broker mode has only its URL; the others are keyed by their checked attributes.
    tenant: [adapter, ...rules.filter((rule) => rule[1] || !rules[1]).map(([key]) => required[key])].join(':'),
    // The free-text attributes and flags (title, sound, debug) go to the app as written.
    options: { ...data, ...values<WidgetOptions>(OPTIONS, true) },
  };
}
