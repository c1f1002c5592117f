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
  return config.adapter === 'liveperson'
    ? `liveperson:${config.account}:${config.connectorId}`
    : `salesforce:${config.orgId.slice(0, 15)}:${config.deployment}`;
}

export function readConfig(data: DataAttributes): ConfigResult {
  const issues: ConfigIssue[] = [];
  const issue = (reason: ReasonCode, attribute: string, message: string) => {
    issues.push({ reason, attribute, message });
  };
  const text = (key: string) => {
    const value = data[key]?.trim();
    return value ? value : undefined;
  };

  const adapter = text('adapter');
  let config: VendorConfig | undefined;
  if (!adapter) {
    issue('config-missing-adapter', 'data-adapter', 'data-adapter is required: "liveperson" or "salesforce"');
  } else if (adapter === 'liveperson') {
    const account = text('account');
    const connectorId = text('connectorId');
    const domainApiRaw = text('domainApi') ?? DEFAULT_DOMAIN_API;
    const domainApi = parseServiceUrl(domainApiRaw);
    if (!account) issue('config-missing-account', 'data-account', 'data-account is required (your LivePerson account id)');
    else if (!/^\d{1,20}$/.test(account)) issue('config-bad-account', 'data-account', 'data-account must be digits only');
    if (!connectorId) issue('config-missing-connector-id', 'data-connector-id', 'data-connector-id is required (the unauthenticated connector id)');
    else if (!/^[A-Za-z0-9_.-]{1,128}$/.test(connectorId)) issue('config-bad-connector-id', 'data-connector-id', 'data-connector-id may contain only letters, digits, "_", "-" and "."');
    if (!domainApi) issue('config-bad-domain-api', 'data-domain-api', 'data-domain-api must be an https URL (http only for localhost or 127.0.0.1)');
    if (account && connectorId && domainApi && !issues.length) config = { adapter, account, connectorId, domainApi };
  } else if (adapter === 'salesforce') {
    const scrtRaw = text('scrtUrl');
    const scrtUrl = scrtRaw ? parseServiceUrl(scrtRaw) : undefined;
    const orgId = text('orgId');
    const deployment = text('deployment');
    if (!scrtRaw) issue('config-missing-scrt-url', 'data-scrt-url', 'data-scrt-url is required (your SCRT URL)');
    else if (!scrtUrl) issue('config-bad-scrt-url', 'data-scrt-url', 'data-scrt-url must be an https URL (http only for localhost or 127.0.0.1)');
    if (!orgId) issue('config-missing-org-id', 'data-org-id', 'data-org-id is required (your Salesforce org id)');
    else if (!/^00D[A-Za-z0-9]{12}([A-Za-z0-9]{3})?$/.test(orgId)) issue('config-bad-org-id', 'data-org-id', 'data-org-id must be a 15- or 18-character id starting with 00D');
    if (!deployment) issue('config-missing-deployment', 'data-deployment', 'data-deployment is required (the Embedded Service deployment API name)');
    else if (!/^[A-Za-z][A-Za-z0-9_]{0,79}$/.test(deployment)) issue('config-bad-deployment', 'data-deployment', 'data-deployment must start with a letter and contain only letters, digits and "_"');
    if (scrtUrl && orgId && deployment && !issues.length) config = { adapter, scrtUrl, orgId, deployment };
  } else {
    issue('config-bad-adapter', 'data-adapter', `data-adapter must be "liveperson" or "salesforce", not "${adapter.slice(0, 40)}"`);
  }
  if (!config) return { ok: false, issues };

  // Presentation options are forgiving: a bad one is reported and replaced by its default.
  const options: WidgetOptions = { locale: 'en', position: 'bottom-right', debug: false };
  const locale = text('locale');
  if (locale) {
    if (/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/.test(locale)) options.locale = locale;
    else issue('config-bad-option', 'data-locale', 'data-locale must be a language tag such as "en" or "he"');
  }
  const position = text('position');
  if (position) {
    if (position === 'bottom-right' || position === 'bottom-left') options.position = position;
    else issue('config-bad-option', 'data-position', 'data-position must be "bottom-right" or "bottom-left"');
  }
  const color = text('color');
  if (color) {
    // Only plain colour notations: nothing that could close the declaration or load a URL.
    if (/^(#[0-9a-fA-F]{3,8}|(rgb|hsl)a?\([0-9.,%\s/]+\)|[a-zA-Z]{3,20})$/.test(color)) options.color = color;
    else issue('config-bad-option', 'data-color', 'data-color must be a CSS colour such as "#0b5fff"');
  }
  const title = text('title');
  if (title) options.title = title.slice(0, 80);
  const debug = data.debug;
  options.debug = debug !== undefined && debug !== 'false';
  return { ok: true, config, tenant: tenantKey(config), options, issues };
}
