// `npm run build` (and `npm install`, through `prepare`): bundles src/ into dist/ with esbuild.
// One entry per thread (the CLI, the parse worker); each command is its own chunk, loaded
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

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: ['src/main.ts', 'src/feeds/parse-worker.ts'],
  outdir: 'dist',
  // parse-pool starts ./parse-worker.js beside its own chunk: every file stays in dist/ itself.
  entryNames: '[name]',
  chunkNames: '[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  plugins: [externalPackages],
  // yaml's Node build is CommonJS and calls require('process'): give bundled CommonJS a real require.
  banner: { js: "import { createRequire as __cwCreateRequire } from 'node:module'; const require = __cwCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
