/**
 * How the CLI starts: bin/mirrorsync.js hands the bundle's path to boot, which compiles it with
 * V8's code cache. Compiling our own code was about a third of a no-op run's CPU before the trace
 * read could end (BENCHMARKS.md, "The floors, measured"); with the cache it is mostly reading.
 */
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleDigest, compileBundle } from './bundle-script.js';
import { codeCachePath, readCodeCache, writeCodeCache, type CodeCacheRead } from './code-cache.js';

export { bundleDigest, bundleHeader, compileBundle } from './bundle-script.js';
export { codeCachePath, readCodeCache, writeCodeCache } from './code-cache.js';

/** What happened to the cache in one start, for tests and `MIRRORSYNC_DEBUG_BOOT`. */
export type BootCache = 'used' | 'rejected by V8' | `refused: ${string}` | 'missing' | 'no digest';

/** Runs the bundle at `bundlePath` in this process, as the main program. */
export function boot(bundlePath: string): void {
  const source = readFileSync(bundlePath, 'utf8');
  const bundle = statSync(bundlePath);
  const digest = bundleDigest(source);
  const cachePath = codeCachePath(bundlePath);
  const read: CodeCacheRead | undefined = digest === undefined ? undefined : readCodeCache(cachePath, digest, bundle);
  const script = compileBundle(bundlePath, source, read?.kind === 'found' ? read.data : undefined);
  const outcome = cacheOutcome(read, script.cachedDataRejected === true);
  if (process.env['MIRRORSYNC_DEBUG_BOOT'] === '1') process.stderr.write(`mirrorsync boot: code cache ${cachePath}: ${outcome}\n`);
  // A missing or stale cache is made again from this run, once it has compiled what it used, by
  // the bundle's owner only: a cache owned by anyone else would be refused on the next start.
  if (digest !== undefined && outcome !== 'used' && process.geteuid?.() === bundle.uid) {
    process.once('exit', () => writeCodeCache(cachePath, digest, () => script.createCachedData()));
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
  if (read === undefined) return 'no digest';
  if (read.kind === 'missing') return 'missing';
  if (read.kind === 'refused') return `refused: ${read.problem}`;
  return rejected ? 'rejected by V8' : 'used';
}
