/**
 * The chat panel: a labelled dialog with a header, the message log, connection status,
 * notices and the composer. It reads session signals and calls session actions, nothing else.
 */
import { effect } from '@preact/signals-core';
import { Fragment, h, type ButtonHTMLAttributes } from 'preact';
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import type { Session, UiMessage } from '../session/index.ts';
import { linkify } from './linkify.ts';
import type { Strings } from './strings.ts';

export interface AppProps {
  session: Session;
  strings: Strings;
  title: string;
  onClose(): void;
}

/** How many messages are rendered at first, and added by each "show earlier". */
const WINDOW = 50;

/** Every button of the panel but the composer's submit. */
const Button = (props: ButtonHTMLAttributes<HTMLButtonElement>) => <button type="button" {...props} />;

/** The agent's picture where the vendor gives one, else their initial. Decorative: the name is text. */
function Avatar({ name, src }: { name: string; src: string | undefined }) {
  const [broken, setBroken] = useState(false);
  if (src && !broken) return <img class="avatar" src={src} alt="" width={28} height={28} referrerpolicy="no-referrer" onError={() => setBroken(true)} />;
  return (
    <span class="avatar initial" aria-hidden>
      {name.trim()[0]?.toUpperCase() || '?'}
    </span>
  );
}

export function App({ session, strings, title, onClose }: AppProps) {
  const [draft, setDraft] = useState('');
  const input = useRef<HTMLTextAreaElement>(null);
  const log = useRef<HTMLDivElement>(null);
  const [announcement, setAnnouncement] = useState('');
  const lastAnnounced = useRef<string | undefined>(undefined);
  // Times in the host page's language (the visitor reads the page in it).
  const [format] = useState(() => new Intl.DateTimeFormat(document.documentElement.lang || 'en', { hour: 'numeric', minute: '2-digit' }));
  // The session's state, read once per render. The panel renders again after each change of it
  // (once per batch of writes): subscribed in a layout effect, so no write can fall between the
  // render and the subscription (its first run renders once more, with the same state).
  const read = () =>
    [session.messages.value, session.panelOpen.value, session.status.value, session.agentTyping.value, session.survey.value, session.conversationId.value, session.notice.value] as const;
  const [[list, open, status, typing, survey, conversationId, notice], setState] = useState(read);
  useLayoutEffect(() => effect(() => setState(read())), [session]);
  // Only the newest messages are rendered (a window that grows on request), so a long history
  // costs the same to show as a short one.
  const [windowSize, setWindowSize] = useState(WINDOW);
  const pinnedToBottom = useRef(true);
  const lastMessage = list.at(-1);
  const heightBeforeGrow = useRef<number | undefined>(undefined);

  // Follow new messages only while the visitor is at the bottom (or just sent one); someone
  // reading back is not yanked down. Growing the window keeps what they were reading in place.
  useLayoutEffect(() => {
    const el = log.current;
    if (!el) return;
    if (heightBeforeGrow.current !== undefined) {
      el.scrollTop += el.scrollHeight - heightBeforeGrow.current;
      heightBeforeGrow.current = undefined;
    } else if (pinnedToBottom.current || lastMessage?.from === 'visitor') {
      el.scrollTop = el.scrollHeight;
    }
  }, [list.length, open, windowSize]);

  const showEarlier = () => {
    heightBeforeGrow.current = log.current?.scrollHeight;
    setWindowSize((size) => size + WINDOW);
  };

  // Announce new agent messages (with the sender) once, through a polite live region.
  useEffect(() => {
    const last = list.findLast((m) => m.from === 'agent');
    if (!last || last.key === lastAnnounced.current) return;
    const first = lastAnnounced.current === undefined;
    lastAnnounced.current = last.key;
    if (!first) setAnnouncement(`${last.senderName || strings.agent}: ${last.text}`);
  }, [list, strings]);

  useEffect(() => {
    if (open) input.current?.focus();
  }, [open]);

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

  const renderMessage = (message: UiMessage) => {
    const { from, state } = message;
    // The widget's own lines (no sender) are a bubble alone: no name, no time, no links.
    const person = from !== 'system';
    const who = from === 'visitor' ? strings.you : message.senderName || strings.agent;
    const time = new Date(message.at);
    return (
      <li key={message.key} class={`msg ${from}`} data-from={from} data-state={state}>
        {from === 'agent' && <Avatar name={who} src={message.senderAvatar} />}
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

  return (
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
        {conversationId && (
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
          pinnedToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
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
    </section>
  );
}
