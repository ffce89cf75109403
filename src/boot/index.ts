/**
 * How the CLI starts: bin/mirrorsync.js hands the bundle's path to boot, which compiles it with
 * V8's code cache. Compiling our own code was about a third of a no-op run's CPU before the trace
 * read could end (BENCHMARKS.md, "The floors, measured"); with the cache it is mostly reading.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileBundle, readBundle } from './bundle-script.js';
import { codeCachePath, readCodeCache, type CodeCacheRead } from './code-cache.js';
import { makeCodeCache } from './make-code-cache.js';

export { makeCodeCache } from './make-code-cache.js';

/** What happened to the cache in one start, as `MIRRORSYNC_DEBUG_BOOT=1` prints it. */
export type BootCache = 'used' | 'rejected by V8' | `refused: ${string}` | 'missing' | 'no digest line';

/** Exit statuses of a run stopped by a second signal: it exits at once, without making a cache. */
const INTERRUPTED = new Set([130, 143]);

/**
 * Whether this run should make the cache at its exit: when there was none to use (missing,
 * refused, or rejected by V8 after a node upgrade), and only by the bundle's owner, since a cache
 * owned by anyone else would be refused on the next start.
 */
export function shouldMakeCache(outcome: BootCache, euid: number | undefined, bundleUid: number): boolean {
  return outcome !== 'used' && outcome !== 'no digest line' && euid === bundleUid;
}

/** Runs the bundle at `bundlePath` in this process, as the main program. */
export function boot(bundlePath: string): void {
  const bundle = readBundle(bundlePath);
  const { identity } = bundle;
  const cachePath = codeCachePath(bundlePath);
  const read: CodeCacheRead | undefined = identity === undefined ? undefined : readCodeCache(cachePath, identity, bundle.uid);
  const script = compileBundle(bundlePath, bundle.source, read?.kind === 'found' ? read.data : undefined);
  const outcome = cacheOutcome(read, script.cachedDataRejected === true);
  if (process.env['MIRRORSYNC_DEBUG_BOOT'] === '1') process.stderr.write(`mirrorsync boot: code cache ${cachePath}: ${outcome}\n`);
  if (shouldMakeCache(outcome, process.geteuid?.(), bundle.uid)) {
    process.once('exit', (status) => {
      if (!INTERRUPTED.has(status)) makeCodeCache(bundlePath, bundle);
    });
  }
  const module = { exports: {} };
  const run = script.runInThisContext() as (...parameters: unknown[]) => void;
  run.call(
    module.exports,
    module.exports,
    createRequire(bundlePath),
    module,
    bundlePath,
    dirname(bundlePath),
    pathToFileURL(bundlePath).href,
    (specifier: string): Promise<unknown> => import(specifier),
  );
}

function cacheOutcome(read: CodeCacheRead | undefined, rejected: boolean): BootCache {
  if (read === undefined) return 'no digest line';
  if (read.kind === 'missing') return 'missing';
  if (read.kind === 'refused') return `refused: ${read.problem}`;
  return rejected ? 'rejected by V8' : 'used';
}
