/**
 * The chat session: signals (@preact/signals) state plus the actions the UI calls. Adapter-neutral — it
 * sees only the Vendor interfaces and the token lifecycle.
 *
 * Responsibilities: connect with a good access token (reuse, renew or replace it through the
 * lifecycle), keep the visitor's messages until the server has them (the durable outbox),
 * renew proactively before expiry and on auth-expired, reconnect with backoff after a drop and
 * resume from the last cursor, and surface every failure as a state and an `error` event.
 */
import { batch, signal } from '@preact/signals';
import type { ChatMessage, Connection, QuickReply, ReplyTo, ResumePoint, TransportEvent, Vendor } from '../adapters/types.ts';
import { renewAt, type SkewClock, type TokenLifecycle, type TokenRecord } from '../auth/index.ts';
import { GuestChatError, toGuestChatError } from '../errors.ts';
import type { Emit, WidgetStatus } from './events.ts';
import { MAX_SEND_ATTEMPTS, type Outbox, type OutboxEntry } from './outbox.ts';
import type { TabChannel, TabMessage } from './tabs.ts';
import {
  applyReceipt,
  confirmSend,
  markFailed,
  mergeServerMessages,
  pendingMessage,
  systemLine,
  type UiMessage,
} from './messages.ts';

export type Notice = 'identity-replaced' | 'conversation-ended';

/** Control flow only: the identity lapsed and the session went back to idle (see `lapse`). */
class IdentityLapsed extends Error {}

/**
 * Control flow only: token calls failed on the network or with 5xx/429 after the lifecycle's own
 * retries (5, 10, 15 s). The vendor's advice is to wait for the visitor then (LP §3.4), not to
 * loop: the session shows the error with its retry control.
 */
class TokenCallsFailed extends Error {
  constructor(readonly failure: GuestChatError) {
    super(failure.message);
  }
}
const RETRIED_TOKEN_FAILURES = new Set<string>(['network', 'server-error', 'rate-limited']);

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
const TRANSIENT = new Set<string>(['network', 'connection-lost', 'request-timeout', 'server-error', 'rate-limited', 'domain-lookup-failed']);

/** Send failures after which the message stays queued for the next connection. */
const KEEP_QUEUED = new Set<string>(['connection-lost', 'request-timeout', 'network', 'auth-rejected']);

/** A fresh token refused again this soon means something is wrong beyond expiry: stop, show it. */
const AUTH_LOOP_WINDOW_MS = 10_000;
/** Agent "typing" is hidden if no state change arrives for this long (a lost ACTIVE). */
const TYPING_TIMEOUT_MS = 30_000;

export type Session = ReturnType<typeof createSession>;

