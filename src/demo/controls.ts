/**
 * The panel's levers: widget API calls, sandbox clock jumps, token expiry and revocation,
 * connection drops, fault injection, lifetimes, reset, clear storage, and the call counts.
 * Every action reports its outcome in the status line and as a `qa:` entry in the event log.
 */
import type { DemoAdapter, DemoConfig } from './config.ts';
import { h, replaceChildren, uid } from './dom.ts';
import { formatDuration } from './format.ts';
import type { EventLog } from './event-log.ts';
import { guestChat } from './guestchat.ts';
import type { FaultRequest, LifetimesRequest, Result, SandboxClient } from './qa-client.ts';
import type { SandboxClockView } from './qa-clock.ts';
import { recordOf, type TokenView } from './token-view.ts';

export interface ControlsContext {
  config: DemoConfig;
  client: SandboxClient;
  clock: SandboxClockView;
  tokens: TokenView;
  log: EventLog;
  /** Shows a one-line outcome in the panel's status region. */
  say(text: string, isError?: boolean): void;
}

const MIN = 60_000;
const HOUR = 60 * MIN;

/** Call names from DESIGN.md ("Admin API"), plus the LP socket requests the widget makes. */
export const CALL_NAMES: Record<DemoAdapter, string[]> = {
  liveperson: [
    'lp.domain',
    'lp.anonymous.issue',
    'lp.anonymous.refresh',
    'lp.authenticate',
    'lp.ws.connect',
    'lp.ws.InitConnection',
    'lp.ws.cm.ConsumerRequestConversation',
    'lp.ws.ms.PublishEvent',
    'lp.ws.ms.SubscribeMessagingEvents',
    'lp.ws.cqm.SubscribeExConversations',
    'lp.ws.cm.UpdateConversationField',
    'lp.ws..GetClock',
    'lp.profile',
  ],
  salesforce: ['sf.token', 'sf.continuation', 'sf.conversation.create', 'sf.message', 'sf.sse.connect'],
  'liveperson-connector': ['lp.sentinel.token', 'lp.consumer.jws', 'lp.connector.conversation', 'lp.connector.send', 'lp.webhook'],
};

