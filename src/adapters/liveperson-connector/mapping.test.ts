import { describe, expect, it } from 'vitest';
import { UNSUPPORTED_CONTENT_TEXT, parseStreamMessage, richContentText, sequencesOf, type BrokerEvent, type ConversationEvent } from './mapping.ts';

const NOW = 1_700_000_000_000;
const parse = (event: string, data: unknown, id = '1-0'): BrokerEvent =>
  parseStreamMessage({ id, event, data: typeof data === 'string' ? data : JSON.stringify(data) }, NOW);

const conv = 'c-1';
const agentMessage = (sequence: number, text = `agent ${sequence}`) =>
  parse('message', { id: `${conv}:${sequence}`, conversationId: conv, dialogId: conv, sequence, from: 'agent', role: 'ASSIGNED_AGENT', text, at: 100 + sequence, event: { type: 'ContentEvent', message: text } }) as ConversationEvent;

describe('parseStreamMessage (broker SSE → typed events)', () => {
  it('reads a message with its id, sender, text, time and the visitor\'s clientId', () => {
    expect(
      parse('message', {
        id: 'c-1:0', conversationId: 'c-1', dialogId: 'c-1', sequence: 0, from: 'visitor', role: 'CONSUMER', text: 'Hello', clientId: 'u-1', at: 123,
        event: { type: 'ContentEvent', message: 'Hello' }, metadata: [{ type: 'ExternalId', id: 'guestchat:u-1' }],
      }),
    ).toEqual({ type: 'message', conversationId: 'c-1', message: { id: 'c-1:0', from: 'visitor', text: 'Hello', at: 123, clientId: 'u-1' } });
  });

  it('keeps a clientId only on the visitor\'s own messages, and stamps a missing time with now', () => {
    const event = parse('message', { id: 'c-1:1', conversationId: 'c-1', sequence: 1, from: 'agent', text: 'Hi', clientId: 'x' });
    expect(event).toMatchObject({ type: 'message', message: { id: 'c-1:1', from: 'agent', text: 'Hi', at: NOW } });
    expect((event as { message: object }).message).not.toHaveProperty('clientId');
  });

  it('derives text from rich content, and marks what it cannot show', () => {
    const rich = parse('message', {
      id: 'c-1:2', conversationId: 'c-1', sequence: 2, from: 'agent', at: 1,
      event: { type: 'RichContentEvent', content: { type: 'vertical', elements: [{ type: 'text', text: 'Pick one' }, { type: 'button', title: 'Yes' }] } },
    });
    expect(rich).toMatchObject({ message: { text: 'Pick one\nYes' } });
    const empty = parse('message', { id: 'c-1:3', conversationId: 'c-1', sequence: 3, from: 'agent', at: 1, event: { type: 'RichContentEvent', content: {} } });
    expect(empty).toMatchObject({ message: { text: UNSUPPORTED_CONTENT_TEXT } });
    expect(richContentText([{ type: 'image', caption: 'A cat' }])).toBe('A cat');
  });

  it('reads receipts, seen, typing and conversation changes', () => {
    expect(parse('receipt', { conversationId: 'c-1', dialogId: 'c-1', status: 'read', sequences: [0], messageIds: ['c-1:0'], at: 1 })).toEqual({
      type: 'receipt', conversationId: 'c-1', status: 'read', messageIds: ['c-1:0'],
    });
    expect(parse('seen', { conversationId: 'c-1', sequences: [1], messageIds: ['c-1:1'], at: 1 })).toEqual({ type: 'seen', conversationId: 'c-1', messageIds: ['c-1:1'] });
    expect(parse('typing', { conversationId: 'c-1', on: true, chatState: 'COMPOSING' })).toEqual({ type: 'typing', conversationId: 'c-1', on: true });
    expect(parse('conversation', { conversationId: 'c-1', state: 'OPEN', agent: { id: 'a-9' } })).toEqual({
      type: 'conversation', conversationId: 'c-1', state: 'OPEN', agentId: 'a-9', closedBy: undefined,
    });
    expect(parse('conversation', { conversationId: 'c-1', state: 'CLOSE', agent: null, closedBy: 'agent', closeReason: 'AGENT' })).toMatchObject({ state: 'CLOSE', closedBy: 'agent' });
  });

  it('tells the stream\'s control events apart, ignores unknown kinds, and reports unreadable data', () => {
    expect(parse('auth-expired', {})).toEqual({ type: 'auth-expired' });
    expect(parse('resync', { reason: 'events-lost' })).toEqual({ type: 'resync' });
    expect(parse('error', { code: 'internal' })).toEqual({ type: 'ignored' });
    expect(parse('something-new', { x: 1 })).toEqual({ type: 'ignored' });
    expect(parse('receipt', { conversationId: 'c-1', status: 'pending', messageIds: [] })).toEqual({ type: 'ignored' });
    for (const bad of [parse('message', 'not json'), parse('message', [1]), parse('message', { conversationId: 'c-1', from: 'agent' }), parse('typing', { on: true }), parse('conversation', { conversationId: 'c', state: 'MAYBE' })]) {
      expect(bad).toMatchObject({ type: 'protocol-error', error: { reason: 'bad-server-data' } });
    }
  });
});

describe('sequencesOf', () => {
  it('sequencesOf keeps the conversation\'s own message ids, sorted and unique', () => {
    expect(sequencesOf('c-1', ['c-1:3', 'c-1:1', 'c-1:3', 'c-2:0', 'nonsense', 'c-1:x'])).toEqual([1, 3]);
    expect(sequencesOf('a:b', ['a:b:4'])).toEqual([4]);
  });
});