export function createSession(options: SessionOptions) {
  const { vendor, lifecycle, clock, emit, outbox } = options;
  const tabs = options.tabs ?? { post() {}, close() {} };
  const newId = options.newId ?? (() => crypto.randomUUID());

  const status = signal<WidgetStatus>('idle');
  const messages = signal<UiMessage[]>([]);
  const agentTyping = signal(false);
  const conversationId = signal<string | undefined>(undefined);
  const notice = signal<Notice | undefined>(undefined);
  const error = signal<GuestChatError | undefined>(undefined);
  const panelOpen = signal(false);
  const unread = signal(0);
  /** The post-chat survey of a conversation that just ended, where the vendor has one. */
  const survey = signal<{ conversationId: string; state: 'open' | 'sending' | 'done' | 'failed' } | undefined>(undefined);

  let connection: Connection | undefined;
  let record: TokenRecord | undefined;
  let cursor: string | undefined;
  let started = false;
  let connecting: Promise<void> | undefined;
  let reconnectAttempt = 0;
  let reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  let renewTimer: ReturnType<typeof setTimeout> | undefined;
  let typingTimer: ReturnType<typeof setTimeout> | undefined;
  let lastAuthRenewalAt = -Infinity;
  let flushing = false;
  let flushAgain = false;
  let disposed = false;
  /** Mirror of the stored outbox: the visitor's sends not yet stored by the server, in order. */
  let queue: OutboxEntry[] = [];
  let restored: Promise<void> | undefined;
  const readSent = new Set<string>();
  /** Agent messages not marked read yet (here or in another tab): what opening the panel marks. */
  const toMark = new Set<string>();
  /** Agent messages shown while the visitor was not looking, and not read anywhere since. */
  const unreadIds = new Set<string>();
  const markedElsewhere = (ids: readonly string[]) => {
    for (const id of ids) {
      readSent.add(id);
      toMark.delete(id);
      unreadIds.delete(id);
    }
    syncUnread();
  };
  const syncUnread = () => {
    if (unread.peek() !== unreadIds.size) unread.value = unreadIds.size;
  };

  const setStatus = (next: WidgetStatus) => {
    if (status.peek() === next) return;
    status.value = next;
    emit('status', { status: next });
  };

  const report = (failure: GuestChatError) => {
    emit('error', { reason: failure.reason, message: failure.message, ...(failure.status === undefined ? {} : { status: failure.status }) });
  };

  const fail = (cause: unknown) => {
    const failure = toGuestChatError(cause);
    error.value = failure;
    setStatus('error');
    report(failure);
  };

  // ---- tokens ---------------------------------------------------------------------------

  /** Whether this page's visitor has shown intent: only then may a new identity be minted. */
  const visitorActed = () => panelOpen.peek() || queue.length > 0;
  /** The identity that lapsed before the visitor acted; announced when its successor is issued. */
  let lapsedSubject: string | undefined | null = null;

  async function obtainAccess(rejectedToken?: string): Promise<TokenRecord> {
    const previous = record ?? (await lifecycle.read());
    const result = await lifecycle.ensureAccess({ ...(rejectedToken === undefined ? {} : { rejectedToken }), mayReplace: visitorActed() });
    const previousSubject = previous?.access?.subject ?? previous?.identity.subject;
    if (result.action === 'expired') {
      lapse(Boolean(previous?.conversation), previousSubject);
      throw new IdentityLapsed();
    }
    record = result.record;
    const access = result.record.access!;
    if (result.action !== 'reuse') {
      emit('token', { action: result.action, subject: access.subject, expiresAt: access.expiresAt });
    }
    // 'reuse' of another subject: a tab of this browser replaced the identity meanwhile.
    if (result.action === 'replace' || (result.action === 'reuse' && previousSubject && previousSubject !== access.subject)) {
      emit('identity-replaced', { ...(previousSubject ? { previousSubject } : {}), subject: access.subject });
      if (previous?.conversation || conversationId.peek()) loseConversation();
      if (result.action === 'replace') tabs.post({ type: 'identity', subject: access.subject });
    } else if (result.action === 'issue' && lapsedSubject !== null) {
      emit('identity-replaced', { ...(lapsedSubject ? { previousSubject: lapsedSubject } : {}), subject: access.subject });
    }
    lapsedSubject = null;
    scheduleRenewal(result.record);
    return result.record;
  }

  function loseConversation() {
    batch(() => {
      notice.value = 'identity-replaced';
      conversationId.value = undefined;
      agentTyping.value = false;
    });
    cursor = undefined;
  }

  /**
   * The identity can no longer be renewed and the visitor has not acted on this page: mint
   * nothing now (an idle tab must not create identities), tell the visitor, and start afresh on
   * their next open or send.
   */
  function lapse(hadConversation: boolean, previousSubject: string | undefined) {
    lapsedSubject = previousSubject;
    record = undefined;
    if (hadConversation || conversationId.peek()) loseConversation();
    clearTimeout(renewTimer);
    clearTimeout(reconnectTimer);
    connection?.close();
    connection = undefined;
    started = false;
    setStatus('idle');
    // The visitor may have opened the panel or sent while this was being decided: then the new
    // identity is theirs to have now (the connect under way has ended; start afresh after it).
    setTimeout(() => {
      if (!started && !disposed && visitorActed()) void start();
    }, 0);
  }

  function scheduleRenewal(current: TokenRecord) {
    clearTimeout(renewTimer);
    const at = renewAt(current);
    if (at === undefined) return;
    // Timers are capped so a long sleep (laptop lid) re-checks soon after waking.
    const delay = Math.min(Math.max(at - clock.now(), 0), 10 * 60_000);
    renewTimer = setTimeout(() => void renewProactively(), delay);
  }

  async function renewProactively() {
    if (disposed || !record?.access) return;
    if (clock.now() < renewAt(record)!) return scheduleRenewal(record);
    const before = record.access.token;
    try {
      const next = await obtainAccess();
      // A new token means a new connection: the server would close the old one at expiry anyway.
      if (next.access?.token !== before && connection) await reconnect();
    } catch (cause) {
      if (!(cause instanceof IdentityLapsed)) fail(cause);
    }
  }

  // ---- connection -----------------------------------------------------------------------

  function resumePoint(): ResumePoint | undefined {
    const id = conversationId.peek() ?? record?.conversation?.id;
    if (!id) return undefined;
    return cursor === undefined ? { conversationId: id } : { conversationId: id, cursor };
  }

  async function connectOnce(): Promise<void> {
    let current = await obtainAccess().catch((cause: unknown) => {
      const failure = toGuestChatError(cause);
      throw cause instanceof IdentityLapsed || !RETRIED_TOKEN_FAILURES.has(failure.reason) ? cause : new TokenCallsFailed(failure);
    });
    for (let attempt = 0; ; attempt++) {
      try {
        const conn = await vendor.transport.connect(current.access!, resumePoint(), onTransportEvent);
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
    error.value = undefined;
    if (connection.conversationId && !conversationId.peek()) setConversation(connection.conversationId);
    setStatus('online');
    void flush();
  }

  function connect(): Promise<void> {
    connecting ??= connectOnce()
      .catch((cause) => {
        if (cause instanceof IdentityLapsed) return;
        if (cause instanceof TokenCallsFailed) return fail(cause.failure);
        const failure = toGuestChatError(cause);
        if (TRANSIENT.has(failure.reason)) scheduleReconnect(failure);
        else fail(failure);
      })
      .finally(() => {
        connecting = undefined;
      });
    return connecting;
  }

  async function reconnect() {
    clearTimeout(reconnectTimer);
    const old = connection;
    connection = undefined;
    old?.close();
    setStatus('reconnecting');
    await connect();
  }

  function scheduleReconnect(failure?: GuestChatError) {
    if (disposed) return;
    connection = undefined;
    setStatus('reconnecting');
    if (failure) report(failure);
    clearTimeout(reconnectTimer);
    // A server's Retry-After is a floor under our own backoff.
    const delay = Math.max(vendor.transport.retryDelayMs(reconnectAttempt++), (failure?.retryAfterSec ?? 0) * 1000);
    reconnectTimer = setTimeout(() => void connect(), delay);
  }

  async function onAuthExpired() {
    const rejected = record?.access?.token;
    connection = undefined;
    setStatus('reconnecting');
    if (Date.now() - lastAuthRenewalAt < AUTH_LOOP_WINDOW_MS) {
      return fail(new GuestChatError('auth-rejected', 'The server keeps refusing fresh tokens'));
    }
    lastAuthRenewalAt = Date.now();
    try {
      await obtainAccess(rejected);
      await connect();
    } catch (cause) {
      if (!(cause instanceof IdentityLapsed)) fail(cause);
    }
  }

  function setConversation(id: string | undefined) {
    if (conversationId.peek() === id) return;
    conversationId.value = id;
    const subject = record?.access?.subject;
    if (subject) void lifecycle.saveConversation(id ? { id } : undefined, subject);
    if (id) emit('conversation', { conversationId: id, state: 'open' });
  }

  function onTransportEvent(event: TransportEvent) {
    if (disposed) return;
    // Events after a message act on a list that holds it.
    if (event.type !== 'message') mergeIncoming();
    switch (event.type) {
      case 'conversation-open':
        if (notice.peek() === 'conversation-ended') notice.value = undefined;
        if (survey.peek()?.conversationId !== event.conversationId) survey.value = undefined;
        setConversation(event.conversationId);
        break;
      case 'message':
        onMessage(event.message);
        cursor = event.cursor;
        break;
      case 'seen':
        markedElsewhere(event.messageIds);
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
        messages.value = [
          ...messages.peek(),
          {
            ...systemLine(`joined-${newId()}`, event.name ? { kind: 'agent-joined', name: event.name } : { kind: 'agent-joined' }, clock.now()),
            ...(event.avatar ? { senderAvatar: event.avatar } : {}),
          },
        ];
        break;
      case 'conversation-closed':
        if (event.conversationId !== (conversationId.peek() ?? record?.conversation?.id)) break;
        batch(() => {
          agentTyping.value = false;
          messages.value = [
            ...messages.peek(),
            systemLine(`ended-${event.conversationId}`, event.by ? { kind: 'conversation-ended', by: event.by } : { kind: 'conversation-ended' }, clock.now()),
          ];
          notice.value = 'conversation-ended';
        });
        emit('conversation', { conversationId: event.conversationId, state: 'closed' });
        if (connection?.rate) survey.value = { conversationId: event.conversationId, state: 'open' };
        cursor = undefined;
        setConversation(undefined);
        break;
      case 'session-ended':
        agentTyping.value = false;
        messages.value = [...messages.peek(), systemLine(`session-ended-${newId()}`, { kind: 'session-ended' }, clock.now())];
        break;
      case 'auth-expired':
        void onAuthExpired();
        break;
      case 'disconnected':
        scheduleReconnect(new GuestChatError('connection-lost', 'The connection was lost', event.code === undefined ? {} : { status: event.code }));
        break;
      case 'protocol-error':
        report(event.error);
        break;
    }
  }

  /**
   * Server messages of one task (a history frame holds thousands) are merged together in a
   * microtask: one copy of the list per batch instead of one per message. Anything that reads
   * the list or depends on the order of events merges the pending ones first (`mergeIncoming`).
   */
  let incoming: ChatMessage[] = [];

  function onMessage(message: ChatMessage) {
    if (message.clientId && queue.some((entry) => entry.clientId === message.clientId)) {
      // The server already has this send (replayed after a reconnect): never send it again.
      forgetSent(message.clientId);
    }
    if (!incoming.length) queueMicrotask(mergeIncoming);
    incoming.push(message);
  }

  function mergeIncoming() {
    if (!incoming.length) return;
    const arrived = incoming;
    incoming = [];
    const { list, fresh } = mergeServerMessages(messages.peek(), arrived);
    const freshIds = new Set(fresh);
    const seenNow: string[] = [];
    batch(() => {
      messages.value = list;
      for (const message of arrived) {
        announce(message);
        if (message.from !== 'agent' || !freshIds.has(message)) continue;
        agentTyping.value = false;
        if (readSent.has(message.id)) continue;
        toMark.add(message.id);
        if (isSeen()) seenNow.push(message.id);
        else unreadIds.add(message.id);
      }
      syncUnread();
    });
    if (seenNow.length) markSeen(seenNow);
  }

  /** The message list with every server message received so far merged in. */
  const currentMessages = () => {
    mergeIncoming();
    return messages.peek();
  };

  /** The public `message` event, once per stored message whichever way we learnt of it. */
  const announced = new Set<string>();
  function announce(message: Pick<ChatMessage, 'id' | 'from' | 'text' | 'at'>) {
    if (announced.has(message.id)) return;
    announced.add(message.id);
    const conversation = conversationId.peek();
    emit('message', { id: message.id, from: message.from, text: message.text, at: message.at, ...(conversation ? { conversationId: conversation } : {}) });
  }

  const isSeen = () => panelOpen.peek() && (typeof document === 'undefined' || document.visibilityState === 'visible');

  function markSeen(ids: string[]) {
    const fresh = ids.filter((id) => !readSent.has(id));
    if (!fresh.length || !connection) return;
    for (const id of fresh) {
      readSent.add(id);
      toMark.delete(id);
    }
    connection.markRead(fresh);
    tabs.post({ type: 'seen', ids: fresh });
  }

  function onTabMessage(message: TabMessage) {
    if (disposed) return;
    switch (message.type) {
      case 'outbox':
        void restoreOutbox().then(() => {
          if (status.peek() === 'online' && queue.some((entry) => !entry.failed)) void flush();
        });
        break;
      case 'seen':
        mergeIncoming();
        markedElsewhere(message.ids);
        break;
      case 'identity':
        // Another tab replaced the identity: follow it now rather than at our next refusal.
        if (started && record?.access?.subject !== message.subject) void reconnect();
        break;
      case 'forget':
        break; // the app tears itself down (boot.ts)
    }
  }

  /** Only what is not marked yet: opening the panel costs the same with a long history. */
  function markAllSeen() {
    mergeIncoming();
    unreadIds.clear();
    syncUnread();
    markSeen([...toMark]);
  }

  // ---- sending ----------------------------------------------------------------------------

  /**
   * Sends the server is known to hold (echoed, or replayed after a reconnect). Never sent again,
   * even by a flush that reads the outbox before the removal below has landed in storage.
   */
  const deliveredClientIds = new Set<string>();

  /** Delivered: out of the stored outbox, for every tab. */
  function forgetSent(clientId: string) {
    deliveredClientIds.add(clientId);
    queue = queue.filter((entry) => entry.clientId !== clientId);
    void outbox.remove(clientId).then(() => tabs.post({ type: 'outbox' }));
  }

  /** Show stored sends (from before a reload, or another tab's) as pending in this tab. */
  function restoreOutbox(): Promise<void> {
    restored = outbox.load().then((entries) => {
      queue = entries;
      const shown = new Set(currentMessages().map((m) => m.clientId));
      const missing = entries.filter((entry) => !shown.has(entry.clientId));
      if (missing.length) {
        messages.value = [
          ...currentMessages(),
          ...missing.map((entry) => ({ ...pendingMessage(entry.clientId, entry.text, entry.createdAt), ...(entry.failed ? { state: 'failed' as const } : {}) })),
        ];
      }
    });
    return restored;
  }

  async function flush(): Promise<void> {
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
        while (connection && status.peek() === 'online') {
          queue = (await outbox.load()).filter((entry) => !deliveredClientIds.has(entry.clientId));
          const next = queue.find((entry) => !entry.failed);
          if (!next) return;
          const conn = connection;
          try {
            const receipt = await conn.send(next.text, next.clientId, next.replyTo);
            messages.value = confirmSend(currentMessages(), next.clientId, receipt.id, receipt.at);
            announce({ id: receipt.id, from: 'visitor', text: next.text, at: receipt.at });
            queue = queue.filter((entry) => entry.clientId !== next.clientId);
            await outbox.remove(next.clientId);
            tabs.post({ type: 'outbox' });
          } catch (cause) {
            const failure = toGuestChatError(cause);
            const attempts = next.attempts + 1;
            const transient = conn !== connection || KEEP_QUEUED.has(failure.reason);
            if (transient && attempts < MAX_SEND_ATTEMPTS) {
              // Kept: it goes out when the connection (or a renewed token) is back.
              await outbox.update(next.clientId, { attempts });
              return;
            }
            await outbox.update(next.clientId, { attempts, failed: true });
            messages.value = markFailed(currentMessages(), next.clientId);
            report(failure);
            if (transient) return;
          }
        }
      });
    } finally {
      flushing = false;
    }
    if (flushAgain) return flush();
  }

  function send(text: string, replyTo?: ReplyTo) {
    const trimmed = text.trim();
    if (!trimmed) return;
    const entry: OutboxEntry = { clientId: newId(), text: trimmed, createdAt: clock.now(), attempts: 0, ...(replyTo ? { replyTo } : {}) };
    queue.push(entry);
    batch(() => {
      messages.value = [...currentMessages(), pendingMessage(entry.clientId, trimmed, entry.createdAt)];
      if (notice.peek() === 'conversation-ended') notice.value = undefined;
    });
    connection?.typing(false);
    // Stored before any network call: a reload or a crash from here on loses nothing.
    const stored = outbox.add(entry).then(() => tabs.post({ type: 'outbox' }));
    restored = Promise.all([restored, stored]).then(() => undefined);
    if (!started) void start();
    else if (status.peek() === 'online') void flush();
    else if (status.peek() === 'reconnecting' && !connecting) {
      // A visitor's send is a reason to try again now rather than wait out the backoff.
      clearTimeout(reconnectTimer);
      void connect();
    }
  }

  async function retryFailed(clientId: string) {
    const failed = currentMessages().find((m) => m.clientId === clientId && m.state === 'failed');
    if (!failed) return;
    messages.value = currentMessages().map((m) => (m.clientId === clientId ? { ...m, state: 'sending' } : m));
    const entries = await outbox.load();
    if (entries.some((entry) => entry.clientId === clientId)) await outbox.update(clientId, { attempts: 0, failed: false });
    else await outbox.add({ clientId, text: failed.text, createdAt: failed.at, attempts: 0 });
    queue = await outbox.load();
    if (status.peek() === 'online') void flush();
    else retry();
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  function start(): Promise<void> {
    if (started) return connecting ?? Promise.resolve();
    started = true;
    restored ??= restoreOutbox();
    setStatus('connecting');
    return connect();
  }

  /** Try again after an error the visitor can see (the retry control). */
  function retry() {
    error.value = undefined;
    reconnectAttempt = 0;
    if (!started) return void start();
    setStatus('connecting');
    void connect();
  }

  function setPanelOpen(open: boolean) {
    if (panelOpen.peek() === open) return;
    panelOpen.value = open;
    if (open) {
      markAllSeen();
      if (!started) void start();
    }
  }

  /** The visitor tapped a suggested reply of an agent message. */
  function reply(message: UiMessage, choice: QuickReply) {
    if (!message.id) return;
    send(choice.text, choice.metadata ? { messageId: message.id, metadata: choice.metadata } : { messageId: message.id });
  }

  async function rate(score: 1 | 2 | 3 | 4 | 5) {
    const current = survey.peek();
    if (!current || current.state === 'sending' || current.state === 'done' || !connection?.rate) return;
    survey.value = { ...current, state: 'sending' };
    try {
      await connection.rate(current.conversationId, score);
      survey.value = { ...current, state: 'done' };
    } catch (cause) {
      survey.value = { ...current, state: 'failed' };
      report(toGuestChatError(cause));
    }
  }

  async function endConversation() {
    if (!connection || !conversationId.peek()) return;
    try {
      await connection.endConversation();
    } catch (cause) {
      report(toGuestChatError(cause));
    }
  }

  const onOnline = () => {
    if (status.peek() === 'reconnecting' && !connecting) {
      clearTimeout(reconnectTimer);
      void connect();
    }
  };
  /**
   * The browser says the network is gone: a socket or stream may linger for minutes before it
   * notices, and sends would vanish into it. Treat it as a drop now (the outbox keeps the
   * messages); `online` reconnects at once.
   */
  const onOffline = () => {
    if (!connection) return;
    const old = connection;
    connection = undefined;
    old.close();
    scheduleReconnect(new GuestChatError('network', 'The browser is offline'));
  };
  const onVisible = () => {
    if (typeof document !== 'undefined' && document.visibilityState === 'visible') {
      if (panelOpen.peek()) markAllSeen();
      onOnline();
    }
  };
  if (typeof window !== 'undefined') {
    window.addEventListener('online', onOnline);
    window.addEventListener('offline', onOffline);
    window.addEventListener('pageshow', onOnline);
    document.addEventListener('visibilitychange', onVisible);
  }
  const stopSkewSync = clock.onChange((skewMs) => void lifecycle.saveSkew(skewMs));

  function dispose() {
    disposed = true;
    clearTimeout(reconnectTimer);
    clearTimeout(renewTimer);
    clearTimeout(typingTimer);
    connection?.close();
    connection = undefined;
    stopSkewSync();
    tabs.close();
    if (typeof window !== 'undefined') {
      window.removeEventListener('online', onOnline);
      window.removeEventListener('offline', onOffline);
      window.removeEventListener('pageshow', onOnline);
      document.removeEventListener('visibilitychange', onVisible);
    }
  }

  return {
    // state
    status,
    messages,
    agentTyping,
    conversationId,
    notice,
    error,
    panelOpen,
    unread,
    /** The visitor's messages shown as sending (not yet stored by the server). */
    pendingCount: () => currentMessages().filter((m) => m.state === 'sending').length,
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
