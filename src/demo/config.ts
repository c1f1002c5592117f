/**
 * What the demo page embeds, read from its own URL: `?adapter=liveperson|salesforce` (default
 * liveperson), `?sandbox=http://127.0.0.1:PORT` (default the standard sandbox), and the widget's
 * optional presentation attributes passed straight through (`locale`, `position`, `color`,
 * `title`, `debug`) so QA can try them without editing the page.
 */
export type DemoAdapter = 'liveperson' | 'salesforce' | 'liveperson-connector';

export const DEFAULT_SANDBOX = 'http://127.0.0.1:8787';
/** The broker `npm start` runs for the liveperson-connector mode. */
export const DEFAULT_BROKER = 'http://127.0.0.1:8788';
const PASSTHROUGH = ['locale', 'position', 'color', 'title', 'debug'] as const;
const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export interface DemoConfig {
  adapter: DemoAdapter;
  /** Sandbox origin, no trailing slash. */
  sandbox: string;
  /** Notes for the log, e.g. an ignored bad parameter. */
  notes: string[];
  /** The tenant key the widget stores its record under. */
  tenant: string;
  /** data-* attributes for the widget's script tag (dataset keys, camelCase). */
  dataset: Record<string, string>;
}

export const TENANTS: Record<DemoAdapter, string> = {
  liveperson: 'liveperson:12345678:guestchat-unauth',
  salesforce: 'salesforce:00D5e000000SBOX:GuestChat_Sandbox',
  'liveperson-connector': `liveperson-connector:${DEFAULT_BROKER}`,
};

/** http on this machine or https anywhere; origin (plus path) without a trailing slash. */
export function parseSandboxUrl(value: string): string | undefined {
  try {
    const url = new URL(value);
    if (url.username || url.password || url.search || url.hash) return undefined;
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname))) return undefined;
    return (url.origin + url.pathname).replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}

export function readDemoConfig(search: string): DemoConfig {
  const params = new URLSearchParams(search);
  const notes: string[] = [];
  const adapterParam = params.get('adapter');
  let adapter: DemoAdapter = 'liveperson';
  if (adapterParam === 'salesforce' || adapterParam === 'liveperson' || adapterParam === 'liveperson-connector') adapter = adapterParam;
  else if (adapterParam) notes.push(`Unknown ?adapter="${adapterParam.slice(0, 40)}" ignored: using liveperson`);

  const sandboxParam = params.get('sandbox');
  let sandbox = DEFAULT_SANDBOX;
  if (sandboxParam) {
    const parsed = parseSandboxUrl(sandboxParam);
    if (parsed) sandbox = parsed;
    else notes.push(`Bad ?sandbox="${sandboxParam.slice(0, 80)}" ignored (http only for localhost/127.0.0.1): using ${DEFAULT_SANDBOX}`);
  }

  const datasets: Record<DemoAdapter, Record<string, string>> = {
    liveperson: { adapter, account: '12345678', connectorId: 'guestchat-unauth', domainApi: sandbox },
    salesforce: { adapter, scrtUrl: sandbox, orgId: '00D5e000000SBOX', deployment: 'GuestChat_Sandbox' },
    'liveperson-connector': { adapter, brokerUrl: DEFAULT_BROKER },
  };
  const dataset = datasets[adapter];
  for (const key of PASSTHROUGH) {
    const value = params.get(key);
    if (value !== null) dataset[key] = value;
  }
  return { adapter, sandbox, notes, tenant: TENANTS[adapter], dataset };
}

/** This page's URL with some parameters changed (null removes one). */
export function demoUrl(changes: Record<string, string | null>): string {
  const url = new URL(location.href);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null) url.searchParams.delete(key);
    else url.searchParams.set(key, value);
  }
  return url.pathname + url.search + url.hash;
}
