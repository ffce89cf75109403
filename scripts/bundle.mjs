// Bundles the compiled CLI into dist/bundle/mirrorsync.cjs: one CommonJS script for everything
// of ours and commander, which bin/mirrorsync.js runs through src/boot with V8's code cache (made
// here, beside it). Loading and compiling our own code was most of a no-op run's own cost: one
// script beats 15 ES module chunks, and a code cache skips the compiling (see BENCHMARKS.md).
// pino, execa, undici, p-retry and better-sqlite3 stay in node_modules, loaded only on the paths
// that need them.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';
import { bundleHeader } from '../dist/src/boot/bundle-script.js';
import { makeCodeCache } from '../dist/src/boot/make-code-cache.js';

const EXTERNAL = ['pino', 'execa', 'undici', 'p-retry', 'better-sqlite3'];
const bundlePath = 'dist/bundle/mirrorsync.cjs';

const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // Keep import() as import(): below, the bundle's are routed to the loader's.
  supported: { 'dynamic-import': true },
  logLevel: 'silent',
};

const results = await Promise.all([
  build({
    ...common,
    entryPoints: ['dist/src/cli/index.js'],
    outfile: bundlePath,
    external: EXTERNAL,
    // The bundle is a script, not a module: boot passes it its URL.
    define: { 'import.meta.url': '__mirrorsyncUrl' },
  }),
  build({ ...common, entryPoints: ['dist/src/boot/index.js'], outfile: 'dist/bundle/boot.cjs' }),
]);
// A warning here is a real problem (import.meta left in a script, a missing export): stop.
const warnings = results.flatMap((result) => [...result.errors, ...result.warnings]);
if (warnings.length > 0) {
  for (const warning of warnings) console.error(`bundle: ${warning.text}${warning.location === null ? '' : ` (${warning.location.file}:${warning.location.line})`}`);
  process.exit(1);
}

// import() inside vm.Script fails on node 20 without --experimental-vm-modules: every one in the
// bundle calls the loader's instead. Anything the rewrite misses would fail only at run time, on
// the path that imports it, so refuse a bundle that still has one.
let code = readFileSync(bundlePath, 'utf8').replace(/\bimport\(("[^"]+")\)/g, '__mirrorsyncImport($1)');
const left = /\bimport\(/.exec(code);
if (left !== null) {
  console.error(`bundle: an import() the loader cannot serve is left in ${bundlePath}: ${code.slice(left.index, left.index + 80)}`);
  process.exit(1);
}
const digest = createHash('sha256').update(code).digest('hex');
code = bundleHeader(digest) + code;
writeFileSync(bundlePath, code);

const cachePath = makeCodeCache(bundlePath);
// The cache is an optimisation: a node that rejects it still runs the bundle (and the first run
// makes one). Say so rather than fail the build.
const check = spawnSync(process.execPath, ['bin/mirrorsync.js', '--version'], { env: { ...process.env, MIRRORSYNC_DEBUG_BOOT: '1' }, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] }).stderr;
if (cachePath === undefined || !check.includes(': used')) console.error(`bundle: the code cache was not ${cachePath === undefined ? 'written' : 'used'} (${check.trim()}); runs start slower`);
