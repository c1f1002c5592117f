/**
 * The event log: every public widget event (captured from before the script loads), plus the
 * panel's own QA actions and notes, newest first. Entries are kept even before the panel is
 * drawn, so nothing early is lost.
 */
import { h, replaceChildren } from './dom.ts';
import { safeJson } from './format.ts';

export type LogKind = 'event' | 'qa' | 'note';

export interface LogEntry {
  at: number;
  kind: LogKind;
  name: string;
  detail?: unknown;
}

const MAX_ENTRIES = 500;

export class EventLog {
  private entries: LogEntry[] = [];
  private readonly listeners = new Set<(entry: LogEntry | undefined) => void>();

  add(kind: LogKind, name: string, detail?: unknown): void {
    const entry: LogEntry = { at: Date.now(), kind, name, detail };
    this.entries.unshift(entry);
    if (this.entries.length > MAX_ENTRIES) this.entries.length = MAX_ENTRIES;
    for (const listener of this.listeners) listener(entry);
  }

  clear(): void {
    this.entries = [];
    for (const listener of this.listeners) listener(undefined);
  }

  list(): readonly LogEntry[] {
    return this.entries;
  }

  /** Called with each new entry, or undefined after a clear. */
  subscribe(listener: (entry: LogEntry | undefined) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

const clockTime = (ms: number) => {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
};

function renderEntry(entry: LogEntry): HTMLLIElement {
  const detail = entry.detail === undefined ? '' : safeJson(entry.detail);
  const isError = entry.kind === 'event' && entry.name === 'error';
  return h(
    'li',
    { class: `log-entry log-${entry.kind}${isError ? ' log-error' : ''}` },
    h('time', { class: 'log-time', datetime: new Date(entry.at).toISOString() }, clockTime(entry.at)),
    ' ',
    h('span', { class: 'log-name' }, entry.kind === 'event' ? entry.name : `${entry.kind}: ${entry.name}`),
    detail ? ' ' : null,
    detail ? h('code', { class: 'log-detail' }, detail) : null,
  );
}

/** The log section: controls and the list. */
export function renderEventLog(log: EventLog): HTMLElement {
  const list = h('ol', { class: 'log-list', reversed: true, 'aria-label': 'Events, newest first' });
  const count = h('span', { class: 'log-count', 'aria-live': 'off' });
  const showQa = h('input', { type: 'checkbox', checked: true, id: 'qa-log-show-qa' });
  const updateCount = () => {
    const events = log.list().filter((e) => e.kind === 'event').length;
    count.textContent = `${events} widget event${events === 1 ? '' : 's'}`;
  };
  const applyFilter = () => list.classList.toggle('hide-qa', !showQa.checked);
  showQa.addEventListener('change', applyFilter);

  replaceChildren(list, ...log.list().map(renderEntry));
  updateCount();
  log.subscribe((entry) => {
    if (entry) list.prepend(renderEntry(entry));
    else list.replaceChildren();
    while (list.childElementCount > MAX_ENTRIES) list.lastElementChild?.remove();
    updateCount();
  });

  return h(
    'div',
    { class: 'log' },
    h(
      'div',
      { class: 'row log-controls' },
      count,
      h('label', { class: 'inline' }, showQa, ' show QA actions'),
      h('button', { type: 'button', class: 'small', onclick: () => log.clear() }, 'Clear log'),
    ),
    list,
  );
}
