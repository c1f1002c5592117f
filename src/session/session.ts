/**
 * The chat session: signals state plus the actions the UI calls. Adapter-neutral — it sees only the
 * Vendor interfaces and the token lifecycle. The signals are @preact/signals-core, the core of
 * @preact/signals without its Preact binding (the UI subscribes explicitly; see src/ui/panel.tsx).
 *
 * Responsibilities: connect with a good access token (reuse, renew or replace it through the
 * lifecycle), keep the visitor's messages until the server has them (the durable outbox),
 * renew proactively before expiry and on auth-expired, reconnect with backoff after a drop and
 * resume from the last cursor, and surface every failure as a state and an `error` event.
 */
import { batch, signal } from '@preact/signals-core';
import type { ChatMessage, Connection, QuickReply, ReplyTo, TransportEvent, Vendor } from '../adapters/types.ts';
import { renewAt, type SkewClock, type TokenLifecycle, type TokenRecord } from '../auth/index.ts';
import { RETRIED_TOKEN_FAILURES } from '../auth/lifecycle.ts';
import { GuestChatError, toGuestChatError } from '../errors.ts';
import type { Emit, WidgetStatus } from './events.ts';
import { MAX_SEND_ATTEMPTS, type Outbox, type OutboxEntry } from './outbox.ts';
import { NO_TABS, type TabChannel, type TabMessage } from './tabs.ts';
import { applyReceipt, mergeServerMessages, pendingMessage, restate, type SystemEvent, type UiMessage } from './messages.ts';

export type Notice = 'identity-replaced' | 'conversation-ended';

export interface Survey {
  conversationId: string;
  state: 'open' | 'sending' | 'done' | 'failed';
}

/**
 * Control flow only: the failure was dealt with where it happened (the identity lapsed and the
 * session went back to idle, see `obtainAccess`; or it is shown already): nothing more to do.
 */
const HANDLED = new Error('handled');

export interface SessionOptions {
  vendor: Vendor;
  lifecycle: TokenLifecycle;
  outbox: Outbox;
  tabs?: TabChannel;
  clock: SkewClock;
  emit: Emit;
  newId?: () => string;
}

/** Connect failures worth another attempt after a backoff (the vendor said so, or the network). */
const TRANSIENT: readonly string[] = ['network', 'connection-lost', 'request-timeout', 'server-error', 'rate-limited', 'domain-lookup-failed'];

/** Send failures after which the message stays queued for the next connection. */
const KEEP_QUEUED: readonly string[] = ['connection-lost', 'request-timeout', 'network', 'auth-rejected'];

/** A fresh token refused again this soon means something is wrong beyond expiry: stop, show it. */
const AUTH_LOOP_WINDOW_MS = 10_000;
/** Agent "typing" is hidden if no state change arrives for this long (a lost ACTIVE). */
const TYPING_TIMEOUT_MS = 30_000;

export type Session = ReturnType<typeof createSession>;

/** The object without its undefined fields: events and records carry only what is known. */
function known<T extends object>(value: T): T {
  for (const key in value) if (value[key] === undefined) delete value[key];
  return value;
}

