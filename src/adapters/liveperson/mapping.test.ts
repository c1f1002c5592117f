import { describe, expect, it } from 'vitest';
import type { TransportEvent } from '../types.ts';
import { createMapping, parseMessageId, type Mapping } from './mapping.ts';
import { UNSUPPORTED_CONTENT_TEXT, parseFrame, type ConversationChange, type NotificationFrame } from './protocol.ts';

const ME = 'consumer-1';
const AGENT = 'agent-7';
const CONV = 'conv-1';

/** A context with the conversation the connection is attached to (the transport keeps it). */
type TestContext = Mapping & { conversation?: string | undefined };

function ctx(attached = true): TestContext {
  const c: TestContext = createMapping(ME, { now: () => 42 }, { agents: new Set(), closed: new Set(), stored: new Map() });
  if (attached) c.conversation = CONV;
  return c;
}

/** Everything the sink was given, collected as the transport does. */
function mapNotification(frame: NotificationFrame, c: TestContext) {
  const result = {
    events: [] as TransportEvent[],
    agentOf: new Map<TransportEvent, string>(),
    accept: [] as string[],
    openConversations: [] as ConversationChange[],
  };
  const detached = c.map(frame, c.conversation, {
    emit(event, agentId) {
      result.events.push(event);
      if (agentId) result.agentOf.set(event, agentId);
    },
    accept: (id) => result.accept.push(id),
    open: (change) => result.openConversations.push(change),
  });
  if (detached) c.conversation = undefined;
  return result;
}

function ms(changes: unknown): NotificationFrame {
  return { kind: 'notification', type: 'ms.MessagingEventNotification', body: { changes } };
}

function agentChange(sequence: number, event: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return {
    sequence,
    originatorId: AGENT,
    originatorMetadata: { id: AGENT, role: 'ASSIGNED_AGENT' },
    serverTimestamp: 1000 + sequence,
    conversationId: CONV,
    dialogId: CONV,
    event,
    ...extra,
  };
}

function ownChange(sequence: number, event: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return { ...agentChange(sequence, event, extra), originatorId: ME, originatorMetadata: { id: ME, role: 'CONSUMER' } };
}

const text = (message: string) => ({ type: 'ContentEvent', contentType: 'text/plain', message });

function cqm(changes: unknown, type = 'cqm.ExConversationChangeNotification'): NotificationFrame {
  return { kind: 'notification', type, body: { subscriptionId: 's1', changes } };
}

function upsert(details: Record<string, unknown>, convId = CONV) {
  return {
    type: 'UPSERT',
    result: {
      convId,
      effectiveTTR: -1,
      conversationDetails: {
        brandId: '12345678',
        state: 'OPEN',
        stage: 'OPEN',
        participants: [{ id: ME, role: 'CONSUMER' }],
        dialogs: [{ dialogId: convId, dialogType: 'MAIN', state: 'OPEN' }],
        ...details,
      },
    },
  };
}

