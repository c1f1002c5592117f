import { describe, expect, it } from 'vitest';
import {
  ROUTING_FAILED_TEXT,
  UNSUPPORTED_CONTENT_TEXT,
  createMappingState,
  mapHistory,
  choicesQuickReplies,
  mapStreamEvent,
  messageText,
  type MappingState,
} from './mapping.ts';
import { entry, envelope, textPayload } from './test-helpers.ts';

const CONV = '6f1c9d1e-5a8b-4c2d-9e3f-0a1b2c3d4e5f';
const OTHER = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const NOW = 42;

function attached(): MappingState {
  const state = createMappingState();
  state.conversationId = CONV;
  return state;
}

function sse(name: string, conversationEntry: unknown, conversationId = CONV) {
  return { event: name, data: JSON.stringify(envelope(conversationId, conversationEntry)) };
}

describe('stream event mapping (contract §3.3–3.4)', () => {
  it('maps an agent message (string entryPayload) with name, time and cursor', () => {
    const state = attached();
    const e = entry({ identifier: 'msg-1', entryType: 'Message', payload: textPayload('Hello'), role: 'Agent', name: 'Ada', at: 1000 });
    const out = mapStreamEvent(sse('CONVERSATION_MESSAGE', e), '43', state, NOW);
    expect(out.events).toEqual([
      { type: 'message', cursor: '43', message: { id: 'msg-1', from: 'agent', text: 'Hello', at: 1000, senderName: 'Ada' } },
    ]);
  });

  it('accepts an object entryPayload too (W5)', () => {
    const e = entry({ identifier: 'msg-2', entryType: 'Message', payload: textPayload('Obj'), at: 5 }, false);
    const out = mapStreamEvent(sse('CONVERSATION_MESSAGE', e), '1', attached(), NOW);
    expect(out.events).toMatchObject([{ type: 'message', message: { id: 'msg-2', text: 'Obj' } }]);
  });

  it('maps the visitor echo with its identifier as client id', () => {
    const id = 'c0ffee00-1234-4abc-8def-0123456789ab';
    const e = entry({ identifier: id, entryType: 'Message', payload: textPayload('mine'), role: 'EndUser', at: 7 });
    const out = mapStreamEvent(sse('CONVERSATION_MESSAGE', e), '2', attached(), NOW);
    expect(out.events).toEqual([{ type: 'message', cursor: '2', message: { id, clientId: id, from: 'visitor', text: 'mine', at: 7 } }]);
  });

  it('maps Chatbot and Supervisor to agent, System and Router to system', () => {
    const roles: Array<[string, string]> = [['Chatbot', 'agent'], ['Supervisor', 'agent'], ['System', 'system'], ['Router', 'system']];
    for (const [role, from] of roles) {
      const e = entry({ identifier: `m-${role}`, entryType: 'Message', payload: textPayload('x'), role });
      const out = mapStreamEvent(sse('CONVERSATION_MESSAGE', e), '1', attached(), NOW);
      expect(out.events[0]).toMatchObject({ type: 'message', message: { from } });
    }
  });

  it('de-duplicates by identifier', () => {
    const state = attached();
    const e = entry({ identifier: 'msg-1', entryType: 'Message', payload: textPayload('Hello') });
    expect(mapStreamEvent(sse('CONVERSATION_MESSAGE', e), '1', state, NOW).events).toHaveLength(1);
    const again = mapStreamEvent(sse('CONVERSATION_MESSAGE', e), '2', state, NOW);
    expect(again.events).toEqual([]);
  });

  it('filters out other conversations while attached', () => {
    const e = entry({ identifier: 'msg-9', entryType: 'Message', payload: textPayload('elsewhere') });
    const out = mapStreamEvent(sse('CONVERSATION_MESSAGE', e, OTHER), '3', attached(), NOW);
    expect(out.events).toEqual([]);
  });

  it('follows a conversation opened in another tab when none is attached', () => {
    const state = createMappingState();
    const e = entry({ identifier: 'r-1', entryType: 'RoutingResult', payload: { routingType: 'Initial', failureType: 'None' }, role: 'Router' });
    const out = mapStreamEvent(sse('CONVERSATION_ROUTING_RESULT', e, OTHER), '4', state, NOW);
    expect(out.events).toEqual([{ type: 'conversation-open', conversationId: OTHER }]);
    expect(state.conversationId).toBe(OTHER);
  });

  it('does not follow a conversation reported closed, nor on typing alone', () => {
    const state = createMappingState({ closed: new Set([OTHER]) });
    const msg = entry({ identifier: 'm-1', entryType: 'Message', payload: textPayload('late') });
    expect(mapStreamEvent(sse('CONVERSATION_MESSAGE', msg, OTHER), '1', state, NOW).events).toEqual([]);
    const typing = entry({ identifier: 't-1', entryType: 'TypingStartedIndicator' });
    expect(mapStreamEvent(sse('CONVERSATION_TYPING_STARTED_INDICATOR', typing, CONV), '2', state, NOW).events).toEqual([]);
    expect(state.conversationId).toBeUndefined();
  });

  it('takes any event of the conversation this tab is creating, and only that one', () => {
    const state = createMappingState();
    state.creatingId = CONV;
    const other = entry({ identifier: 'o-1', entryType: 'Message', payload: textPayload('no') });
    expect(mapStreamEvent(sse('CONVERSATION_MESSAGE', other, OTHER), '1', state, NOW).events).toEqual([]);
    const joined = entry({
      identifier: 'p-1',
      entryType: 'ParticipantChanged',
      payload: { entries: [{ operation: 'add', displayName: 'Ada', participant: { role: 'Agent', subject: 'a' } }] },
    });
    expect(mapStreamEvent(sse('CONVERSATION_PARTICIPANT_CHANGED', joined), '2', state, NOW).events).toEqual([
      { type: 'conversation-open', conversationId: CONV },
      { type: 'agent-joined', name: 'Ada' },
    ]);
  });

  it('maps a routing failure to a system message and a success to nothing', () => {
    const failed = entry({
      identifier: 'r-2',
      entryType: 'RoutingResult',
      payload: { routingType: 'Initial', failureType: 'RoutingError', failureReason: 'No agents' },
      role: 'Router',
      at: 9,
    });
    expect(mapStreamEvent(sse('CONVERSATION_ROUTING_RESULT', failed), '5', attached(), NOW).events).toEqual([
      { type: 'message', cursor: '5', message: { id: 'r-2', from: 'system', text: ROUTING_FAILED_TEXT, at: 9 } },
    ]);
    const ok = entry({ identifier: 'r-3', entryType: 'RoutingResult', payload: { failureType: 'None' }, role: 'Router' });
    expect(mapStreamEvent(sse('CONVERSATION_ROUTING_RESULT', ok), '6', attached(), NOW).events).toEqual([]);
  });

  it('announces agents and bots joining; not the visitor, not removals', () => {
    const e = entry({
      identifier: 'p-2',
      entryType: 'ParticipantChanged',
      payload: {
        entries: [
          { operation: 'add', displayName: 'Guest', participant: { role: 'EndUser' } },
          { operation: 'add', displayName: 'Bot', participant: { role: 'Chatbot' } },
          { operation: 'remove', displayName: 'Old', participant: { role: 'Agent' } },
          { operation: 'add', participant: { role: 'Agent' } },
        ],
      },
    });
    expect(mapStreamEvent(sse('CONVERSATION_PARTICIPANT_CHANGED', e), '7', attached(), NOW).events).toEqual([
      { type: 'agent-joined', name: 'Bot' },
      { type: 'agent-joined' },
    ]);
  });

  it('maps agent typing started/stopped and ignores the visitor echo', () => {
    const state = attached();
    const started = entry({ identifier: 't-1', entryType: 'TypingStartedIndicator' });
    const stopped = entry({ identifier: 't-2', entryType: 'TypingStoppedIndicator' });
    const own = entry({ identifier: 't-3', entryType: 'TypingStartedIndicator', role: 'EndUser' });
    expect(mapStreamEvent(sse('CONVERSATION_TYPING_STARTED_INDICATOR', started), '8', state, NOW).events).toEqual([{ type: 'typing', on: true }]);
    expect(mapStreamEvent(sse('CONVERSATION_TYPING_STOPPED_INDICATOR', stopped), '9', state, NOW).events).toEqual([{ type: 'typing', on: false }]);
    expect(mapStreamEvent(sse('CONVERSATION_TYPING_STARTED_INDICATOR', own), '10', state, NOW).events).toEqual([]);
  });

  it('maps agent delivery and read acknowledgements to receipts for relatedRecords[0]', () => {
    const state = attached();
    const delivered = entry({ identifier: 'a-1', entryType: 'DeliveryAcknowledgement', payload: { acknowledgementTimestamp: 1 }, related: ['msg-1'] });
    const read = entry({ identifier: 'a-2', entryType: 'ReadAcknowledgement', payload: { acknowledgementTimestamp: 2 }, related: ['msg-1'] });
    expect(mapStreamEvent(sse('CONVERSATION_DELIVERY_ACKNOWLEDGEMENT', delivered), '11', state, NOW).events).toEqual([
      { type: 'receipt', messageIds: ['msg-1'], status: 'delivered' },
    ]);
    expect(mapStreamEvent(sse('CONVERSATION_READ_ACKNOWLEDGEMENT', read), '12', state, NOW).events).toEqual([
      { type: 'receipt', messageIds: ['msg-1'], status: 'read' },
    ]);
  });

  it('does not take the visitor\'s own acknowledgements as receipts (a read one marks the message seen)', () => {
    const state = attached();
    const delivered = entry({ identifier: 'a-3', entryType: 'DeliveryAcknowledgement', role: 'EndUser', related: ['agent-msg'] });
    const read = entry({ identifier: 'a-4', entryType: 'ReadAcknowledgement', role: 'EndUser', related: ['agent-msg'] });
    expect(mapStreamEvent(sse('CONVERSATION_DELIVERY_ACKNOWLEDGEMENT', delivered), '13', state, NOW).events).toEqual([]);
    expect(mapStreamEvent(sse('CONVERSATION_READ_ACKNOWLEDGEMENT', read), '14', state, NOW).events).toEqual([
      { type: 'seen', messageIds: ['agent-msg'] },
    ]);
  });

  it('maps SessionStatusChanged Ended to session-ended and keeps the conversation attached', () => {
    const state = attached();
    const ended = entry({ identifier: 's-1', entryType: 'SessionStatusChanged', payload: { sessionStatus: 'Ended' }, role: 'System' });
    const active = entry({ identifier: 's-2', entryType: 'SessionStatusChanged', payload: { sessionStatus: 'Active' }, role: 'System' });
    expect(mapStreamEvent(sse('CONVERSATION_SESSION_STATUS_CHANGED', ended), '15', state, NOW).events).toEqual([
      { type: 'session-ended', conversationId: CONV },
    ]);
    expect(mapStreamEvent(sse('CONVERSATION_SESSION_STATUS_CHANGED', active), '16', state, NOW).events).toEqual([]);
    expect(state.conversationId).toBe(CONV);
  });

  it('maps CLOSE_CONVERSATION to conversation-closed by the visitor, once, and detaches', () => {
    const state = attached();
    const close = entry({ identifier: 'x-1', entryType: 'CloseConversation', role: 'EndUser' });
    expect(mapStreamEvent(sse('CONVERSATION_CLOSE_CONVERSATION', close), '17', state, NOW).events).toEqual([
      { type: 'conversation-closed', conversationId: CONV, by: 'visitor' },
    ]);
    expect(state.conversationId).toBeUndefined();
    expect(state.closed.has(CONV)).toBe(true);
    // Already reported (e.g. by endConversation): not again.
    const state2 = attached();
    state2.closed.add(CONV);
    expect(mapStreamEvent(sse('CONVERSATION_CLOSE_CONVERSATION', close), '18', state2, NOW).events).toEqual([]);
  });

  it('reads a close event that carries only the conversation id', () => {
    const state = attached();
    const out = mapStreamEvent({ event: 'CONVERSATION_CLOSE_CONVERSATION', data: JSON.stringify({ conversationId: CONV }) }, '19', state, NOW);
    expect(out.events).toEqual([{ type: 'conversation-closed', conversationId: CONV, by: 'visitor' }]);
  });

  it('treats ping, unknown events and unnamed events as liveness only (W6)', () => {
    const state = attached();
    expect(mapStreamEvent({ event: 'ping', data: '{"timestamp":1}' }, '20', state, NOW)).toEqual({ events: [] });
    const unknown = sse('CONVERSATION_PROGRESS_INDICATOR', entry({ identifier: 'u-1', entryType: 'ProgressIndicator' }));
    expect(mapStreamEvent(unknown, '21', state, NOW)).toEqual({ events: [] });
    expect(mapStreamEvent({ event: 'SOMETHING_NEW', data: 'not even json' }, '22', state, NOW)).toEqual({ events: [] });
    expect(mapStreamEvent({ data: 'x' }, '23', state, NOW)).toEqual({ events: [] });
  });

  it('ignores unknown entry types inside a known-looking entry without error', () => {
    const weird = entry({ identifier: 'w-1', entryType: 'Message', payload: { abstractMessage: { messageType: 'FutureMessage', future: {} } } });
    const out = mapStreamEvent(sse('CONVERSATION_MESSAGE', weird), '24', attached(), NOW);
    expect(out.events).toMatchObject([{ type: 'message', message: { text: UNSUPPORTED_CONTENT_TEXT } }]);
  });

  it('reports malformed data as a protocol-error event, never throws', () => {
    const state = attached();
    const bad = [
      { event: 'CONVERSATION_MESSAGE', data: '{not json' },
      { event: 'CONVERSATION_MESSAGE', data: '[]' },
      { event: 'CONVERSATION_MESSAGE', data: JSON.stringify({ conversationEntry: {} }) },
      { event: 'CONVERSATION_MESSAGE', data: JSON.stringify(envelope(CONV, { identifier: 'z', entryPayload: '{oops' })) },
      { event: 'CONVERSATION_MESSAGE', data: JSON.stringify(envelope(CONV, 'nope')) },
      { event: 'CONVERSATION_MESSAGE', data: JSON.stringify(envelope(CONV, { entryType: 'Message', entryPayload: '{}' })) },
    ];
    for (const event of bad) {
      const out = mapStreamEvent(event, '25', state, NOW);
      expect(out.events).toHaveLength(1);
      expect(out.events[0]).toMatchObject({ type: 'protocol-error', error: { reason: 'bad-server-data' } });
    }
  });

  it('uses now when an entry has no timestamp', () => {
    const e = { identifier: 'n-1', entryType: 'Message', entryPayload: JSON.stringify({ entryType: 'Message', ...textPayload('t') }), sender: { role: 'Agent' }, senderDisplayName: 'Ada' };
    const out = mapStreamEvent(sse('CONVERSATION_MESSAGE', e), '26', attached(), NOW);
    expect(out.events).toMatchObject([{ type: 'message', message: { at: NOW } }]);
  });
});

