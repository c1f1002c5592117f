/**
 * The chat panel: a labelled dialog with a header, the message log, connection status,
 * notices and the composer. It reads session signals and calls session actions, nothing else.
 */
import { effect } from '@preact/signals-core';
import { createRef, Fragment, h, render, type ButtonHTMLAttributes } from 'preact';
import type { Session, UiMessage } from '../session/index.ts';
import { linkify } from './linkify.ts';
import type { Strings } from './strings.ts';

export interface PanelOptions {
  session: Session;
  strings: Strings;
  title: string;
  onClose(): void;
}

/** How many messages are rendered at first, and added by each "show earlier". */
const WINDOW = 50;

/** Every button of the panel but the composer's submit. */
const Button = (props: ButtonHTMLAttributes<HTMLButtonElement>) => <button type="button" {...props} />;

/**
 * Draws the panel into `container` and keeps it current until the returned function is called.
 * The panel is one closure, not a component: its own state is the local variables below, and it
 * renders again (Preact's render into the same container diffs the previous tree) after each
 * change of the session state it reads (once per batch of writes) or of its own state.
 */
export function drawPanel(container: HTMLElement, { session, strings, title, onClose }: PanelOptions): () => void {
  const log = createRef<HTMLDivElement>();
  const input = createRef<HTMLTextAreaElement>();
  // Times in the host page's language (the visitor reads the page in it).
  const format = new Intl.DateTimeFormat(document.documentElement.lang || 'en', { hour: 'numeric', minute: '2-digit' });
  let draft = '';
  /** The live region's text: the newest agent message, with its sender. */
  let announcement = '';
  /** Only the newest messages are rendered (a window that grows on request), so a long history costs the same to show as a short one. */
  let windowSize = WINDOW;
  let pinnedToBottom = true;
  let heightBeforeGrow: number | undefined;
  let lastAnnounced: string | undefined;
  /** Agent pictures that failed to load: their initial is shown instead. */
  const broken = new Set<string>();
  /** What the previous render showed: the list's length, open, the window's size (nothing before the first). */
  let shown: unknown[] = [];

  const setDraft = (value: string) => {
    draft = value;
    update();
  };

  const showEarlier = () => {
    heightBeforeGrow = log.current?.scrollHeight;
    windowSize += WINDOW;
    update();
  };

  const submit = (event: Event) => {
    event.preventDefault();
    const text = draft.trim();
    if (!text) return;
    session.send(text);
    setDraft('');
  };

  // The lines the widget adds itself (no sender), worded in the visitor's language.
  const systemText = ({ event, text }: UiMessage) =>
    !event ? text : event.kind === 'agent-joined' ? strings.agentJoined(event.name) : event.kind === 'session-ended' ? strings.agentLeft : strings.chatEnded;

  // The agent's picture where the vendor gives one, else their initial. Decorative: the name is text.
  const avatar = (name: string, src = '') =>
    src && !broken.has(src) ? (
      <img
        class="avatar"
        src={src}
        alt=""
        width={28}
        height={28}
        referrerpolicy="no-referrer"
        onError={() => {
          broken.add(src);
          update();
        }}
      />
    ) : (
      <span class="avatar initial" aria-hidden>
        {name.trim()[0]?.toUpperCase() || '?'}
      </span>
    );

  const renderMessage = (message: UiMessage) => {
    const { from, state } = message;
    // The widget's own lines (no sender) are a bubble alone: no name, no time, no links.
    const person = from !== 'system';
    const who = from === 'visitor' ? strings.you : message.senderName || strings.agent;
    const time = new Date(message.at);
    return (
      <li key={message.key} class={`msg ${from}`} data-from={from} data-state={state}>
        {from === 'agent' && avatar(who, message.senderAvatar)}
        {person && <span class="sr-only">{who}: </span>}
        <p class="bubble">
          {person
            ? linkify(message.text).map((part, i) =>
                'href' in part ? (
                  <a key={i} href={part.href} target="_blank" rel="noopener noreferrer nofollow">
                    {part.text}
                  </a>
                ) : (
                  part.text
                ),
              )
            : systemText(message)}
        </p>
        {person && (
          <span class="meta">
            {from === 'agent' && <span aria-hidden>{who} · </span>}
            <time dateTime={time.toISOString()}>{format.format(time)}</time>
            {state && ' · '}
            {state === 'failed' ? (
              <>
                <span class="failed">{strings.failed}</span>{' '}
                <Button class="link-btn" onClick={() => session.retryFailed(message.clientId!)}>
                  {strings.resend}
                </Button>
              </>
            ) : (
              state && strings[state]
            )}
          </span>
        )}
      </li>
    );
  };

  const update = () => {
    const list = session.messages.value;
    const open = session.panelOpen.value;
    const status = session.status.value;
    const typing = session.agentTyping.value;
    const survey = session.survey.value;
    const notice = session.notice.value;
    const lastMessage = list.at(-1);
    render(
      <section
        class="panel"
        role="dialog"
        aria-modal={false}
        aria-labelledby="gc-title"
        hidden={!open}
        onKeyDown={(event) => {
          if (event.key === 'Escape') {
            event.stopPropagation();
            onClose();
          }
        }}
      >
        <header class="header">
          <h2 id="gc-title">{title}</h2>
          {session.conversationId.value && (
            <Button class="icon-btn" onClick={session.endConversation}>
              {strings.endChat}
            </Button>
          )}
          <Button class="icon-btn" aria-label={strings.close} onClick={onClose}>
            <span aria-hidden>✕</span>
          </Button>
        </header>
        {status === 'error' && (
          <div class="status error" role="alert">
            {strings.unavailable}{' '}
            <Button class="link-btn" onClick={session.retry}>
              {strings.retry}
            </Button>
          </div>
        )}
        {(status === 'connecting' || status === 'reconnecting') && (
          <div class="status" role="status">
            {strings[status]}
          </div>
        )}
        {notice === 'identity-replaced' && (
          <div class="notice" role="status">
            <p>{strings.identityReplaced}</p>
            <Button class="link-btn" onClick={session.dismissNotice}>
              {strings.dismiss}
            </Button>
          </div>
        )}
        <div
          class="log"
          ref={log}
          role="log"
          aria-live="off"
          aria-label={title}
          tabIndex={0}
          onScroll={(event) => {
            const el = event.currentTarget as HTMLDivElement;
            pinnedToBottom = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
          }}
        >
          {list.length > windowSize && (
            <Button class="link-btn earlier" onClick={showEarlier}>
              {strings.earlier}
            </Button>
          )}
          {list.length === 0 ? <p class="empty">{strings.empty}</p> : <ol class="items">{list.slice(-windowSize).map(renderMessage)}</ol>}
          {/* Suggested answers under the newest agent message; gone once the visitor has answered. */}
          {lastMessage?.from === 'agent' && lastMessage.quickReplies?.length ? (
            <div class="chips" role="group" aria-label={strings.suggestions}>
              {lastMessage.quickReplies.map((choice, i) => (
                <Button key={i} class="chip" onClick={() => session.reply(lastMessage, choice)}>
                  {choice.title}
                </Button>
              ))}
            </div>
          ) : null}
          {survey &&
            (survey.state === 'done' ? (
              <p class="survey" role="status">
                {strings.surveyThanks}
              </p>
            ) : (
              <div class="survey" role="group" aria-labelledby="gc-survey">
                <p id="gc-survey">{strings.surveyQuestion}</p>
                <div class="scores">
                  {([1, 2, 3, 4, 5] as const).map((score) => (
                    <Button key={score} class="score" aria-label={strings.surveyScore(score)} disabled={survey.state === 'sending'} onClick={() => session.rate(score)}>
                      {score}
                    </Button>
                  ))}
                </div>
                {survey.state === 'failed' && <p class="failed">{strings.surveyFailed}</p>}
              </div>
            ))}
        </div>
        <div class="typing" aria-hidden={!typing}>
          {typing ? strings.agentTyping : ''}
        </div>
        <div class="sr-only" aria-live="polite" aria-atomic>
          {announcement}
        </div>
        <form
          class="composer"
          onSubmit={submit}
        >
          <textarea
            ref={input}
            class="input"
            rows={1}
            aria-label={strings.messageLabel}
            placeholder={strings.placeholder}
            value={draft}
            maxLength={4000}
            onInput={(event) => {
              const value = (event.currentTarget as HTMLTextAreaElement).value;
              setDraft(value);
              session.setTyping(value !== '');
            }}
            onKeyDown={(event) => {
              if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) submit(event);
            }}
          />
          <button type="submit" class="send" aria-disabled={!draft.trim()}>
            {strings.send}
          </button>
        </form>
      </section>,
      container,
    );

    // After the render: scroll, focus, announce — for what changed since the previous one.
    const el = log.current!;
    const [lengthBefore, openBefore, windowBefore] = shown;
    shown = [list.length, open, windowSize];
    // Follow new messages only while the visitor is at the bottom (or just sent one); someone
    // reading back is not yanked down. Growing the window keeps what they were reading in place.
    if (list.length !== lengthBefore || open !== openBefore || windowSize !== windowBefore) {
      if (heightBeforeGrow !== undefined) {
        el.scrollTop += el.scrollHeight - heightBeforeGrow;
        heightBeforeGrow = undefined;
      } else if (pinnedToBottom || lastMessage?.from === 'visitor') {
        el.scrollTop = el.scrollHeight;
      }
    }
    if (open && !openBefore) input.current?.focus();
    // Announce new agent messages (with the sender) once, through a polite live region.
    const last = list.findLast((m) => m.from === 'agent');
    if (last && last.key !== lastAnnounced) {
      const first = lastAnnounced === undefined;
      lastAnnounced = last.key;
      if (!first) {
        announcement = `${last.senderName || strings.agent}: ${last.text}`;
        update();
      }
    }
  };
  return effect(update);
}