describe('ms.MessagingEventNotification mapping', () => {
  it('maps an agent text message with id, sender, time and cursor, and asks to ACCEPT it', () => {
    const c = ctx();
    const result = mapNotification(ms([agentChange(3, text('Hello'))]), c);
    expect(result.events).toEqual([
      { type: 'message', message: { id: 'conv-1:3', from: 'agent', text: 'Hello', at: 1003 }, cursor: '3' },
    ]);
    expect(result.accept).toEqual([`${CONV}:3`]);
  });

  it('recognises our own echo and its clientId; never ACCEPTs it', () => {
    const result = mapNotification(
      ms([ownChange(0, text('hi'), { metadata: [{ type: 'ExternalId', id: 'guestchat:client-abc' }] })]),
      ctx(),
    );
    expect(result.events).toEqual([
      { type: 'message', message: { id: 'conv-1:0', from: 'visitor', text: 'hi', at: 1000, clientId: 'client-abc' }, cursor: '0' },
    ]);
    expect(result.accept).toEqual([]);
  });

  it('treats originatorId == sub as own even without metadata, and ignores foreign ExternalIds', () => {
    const change = { sequence: 1, originatorId: ME, dialogId: CONV, event: text('x'), metadata: { type: 'ExternalId', id: 'brand-button-1' } };
    const [event] = mapNotification(ms([change]), ctx()).events;
    expect(event).toMatchObject({ type: 'message', message: { from: 'visitor', at: 42 } });
    expect(event?.type === 'message' && event.message.clientId).toBeUndefined();
  });

  it('de-duplicates by (dialogId, sequence) and keeps the highest sequence as cursor', () => {
    const c = ctx();
    mapNotification(ms([agentChange(5, text('five'))]), c);
    const again = mapNotification(ms([agentChange(5, text('five')), agentChange(4, text('four'))]), c);
    expect(again.events).toEqual([
      { type: 'message', message: expect.objectContaining({ id: 'conv-1:4', text: 'four' }), cursor: '5' },
    ]);
  });

  it('does not emit what was held before the connection (sequence <= floor)', () => {
    const c = ctx();
    c.floor.set(CONV, 6);
    const result = mapNotification(ms([agentChange(6, text('held')), agentChange(7, text('new'))]), c);
    expect(result.events.map((e) => e.type === 'message' && e.message.id)).toEqual(['conv-1:7']);
    expect(result.accept).toEqual([`${CONV}:7`]);
  });

  it('accepts a bare object where the changes array is expected', () => {
    const result = mapNotification(ms(agentChange(1, text('bare'))), ctx());
    expect(result.events).toHaveLength(1);
    expect(result.events[0]).toMatchObject({ type: 'message', message: { text: 'bare' } });
  });

  it('gives rich content a text fallback: text elements, button titles, image captions', () => {
    const content = {
      type: 'vertical',
      elements: [
        { type: 'image', url: 'https://x/y.png', caption: 'A photo' },
        { type: 'text', text: 'Pick one' },
        { type: 'horizontal', elements: [{ type: 'button', title: 'Yes', click: { actions: [] } }, { type: 'button', title: 'No' }] },
        { type: 'map', la: 1, lo: 2 },
      ],
    };
    const [event] = mapNotification(ms([agentChange(2, { type: 'RichContentEvent', content })]), ctx()).events;
    expect(event).toMatchObject({ type: 'message', message: { from: 'agent', text: 'A photo\nPick one\nYes\nNo' } });
  });

  it('shows a plain fallback for content it cannot read', () => {
    const c = ctx();
    const result = mapNotification(
      ms([
        agentChange(1, { type: 'RichContentEvent', content: { type: 'map', la: 1, lo: 2 } }),
        agentChange(2, { type: 'ContentEvent', contentType: 'hosted/file', message: { caption: 'invoice.pdf' } }),
        agentChange(3, { type: 'ContentEvent', contentType: 'forms/secure-invitation', message: { formId: 1 } }),
        agentChange(4, { type: 'ContentEvent', contentType: 'text/html', message: '<b>Bold</b> &amp; plain' }),
      ]),
      c,
    );
    expect(result.events.map((e) => (e.type === 'message' ? e.message.text : e.type))).toEqual([
      UNSUPPORTED_CONTENT_TEXT,
      'invoice.pdf',
      UNSUPPORTED_CONTENT_TEXT,
      'Bold & plain',
    ]);
  });

  it('hides AGENTS_AND_MANAGERS messages but still advances the cursor', () => {
    const c = ctx();
    const hidden = mapNotification(ms([agentChange(8, text('internal'), { messageAudience: 'AGENTS_AND_MANAGERS' })]), c);
    expect(hidden.events).toEqual([]);
    expect(hidden.accept).toEqual([]);
    const next = mapNotification(ms([agentChange(9, text('public'), { messageAudience: 'ALL' })]), c);
    expect(next.events[0]).toMatchObject({ cursor: '9' });
  });

  it('labels bots as agents and other roles as system', () => {
    const events = mapNotification(
      ms([
        { ...agentChange(1, text('bot')), originatorMetadata: { id: 'bot', role: 'AGENT' }, originatorId: 'bot' },
        { ...agentChange(2, text('sys')), originatorMetadata: { id: 'ctl', role: 'CONTROLLER' }, originatorId: 'ctl' },
      ]),
      ctx(),
    ).events;
    expect(events.map((e) => e.type === 'message' && e.message.from)).toEqual(['agent', 'system']);
  });

  it('maps agent chat states to typing (no sequence needed) and ignores our own echo', () => {
    const agentState = (chatState: string) => ({
      originatorId: AGENT,
      originatorMetadata: { role: 'ASSIGNED_AGENT' },
      dialogId: CONV,
      event: { type: 'ChatStateEvent', chatState },
    });
    const result = mapNotification(
      ms([
        agentState('COMPOSING'),
        { ...agentState('COMPOSING'), originatorId: ME, originatorMetadata: { role: 'CONSUMER' } },
        agentState('PAUSE'),
        agentState('SOMETHING_NEW'),
      ]),
      ctx(),
    );
    expect(result.events).toEqual([
      { type: 'typing', on: true },
      { type: 'typing', on: false },
      { type: 'typing', on: false },
    ]);
  });

  it('maps agent accept statuses to receipts and records our own as coverage', () => {
    const c = ctx();
    const result = mapNotification(
      ms([
        agentChange(1, text('hello')),
        ownChange(2, { type: 'AcceptStatusEvent', status: 'ACCEPT', sequenceList: [1] }),
        ownChange(3, text('hi')),
        agentChange(4, { type: 'AcceptStatusEvent', status: 'ACCEPT', sequenceList: [3] }),
        agentChange(5, { type: 'AcceptStatusEvent', status: 'READ', sequenceList: 3 }),
        agentChange(6, { type: 'AcceptStatusEvent', status: 'ACTION', sequenceList: [1] }),
      ]),
      c,
    );
    expect(result.events.filter((e) => e.type === 'receipt')).toEqual([
      { type: 'receipt', status: 'delivered', messageIds: ['conv-1:3'] },
      { type: 'receipt', status: 'read', messageIds: ['conv-1:3'] },
    ]);
    // Our ACCEPT for 1 came later in the same history: covered, so the batch skips it.
    expect(result.accept).toEqual([`${CONV}:1`]);
    expect(c.covered.has(`ACCEPT${CONV}:1`)).toBe(true);
  });

  it('ignores unknown notification types and event types', () => {
    expect(mapNotification({ kind: 'notification', type: 'ms.SomethingNew', body: { changes: [1] } }, ctx()).events).toEqual([]);
    expect(mapNotification(ms([agentChange(1, { type: 'FutureEvent' })]), ctx()).events).toEqual([]);
  });

  it('reports unreadable notifications as protocol-error and never throws', () => {
    const noBody = mapNotification({ kind: 'notification', type: 'ms.MessagingEventNotification', body: 'x' }, ctx());
    expect(noBody.events).toEqual([{ type: 'protocol-error', error: expect.objectContaining({ reason: 'bad-server-data' }) }]);
    const noSequence = mapNotification(ms([{ ...agentChange(0, text('x')), sequence: undefined }, 'garbage']), ctx());
    expect(noSequence.events.map((e) => e.type)).toEqual(['protocol-error', 'protocol-error']);
  });
});