describe('message text fallback (§2.8 first version)', () => {
  const msg = (abstractMessage: unknown) => messageText({ abstractMessage });

  it('shows Text as is', () => {
    expect(msg({ messageType: 'StaticContentMessage', staticContent: { formatType: 'Text', text: 'Hi' } })).toBe('Hi');
  });

  it('lists button and quick-reply titles under the text', () => {
    const choices = {
      formatType: 'Buttons',
      text: 'Pick one',
      optionItems: [{ optionIdentifier: 'a', titleItem: { title: 'Yes' } }, { optionIdentifier: 'b', titleItem: { title: 'No' } }],
    };
    expect(msg({ messageType: 'ChoicesMessage', choices })).toBe('Pick one\n• Yes\n• No');
  });

  it('lists carousel cards and their buttons', () => {
    const choices = {
      formatType: 'Carousel',
      items: [{ titleItem: { title: 'Card' }, interactionItems: [{ titleItem: { title: 'Open' } }] }],
    };
    expect(msg({ messageType: 'ChoicesMessage', choices })).toBe('Card\n• Open');
  });

  it('gives rich links, attachments and web views a text', () => {
    expect(msg({ staticContent: { formatType: 'RichLink', linkItem: { url: 'https://x.test', titleItem: { title: 'X' } } } })).toBe('X\nhttps://x.test');
    expect(msg({ staticContent: { formatType: 'Attachments', attachments: [{ name: 'a.pdf' }] } })).toBe('a.pdf');
    expect(msg({ staticContent: { formatType: 'WebView', title: { title: 'Form' }, url: 'https://w.test' } })).toBe('Form\nhttps://w.test');
  });

  it('falls back to any text in an unknown format, else a placeholder', () => {
    expect(msg({ staticContent: { formatType: 'Hologram', data: { text: 'beam' } } })).toBe('beam');
    expect(msg({ staticContent: { formatType: 'Text', text: '' } })).toBe(UNSUPPORTED_CONTENT_TEXT);
    expect(msg(undefined)).toBe(UNSUPPORTED_CONTENT_TEXT);
  });
});

