import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

const root = import.meta.dirname;

/** The adapters, each built into one file of its own: `dist/chunks/<adapter>.js`. */
const ADAPTERS = ['liveperson', 'salesforce', 'liveperson-connector'] as const;
type AdapterName = (typeof ADAPTERS)[number];

/**
 * The production build, in steps (`npm run build` runs them in order):
 *
 * - `vite build`: `dist/guestchat.js`, the loader — a classic script a site includes, with no
 *   imports of its own.
 * - `vite build --mode <adapter>`: `dist/chunks/<adapter>.js`, everything a visitor needs after
 *   intent on a page configured for that adapter: the app (ui, session, auth) and that vendor's
 *   code, in one module. The loader imports it by URL, relative to its own src. One file rather
 *   than an app chunk plus a vendor chunk: one request after intent instead of two, and about
 *   0.8–1.3 KB gzip less (one compression context, no chunk glue). A page configured for one
 *   vendor never downloads another vendor's code — each vendor's code is in its own file.
 * - `vite build --mode esm`: the ES-module entry for bundler users (see esmBuild).
 */
export default defineConfig(({ command, mode }) => {
  if (mode === 'esm') return esmBuild();
  if ((ADAPTERS as readonly string[]).includes(mode)) return adapterBuild(mode as AdapterName);
  return {
    // The demo page (index.html) and its QA panel are served by the dev server; the widget itself
    // is always the built dist/ files, exactly what a site would embed.
    appType: 'mpa',
    server: { host: 'localhost', port: Number(process.env.PORT ?? 5173), strictPort: true },
    // JSX is Preact's classic h() (tsconfig.json); its development mode would add __self/__source
    // props, which h() renders as attributes.
    oxc: { jsx: { development: false } },
    build: {
      outDir: 'dist',
      emptyOutDir: true,
      target: 'es2022',
      modulePreload: false,
      // The map is written beside it, but the loader does not point to it: every page view
      // would carry the comment's bytes. Load dist/guestchat.js.map into devtools by hand.
      sourcemap: 'hidden',
      rollupOptions: {
        input: { guestchat: resolve(root, 'src/loader/index.ts') },
        output: {
          format: 'es',
          entryFileNames: '[name].js',
          // The loader is a classic script: its top-level names would otherwise be globals of the
          // host page. A function scope keeps them its own.
          intro: '(()=>{',
          outro: '})();',
        },
      },
    },
    plugins: command === 'serve' ? [serveDist(), sandboxInDevServer()] : [],
  };
});

const APP_ENTRY = 'guestchat:app/';

/** `dist/chunks/<adapter>.js`: the app and one vendor, composed here so src/ keeps its layering. */
function adapterBuild(adapter: AdapterName) {
  return {
    build: {
      outDir: 'dist',
      emptyOutDir: false,
      target: 'es2022',
      modulePreload: false,
      // Written beside each file but not referenced from it, as for the loader: the comment would
      // be bytes in every visitor's download (~40 B gzip per file).
      sourcemap: 'hidden' as const,
      rollupOptions: {
        input: { [`chunks/${adapter}`]: APP_ENTRY + adapter },
        preserveEntrySignatures: 'strict' as const,
        output: { format: 'es' as const, entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
      },
    },
    plugins: [
      // Vite wraps every import() in its module-preload helper (~1.7 KB) even with modulePreload
      // off; these files have no CSS or chunk dependencies to preload, so a plain import does.
      {
        name: 'guestchat:no-preload-helper',
        enforce: 'pre' as const,
        load: (id: string) => (id === '\0vite/preload-helper.js' ? 'export const __vitePreload = (load) => load();' : undefined),
      } satisfies Plugin,
      {
        name: 'guestchat:app-entry',
        resolveId: (id: string) => (id === APP_ENTRY + adapter ? `\0${id}` : undefined),
        load: (id: string) =>
          id === `\0${APP_ENTRY}${adapter}`
            ? `export { mount } from ${JSON.stringify(resolve(root, 'src/ui/index.ts'))};\n` +
              `export { createVendor } from ${JSON.stringify(resolve(root, `src/adapters/${adapter}/index.ts`))};\n`
            : undefined,
      } satisfies Plugin,
    ],
  };
}

/**
 * `vite build --mode esm`: the ES-module entry for bundler users (`import { mount } from
 * 'guestchat'`), self-contained in dist/esm with the app and each vendor as lazy chunks.
 */
function esmBuild() {
  return {
    build: {
      outDir: 'dist/esm',
      emptyOutDir: true,
      target: 'es2022',
      modulePreload: false,
      sourcemap: true,
      lib: { entry: resolve(root, 'src/loader/module.ts'), formats: ['es' as const], fileName: () => 'guestchat.js' },
      rollupOptions: { output: { chunkFileNames: 'chunks/[name]-[hash].js' } },
    },
  };
}

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.map': 'application/json' };

/** Serve dist/ byte for byte (the dev server would otherwise transform the built files). */
function serveDist(): Plugin {
  return {
    name: 'guestchat:serve-dist',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = (req.url ?? '').split('?')[0] ?? '';
        if (!path.startsWith('/dist/')) return next();
        const file = normalize(join(root, decodeURIComponent(path)));
        if (!file.startsWith(join(root, 'dist')) || !existsSync(file) || !statSync(file).isFile()) return next();
        res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
        res.setHeader('Cache-Control', 'no-store');
        createReadStream(file).pipe(res);
      });
    },
  };
}

/**
 * `npm start`: the sandbox runs inside the dev server process, on its own port (its own origin),
 * and so does a broker for the `liveperson-connector` mode (memory mode, the sandbox's default
 * connector app, LivePerson's webhooks registered to it).
 */
function sandboxInDevServer(): Plugin {
  let stop: (() => Promise<void>) | undefined;
  return {
    name: 'guestchat:sandbox',
    async configureServer(server) {
      const { startSandbox } = await import('./src/sandbox/index.ts');
      const { startBroker } = await import('./src/broker/index.ts');
      const sandbox = await startSandbox({ port: Number(process.env.SANDBOX_PORT ?? 8787) });
      const brokerPort = Number(process.env.BROKER_PORT ?? 8788);
      const broker = await startBroker({
        quiet: true,
        config: {
          account: '12345678',
          clientId: 'guestchat-broker',
          clientSecret: 'sandbox-secret', // the sandbox's own default app: not a real credential
          domainApi: sandbox.url,
          port: brokerPort,
          host: '127.0.0.1',
          publicUrl: `http://127.0.0.1:${brokerPort}`,
          allowedOrigins: [`http://localhost:${server.config.server.port}`],
          trustProxy: 0,
        },
      });
      const events = [
        'ms.MessagingEventNotification.ContentEvent',
        'ms.MessagingEventNotification.RichContentEvent',
        'ms.MessagingEventNotification.AcceptStatusEvent',
        'ms.MessagingEventNotification.ChatStateEvent',
        'cqm.ExConversationChangeNotification',
      ];
      await fetch(`${sandbox.url}/admin/connector/apps`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ client_id: 'guestchat-broker', webhooks: Object.fromEntries(events.map((e) => [e, { endpoint: broker.webhookUrl }])) }),
      });
      stop = async () => {
        await broker.close();
        await sandbox.close();
      };
      server.config.logger.info(`  GuestChat sandbox: ${sandbox.url}  (agent console: ${sandbox.url}/agent)`);
      server.config.logger.info(`  GuestChat broker:  ${broker.url}  (liveperson-connector mode)`);
      server.httpServer?.once('close', () => void stop?.());
    },
    async buildEnd() {
      await stop?.();
    },
  };
}
