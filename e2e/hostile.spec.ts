/**
 * Hostile input (issue 4): agent text is data, never markup. A corpus of 100+ payloads (script
 * tags, handlers, javascript:/data:/vbscript: links in many spellings, CSS, templates, markdown,
 * unicode tricks, entities, long strings) is sent by the agent through the agent API into a live
 * conversation, for each adapter. For every payload the exact text is shown as text; nothing but
 * the widget's own elements appears; no script runs; the only links are http/https/mailto ones,
 * opened in a new browsing context without an opener.
 */
import type { Page } from '@playwright/test';
import {
  ADAPTERS,
  chatDialog,
  expect,
  startConversation,
  test,
} from './support/fixtures.ts';
import { PAYLOADS } from './support/payloads.ts';

const GREETING = 'Hi! Happy to help. What is your order number?';
const BATCH = 30;

interface WidgetSnapshot {
  /** Text of every agent message bubble, in order. */
  agentTexts: string[];
  /** Elements inside message bubbles: only links may be there. */
  inBubbles: { tag: string; attributes: string[] }[];
  /** Links anywhere in the widget. */
  links: { href: string | null; target: string | null; rel: string | null; inBubble: boolean }[];
  /** Element counts by tag name in the shadow root. */
  tags: Record<string, number>;
  /** Attributes anywhere in the widget that run code or point at a script/data URL. */
  dangerousAttributes: string[];
  /** Elements in the host page (outside the shadow root). */
  lightElements: number;
  lightDangerous: number;
  flags: unknown[];
}

function snapshot(page: Page): Promise<WidgetSnapshot> {
  return page.evaluate(() => {
    const root = document.getElementById('guestchat')!.shadowRoot!;
    const bubbles = [...root.querySelectorAll('li[data-from="agent"] .bubble')];
    const all = [...root.querySelectorAll('*')];
    const tags: Record<string, number> = {};
    for (const el of all) tags[el.tagName] = (tags[el.tagName] ?? 0) + 1;
    const scriptUrl = /^[\s\u0000-\u001f]*(javascript|data|vbscript)\s*:/i;
    const urlAttributes = new Set(['href', 'src', 'srcset', 'action', 'formaction', 'xlink:href', 'poster', 'data', 'background', 'srcdoc']);
    const dangerousAttributes: string[] = [];
    for (const el of all) {
      for (const name of el.getAttributeNames()) {
        const value = el.getAttribute(name) ?? '';
        if (name.startsWith('on') || name === 'srcdoc' || (name === 'style' && el.closest('.bubble')) || (urlAttributes.has(name) && scriptUrl.test(value))) {
          dangerousAttributes.push(`<${el.tagName.toLowerCase()} ${name}="${value.slice(0, 80)}">`);
        }
      }
    }
    const light = [...document.querySelectorAll('*')];
    const w = window as unknown as Record<string, unknown>;
    return {
      agentTexts: bubbles.map((b) => b.textContent ?? ''),
      inBubbles: bubbles.flatMap((b) =>
        [...b.querySelectorAll('*')].map((el) => ({ tag: el.tagName, attributes: el.getAttributeNames().sort() })),
      ),
      links: [...root.querySelectorAll('a')].map((a) => ({
        href: a.getAttribute('href'),
        target: a.getAttribute('target'),
        rel: a.getAttribute('rel'),
        inBubble: Boolean(a.closest('.bubble')),
      })),
      tags,
      dangerousAttributes,
      lightElements: light.length,
      lightDangerous: light.filter((el) => el.matches('script:not([src$="/dist/guestchat.js"]),img,svg,iframe,object,embed,a,style,link,math,video,audio')).length,
      flags: [w.__xss, (window.top as unknown as Record<string, unknown>).__xss],
    };
  });
}

/** Tags the widget itself draws for a message; anything else in the shadow root must not grow. */
const MESSAGE_TAGS = new Set(['LI', 'P', 'SPAN', 'TIME', 'A', 'OL', /* "show earlier" */ 'BUTTON', /* the agent's avatar, beside (never in) a bubble */ 'IMG']);

for (const adapter of ADAPTERS) {
  test(`${adapter}: ${PAYLOADS.length} hostile agent texts are shown as text, run nothing and inject nothing`, async ({ page, sandbox, hostPage }) => {
    expect(PAYLOADS.length).toBeGreaterThanOrEqual(100);
    expect(new Set(PAYLOADS).size).toBe(PAYLOADS.length);
    const dialogs: string[] = [];
    const pageErrors: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      void dialog.dismiss();
    });
    page.on('pageerror', (error) => pageErrors.push(error.message));

    const conversation = await startConversation(page, sandbox, hostPage(adapter));
    const before = await snapshot(page);
    expect(before.agentTexts).toEqual([GREETING]);

    let previous = GREETING;
    const linksMade: string[] = [];
    for (let start = 0; start < PAYLOADS.length; start += BATCH) {
      const batch = PAYLOADS.slice(start, start + BATCH);
      for (const text of batch) await sandbox.agentSay(conversation.id, text);
      // Every payload of the batch, exactly as sent, once, in order, right after the one before.
      // (The panel renders a window of the newest messages, wider than one batch.)
      await expect.poll(async () => (await snapshot(page)).agentTexts.at(-1), { message: `batch from ${start}` }).toBe(batch.at(-1));
      const now = await snapshot(page);
      expect(now.agentTexts.slice(-batch.length - 1)).toEqual([previous, ...batch]);
      previous = batch.at(-1)!;
      // Inside bubbles only links; every link a safe one, opened without an opener.
      for (const element of now.inBubbles) expect(element, JSON.stringify(element)).toEqual({ tag: 'A', attributes: ['href', 'rel', 'target'] });
      linksMade.push(...now.links.map((l) => l.href!));
      for (const link of now.links) {
        expect(link.inBubble, JSON.stringify(link)).toBe(true);
        expect(['http:', 'https:', 'mailto:'], JSON.stringify(link)).toContain(new URL(link.href!).protocol);
        expect(link.target).toBe('_blank');
        expect(link.rel?.split(/\s+/)).toContain('noopener');
      }
      expect(now.dangerousAttributes).toEqual([]);
      // Nothing but message structure was added to the widget, nothing at all to the page.
      for (const [tag, count] of Object.entries(now.tags)) {
        if (!MESSAGE_TAGS.has(tag)) expect(count, `<${tag}> in the shadow root`).toBe(before.tags[tag] ?? 0);
      }
      expect(now.lightElements).toBe(before.lightElements);
      expect(now.lightDangerous).toBe(before.lightDangerous);
      expect(now.flags).toEqual([undefined, undefined]);
      if (start === 0) {
        // The visible transcript reads as text (a spot check through the accessibility tree).
        await expect(chatDialog(page).getByText(`<script>window.__xss=1</script>`, { exact: true }).first()).toBeVisible();
      }
      // Handlers that would fire on interaction do not: hover and tab through the batch.
      for (const text of batch.filter((t) => /hover|click|focus/.test(t) && t.length < 200)) {
        await chatDialog(page).getByText(text, { exact: true }).first().hover();
      }
      await page.keyboard.press('Tab');
    }

    // The link checks above are not vacuous: safe links in the corpus are made, unsafe ones not.
    expect(linksMade).toEqual(expect.arrayContaining(['mailto:help@example.com', 'https://example.com/help', 'https://example.com/docs']));
    expect((await snapshot(page)).flags).toEqual([undefined, undefined]);
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
    // The conversation still works after all that.
    await sandbox.agentSay(conversation.id, 'All done.');
    await expect(chatDialog(page).getByText('All done.', { exact: true })).toBeVisible();
  });
}