describe('stored entries (history)', () => {
  it('returns unseen messages oldest first, de-duplicated, skipping other entry types', () => {
    const state = attached();
    state.seen.add('old-seen');
    const entries = [
      entry({ identifier: 'm-3', entryType: 'Message', payload: textPayload('third'), at: 300 }, false),
      entry({ identifier: 'm-2', entryType: 'Message', payload: textPayload('second'), role: 'EndUser', at: 200 }, false),
      entry({ identifier: 'p-1', entryType: 'ParticipantChanged', payload: { entries: [] }, at: 150 }, false),
      entry({ identifier: 'old-seen', entryType: 'Message', payload: textPayload('seen'), at: 120 }, false),
      entry({ identifier: 'm-1', entryType: 'Message', payload: textPayload('first'), at: 100 }, false),
      entry({ identifier: 'm-2', entryType: 'Message', payload: textPayload('second'), role: 'EndUser', at: 200 }, false),
    ];
    const out = mapHistory(entries, CONV, state, NOW);
    expect(out.messages.map((m) => m.id)).toEqual(['m-1', 'm-2', 'm-3']);
    expect(out.messages[1]).toMatchObject({ from: 'visitor', clientId: 'm-2' });
    expect(out.errors).toEqual([]);
    expect(state.seen.has('m-3')).toBe(true);
    // Streamed afterwards: already handled.
    const again = entry({ identifier: 'm-3', entryType: 'Message', payload: textPayload('third') });
    expect(mapStreamEvent(sse('CONVERSATION_MESSAGE', again), '30', state, NOW).events).toEqual([]);
  });

  it('reports unreadable entries without dropping the rest', () => {
    const out = mapHistory([42, entry({ identifier: 'm-1', entryType: 'Message', payload: textPayload('ok') }, false)], CONV, attached(), NOW);
    expect(out.messages).toHaveLength(1);
    expect(out.errors).toHaveLength(1);
  });
});

