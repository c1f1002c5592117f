/**
 * Live token state, redrawn every second: what the widget stored (read-only, from IndexedDB),
 * what the widget says about itself (`GuestChat.state()` and `status` events), and — when the
 * sandbox offers `GET /admin/tokens` — what the server thinks of the same identity. Countdowns
 * run on the sandbox clock, so they are right straight after a clock jump.
 */
import type { DemoConfig } from './config.ts';
import { h, setText } from './dom.ts';
import { formatCountdown, formatDuration, formatOffset, formatTime, type Urgency } from './format.ts';
import { guestChat } from './guestchat.ts';
import type { SandboxClient } from './qa-client.ts';
import type { SandboxClockView } from './qa-clock.ts';
import { readTokenRecord, type RecordReading } from './token-record.ts';

export interface TokenView {
  element: HTMLElement;
  /** The latest reading of the stored record (for the controls that need expiry times). */
  reading(): RecordReading | undefined;
  /** The best "now" for countdowns: sandbox clock, else local clock corrected by the widget's skew. */
  now(): number;
  /** Re-read right away (after an action that changes things). */
  refresh(): void;
}

interface Row {
  value: HTMLElement;
  note: HTMLElement;
}

export function createTokenView(config: DemoConfig, clock: SandboxClockView, client: SandboxClient): TokenView {
  const lp = config.adapter === 'liveperson';
  const list = h('dl', { class: 'facts' });
  const rows = new Map<string, Row>();
  const row = (key: string, label: string, title?: string) => {
    const value = h('span', { class: 'fact-value' });
    const note = h('span', { class: 'fact-note' });
    list.append(h('dt', { title }, label), h('dd', {}, value, note));
    rows.set(key, { value, note });
  };
  row('status', 'Widget status', 'From the status event and GuestChat.state()');
  row('database', 'IndexedDB', 'Database "guestchat", store "records", key = tenant');
  row('subject', 'Subject');
  row('external', lp ? 'External token expires' : 'Guest token expires', lp ? 'The IdP anonymous token (10 min by default)' : 'The guest access token');
  row('window', 'Refresh window ends', lp ? 'Counted from the identity’s first issue (730 h)' : 'Salesforce: the guest token’s own expiry');
  row('internal', lp ? 'Internal token expires' : 'Access token expires', lp ? 'Consumer JWT from authenticate?v=3.0' : 'Salesforce uses the guest token itself');
  row('issued', 'Identity first issued');
  row('conversation', 'Conversation');
  row('skew', 'Clock skew', 'Widget: stored server − local offset. Panel: sandbox − this page');
  row('sandboxClock', 'Sandbox clock');
  row('server', 'Server view', 'GET /admin/tokens (optional sandbox endpoint)');

  let lastReading: RecordReading | undefined;
  let lastStatusEvent: string | undefined;
  let serverTokens: Record<string, unknown>[] | undefined;
  let serverTokensSupported = true;
  let reading = false;

  const api = () => guestChat();
  // Status events are logged elsewhere too; here we only keep the latest.
  const watchStatus = () => {
    const gc = api();
    if (!gc) return false;
    gc.on('status', (detail) => {
      if (typeof detail === 'object' && detail !== null && 'status' in detail) lastStatusEvent = String((detail as { status: unknown }).status);
    });
    return true;
  };
  if (!watchStatus()) {
    const waitForApi = setInterval(() => {
      if (watchStatus()) clearInterval(waitForApi);
    }, 200);
  }

  const now = () => clock.now() ?? Date.now() + (recordOf(lastReading)?.skewMs ?? 0);

  const set = (key: string, value: string, note = '', urgency?: Urgency) => {
    const r = rows.get(key);
    if (!r) return;
    setText(r.value, value);
    setText(r.note, note);
    r.value.dataset.urgency = urgency ?? '';
  };

  const countdownRow = (key: string, at: number | undefined, pastWord?: string) => {
    if (at === undefined) return set(key, '—');
    const { text, urgency } = formatCountdown(at, now(), pastWord);
    set(key, text, formatTime(at), urgency);
  };

  function render() {
    const gc = api();
    const state = gc?.state();
    const status = state ? state.status : 'script not loaded';
    const extras = state ? [state.loaded ? 'loaded' : 'not loaded', state.open ? 'open' : 'closed', `unread ${state.unread}`] : [];
    if (lastStatusEvent && state && lastStatusEvent !== state.status) extras.push(`last event: ${lastStatusEvent}`);
    set('status', status, extras.join(' · '), status === 'error' ? 'past' : status === 'online' ? 'ok' : undefined);

    const r = lastReading;
    const record = recordOf(r);
    if (!r) set('database', 'reading…');
    else if (r.database === 'absent') set('database', 'no database', 'nothing stored (expected before the first click)');
    else if (r.database === 'unsupported') set('database', 'cannot check', 'indexedDB.databases() is missing: not opened, to avoid creating it');
    else if (r.database === 'error') set('database', 'read failed', r.message);
    else if (!record) set('database', 'present', r.storeMissing ? 'no "records" store' : `no record for ${config.tenant}`);
    else set('database', 'record stored', `${config.tenant}${record.version === 1 ? '' : ` · v=${String(record.version)}`}`);

    const subject = record?.access?.subject ?? record?.identity?.subject;
    set('subject', subject ?? '—', record?.identity?.subject && record.access?.subject && record.identity.subject !== record.access.subject ? `identity ${record.identity.subject}` : '');
    countdownRow('external', record?.identity?.expiresAt);
    countdownRow('window', record?.identity?.windowEndsAt, 'ended');
    countdownRow('internal', record?.access?.expiresAt);
    set('issued', record?.identity?.issuedAt !== undefined ? formatTime(record.identity.issuedAt) : '—');

    const stored = record?.conversationId;
    const live = state?.conversationId ?? undefined;
    const conversationNote = [stored && live && stored !== live ? `widget says ${live}` : '', record?.hasCursor ? 'resume cursor stored' : '']
      .filter(Boolean)
      .join(' · ');
    set('conversation', stored ?? live ?? '—', conversationNote);

    const panelSkew = clock.skewMs;
    set(
      'skew',
      record?.skewMs !== undefined ? `widget ${formatOffset(record.skewMs)}` : 'widget —',
      panelSkew !== undefined ? `panel ${formatOffset(panelSkew)}` : 'panel — (sandbox not reached)',
    );

    const sandboxNow = clock.now();
    const jumped = clock.jumpedMs;
    if (sandboxNow === undefined) set('sandboxClock', 'unknown', 'sandbox unreachable: countdowns use the local clock', 'past');
    else set('sandboxClock', formatTime(sandboxNow), jumped ? `jumped ${formatOffset(jumped)} ahead of real time` : 'real time');

    renderServerView(subject);
  }

  function renderServerView(subject: string | undefined) {
    if (!serverTokensSupported) return set('server', 'not offered', 'this sandbox has no GET /admin/tokens');
    if (!serverTokens) return set('server', '—');
    const mine = serverTokens.filter((t) => !t.adapter || t.adapter === config.adapter);
    const match = (subject && mine.find((t) => Object.values(t).includes(subject))) || undefined;
    if (!match) return set('server', mine.length ? `${mine.length} identit${mine.length === 1 ? 'y' : 'ies'}, none matching` : 'no identities');
    const parts: string[] = [];
    for (const [key, value] of Object.entries(match)) {
      if (/token|jwt|secret/i.test(key) && typeof value === 'string') continue;
      if (typeof value === 'boolean') parts.push(`${key}: ${value ? 'yes' : 'no'}`);
      else if (typeof value === 'number' && value > 1e12) {
        const label = key.replace(/At$/, '');
        if (/issued/i.test(key)) parts.push(`${label} ${formatDuration(now() - value)} ago`);
        else parts.push(`${label} ${formatCountdown(value, now(), /ends/i.test(key) ? 'ended' : 'expired').text}`);
      }
    }
    const revoked = match.revoked === true;
    set('server', revoked ? 'revoked' : 'known', parts.join(' · '), revoked ? 'past' : undefined);
  }

  async function readRecord() {
    if (reading) return;
    reading = true;
    try {
      lastReading = await readTokenRecord(config.tenant);
    } finally {
      reading = false;
    }
    render();
  }

  async function readServerTokens() {
    if (!serverTokensSupported) return;
    const result = await client.tokens();
    if (result.ok) serverTokens = result.data;
    else if (result.status === 404) serverTokensSupported = false;
  }

  setInterval(() => void readRecord(), 1_000);
  setInterval(() => void readServerTokens(), 3_000);
  void readRecord();
  void readServerTokens();

  return {
    element: list,
    reading: () => lastReading,
    now,
    refresh: () => {
      void readRecord();
      void readServerTokens();
    },
  };
}

export function recordOf(reading: RecordReading | undefined) {
  return reading && reading.database === 'present' ? reading.record : undefined;
}
