/**
 * A mini agent console inside the panel: follows the newest open conversation (this page's
 * vendor first), shows its messages, and lets QA reply, type, close, and switch the echo bot
 * on where the sandbox offers one. All server text goes in through textContent.
 */
import type { DemoConfig } from './config.ts';
import { h, replaceChildren, setText, uid } from './dom.ts';
import type { EventLog } from './event-log.ts';
import type { AgentConversation, SandboxClient } from './qa-client.ts';

const POLL_MS = 2_000;
const AUTO = '';

export function createAgentBox(config: DemoConfig, client: SandboxClient, log: EventLog, say: (t: string, e?: boolean) => void): HTMLElement {
  let conversations: AgentConversation[] = [];
  let shownSignature = '';
  let typingOn = false;

  const pickerId = uid('qa-agent-pick');
  const picker = h('select', { id: pickerId });
  const summary = h('p', { class: 'agent-summary', 'aria-live': 'polite' }, 'Looking for conversations…');
  const messages = h('ol', { class: 'agent-messages', 'aria-label': 'Conversation messages' });
  const replyId = uid('qa-agent-reply');
  const reply = h('input', { id: replyId, autocomplete: 'off', placeholder: 'Reply as the agent' });
  const sendButton = h('button', { type: 'submit' }, 'Send');
  const typing = h('input', { type: 'checkbox', id: uid('qa-agent-typing') });
  const closeButton = h('button', { type: 'button', class: 'danger small' }, 'Close conversation');
  const echo = h('input', { type: 'checkbox', id: uid('qa-agent-echo') });
  const echoField = h('label', { class: 'inline', hidden: true }, echo, ' Echo bot');

  const selected = (): AgentConversation | undefined => {
    if (picker.value !== AUTO) return conversations.find((c) => c.id === picker.value);
    const open = conversations.filter((c) => c.state === 'OPEN');
    const mine = open.filter((c) => c.adapter === config.adapter);
    // The API lists conversations in creation order: the last one is the newest.
    return (mine.length ? mine : open).at(-1);
  };

  function renderPicker() {
    const current = picker.value;
    const options = [h('option', { value: AUTO }, 'Newest open (follows new chats)')];
    for (const c of [...conversations].reverse()) {
      options.push(h('option', { value: c.id }, `${c.adapter || '?'} · ${c.id.slice(0, 12)}${c.id.length > 12 ? '…' : ''} · ${c.state}`));
    }
    const signature = options.map((o) => `${o.value}|${o.textContent}`).join('\n');
    if (picker.dataset.signature !== signature) {
      replaceChildren(picker, ...options);
      picker.dataset.signature = signature;
      picker.value = conversations.some((c) => c.id === current) ? current : AUTO;
    }
  }

  function renderConversation() {
    const c = selected();
    const enabled = Boolean(c && c.state === 'OPEN');
    reply.disabled = sendButton.disabled = typing.disabled = closeButton.disabled = !enabled;
    if (!c) {
      setText(summary, conversations.length ? 'No open conversation. Send a message from the widget to start one.' : 'No conversations yet. Open the widget and say hello.');
      if (shownSignature !== '') {
        messages.replaceChildren();
        shownSignature = '';
      }
      return;
    }
    setText(summary, `${c.adapter} conversation ${c.id} · ${c.state === 'OPEN' ? 'open' : 'closed'} · consumer ${c.consumerId || '?'} · ${c.messages.length} message${c.messages.length === 1 ? '' : 's'}`);
    const signature = c.id + '|' + c.messages.map((m) => `${m.id}:${m.from}:${m.text}`).join('|');
    if (signature === shownSignature) return;
    shownSignature = signature;
    const atBottom = messages.scrollHeight - messages.scrollTop - messages.clientHeight < 24;
    replaceChildren(
      messages,
      ...c.messages.map((m) =>
        h('li', { class: `agent-msg from-${m.from === 'agent' ? 'agent' : m.from === 'consumer' ? 'consumer' : 'system'}` },
          h('span', { class: 'agent-msg-from' }, m.from === 'consumer' ? 'visitor' : m.from),
          ' ',
          h('span', { class: 'agent-msg-text' }, m.text),
        ),
      ),
    );
    if (atBottom || messages.childElementCount <= 1) messages.scrollTop = messages.scrollHeight;
  }

  async function poll() {
    const result = await client.conversations();
    if (!result.ok) {
      setText(summary, result.unreachable ? 'Sandbox unreachable — retrying.' : `Could not list conversations: ${result.error}`);
      return;
    }
    conversations = result.data;
    renderPicker();
    renderConversation();
  }

  picker.addEventListener('change', () => {
    shownSignature = '';
    renderConversation();
  });

  const form = h('form', { class: 'agent-reply row' }, h('label', { for: replyId, class: 'visually-hidden' }, 'Agent reply'), reply, sendButton);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const c = selected();
    const text = reply.value.trim();
    if (!c || !text) return;
    sendButton.disabled = true;
    void client.agentSend(c.id, text).then((result) => {
      sendButton.disabled = false;
      if (result.ok) {
        reply.value = '';
        log.add('qa', 'agent reply', { conversationId: c.id, text });
        if (typingOn) setTyping(false);
      } else say(`Agent reply failed: ${result.error}`, true);
      void poll();
    });
  });

  function setTyping(on: boolean) {
    const c = selected();
    typingOn = on;
    typing.checked = on;
    if (!c) return;
    void client.agentTyping(c.id, on).then((result) => {
      if (!result.ok) say(`Typing failed: ${result.error}`, true);
    });
  }
  typing.addEventListener('change', () => setTyping(typing.checked));

  closeButton.addEventListener('click', () => {
    const c = selected();
    if (!c) return;
    closeButton.disabled = true;
    void client.agentClose(c.id).then((result) => {
      if (result.ok) log.add('qa', 'agent closed conversation', { conversationId: c.id });
      else say(`Close failed: ${result.error}`, true);
      void poll();
    });
  });

  echo.addEventListener('change', () => {
    const on = echo.checked;
    void client.setEcho(on).then((result) => {
      if (result.ok) log.add('qa', `echo bot ${on ? 'on' : 'off'}`);
      else {
        echo.checked = !on;
        if (result.status === 404) echoField.hidden = true;
        say(`Echo bot: ${result.error}`, true);
      }
    });
  });

  async function probeEcho() {
    const state = await client.echoState();
    if (!state) return setTimeout(() => void probeEcho(), 5_000);
    echoField.hidden = !state.supported;
    if (state.on !== undefined) echo.checked = state.on;
    return undefined;
  }

  void poll();
  setInterval(() => void poll(), POLL_MS);
  void probeEcho();

  return h(
    'div',
    { class: 'agent-box' },
    h('p', { class: 'row' },
      h('a', { href: `${config.sandbox}/agent`, target: '_blank', rel: 'noopener noreferrer' }, 'Open the full agent console ↗'),
    ),
    h('div', { class: 'field' }, h('label', { for: pickerId }, 'Conversation'), picker),
    summary,
    messages,
    form,
    h('div', { class: 'row' }, h('label', { class: 'inline' }, typing, ' Agent is typing'), echoField, closeButton),
  );
}