export function createSession({ vendor, lifecycle, clock, emit, outbox, tabs = NO_TABS, newId = () => crypto.randomUUID() }: SessionOptions) {
  const status = signal<WidgetStatus>('idle');
  const messages = signal<UiMessage[]>([]);
  const agentTyping = signal(false);
  const conversationId = signal<string>();
  const notice = signal<Notice>();
  const panelOpen = signal(false);
  const unread = signal(0);
  /** The post-chat survey of a conversation that just ended, where the vendor has one. */
  const survey = signal<Survey>();

  let connection: Connection | undefined;
  let record: TokenRecord | undefined;
  let cursor: string | undefined;
  let started = false;
  let connecting: Promise<void> | undefined;
  /** The network came back while an attempt was under way (see reconnectNow). */
  let retryAtOnce = false;
  let reconnectAttempt = 0;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let renewTimer: ReturnType<typeof setTimeout> | undefined;
  let typingTimer: ReturnType<typeof setTimeout> | undefined;
  let lastAuthRenewalAt = -Infinity;
  let flushing = false;
  let flushAgain = false;
  let disposed = false;
  /**
   * The client ids in the stored outbox (as this tab last read or changed it): the visitor's sends
   * not yet stored by the server. The outbox itself is re-read before every send (see flush).
   */
  let unsent = new Set<string | undefined>();
  let restored: Promise<unknown> | undefined;
  /**
   * Agent messages read here or in another tab: never marked again, no longer unread. Those of
   * the list not in it are what opening the panel marks (see markAllSeen).
   */
  const readIds = new Set<string>();
  /** Agent messages shown while the visitor was not looking, and not read anywhere since. */
  const unreadIds = new Set<string>();
  // A signal set to the value it holds notifies nobody.
  const syncUnread = () => (unread.value = unreadIds.size);
  const markedRead = (ids: readonly string[]) => {
    for (const id of ids) {
      readIds.add(id);
      unreadIds.delete(id);
    }
    syncUnread();
  };

  const online = () => status.peek() === 'online';
  const clearEndedNotice = () => {
    if (notice.peek() === 'conversation-ended') notice.value = undefined;
  };

  const setStatus = (next: WidgetStatus) => {
    if (status.peek() !== next) {
      status.value = next;
      emit('status', { status: next });
    }
  };

  const report = (cause: unknown) => {
    const { reason, message, status } = toGuestChatError(cause);
    emit('error', known({ reason, message, status }));
  };

  const fail = (cause: unknown) => {
    if (cause === HANDLED) return;
    setStatus('error');
    report(cause);
  };

  /** Close the connection (if any) and forget it. */
  const drop = () => {
    const old = connection;
    connection = undefined;
    old?.close();
  };

  /** No connection, and nothing scheduled to make or renew one. */
  const halt = () => {
    clearTimeout(reconnectTimer);
    clearTimeout(renewTimer);
    drop();
  };

  // ---- tokens ---------------------------------------------------------------------------

  /** Whether this page's visitor has shown intent: only then may a new identity be minted. */
  const visitorActed = () => panelOpen.peek() || unsent.size > 0;
  /** The identity that lapsed before the visitor acted; announced when its successor is issued. */
  let lapsedSubject: string | undefined | null = null;

  const obtainAccess = async (rejectedToken?: string): Promise<TokenRecord> => {
    const previous = record ?? (await lifecycle.read());
    const result = await lifecycle.ensureAccess({ rejectedToken, mayReplace: visitorActed() });
    const previousSubject = previous?.access?.subject ?? previous?.identity.subject;
    if (result.action === 'expired') {
      // The identity can no longer be renewed and the visitor has not acted on this page: mint
      // nothing now (an idle tab must not create identities), tell the visitor, and start afresh
      // on their next open or send.
      lapsedSubject = previousSubject;
      record = undefined;
      loseConversation(previous);
      halt();
      started = false;
      setStatus('idle');
      // The visitor may have opened the panel or sent while this was being decided: then the new
      // identity is theirs to have now (the connect under way has ended; start afresh after it).
      setTimeout(() => {
        if (!started && !disposed && visitorActed()) void start();
      }, 0);
      throw HANDLED;
    }
    const { action } = result;
    record = result.record;
    const { subject, expiresAt } = record.access!;
    if (action !== 'reuse') emit('token', { action, subject, expiresAt });
    // 'reuse' of another subject: a tab of this browser replaced the identity meanwhile.
    const replaced = action === 'replace' || (action === 'reuse' && previousSubject && previousSubject !== subject);
    // Announced: a replacement, or the successor of an identity that lapsed before the visitor acted.
    const before = replaced ? previousSubject : action === 'issue' ? lapsedSubject : null;
    if (before !== null) emit('identity-replaced', known({ previousSubject: before, subject }));
    if (replaced) loseConversation(previous);
    if (action === 'replace') tabs.post({ type: 'identity', subject });
    lapsedSubject = null;
    scheduleRenewal(record);
    return record;
  };

  /** The identity changed: a conversation it had (stored or shown) is gone. */
  const loseConversation = (previous: TokenRecord | undefined) => {
    if (!previous?.conversation && !conversationId.peek()) return;
    batch(() => {
      notice.value = 'identity-replaced';
      conversationId.value = undefined;
      agentTyping.value = false;
    });
    cursor = undefined;
  };

  const scheduleRenewal = (current: TokenRecord) => {
    clearTimeout(renewTimer);
    const at = renewAt(current);
    // Timers are capped so a long sleep (laptop lid) re-checks soon after waking.
    if (at !== undefined) renewTimer = setTimeout(renewProactively, Math.min(Math.max(at - clock.now(), 0), 10 * 60_000));
  };

  const renewProactively = () => {
    // `record` always holds an access token (obtainAccess).
    if (disposed || !record) return;
    if (clock.now() < renewAt(record)!) return scheduleRenewal(record);
    const before = record.access!.token;
    // (reconnect never fails: it shows its own failures.)
    return obtainAccess()
      .then((next) => {
        // A new token means a new connection: the server would close the old one at expiry anyway.
        if (next.access!.token !== before && connection) return reconnect();
      })
      .catch(fail);
  };

  // ---- connection -----------------------------------------------------------------------

  const connectOnce = async (): Promise<void> => {
    let current = await obtainAccess().catch((cause: unknown) => {
      // Token calls failed on the network or with 5xx/429 after the lifecycle's own retries (5,
      // 10, 15 s). The vendor's advice is to wait for the visitor then (LP §3.4), not to loop:
      // show the error with its retry control.
      if (!RETRIED_TOKEN_FAILURES.includes(toGuestChatError(cause).reason)) throw cause;
      fail(cause);
      throw HANDLED;
    });
    for (let attempt = 0; ; attempt++) {
      try {
        const id = conversationId.peek() ?? record?.conversation?.id;
        const conn = await vendor.transport.connect(current.access!, id ? known({ conversationId: id, cursor }) : undefined, onTransportEvent);
        if (disposed) return conn.close();
        connection = conn;
        break;
      } catch (cause) {
        const failure = toGuestChatError(cause);
        if (failure.reason !== 'auth-rejected' || attempt > 0) throw failure;
        // The server refused a token we thought good (revoked, clock off): renew once.
        lastAuthRenewalAt = Date.now();
        current = await obtainAccess(current.access!.token);
      }
    }
    reconnectAttempt = 0;
    if (connection.conversationId && !conversationId.peek()) setConversation(connection.conversationId);
    setStatus('online');
    void flush();
  };

  const connect = (): Promise<void> => {
    return (connecting ??= connectOnce()
      .catch((cause: unknown) => {
        const failure = toGuestChatError(cause);
        if (cause !== HANDLED && TRANSIENT.includes(failure.reason)) scheduleReconnect(failure);
        else fail(cause);
      })
      .finally(() => {
        connecting = undefined;
      }));
  };

  /**
   * The network is back (online, pageshow, the tab visible again): try now rather than after the
   * backoff. If an attempt is under way, remember it: should that attempt fail, the next one
   * starts at once instead of waiting out a backoff the event made moot.
   */
  const reconnectNow = () => {
    if (status.peek() !== 'reconnecting') return;
    if (connecting) retryAtOnce = true;
    else {
      clearTimeout(reconnectTimer);
      void connect();
    }
  };

  const reconnect = async () => {
    clearTimeout(reconnectTimer);
    drop();
    setStatus('reconnecting');
    await connect();
  };

  const scheduleReconnect = (failure: GuestChatError) => {
    if (disposed) return;
    connection = undefined;
    setStatus('reconnecting');
    report(failure);
    clearTimeout(reconnectTimer);
    // A server's Retry-After is a floor under our own backoff (and under an at-once retry).
    const backoff = retryAtOnce ? 0 : vendor.transport.retryDelayMs(reconnectAttempt++);
    retryAtOnce = false;
    reconnectTimer = setTimeout(connect, Math.max(backoff, (failure.retryAfterSec ?? 0) * 1000));
  };

  const onAuthExpired = () => {
    const rejected = record?.access?.token;
    connection = undefined;
    setStatus('reconnecting');
    if (Date.now() - lastAuthRenewalAt < AUTH_LOOP_WINDOW_MS) {
      return fail(new GuestChatError('auth-rejected', 'Fresh tokens refused again'));
    }
    lastAuthRenewalAt = Date.now();
    // (connect never fails: it shows its own failures.)
    return obtainAccess(rejected).then(connect, fail);
  };

  const setConversation = (id: string | undefined) => {
    if (conversationId.peek() === id) return;
    conversationId.value = id;
    const subject = record?.access?.subject;
    if (subject) void lifecycle.saveConversation(id ? { id } : undefined, subject);
    if (id) emit('conversation', { conversationId: id, state: 'open' });
  };

  /** A line the widget adds to the list (the UI words it). */
  const addLine = (event: SystemEvent) => {
    messages.value = [...messages.peek(), { key: newId(), from: 'system', text: '', at: clock.now(), event }];
  };

  const onTransportEvent = (event: TransportEvent) => {
    if (disposed) return;
    // Events after a message act on a list that holds it.
    if (event.type !== 'message') mergeIncoming();
    switch (event.type) {
      case 'conversation-open':
        clearEndedNotice();
        if (survey.peek()?.conversationId !== event.conversationId) survey.value = undefined;
        setConversation(event.conversationId);
        break;
      case 'message':
        onMessage(event.message);
        cursor = event.cursor;
        break;
      case 'seen':
        markedRead(event.messageIds);
        break;
      case 'receipt':
        messages.value = applyReceipt(messages.peek(), event.messageIds, event.status);
        break;
      case 'typing':
        clearTimeout(typingTimer);
        agentTyping.value = event.on;
        if (event.on) typingTimer = setTimeout(() => (agentTyping.value = false), TYPING_TIMEOUT_MS);
        break;
      case 'agent-joined':
        // (The panel reads an empty name as none.)
        addLine({ kind: 'agent-joined', name: event.name });
        break;
      case 'conversation-closed': {
        const id = event.conversationId;
        if (id !== (conversationId.peek() ?? record?.conversation?.id)) break;
        batch(() => {
          agentTyping.value = false;
          addLine({ kind: 'conversation-ended', by: event.by });
          notice.value = 'conversation-ended';
        });
        emit('conversation', { conversationId: id, state: 'closed' });
        if (connection?.rate) survey.value = { conversationId: id, state: 'open' };
        cursor = undefined;
        setConversation(undefined);
        break;
      }
      case 'session-ended':
        agentTyping.value = false;
        addLine({ kind: 'session-ended' });
        break;
      case 'auth-expired':
        void onAuthExpired();
        break;
      case 'disconnected':
        scheduleReconnect(new GuestChatError('connection-lost', 'Connection lost', { status: event.code }));
        break;
      case 'protocol-error':
        report(event.error);
        break;
    }
  };

  /**
   * Server messages of one task (a history frame holds thousands) are merged together in a
   * microtask: one copy of the list per batch instead of one per message. Anything that reads
   * the list or depends on the order of events merges the pending ones first (`mergeIncoming`).
   */
  let incoming: ChatMessage[] = [];

  const onMessage = (message: ChatMessage) => {
    // The server already has this send (replayed after a reconnect): never send it again.
    if (unsent.has(message.clientId)) void forgetSent(message.clientId!);
    if (!incoming.length) queueMicrotask(mergeIncoming);
    incoming.push(message);
  };

  const mergeIncoming = () => {
    if (!incoming.length) return;
    const arrived = incoming;
    incoming = [];
    const { list, fresh } = mergeServerMessages(messages.peek(), arrived);
    const seenNow: string[] = [];
    batch(() => {
      messages.value = list;
      for (const { id, from, text, at } of fresh) {
        // The public `message` event: once per stored message, whichever way we learnt of it.
        emit('message', known({ id, from, text, at, conversationId: conversationId.peek() || undefined }));
        if (from !== 'agent') continue;
        agentTyping.value = false;
        if (isSeen()) seenNow.push(id);
        else if (!readIds.has(id)) unreadIds.add(id);
      }
      syncUnread();
    });
    markSeen(seenNow);
  };

  /** The message list with every server message received so far merged in. */
  const currentMessages = () => {
    mergeIncoming();
    return messages.peek();
  };

  // The session runs only in a page (the app chunk), where document and window exist.
  const isVisible = () => document.visibilityState === 'visible';
  const isSeen = () => panelOpen.peek() && isVisible();

  const markSeen = (ids: string[]) => {
    const fresh = ids.filter((id) => !readIds.has(id));
    if (!fresh.length || !connection) return;
    markedRead(fresh);
    connection.markRead(fresh);
    tabs.post({ type: 'seen', ids: fresh });
  };

  const onTabMessage = (message: TabMessage) => {
    if (disposed) return;
    switch (message.type) {
      case 'outbox':
        // A pass finds nothing to send if the change was a delivery or a failure.
        void restoreOutbox().then(() => {
          if (online()) void flush();
        });
        break;
      case 'seen':
        mergeIncoming();
        markedRead(message.ids);
        break;
      case 'identity':
        // Another tab replaced the identity: follow it now rather than at our next refusal.
        if (started && record?.access?.subject !== message.subject) void reconnect();
        break;
      // 'forget': the app tears itself down (boot.ts)
    }
  };

  /** Every agent message shown (markSeen sends only those not marked yet). */
  const markAllSeen = () => {
    const shown = currentMessages();
    unreadIds.clear();
    syncUnread();
    markSeen(shown.flatMap((m) => (m.from === 'agent' ? [m.id!] : [])));
  };

  // ---- sending ----------------------------------------------------------------------------

  /**
   * Sends the server is known to hold (echoed, or replayed after a reconnect). Never sent again,
   * even by a flush that reads the outbox before the removal below has landed in storage.
   */
  const deliveredClientIds = new Set<string>();

  /** Tell the other tabs the stored outbox changed. */
  const outboxChanged = () => tabs.post({ type: 'outbox' });

  /** Delivered: out of the stored outbox, for every tab. */
  const forgetSent = (clientId: string) => {
    deliveredClientIds.add(clientId);
    unsent.delete(clientId);
    return outbox.remove(clientId).then(outboxChanged);
  };

  /**
   * Show stored sends (from before a reload, or another tab's) as pending in this tab. Resolves
   * with the entries, for the caller that boots the page.
   */
  const restoreOutbox = (): Promise<OutboxEntry[]> => {
    const loaded = outbox.load().then((entries) => {
      unsent = new Set(entries.map((entry) => entry.clientId));
      const shown = new Set(currentMessages().map((m) => m.clientId));
      const missing = entries.filter((entry) => !shown.has(entry.clientId));
      if (missing.length) {
        messages.value = [
          ...currentMessages(),
          ...missing.map((entry) => pendingMessage(entry.clientId, entry.text, entry.createdAt, entry.failed ? 'failed' : 'sending')),
        ];
      }
      return entries;
    });
    restored = loaded;
    return loaded;
  };

  const flush = async (): Promise<void> => {
    // A request while a pass is running is not dropped: that pass may have read the outbox
    // before the new entry was stored. It runs one more pass when it ends.
    if (flushing) {
      flushAgain = true;
      return;
    }
    flushing = true;
    flushAgain = false;
    try {
      await restored;
      // One sending tab at a time; each entry is re-read right before it goes out.
      await outbox.whileSending(async () => {
        while (connection && online()) {
          const entries = await outbox.load();
          // What is stored now (read after any send this pass serves was stored): a replay of one
          // of these is recognised as delivered (onMessage), even if an older read was shown last.
          unsent = new Set(entries.map((entry) => entry.clientId));
          const next = entries.find((entry) => !entry.failed && !deliveredClientIds.has(entry.clientId));
          if (!next) return;
          const { clientId, text } = next;
          const conn = connection;
          try {
            const { id, at } = await conn.send(text, clientId, next.replyTo);
            // Stored: merged like a message from the server (whichever of the two came first).
            incoming.push({ id, clientId, from: 'visitor', text, at });
            mergeIncoming();
            await forgetSent(clientId);
          } catch (cause) {
            const failure = toGuestChatError(cause);
            const attempts = next.attempts + 1;
            const transient = conn !== connection || KEEP_QUEUED.includes(failure.reason);
            // Kept while transient: it goes out when the connection (or a renewed token) is back.
            const failed = !transient || attempts >= MAX_SEND_ATTEMPTS || undefined;
            await outbox.put(clientId, { attempts, failed });
            if (failed) {
              messages.value = restate(currentMessages(), clientId, 'sending', 'failed');
              report(failure);
            }
            if (transient) return;
          }
        }
      });
    } finally {
      flushing = false;
    }
    if (flushAgain) return flush();
  };

  const send = (text: string, replyTo?: ReplyTo) => {
    text = text.trim();
    if (!text) return;
    const clientId = newId();
    const createdAt = clock.now();
    unsent.add(clientId);
    batch(() => {
      messages.value = [...currentMessages(), pendingMessage(clientId, text, createdAt)];
      clearEndedNotice();
    });
    connection?.typing(false);
    // Stored before any network call: a reload or a crash from here on loses nothing.
    // (Reading the outbox back leaves out an undefined replyTo or metadata.)
    const entry: OutboxEntry = { clientId, text, createdAt, attempts: 0, replyTo };
    restored = Promise.all([restored, outbox.put(clientId, {}, entry).then(outboxChanged)]);
    if (!started) void start();
    else if (online()) void flush();
    // A visitor's send is a reason to try again now rather than wait out the backoff.
    else reconnectNow();
  };

  const retryFailed = async (clientId: string) => {
    const failed = currentMessages().find((m) => m.clientId === clientId && m.state === 'failed');
    if (!failed) return;
    messages.value = restate(currentMessages(), clientId, 'failed', 'sending');
    await outbox.put(clientId, { attempts: 0, failed: false }, { clientId, text: failed.text, createdAt: failed.at, attempts: 0 });
    unsent.add(clientId);
    if (online()) void flush();
    else retry();
  };

  // ---- lifecycle ----------------------------------------------------------------------------

  const start = () => {
    if (started) return;
    started = true;
    restored ??= restoreOutbox();
    setStatus('connecting');
    void connect();
  };

  /** Try again after an error the visitor can see (the retry control): start afresh. */
  const retry = () => {
    reconnectAttempt = 0;
    started = false;
    start();
  };

  const setPanelOpen = (open: boolean) => {
    if (panelOpen.peek() === open) return;
    panelOpen.value = open;
    if (open) {
      markAllSeen();
      void start();
    }
  };

  /** The visitor tapped a suggested reply of an agent message. */
  const reply = ({ id: messageId }: UiMessage, { text, metadata }: QuickReply) => {
    if (messageId) send(text, { messageId, metadata });
  };

  const rate = async (score: 1 | 2 | 3 | 4 | 5) => {
    const current = survey.peek();
    if (!current || current.state === 'sending' || current.state === 'done' || !connection?.rate) return;
    const to = (state: Survey['state']) => (survey.value = { ...current, state });
    to('sending');
    try {
      await connection.rate(current.conversationId, score);
      to('done');
    } catch (cause) {
      to('failed');
      report(cause);
    }
  };

  const endConversation = async () => {
    if (connection && conversationId.peek()) await connection.endConversation().catch(report);
  };

  /**
   * The browser says the network is gone: a socket or stream may linger for minutes before it
   * notices, and sends would vanish into it. Treat it as a drop now (the outbox keeps the
   * messages); `online` reconnects at once.
   */
  const onOffline = () => {
    if (!connection) return;
    drop();
    scheduleReconnect(new GuestChatError('network', 'Browser offline'));
  };
  const onVisible = () => {
    if (isVisible()) {
      if (panelOpen.peek()) markAllSeen();
      reconnectNow();
    }
  };
  // Aborted on dispose: removes every listener below.
  const listening = new AbortController();
  addEventListener('online', reconnectNow, listening);
  addEventListener('offline', onOffline, listening);
  addEventListener('pageshow', reconnectNow, listening);
  document.addEventListener('visibilitychange', onVisible, listening);
  const stopSkewSync = clock.onChange((skewMs) => void lifecycle.saveSkew(skewMs));

  const dispose = () => {
    disposed = true;
    halt();
    clearTimeout(typingTimer);
    stopSkewSync();
    tabs.close();
    listening.abort();
  };

  return {
    // state
    status,
    messages,
    agentTyping,
    conversationId,
    notice,
    panelOpen,
    unread,
    survey,
    // actions
    start,
    send: (text: string) => send(text),
    reply,
    rate,
    retry,
    retryFailed,
    setPanelOpen,
    endConversation,
    setTyping: (on: boolean) => connection?.typing(on),
    dismissNotice: () => (notice.value = undefined),
    restoreOutbox,
    onTabMessage,
    dispose,
  };
}
