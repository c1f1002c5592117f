import { describe, expect, it } from 'vitest';
import { createSseParser, type EventSourceMessage } from './sse.ts';

/** Feed `chunks` in order; the events dispatched. */
function parse(...chunks: string[]): EventSourceMessage[] {
  const events: EventSourceMessage[] = [];
  const feed = createSseParser((e) => events.push(e));
  for (const chunk of chunks) feed(chunk);
  return events;
}

/** Every way of cutting `text` in two, and in single characters. */
function everySplit(text: string): string[][] {
  const splits = [[text], [...text]];
  for (let i = 1; i < text.length; i++) splits.push([text.slice(0, i), text.slice(i)]);
  return splits;
}

describe('event-stream parser (WHATWG interpretation)', () => {
  it('dispatches on a blank line, with the event name, id and data', () => {
    expect(parse('id: 7\nevent: ping\ndata: {"a":1}\n\n')).toEqual([{ id: '7', event: 'ping', data: '{"a":1}' }]);
    expect(parse('data: x\n\n')).toEqual([{ id: undefined, event: undefined, data: 'x' }]);
  });

  it('takes LF, CR and CRLF as line ends, mixed', () => {
    const expected = [
      { id: '1', event: 'a', data: 'x' },
      { id: undefined, event: 'b', data: 'y' },
      { id: undefined, event: 'c', data: 'z' },
    ];
    expect(parse('id: 1\r\nevent: a\r\ndata: x\r\n\r\nevent: b\rdata: y\r\revent: c\ndata: z\n\n')).toEqual(expected);
  });

  it('reads the same events however the text is cut into chunks (mid-line, mid-field, mid-CRLF)', () => {
    const text = ': hi\r\nid: 42\r\nevent: message\r\ndata: one\r\ndata: two\r\n\r\nevent: x\rdata: y\r\rdata: z\n\n';
    const expected = parse(text);
    expect(expected).toEqual([
      { id: '42', event: 'message', data: 'one\ntwo' },
      { id: undefined, event: 'x', data: 'y' },
      { id: undefined, event: undefined, data: 'z' },
    ]);
    for (const chunks of everySplit(text)) expect(parse(...chunks)).toEqual(expected);
  });

  it('a CRLF split across chunks is one line end, not two (no extra dispatch)', () => {
    expect(parse('data: a\r', '\ndata: b\r\n', '\r', '\n')).toEqual([{ id: undefined, event: undefined, data: 'a\nb' }]);
  });

  it('takes a BOM as text (the decoder consumed the leading one): here an unknown field name, ignored', () => {
    expect(parse('\uFEFFdata: a\n\n')).toEqual([]);
    expect(parse('data: a\n\n', '\uFEFFdata: b\n\n')).toEqual([{ id: undefined, event: undefined, data: 'a' }]);
  });

  it('ignores comments, unknown fields and retry (reconnect timing is ours)', () => {
    expect(parse(':comment\n: another\nfoo: bar\nretry: 1000\nretry: soon\ndata: x\n\n')).toEqual([{ id: undefined, event: undefined, data: 'x' }]);
    expect(parse(': keep-alive\n\n')).toEqual([]);
  });

  it('drops exactly one space after the colon; a field without a colon has an empty value', () => {
    expect(parse('data:x\n\n', 'data:  y\n\n', 'data\n\n', 'data\ndata\n\n')).toEqual([
      { id: undefined, event: undefined, data: 'x' },
      { id: undefined, event: undefined, data: ' y' },
      { id: undefined, event: undefined, data: '' },
      { id: undefined, event: undefined, data: '\n' },
    ]);
    expect(parse('data: a:b: c\n\n')[0]!.data).toBe('a:b: c');
  });

  it('does not dispatch without data lines; an empty event name is none', () => {
    expect(parse('event: ping\nid: 3\n\n\n\n')).toEqual([]);
    expect(parse('event:\ndata: x\n\n')).toEqual([{ id: undefined, event: undefined, data: 'x' }]);
  });

  it('ignores an id holding NUL; the last id line of an event wins', () => {
    expect(parse('id: 1\nid: 2\u0000\ndata: x\n\n')).toEqual([{ id: '1', event: undefined, data: 'x' }]);
    expect(parse('id: 1\nid: 2\ndata: x\n\n')).toEqual([{ id: '2', event: undefined, data: 'x' }]);
    expect(parse('id\ndata: x\n\n')).toEqual([{ id: '', event: undefined, data: 'x' }]);
  });

  it('discards an event the stream ends in the middle of', () => {
    expect(parse('data: complete\n\ndata: partial\n')).toEqual([{ id: undefined, event: undefined, data: 'complete' }]);
  });

  it('keeps field names case-sensitive and the value verbatim', () => {
    expect(parse('Data: no\nEVENT: no\ndata: {"t":"héllo ☕"}\t\n\n')).toEqual([{ id: undefined, event: undefined, data: '{"t":"héllo ☕"}\t' }]);
  });
});
