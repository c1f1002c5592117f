import { describe, expect, it } from 'vitest';
import { linkify } from './linkify.ts';

describe('linkify()', () => {
  it('turns http, https and mailto into links and leaves the rest as text', () => {
    expect(linkify('See https://example.com/a?b=1. Or mail mailto:help@example.com!')).toEqual([
      { text: 'See ' },
      { text: 'https://example.com/a?b=1', href: 'https://example.com/a?b=1' },
      { text: '. Or mail ' },
      { text: 'mailto:help@example.com', href: 'mailto:help@example.com' },
      { text: '!' },
    ]);
  });

  it('never makes javascript: or data: clickable', () => {
    for (const text of ['javascript:alert(1)', 'data:text/html,<script>alert(1)</script>', 'JaVaScRiPt:alert(1)']) {
      expect(linkify(text)).toEqual([{ text }]);
    }
  });

  it('keeps markup as text', () => {
    expect(linkify('<img src=x onerror=alert(1)>')).toEqual([{ text: '<img src=x onerror=alert(1)>' }]);
  });
});

describe('linkify() hrefs', () => {
  it('links what the URL parser makes of the text, in any letter case of the scheme', () => {
    expect(linkify('HTTPS://Example.COM/a b')).toEqual([{ text: 'HTTPS://Example.COM/a', href: 'https://example.com/a' }, { text: ' b' }]);
    expect(linkify('http://[oops and mailto:a@b.c')).toEqual([{ text: 'http://[oops and ' }, { text: 'mailto:a@b.c', href: 'mailto:a@b.c' }]);
  });
});
