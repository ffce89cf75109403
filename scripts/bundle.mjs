// Bundles the compiled CLI into dist/bundle/: one file for what every run loads (our modules,
// commander), and lazy chunks behind each dynamic import. Module resolution and loading is most
// of a no-op run's own cost; a bundle cuts it by more than half (see BENCHMARKS.md).
// pino, execa, undici and p-retry stay in node_modules: they are loaded only on the paths that
// need them.
import { build } from 'esbuild';

await build({
  entryPoints: ['dist/src/cli/index.js'],
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['pino', 'execa', 'undici', 'p-retry', 'better-sqlite3'],
  // commander is CommonJS: its require() calls need a require in an ES module. Made on first use
  // and shared: every chunk gets this banner, and createRequire costs each one a Module and a
  // fileURLToPath (about 3 ms over a no-op's 15 chunks), though only commander's chunk requires.
  banner: {
    js: "import { createRequire as __mirrorsyncCreateRequire } from 'node:module'; const require = (id) => (globalThis.__mirrorsyncRequire ??= __mirrorsyncCreateRequire(import.meta.url))(id);",
  },
  logLevel: 'warning',
});