describe('frame parsing', () => {
  it('throws bad-server-data for unparsable frames', () => {
    expect(() => parseFrame('{not json')).toThrow(expect.objectContaining({ reason: 'bad-server-data' }));
    expect(() => parseFrame('[1,2]')).toThrow(expect.objectContaining({ reason: 'bad-server-data' }));
    expect(() => parseFrame(new ArrayBuffer(2))).toThrow(expect.objectContaining({ reason: 'bad-server-data' }));
  });

  it('reads responses with numeric or string reqId and passes unknown kinds', () => {
    // The frame is normalised in place: other fields (here `type`) may stay.
    expect(parseFrame('{"kind":"resp","reqId":7,"code":200,"type":"x","body":{"a":1}}')).toMatchObject({
      kind: 'resp',
      reqId: '7',
      code: 200,
      body: { a: 1 },
    });
    const bodiless = parseFrame('{"kind":"resp","reqId":"8","code":400}');
    expect(bodiless).toMatchObject({ reqId: '8', code: 400 });
    expect(bodiless?.body).toBeUndefined();
    expect(parseFrame('{"kind":"ping"}')).toBeUndefined();
  });

  it('parses message ids whose dialog id contains colons', () => {
    expect(parseMessageId('a:b:12')).toEqual({ dialogId: 'a:b', sequence: 12 });
    expect(parseMessageId('nope')).toBeUndefined();
  });
});