describe('ChoicesMessage quick replies (§3.3–3.4, §2.8)', () => {
  const options = [
    { optionIdentifier: 'a', titleItem: { itemType: 'TitleItem', title: 'Yes' }, itemType: 'TitleOptionItem' },
    { optionIdentifier: 'b', titleItem: { itemType: 'TitleItem', title: 'No' }, itemType: 'TitleOptionItem' },
  ];
  const choicesPayload = (formatType: string, optionItems: unknown[] = options) => ({
    entryType: 'Message',
    id: 'q-1',
    abstractMessage: { messageType: 'ChoicesMessage', id: 'q-1', choices: { formatType, text: 'Did this help?', optionItems } },
  });

  it('keeps the text fallback and offers QuickReplies options as quick replies (text = title, no metadata)', () => {
    const e = entry({ identifier: 'q-1', entryType: 'Message', payload: choicesPayload('QuickReplies'), role: 'Agent', name: 'Ada', at: 10 });
    const out = mapStreamEvent(sse('CONVERSATION_MESSAGE', e), '7', attached(), NOW);
    expect(out.events).toEqual([
      {
        type: 'message',
        cursor: '7',
        message: {
          id: 'q-1',
          from: 'agent',
          text: 'Did this help?\n• Yes\n• No',
          at: 10,
          senderName: 'Ada',
          quickReplies: [
            { title: 'Yes', text: 'Yes' },
            { title: 'No', text: 'No' },
          ],
        },
      },
    ]);
  });

  it('does the same for Buttons, and for bots; also in stored history', () => {
    const e = entry({ identifier: 'q-2', entryType: 'Message', payload: choicesPayload('Buttons'), role: 'Chatbot', name: 'Bot', at: 10 }, false);
    const out = mapHistory([e], CONV, attached(), NOW);
    expect(out.messages[0]?.quickReplies).toEqual([
      { title: 'Yes', text: 'Yes' },
      { title: 'No', text: 'No' },
    ]);
  });

  it('offers none for Carousel, plain text, options without titles, or the visitor’s own entries', () => {
    expect(choicesQuickReplies(choicesPayload('Carousel'))).toBeUndefined();
    expect(choicesQuickReplies(textPayload('hi'))).toBeUndefined();
    expect(choicesQuickReplies(choicesPayload('QuickReplies', [{ optionIdentifier: 'x' }, 'junk', { titleItem: { title: '  ' } }]))).toBeUndefined();
    expect(choicesQuickReplies(choicesPayload('QuickReplies', [{ title: 'Legacy' }]))).toEqual([{ title: 'Legacy', text: 'Legacy' }]);
    const own = entry({ identifier: 'q-3', entryType: 'Message', payload: choicesPayload('QuickReplies'), role: 'EndUser', at: 10 });
    const out = mapStreamEvent(sse('CONVERSATION_MESSAGE', own), '8', attached(), NOW);
    expect((out.events[0] as { message: { quickReplies?: unknown } }).message.quickReplies).toBeUndefined();
  });
});
