// `npm run build` (and `npm install`, through `prepare`): bundles src/ into dist/ with esbuild.
// One entry per thread (the CLI, the parse worker, the search worker); each command is its own chunk, loaded
// when run, so `columnwire stats` never loads the HTTP server, MJML or nodemailer.
// Third-party packages stay in node_modules, except the pure-JavaScript ones every command
// loads at start (the config's YAML reader and schema): bundled, they load in about half the
// time, since Node no longer resolves and reads their hundred-odd files one by one.
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const BUNDLED_PACKAGES = new Set(['yaml', 'zod']);

/** Leaves every bare import (a package) to Node at run time, but the few bundled ones. */
const externalPackages = {
  name: 'external-packages',
  setup(builder) {
    builder.onResolve({ filter: /^[^./]/ }, (args) => {
      const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : args.path.split('/')[0];
      if (args.path.startsWith('node:') || !BUNDLED_PACKAGES.has(name)) return { path: args.path, external: true };
      return undefined;
    });
  },
};

/**
 * Leaves zod's translations of its messages out (about 320 KB, a third of what every command
 * compiles at start): `import { z } from 'zod'` keeps the whole namespace, `z.locales` with it.
 * Our messages are our own (config/load.ts); zod's English default is imported apart
 * (classic/schemas.js) and stays.
 */
const withoutZodLocales = {
  name: 'without-zod-locales',
  setup(builder) {
    builder.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/](classic[\\/]external|core[\\/]index)\.js$/.test(args.importer)
        ? { path: 'zod-locales', namespace: 'without-zod-locales' }
        : undefined,
    );
    builder.onLoad({ filter: /.*/, namespace: 'without-zod-locales' }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/main.ts', 'src/feeds/parse-worker.ts', 'src/storage/sqlite/read-worker.ts'],
  outdir: 'dist',
  // parse-pool starts ./parse-worker.js beside its own chunk: every file stays in dist/ itself.
  entryNames: '[name]',
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  plugins: [externalPackages, withoutZodLocales],
  // yaml's Node build is CommonJS and calls require('process'): give bundled CommonJS a real require.
  banner: { js: "import { createRequire as __cwCreateRequire } from 'node:module'; const require = __cwCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