describe('ExConversationChangeNotification mapping', () => {
  it('announces an agent once when ASSIGNED_AGENT appears', () => {
    const c = ctx();
    const withAgent = upsert({ participants: [{ id: ME, role: 'CONSUMER' }, { id: AGENT, role: 'ASSIGNED_AGENT' }] });
    expect(mapNotification(cqm([upsert({})]), c).events).toEqual([]);
    expect(mapNotification(cqm([withAgent]), c).events).toEqual([{ type: 'agent-joined' }]);
    expect(mapNotification(cqm([withAgent]), c).events).toEqual([]);
  });

  it('reads legacy participantsPId and the aam. prefix', () => {
    const legacy = upsert({ participants: undefined, participantsPId: { CONSUMER: [ME], ASSIGNED_AGENT: AGENT } });
    expect(mapNotification(cqm(legacy, 'aam.ExConversationChangeNotification'), ctx()).events).toEqual([{ type: 'agent-joined' }]);
  });

  it.each([
    [{ stage: 'CLOSE', state: 'CLOSE', closeReason: 'CONSUMER' }, 'visitor'],
    [{ stage: 'CLOSE', state: 'CLOSE', closeReason: 'AGENT' }, 'agent'],
    [{ stage: 'CLOSE', closeReason: 'TIMEOUT' }, 'system'],
    [{ stage: undefined, state: 'CLOSE' }, 'system'],
  ])('reports the close of %j as by %s, once', (details, by) => {
    const c = ctx();
    expect(mapNotification(cqm([upsert(details)]), c).events).toEqual([{ type: 'conversation-closed', conversationId: CONV, by }]);
    expect(c.conversation).toBeUndefined();
    expect(mapNotification(cqm([upsert(details)]), c).events).toEqual([]);
  });

  it('does not treat MAIN dialog CLOSE with an open stage as over (post-survey)', () => {
    expect(mapNotification(cqm([upsert({ stage: 'OPEN', state: 'CLOSE' })]), ctx()).events).toEqual([]);
  });

  it('reports DELETE of the attached conversation as closed', () => {
    const c = ctx();
    expect(mapNotification(cqm({ type: 'DELETE', result: { convId: CONV } }), c).events).toEqual([
      { type: 'conversation-closed', conversationId: CONV, by: 'system' },
    ]);
  });

  it('hands other open conversations of this consumer back for attaching, not others', () => {
    const c = ctx(false);
    const result = mapNotification(
      cqm([
        upsert({}, 'conv-2'),
        upsert({ participants: [{ id: 'someone-else', role: 'CONSUMER' }] }, 'conv-3'),
        upsert({ stage: 'CLOSE' }, 'conv-4'),
        { type: 'UNKNOWN', result: { convId: 'conv-5' } },
      ]),
      c,
    );
    expect(result.events).toEqual([]);
    expect(result.openConversations.map((o) => o.conversationId)).toEqual(['conv-2']);
  });
});

