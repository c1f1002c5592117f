import { describe, expect, it } from 'vitest';
import { loadStrings } from './strings.ts';

describe('loadStrings()', () => {
  it('is English by default and for languages without a translation', async () => {
    for (const locale of ['en', 'en-GB', 'fr', 'constructor', 'hasOwnProperty']) {
      const strings = await loadStrings(locale);
      expect(strings.dir).toBe('ltr');
      expect(strings.send).toBe('Send');
    }
  });

  it('loads Hebrew (right to left) for he, he-IL and the old code iw', async () => {
    for (const locale of ['he', 'he-IL', 'HE', 'iw']) {
      const strings = await loadStrings(locale);
      expect(strings.dir).toBe('rtl');
      expect(strings.messageLabel).toBe('הודעה');
      expect(strings.flashTitle(2)).toBe('(2) הודעה חדשה');
    }
  });

  it('words the English functions as before', async () => {
    const en = await loadStrings('en');
    expect(en.agentJoined('Alex')).toBe('Alex joined the chat');
    expect(en.agentJoined()).toBe('An agent joined the chat');
    expect([1, 3, 5].map(en.surveyScore)).toEqual(['1 of 5 (poor)', '3 of 5', '5 of 5 (great)']);
    expect([1, 2].map(en.flashTitle)).toEqual(['(1) New message', '(2) New messages']);
  });
});
