/**
 * The QA panel: a collapsible drawer on the left, outside the widget (the launcher sits at the
 * bottom right). It composes the vendor switch, live token state, levers, agent box and event log.
 */
import { createAgentBox } from './agent-box.ts';
import { demoUrl, type DemoAdapter, type DemoConfig, DEFAULT_SANDBOX, parseSandboxUrl } from './config.ts';
import { createControls, section } from './controls.ts';
import { h, setText, uid } from './dom.ts';
import { renderEventLog, type EventLog } from './event-log.ts';
import { SandboxClient } from './qa-client.ts';
import { SandboxClockView } from './qa-clock.ts';
import { createTokenView } from './token-view.ts';

const VENDORS: [DemoAdapter, string][] = [
  ['liveperson', 'LivePerson'],
  ['salesforce', 'Salesforce'],
  ['liveperson-connector', 'LivePerson via broker'],
];

export function mountQaPanel(config: DemoConfig, log: EventLog): void {
  const client = new SandboxClient(config.sandbox);
  const clock = new SandboxClockView(client);
  clock.start();

  const statusLine = h('p', { class: 'qa-status', role: 'status' });
  let clearTimer: ReturnType<typeof setTimeout> | undefined;
  const say = (text: string, isError = false) => {
    statusLine.textContent = text;
    statusLine.classList.toggle('is-error', isError);
    clearTimeout(clearTimer);
    clearTimer = setTimeout(() => (statusLine.textContent = ''), 8_000);
  };

  // ---- vendor and sandbox ----
  const vendorNav = h('nav', { class: 'vendor-switch', 'aria-label': 'Vendor' },
    ...VENDORS.map(([adapter, label]) =>
      h('a', { href: demoUrl({ adapter }), 'aria-current': adapter === config.adapter ? 'page' : undefined }, label),
    ),
  );
  const reach = h('span', { class: 'reach', 'data-state': 'unknown' }, 'checking…');
  client.onReachability((ok) => {
    reach.dataset.state = ok ? 'up' : 'down';
    setText(reach, ok ? 'reachable' : 'sandbox unreachable — retrying');
  });
  const sandboxInputId = uid('qa-sandbox');
  const sandboxInput = h('input', { id: sandboxInputId, value: config.sandbox, spellcheck: 'false', autocomplete: 'off', inputmode: 'url' });
  const sandboxForm = h('form', { class: 'row sandbox-form' },
    h('label', { for: sandboxInputId, class: 'visually-hidden' }, 'Sandbox URL'),
    sandboxInput,
    h('button', { type: 'submit', class: 'small' }, 'Use'),
  );
  sandboxForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = parseSandboxUrl(sandboxInput.value.trim());
    if (!value) return say('Sandbox URL must be http://127.0.0.1:PORT (or localhost), or https', true);
    location.assign(demoUrl({ sandbox: value === DEFAULT_SANDBOX ? null : value }));
  });

  const setup = section('Vendor and sandbox', 'Switching vendor reloads the page with the other script tag (?adapter=).',
    vendorNav,
    h('p', { class: 'sandbox-line' }, 'Sandbox ', h('code', {}, config.sandbox), ' ', reach),
    sandboxForm,
    h('p', { class: 'hint' }, 'Tenant key ', h('code', {}, config.tenant)),
  );

  // ---- token state ----
  const tokens = createTokenView(config, clock, client);
  const tokenSection = section('Token state', 'Read from the widget’s IndexedDB record every second (never creating it). Times are on the sandbox clock; no token text is shown.', tokens.element);

  const [widgetApi, clockSection, tokensSection, faults, lifetimes, reset, calls] = createControls({ config, client, clock, tokens, log, say });

  const agent = section('Agent', 'The sandbox’s agent side: reply to the visitor from here or from the full console.', createAgentBox(config, client, log, say));
  const events = section('Event log', 'Every public widget event (GuestChat.on), newest first, from before the script loaded. QA actions are interleaved.', renderEventLog(log));

  // ---- the drawer ----
  const panelId = 'qa-panel';
  const aside = h('aside', { id: panelId, class: 'qa-panel', 'aria-labelledby': 'qa-panel-title' },
    h('header', { class: 'qa-head' },
      h('h2', { id: 'qa-panel-title' }, 'QA panel'),
      h('span', { class: 'qa-vendor' }, VENDORS.find(([id]) => id === config.adapter)?.[1] ?? config.adapter),
      h('span', { class: 'qa-shortcut' }, h('kbd', {}, 'Alt+Shift+Q'), ' show/hide'),
    ),
    statusLine,
    setup,
    tokenSection,
    clockSection,
    tokensSection,
    agent,
    events,
    widgetApi,
    faults,
    lifetimes,
    reset,
    calls,
  );
  const toggle = h('button', { type: 'button', class: 'qa-toggle', 'aria-controls': panelId, 'aria-expanded': 'true', title: 'Alt+Shift+Q' });
  const root = h('div', { class: 'qa-root' }, toggle, aside);

  let isOpen = true;
  const setOpen = (open: boolean) => {
    isOpen = open;
    aside.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    toggle.textContent = open ? '◂ Hide QA panel' : 'QA panel ▸';
    root.classList.toggle('is-open', open);
    document.body.classList.toggle('qa-open', open);
  };
  toggle.addEventListener('click', () => setOpen(!isOpen));
  document.addEventListener('keydown', (event) => {
    if (event.altKey && event.shiftKey && event.code === 'KeyQ') {
      event.preventDefault();
      setOpen(!isOpen);
      (isOpen ? aside.querySelector<HTMLElement>('a, button, input, select') : toggle)?.focus();
    }
  });
  setOpen(!new URLSearchParams(location.search).has('qa-collapsed'));
  document.body.append(root);
}