describe('quick replies (§5.12)', () => {
  const chip = (title: string, click: unknown) => ({ type: 'button', title, tooltip: title, click });
  const surveyMeta = [{ type: 'Answer', questionId: 'q1', id: 'a1', provider: 'survey' }];
  const brandMeta = [{ type: 'ExternalId', id: 'yes-chip' }, { type: 'BotResponse', intents: [{ id: 'i1' }] }];

  function withQuickReplies(quickReplies: unknown) {
    return { ...text('Did this help?'), quickReplies };
  }

  it('maps chips to title, the publishText text and click.metadata copied unchanged', () => {
    const quickReplies = {
      type: 'quickReplies',
      itemsPerRow: 8,
      replies: [
        chip('Yes', { actions: [{ type: 'publishText', text: 'Yes, thanks' }], metadata: brandMeta }),
        chip('No', { actions: [{ type: 'publishText', text: 'No' }], metadata: surveyMeta }),
        chip('Maybe', { actions: [{ type: 'publishText', text: 'Maybe' }] }),
      ],
    };
    const result = mapNotification(ms([agentChange(3, withQuickReplies(quickReplies))]), ctx());
    const message = (result.events[0] as { message: any }).message;
    expect(message.text).toBe('Did this help?');
    expect(message.quickReplies).toEqual([
      { title: 'Yes', text: 'Yes, thanks', metadata: brandMeta },
      { title: 'No', text: 'No', metadata: surveyMeta },
      { title: 'Maybe', text: 'Maybe' },
    ]);
    // Unchanged: the same items, no key added or dropped.
    expect(message.quickReplies[0].metadata).toStrictEqual(brandMeta);
    expect('metadata' in message.quickReplies[2]).toBe(false);
  });

  it('sends the title for chips without a publishText (links, navigation), skips chips without a title', () => {
    const quickReplies = {
      type: 'quickReplies',
      replies: [
        chip('Open site', { actions: [{ type: 'link', uri: 'https://example.com' }] }),
        chip('Where', { actions: [{ type: 'navigate', la: 1, lo: 2 }, { type: 'publishText', text: '  ' }] }),
        chip('', { actions: [{ type: 'publishText', text: 'ghost' }] }),
        { type: 'button', click: { actions: [{ type: 'publishText', text: 'no title' }] } },
        'junk',
        chip('Bare', { actions: { type: 'publishText', text: 'bare action' }, metadata: { type: 'ExternalId', id: 'x' } }),
      ],
    };
    const message = (mapNotification(ms([agentChange(3, withQuickReplies(quickReplies))]), ctx()).events[0] as { message: any }).message;
    expect(message.quickReplies).toEqual([
      { title: 'Open site', text: 'Open site' },
      { title: 'Where', text: 'Where' },
      // A bare object where an array is documented (§5.2).
      { title: 'Bare', text: 'bare action', metadata: [{ type: 'ExternalId', id: 'x' }] },
    ]);
  });

  it('keeps at most 24 chips; none, an empty list or a non-object gives no quickReplies', () => {
    const many = { type: 'quickReplies', replies: Array.from({ length: 30 }, (_, i) => chip(`c${i}`, {})) };
    const message = (mapNotification(ms([agentChange(3, withQuickReplies(many))]), ctx()).events[0] as { message: any }).message;
    expect(message.quickReplies).toHaveLength(24);
    for (const value of [undefined, { type: 'quickReplies', replies: [] }, 'chips', [chip('a', {})]]) {
      const m = (mapNotification(ms([agentChange(4, withQuickReplies(value))]), ctx()).events[0] as { message: any }).message;
      expect(m.quickReplies).toBeUndefined();
    }
  });

  it('reads quick replies on rich content too, and never on our own messages', () => {
    const quickReplies = { type: 'quickReplies', replies: [chip('Ok', { actions: [{ type: 'publishText', text: 'Ok' }] })] };
    const rich = { type: 'RichContentEvent', content: { type: 'vertical', elements: [{ type: 'text', text: 'Pick' }] }, quickReplies };
    const c = ctx();
    const result = mapNotification(ms([agentChange(3, rich), ownChange(4, withQuickReplies(quickReplies))]), c);
    const [agent, own] = result.events as { message: any }[];
    expect(agent?.message.quickReplies).toEqual([{ title: 'Ok', text: 'Ok' }]);
    expect(own?.message.quickReplies).toBeUndefined();
  });

  it('names the agent behind agent messages and agent-joined events (for the profile)', () => {
    const c = ctx();
    const result = mapNotification(ms([agentChange(3, text('hi')), ownChange(4, text('hello'))]), c);
    expect(result.agentOf.get(result.events[0]!)).toBe(AGENT);
    expect(result.agentOf.get(result.events[1]!)).toBeUndefined();
    const joined = mapNotification(cqm([upsert({ participants: [{ id: ME, role: 'CONSUMER' }, { id: AGENT, role: 'ASSIGNED_AGENT' }] })]), c);
    expect(joined.events).toEqual([{ type: 'agent-joined' }]);
    expect(joined.agentOf.get(joined.events[0]!)).toBe(AGENT);
  });
});
