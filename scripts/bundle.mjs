// Bundles the compiled CLI into dist/bundle/mirrorsync.cjs: one CommonJS script for everything
// of ours and commander, which bin/mirrorsync.js runs through src/boot with V8's code cache (made
// here, beside it). Loading and compiling our own code was most of a no-op run's own cost: one
// script beats 15 ES module chunks, and a code cache skips the compiling (see BENCHMARKS.md).
// pino, execa, undici, p-retry and better-sqlite3 stay in node_modules, loaded only on the paths
// that need them.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { bundleHeader } from '../dist/src/boot/bundle-script.js';

const EXTERNAL = ['pino', 'execa', 'undici', 'p-retry', 'better-sqlite3'];
const bundlePath = resolve('dist/bundle/mirrorsync.cjs');

function fail(message) {
  console.error(`bundle: ${message}`);
  process.exit(1);
}

const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // Keep import() as import(): below, the bundle's are routed to the loader's.
  supported: { 'dynamic-import': true },
  logLevel: 'silent',
};

const [cli, boot] = await Promise.all([
  build({
    ...common,
    entryPoints: ['dist/src/cli/index.js'],
    outfile: bundlePath,
    external: EXTERNAL,
    metafile: true,
    // The bundle is a script, not a module: boot passes it its URL.
    define: { 'import.meta.url': '__mirrorsyncUrl' },
  }),
  build({ ...common, entryPoints: ['dist/src/boot/index.js'], outfile: 'dist/bundle/boot.cjs' }),
]);
// A warning here is a real problem (import.meta left in a script, a missing export): stop.
const warnings = [cli, boot].flatMap((result) => [...result.errors, ...result.warnings]);
if (warnings.length > 0) fail(warnings.map((warning) => `${warning.text}${warning.location === null ? '' : ` (${warning.location.file}:${warning.location.line})`}`).join('\n'));

// import() inside vm.Script fails on node 20 without --experimental-vm-modules: every one in the
// bundle calls the loader's instead. The rewrite must meet exactly the calls esbuild left (not a
// method named import, not text in a string), and nothing may be left: a miss would fail only
// at run time, on the path that imports it.
const dynamicImports = Object.values(cli.metafile.outputs).flatMap((output) => output.imports).filter((entry) => entry.kind === 'dynamic-import' && entry.external === true).length;
let rewritten = 0;
let code = readFileSync(bundlePath, 'utf8').replace(/(?<![\w$.])import\(("[^"\\]+")\)/g, (_, specifier) => {
  rewritten += 1;
  return `__mirrorsyncImport(${specifier})`;
});
if (rewritten !== dynamicImports) fail(`rewrote ${rewritten} import() calls, esbuild reports ${dynamicImports}`);
const left = /(?<![\w$.])import\(/.exec(code);
if (left !== null) fail(`an import() the loader cannot serve is left in ${bundlePath}: ${code.slice(left.index, left.index + 80)}`);
code = bundleHeader(createHash('sha256').update(code).digest('hex')) + code;
// Replaced in one rename: a run starting meanwhile reads the old bundle or the new one, whole.
writeFileSync(`${bundlePath}.tmp`, code);
renameSync(`${bundlePath}.tmp`, bundlePath);

const usualStart = { ...process.env, NODE_OPTIONS: '' };
const made = spawnSync(process.execPath, ['scripts/make-code-cache.cjs', bundlePath], { env: usualStart, encoding: 'utf8' });
if (made.status !== 0) fail(`could not write the code cache beside ${bundlePath}: ${made.stderr}`);

// The shipped start, once: the bundle must run, and should use the cache. A cache V8 rejects
// here (some node build) costs runs ~25 ms, not correctness: say so rather than fail.
const version = JSON.parse(readFileSync('package.json', 'utf8')).version;
const check = spawnSync(process.execPath, ['bin/mirrorsync.js', '--version'], { env: { ...usualStart, MIRRORSYNC_DEBUG_BOOT: '1' }, encoding: 'utf8' });
if (check.status !== 0 || check.stdout !== `${version}\n`) fail(`the bundle does not run: \`mirrorsync --version\` exited ${check.status ?? check.signal} with ${JSON.stringify(check.stdout)}\n${check.stderr}`);
if (!check.stderr.includes(': used')) console.error(`bundle: the code cache was not used (${check.stderr.trim()}); runs start slower`);
