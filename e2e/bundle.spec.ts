/**
 * Checks on the built files a site embeds (run after `npm run build`): the loader is a classic
 * script that imports nothing statically and carries no framework; each vendor's code is a chunk
 * of its own. Sizes are budgets in gzip bytes (issue: fast by design).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { expect, test } from '@playwright/test';

const DIST = join(import.meta.dirname, '..', 'dist');
const read = (file: string) => readFileSync(join(DIST, file), 'utf8');
const chunks = () => readdirSync(join(DIST, 'chunks')).filter((f) => f.endsWith('.js'));
const gzip = (file: string) => gzipSync(readFileSync(join(DIST, file)), { level: 9 }).length;

/**
 * Issue 6's budgets in bytes gzip (level 9): the loader every visitor downloads, and everything a
 * visitor downloads after intent for one adapter — counted for the worst case, a page that also
 * needs the largest on-demand chunk (the Hebrew strings). `npm run bench` prints the figures.
 */
const LOADER_BUDGET = 2_048;
const APP_BUDGET = 25_600;
const ADAPTERS = ['liveperson', 'salesforce', 'liveperson-connector'] as const;

/** Chunks a chunk imports statically (`import … from "./x.js"`, `import "./x.js"`, `export … from "./x.js"`). */
function staticImports(file: string): string[] {
  const pattern = /(?:\bimport|\bexport)\s*(?:[\w*${}\s,]+?\s*from\s*)?["'](\.\/[^"']+\.js)["']/g;
  return [...read(file).matchAll(pattern)].map((m) => join('chunks', m[1]!.slice(2)));
}

/** Chunks a chunk imports on demand (`import("./x.js")`): today a translation, fetched only for its locale. */
function lazyImports(file: string): string[] {
  return [...read(file).matchAll(/\bimport\(\s*[`"'](\.\/[^`"']+\.js)[`"']\s*\)/g)].map((m) => join('chunks', m[1]!.slice(2)));
}

/** What a visitor downloads after intent for one adapter: chunks/<adapter>.js (the app and that vendor) and every chunk it imports statically. */
function appClosure(adapter: string): string[] {
  const seen: string[] = [];
  const visit = (file: string) => {
    if (seen.includes(file)) return;
    seen.push(file);
    staticImports(file).forEach(visit);
  };
  visit(join('chunks', `${adapter}.js`));
  return seen;
}

test('the loader is a classic script: no static import or export, no framework code', () => {
  const loader = read('guestchat.js');
  expect(loader).not.toMatch(/^\s*(import|export)\b[^(]/m);
  expect(loader).not.toMatch(/\bfrom\s*["']\.\/chunks\//);
  // Preact's internals (its options hook and diffing) must not be in the loader.
  expect(loader).not.toContain('__H');
  expect(loader).not.toMatch(/preact/i);
});

test(`size budgets: the loader at most ${LOADER_BUDGET} B gzip; the app after intent at most ${APP_BUDGET} B gzip for each adapter`, () => {
  expect(gzip('guestchat.js'), 'dist/guestchat.js, bytes gzip').toBeLessThanOrEqual(LOADER_BUDGET);
  for (const adapter of ADAPTERS) {
    const files = appClosure(adapter);
    // What the loader fetches on intent (the app and the vendor), and what they import.
    expect(files).toContain(join('chunks', `${adapter}.js`));
    // The worst case: a page whose locale needs the largest on-demand chunk (Hebrew) loads it too.
    const lazy = files.flatMap(lazyImports);
    expect(lazy.length, 'the translation chunk is found').toBeGreaterThan(0);
    const largestLazy = Math.max(0, ...lazy.map(gzip));
    const total = files.reduce((sum, file) => sum + gzip(file), 0) + largestLazy;
    expect(total, `${adapter}: ${files.join(' + ')} + largest on-demand chunk (${largestLazy}), bytes gzip`).toBeLessThanOrEqual(APP_BUDGET);
  }
});

test('each vendor chunk carries no other vendor\'s code', () => {
  const vendors = { liveperson: 'anonymous/authorize', salesforce: 'unauthenticated/access-token', 'liveperson-connector': '/v1/visitors' };
  for (const adapter of ADAPTERS) {
    for (const file of appClosure(adapter)) {
      for (const [other, marker] of Object.entries(vendors)) if (other !== adapter) expect(read(file), `${file} (${adapter})`).not.toContain(marker);
    }
  }
});

test('vendor code lives in its own chunk, loaded only by the loader on intent', () => {
  const names = chunks();
  const liveperson = names.filter((name) => read(join('chunks', name)).includes('anonymous/authorize'));
  expect(liveperson).toEqual(['liveperson.js']);
  const loader = read('guestchat.js');
  // The loader names the vendor's chunk after the configured adapter: chunks/<adapter>.js.
  expect(loader).toMatch(/chunks\/\$\{/);
  expect(loader).not.toContain('anonymous/authorize');

  const salesforce = names.filter((name) => read(join('chunks', name)).includes('unauthenticated/access-token'));
  expect(salesforce).toEqual(['salesforce.js']);
  expect(read('chunks/salesforce.js')).not.toContain('anonymous/authorize');
  expect(read('chunks/liveperson.js')).not.toContain('unauthenticated/access-token');

  const connector = names.filter((name) => read(join('chunks', name)).includes('/v1/visitors'));
  expect(connector).toEqual(['liveperson-connector.js']);
  for (const other of ['liveperson.js', 'salesforce.js']) expect(read(join('chunks', other))).not.toContain('/v1/visitors');
});
