/**
 * The agent console page (`GET /agent`): the sandbox's own page, self-contained. It uses only the
 * agent API and renders every server-supplied string with textContent.
 */
export const AGENT_CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>GuestChat sandbox — agent console</title>
<style>
  :root { font: 14px/1.4 system-ui, sans-serif; color: #1d2330; background: #f4f5f7; }
  body { margin: 0; display: grid; grid-template-columns: 320px 1fr; grid-template-rows: auto minmax(0, 1fr); height: 100vh; }
  header { grid-column: 1 / -1; display: flex; gap: 16px; align-items: center; padding: 8px 16px; background: #1d2330; color: #fff; }
  header h1 { font-size: 16px; margin: 0; flex: 1; }
  #list { overflow: auto; border-right: 1px solid #d5d8de; background: #fff; margin: 0; padding: 0; list-style: none; }
  #list button { all: unset; box-sizing: border-box; display: block; width: 100%; padding: 8px 12px; border-bottom: 1px solid #eceef1; cursor: pointer; }
  #list button[aria-current="true"] { background: #e4ecff; }
  #list .meta { color: #5b6373; font-size: 12px; }
  main { display: flex; flex-direction: column; min-height: 0; }
  #detail-head { padding: 8px 16px; border-bottom: 1px solid #d5d8de; display: flex; gap: 12px; align-items: center; }
  #detail-head h2 { font-size: 14px; margin: 0; flex: 1; word-break: break-all; }
  #messages { flex: 1; overflow: auto; padding: 12px 16px; display: flex; flex-direction: column; gap: 6px; }
  .msg { max-width: 70%; padding: 6px 10px; border-radius: 10px; background: #fff; border: 1px solid #d5d8de; white-space: pre-wrap; word-break: break-word; }
  .msg.agent { align-self: flex-end; background: #dfe9ff; }
  .msg.system { align-self: center; background: #f0f0f0; font-style: italic; }
  .msg time { display: block; font-size: 11px; color: #5b6373; }
  #typing { min-height: 18px; padding: 0 16px; color: #5b6373; font-style: italic; }
  form { display: flex; gap: 8px; padding: 8px 16px 16px; }
  form input[type=text] { flex: 1; padding: 8px; font: inherit; }
  .empty { color: #5b6373; padding: 16px; }
</style>
</head>
<body>
<header>
  <h1>GuestChat sandbox — agent console</h1>
  <label><input type="checkbox" id="echo"> Echo bot</label>
  <span id="status" role="status"></span>
</header>
<ul id="list" aria-label="Conversations"></ul>
<main>
  <div id="detail-head"><h2 id="title">No conversation selected</h2>
    <label><input type="checkbox" id="typing-toggle" disabled> Typing</label>
    <button id="close" type="button" disabled>Close conversation</button></div>
  <div id="messages" aria-live="polite"></div>
  <div id="typing"></div>
  <form id="reply"><input type="text" id="text" aria-label="Reply" placeholder="Type a reply" autocomplete="off" disabled>
    <button type="submit" id="send" disabled>Send</button></form>
</main>
<script>
(() => {
  const $ = (id) => document.getElementById(id);
  let selected = null;
  let conversations = [];
  let typingTimer = null;

  async function api(path, body) {
    const init = body === undefined ? {} : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
    const res = await fetch(path, init);
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error(data.error || res.status);
    return data;
  }
  function status(text) { $('status').textContent = text; }
  function fmt(ts) { return new Date(ts).toLocaleTimeString(); }

  function renderList() {
    const list = $('list');
    list.replaceChildren();
    if (conversations.length === 0) {
      const li = document.createElement('li'); li.className = 'empty'; li.textContent = 'No conversations yet.'; list.append(li); return;
    }
    for (const c of [...conversations].reverse()) {
      const li = document.createElement('li');
      const b = document.createElement('button');
      b.type = 'button';
      b.setAttribute('aria-current', String(c.id === selected));
      const last = c.messages[c.messages.length - 1];
      const title = document.createElement('div'); title.textContent = last ? last.text : '(no messages)';
      const meta = document.createElement('div'); meta.className = 'meta';
      meta.textContent = c.adapter + ' · ' + c.state + (c.state === 'OPEN' && c.sessionEnded ? ' · session ended' : '') + ' · ' + c.id.slice(0, 8);
      b.append(title, meta);
      b.addEventListener('click', () => { selected = c.id; renderList(); refreshDetail(); });
      li.append(b); list.append(li);
    }
  }

  async function refreshDetail() {
    const open = selected !== null;
    if (!open) return;
    let c;
    try { c = await api('/agent/conversations/' + encodeURIComponent(selected)); } catch (e) { status(String(e.message)); return; }
    const sessionEnded = c.state === 'OPEN' && c.sessionEnded === true;
    $('title').textContent = c.adapter + ' conversation ' + c.id + ' (' + c.state + (sessionEnded ? ', session ended' : '') + ')';
    // Salesforce: the agent ends the messaging session; only the visitor closes the conversation.
    $('close').textContent = c.adapter === 'salesforce' ? 'End session' : 'Close conversation';
    const closed = c.state !== 'OPEN' || sessionEnded;
    for (const id of ['text', 'send', 'close', 'typing-toggle']) $(id).disabled = closed;
    const box = $('messages');
    const atBottom = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
    box.replaceChildren();
    for (const m of c.messages) {
      const div = document.createElement('div'); div.className = 'msg ' + m.from;
      const t = document.createElement('time'); t.textContent = m.from + ' · ' + fmt(m.at);
      const p = document.createElement('span'); p.textContent = m.text;
      div.append(t, p); box.append(div);
    }
    if (c.state !== 'OPEN') { const d = document.createElement('div'); d.className = 'msg system'; d.textContent = 'Closed (' + (c.closeReason || '') + ')'; box.append(d); }
    else if (sessionEnded) { const d = document.createElement('div'); d.className = 'msg system'; d.textContent = 'Messaging session ended: waiting for the visitor to write again'; box.append(d); }
    if (atBottom) box.scrollTop = box.scrollHeight;
    $('typing').textContent = c.consumerTyping ? 'Visitor is typing…' : '';
  }

  async function poll() {
    try {
      conversations = await api('/agent/conversations');
      // Nothing picked yet: show the newest conversation.
      if (selected === null && conversations.length > 0) selected = conversations[conversations.length - 1].id;
      const echo = await api('/agent/echo');
      $('echo').checked = echo.on;
      renderList();
      await refreshDetail();
      status('');
    } catch (e) { status('Sandbox unreachable: ' + e.message); }
  }

  async function setTyping(on) {
    if (!selected) return;
    $('typing-toggle').checked = on;
    try { await api('/agent/conversations/' + encodeURIComponent(selected) + '/typing', { on }); } catch (e) { status(String(e.message)); }
  }

  $('reply').addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = $('text').value;
    if (!selected || text.trim() === '') return;
    try {
      await api('/agent/conversations/' + encodeURIComponent(selected) + '/messages', { text });
      $('text').value = '';
      clearTimeout(typingTimer); $('typing-toggle').checked = false;
      await refreshDetail();
    } catch (e) { status(String(e.message)); }
  });
  $('text').addEventListener('input', () => {
    if (!$('typing-toggle').checked) setTyping(true);
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => setTyping(false), 3000);
  });
  $('typing-toggle').addEventListener('change', () => setTyping($('typing-toggle').checked));
  $('close').addEventListener('click', async () => {
    if (!selected) return;
    try { await api('/agent/conversations/' + encodeURIComponent(selected) + '/close', {}); await poll(); } catch (e) { status(String(e.message)); }
  });
  $('echo').addEventListener('change', async () => {
    try { await api('/agent/echo', { on: $('echo').checked }); } catch (e) { status(String(e.message)); }
  });

  poll();
  setInterval(poll, 1000);
})();
</script>
</body>
</html>
`;
