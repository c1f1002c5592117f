/**
 * Section 1: bytes gzip (level 9) of every built file, and per adapter what a visitor downloads
 * after intent (chunks/<adapter>.js — the app and that vendor — plus any chunk it imports statically), against the
 * budgets of issue 6. Read from dist/ as built; figures, not failures.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { bytes, heading, note, table, type Cell } from './table.ts';

export const LOADER_BUDGET = 2048;
export const APP_BUDGET = 25_600;

const ROOT = join(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');

export interface FileSize {
  file: string;
  raw: number;
  gzip: number;
  /** Chunks this file imports statically (`./x.js` beside it), by dist-relative path. */
  imports: string[];
  /** Chunks it imports on demand, by dist-relative path. */
  lazy: string[];
}

export interface AdapterSize {
  adapter: string;
  files: string[];
  gzip: number;
  /** The largest chunk loaded on demand (a translation), counted for the worst case. */
  lazy?: FileSize;
}

export interface SizeReport {
  files: FileSize[];
  loader: FileSize;
  adapters: AdapterSize[];
  text: string;
}

/** `import("./x.js")`: chunks loaded on demand (a translation, for its locale only). */
function lazyImports(source: string): string[] {
  return [...new Set([...source.matchAll(/\bimport\(\s*[`"'](\.\/[^`"']+\.js)[`"']\s*\)/g)].map((m) => m[1]!))];
}

/** `import … from "./x.js"`, `import "./x.js"` and `export … from "./x.js"` (minified or not). */
function staticImports(source: string): string[] {
  const found = new Set<string>();
  const pattern = /(?:\bimport|\bexport)\s*(?:[\w*${}\s,]+?\s*from\s*)?["'](\.\/[^"']+\.js)["']/g;
  for (const match of source.matchAll(pattern)) found.add(match[1]!);
  return [...found];
}

async function measure(relative: string): Promise<FileSize> {
  const body = await readFile(join(DIST, relative));
  const dir = relative.includes('/') ? relative.slice(0, relative.lastIndexOf('/') + 1) : '';
  return {
    file: relative,
    raw: body.length,
    gzip: gzipSync(body, { level: 9 }).length,
    imports: staticImports(body.toString('utf8')).map((spec) => dir + spec.slice(2)),
    lazy: lazyImports(body.toString('utf8')).map((spec) => dir + spec.slice(2)),
  };
}

/** The file and everything it imports statically, transitively, in first-seen order. */
function closure(start: string[], byName: Map<string, FileSize>): string[] {
  const seen: string[] = [];
  const visit = (name: string) => {
    if (seen.includes(name)) return;
    seen.push(name);
    for (const next of byName.get(name)?.imports ?? []) visit(next);
  };
  start.forEach(visit);
  return seen;
}

export async function measureSizes(adapters: readonly string[]): Promise<SizeReport> {
  const chunkNames = (await readdir(join(DIST, 'chunks'))).filter((f) => f.endsWith('.js')).sort();
  const files = await Promise.all(['guestchat.js', ...chunkNames.map((f) => `chunks/${f}`)].map(measure));
  const byName = new Map(files.map((f) => [f.file, f]));
  const loader = byName.get('guestchat.js')!;
  const missing: string[] = [];
  const perAdapter = adapters.map((adapter): AdapterSize => {
    const names = closure([`chunks/${adapter}.js`], byName);
    for (const n of names) if (!byName.has(n)) missing.push(n);
    const lazy = names
      .flatMap((n) => byName.get(n)?.lazy ?? [])
      .map((n) => byName.get(n))
      .filter((f): f is FileSize => f !== undefined)
      .sort((a, b) => b.gzip - a.gzip)[0];
    return { adapter, files: names, gzip: names.reduce((sum, n) => sum + (byName.get(n)?.gzip ?? 0), 0), lazy };
  });

  const fileRows: Cell[][] = files.map((f) => [
    `dist/${f.file}`,
    bytes(f.raw),
    bytes(f.gzip),
    f.imports.length ? f.imports.map((i) => i.replace(/^chunks\//, '')).join(', ') : '',
  ]);
  const adapterRows: Cell[][] = perAdapter.map((a) => {
    const worst = a.gzip + (a.lazy?.gzip ?? 0);
    return [
      a.adapter,
      bytes(loader.gzip),
      bytes(LOADER_BUDGET),
      `${((loader.gzip / LOADER_BUDGET) * 100).toFixed(1)}%`,
      bytes(a.gzip),
      bytes(worst),
      bytes(APP_BUDGET),
      `${((worst / APP_BUDGET) * 100).toFixed(1)}%`,
      [...a.files, ...(a.lazy ? [a.lazy.file] : [])].map((n) => n.replace(/^chunks\//, '')).join(' + '),
    ];
  });
  const text = [
    heading('1. Bytes gzip (level 9)'),
    table(['file', 'raw B', 'gzip B', 'imports statically'], fileRows),
    '',
    table(['adapter', 'loader B', 'budget', 'used', 'app (en) B', 'app (he) B', 'budget', 'used', 'worst = '], adapterRows),
    note('app after intent = chunks/<adapter>.js (the app and that vendor) + every chunk it imports statically; (he) adds the Hebrew strings, loaded only for that locale — the worst case is held to the budget (the loader is counted apart).'),
    ...(missing.length ? [note(`missing imported chunks: ${[...new Set(missing)].join(', ')}`)] : []),
  ].join('\n');
  return { files, loader, adapters: perAdapter, text };
}