export function createControls(ctx: ControlsContext): HTMLElement[] {
  const { config, client, clock, tokens, log, say } = ctx;

  /** Runs an action from a button: busy state, outcome message, log entry, refresh. */
  const action = (label: string, run: () => Promise<Result<unknown> | string | undefined>, detail?: () => unknown) =>
    async (event: Event) => {
      const button = event.currentTarget instanceof HTMLButtonElement ? event.currentTarget : undefined;
      if (button) button.disabled = true;
      try {
        const outcome = await run();
        if (outcome === undefined) return;
        if (typeof outcome === 'string') {
          say(outcome, true);
          return;
        }
        if (outcome.ok) {
          say(`${label}: done`);
          log.add('qa', label, detail?.());
        } else {
          say(`${label} failed: ${outcome.error}`, true);
          log.add('qa', `${label} failed`, { error: outcome.error });
        }
      } finally {
        if (button) button.disabled = false;
        void clock.refresh();
        tokens.refresh();
        void refreshCalls();
      }
    };

  const button = (text: string, onclick: (event: Event) => void, attrs: Record<string, string> = {}) =>
    h('button', { type: 'button', ...attrs, onclick }, text);

  const jump = (ms: number, label: string) =>
    button(label, action(`clock ${label}`, async () => {
      const result = await client.advanceClock(ms);
      await clock.refresh();
      return result;
    }, () => ({ advanceMs: ms })));

  /** Jumps the sandbox clock to 1 s past a stored expiry time. */
  const expire = (label: string, pick: 'identity' | 'access') =>
    button(label, action(label, async () => {
      await clock.refresh();
      const record = recordOf(tokens.reading());
      const expiresAt = record?.[pick]?.expiresAt;
      if (expiresAt === undefined) return `${label}: no ${pick === 'access' ? 'internal' : 'guest'} token stored yet — open the chat first`;
      const sandboxNow = clock.now();
      if (sandboxNow === undefined) return `${label}: sandbox unreachable`;
      const advanceMs = Math.max(0, Math.round(expiresAt - sandboxNow + 1_000));
      const result = await client.advanceClock(advanceMs);
      if (result.ok) log.add('qa', `${label}: clock +${formatDuration(advanceMs)}`, { advanceMs });
      await clock.refresh();
      return result;
    }));

  // ---- widget API ----
  const widget = section('Widget API', 'Calls on window.GuestChat, as a site would make them.',
    h('div', { class: 'row' },
      button('open()', () => call('open', (gc) => gc.open())),
      button('close()', () => call('close', (gc) => gc.close())),
      button('send("Hello from QA")', () => call('send', (gc) => gc.send(`Hello from QA ${new Date().toLocaleTimeString()}`))),
      button('endConversation()', () => call('endConversation', (gc) => gc.endConversation())),
    ),
  );
  function call(name: string, run: (gc: NonNullable<ReturnType<typeof guestChat>>) => void) {
    const gc = guestChat();
    if (!gc) return say('GuestChat is not installed (did dist/guestchat.js load?)', true);
    run(gc);
    log.add('qa', `GuestChat.${name}()`);
  }

  // ---- clock ----
  const clockSection = section('Sandbox clock',
    'Moves the sandbox clock forward. Nothing else is needed: the widget follows the sandbox clock through its own server time readings (Date header, GetClock).',
    h('div', { class: 'row' }, jump(11 * MIN, '+11 min'), jump(61 * MIN, '+61 min'), jump(731 * HOUR, '+731 h')),
  );

  // ---- tokens & connection ----
  const lp = config.adapter === 'liveperson';
  const tokensSection = section('Tokens and connection',
    'Expire = jump the sandbox clock to 1 s past the stored expiry. Revoke (close 4401) = close live connections as an expired/revoked token would; the server-side revoke also makes the sandbox refuse this subject’s tokens. Drop = end connections with no close frame.',
    h('div', { class: 'row' },
      expire(lp ? 'Expire external token now' : 'Expire guest token now', 'identity'),
      lp ? expire('Expire internal token now', 'access') : null,
    ),
    h('div', { class: 'row' },
      button('Revoke (close 4401)', action('revoke (drop 4401)', () => client.drop({ closeCode: 4401 }), () => ({ closeCode: 4401 }))),
      button('Drop connection', action('drop connection (no close frame)', () => client.drop({}))),
    ),
    h('div', { class: 'row' },
      button('Revoke identity on server, then close 4401', action('revoke identity on server', async () => {
        const record = recordOf(tokens.reading());
        const subject = record?.access?.subject ?? record?.identity?.subject;
        if (!subject) return 'Revoke: no subject stored yet — open the chat first';
        const revoked = await client.revoke(subject);
        if (!revoked.ok) return revoked.status === 404 ? 'Revoke: this sandbox has no POST /admin/revoke' : revoked;
        log.add('qa', 'revoked on server', { subject });
        return client.drop({ closeCode: 4401 });
      })),
    ),
  );

  // ---- faults ----
  const faultForm = createFaultForm(config, client, log, say, () => void refreshCalls());

  // ---- lifetimes ----
  const lifetimesForm = createLifetimesForm(client, log, say);

  // ---- storage & reset ----
  const resetSection = section('Reset', 'Reset forgets the sandbox’s conversations, identities, counters, faults, clock jump and lifetimes. Clear storage erases what the widget stored in this browser (GuestChat.forget()) and reloads.',
    h('div', { class: 'row' },
      button('Reset sandbox', action('reset sandbox', async () => {
        const result = await client.reset();
        await clock.refresh();
        return result;
      })),
      button('Clear storage and reload', async (event) => {
        const target = event.currentTarget as HTMLButtonElement;
        target.disabled = true;
        log.add('qa', 'clear storage');
        const gc = guestChat();
        try {
          if (gc) await gc.forget();
          else await deleteDatabase();
        } catch (error) {
          say(`forget() failed: ${error instanceof Error ? error.message : String(error)}`, true);
          target.disabled = false;
          return;
        }
        location.reload();
      }, { class: 'danger' }),
    ),
  );

  // ---- call counts ----
  const callsBody = h('tbody');
  const callsStatus = h('p', { class: 'hint' }, 'loading…');
  async function refreshCalls() {
    const result = await client.calls();
    if (!result.ok) {
      callsStatus.textContent = result.unreachable ? 'sandbox unreachable' : result.error;
      return;
    }
    const entries = Object.entries(result.data);
    callsStatus.textContent = entries.length ? '' : 'no calls since the last reset';
    replaceChildren(callsBody, ...entries.map(([name, count]) => h('tr', {}, h('th', { scope: 'row' }, name), h('td', {}, count))));
  }
  setInterval(() => void refreshCalls(), 2_000);
  void refreshCalls();
  const callsSection = section('Call counts', 'GET /admin/calls since the last reset, refreshed every 2 s.',
    h('table', { class: 'calls' }, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Call'), h('th', { scope: 'col' }, 'Count'))), callsBody),
    callsStatus,
  );

  return [widget, clockSection, tokensSection, faultForm, lifetimesForm, resetSection, callsSection];
}

function createFaultForm(config: DemoConfig, client: SandboxClient, log: EventLog, say: (t: string, e?: boolean) => void, after: () => void): HTMLElement {
  const listId = uid('qa-calls');
  const field = (label: string, input: HTMLInputElement) => {
    input.id = uid('qa-fault');
    return h('div', { class: 'field' }, h('label', { for: input.id }, label), input);
  };
  const callInput = h('input', { name: 'call', list: listId, required: true, value: CALL_NAMES[config.adapter][1] ?? '', autocomplete: 'off', spellcheck: 'false' });
  const status = h('input', { name: 'status', type: 'number', min: 400, max: 599, placeholder: 'e.g. 500', inputmode: 'numeric' });
  const times = h('input', { name: 'times', type: 'number', min: 0, value: 1, inputmode: 'numeric' });
  const closeCode = h('input', { name: 'closeCode', type: 'number', min: 1000, max: 4999, placeholder: 'e.g. 4401', inputmode: 'numeric' });
  const delayMs = h('input', { name: 'delayMs', type: 'number', min: 0, step: 100, placeholder: 'ms', inputmode: 'numeric' });
  const internal = h('input', { name: 'internalErrorCode', placeholder: 'IdP only, e.g. 1015', autocomplete: 'off' });
  const datalist = h('datalist', { id: listId }, ...[...CALL_NAMES[config.adapter], ...Object.entries(CALL_NAMES).filter(([adapter]) => adapter !== config.adapter).flatMap(([, names]) => names)].map((name) => h('option', { value: name })));

  const numberOf = (input: HTMLInputElement) => (input.value.trim() === '' ? undefined : Number(input.value));
  const build = (): FaultRequest => {
    const fault: FaultRequest = { call: callInput.value.trim() };
    const s = numberOf(status), t = numberOf(times), c = numberOf(closeCode), d = numberOf(delayMs);
    if (s !== undefined) fault.status = s;
    if (t !== undefined) fault.times = t;
    if (c !== undefined) fault.closeCode = c;
    if (d !== undefined) fault.delayMs = d;
    if (internal.value.trim()) fault.internalErrorCode = internal.value.trim();
    return fault;
  };
  const submit = async (fault: FaultRequest, label: string) => {
    const result = await client.injectFault(fault);
    if (result.ok) {
      say(`${label}: ${fault.call}`);
      log.add('qa', label, fault);
    } else {
      say(`${label} failed: ${result.error}`, true);
    }
    after();
  };

  const form = h('form', { class: 'fault-form', novalidate: true },
    h('div', { class: 'grid' },
      h('div', { class: 'field wide' }, h('label', { for: (callInput.id = uid('qa-fault')) }, 'Call name'), callInput, datalist),
      field('Status', status),
      field('Times', times),
      field('Close code', closeCode),
      field('Delay (ms)', delayMs),
      h('div', { class: 'field wide' }, h('label', { for: (internal.id = uid('qa-fault')) }, 'internalErrorCode'), internal),
    ),
    h('div', { class: 'row' },
      h('button', { type: 'submit' }, 'Inject fault'),
      h('button', { type: 'button', class: 'small', onclick: () => void submit({ call: callInput.value.trim(), times: 0 }, 'clear faults') }, 'Clear faults on this call'),
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const fault = build();
    if (!fault.call) return say('Give a call name', true);
    void submit(fault, 'inject fault');
  });
  return section('Inject fault', 'POST /admin/faults: the next “times” matching calls fail with the status, close the socket with the code, and/or wait. Times 0 clears.', form);
}

function createLifetimesForm(client: SandboxClient, log: EventLog, say: (t: string, e?: boolean) => void): HTMLElement {
  const fields: [keyof LifetimesRequest, string, string][] = [
    ['lpTokenMs', 'LP external token', '600'],
    ['lpRefreshWindowMs', 'LP refresh window', '2628000'],
    ['lpInternalTokenMs', 'LP internal token', '3600'],
    ['sfTokenMs', 'SF guest token', '3600'],
  ];
  const inputs = fields.map(([key, label, placeholder]) => {
    const input = h('input', { type: 'number', min: 1, name: key, placeholder, inputmode: 'numeric', id: uid('qa-life') });
    return { key, input, node: h('div', { class: 'field' }, h('label', { for: input.id }, `${label} (s)`), input) };
  });
  const form = h('form', { class: 'lifetimes-form' },
    h('div', { class: 'grid' }, ...inputs.map((i) => i.node)),
    h('div', { class: 'row' },
      h('button', { type: 'submit' }, 'Set lifetimes'),
      h('button', {
        type: 'button',
        class: 'small',
        onclick: () => {
          const short: Record<string, string> = { lpTokenMs: '60', lpRefreshWindowMs: '600', lpInternalTokenMs: '120', sfTokenMs: '120' };
          for (const i of inputs) i.input.value = short[i.key] ?? '';
        },
      }, 'Fill short preset'),
    ),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const update: LifetimesRequest = {};
    for (const { key, input } of inputs) {
      if (input.value.trim() === '') continue;
      const seconds = Number(input.value);
      if (!Number.isFinite(seconds) || seconds <= 0) return say(`${key} must be a positive number of seconds`, true);
      update[key] = Math.round(seconds * 1000);
    }
    if (!Object.keys(update).length) return say('Fill at least one lifetime', true);
    void client.setLifetimes(update).then((result) => {
      if (result.ok) {
        say('lifetimes set (they apply to tokens issued from now on)');
        log.add('qa', 'set lifetimes', update);
      } else say(`set lifetimes failed: ${result.error}`, true);
    });
  });
  return section('Token lifetimes', 'POST /admin/lifetimes, in seconds; empty fields are left as they are. Reset sandbox restores the defaults.', form);
}

function section(title: string, hint: string, ...content: Node[]): HTMLElement {
  const id = uid('qa-section');
  return h('section', { class: 'qa-section', 'aria-labelledby': id },
    h('h3', { id }, title),
    h('p', { class: 'hint' }, hint),
    ...content,
  );
}

/** Without the widget's API (script failed to load): remove the database ourselves. */
function deleteDatabase(): Promise<void> {
  return new Promise((resolve) => {
    const request = indexedDB.deleteDatabase('guestchat');
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
}

export { section };
