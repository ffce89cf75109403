import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { bundleDigest, compileBundle } from './bundle-script.js';
import { codeCachePath, writeCodeCache } from './code-cache.js';

/**
 * The build's cache: every function of the bundle compiled, not only those one run happened to
 * call, so a no-op and a transfer both start warm. V8 compiles inner functions lazily unless told
 * otherwise; the flag is set only around this one compile (a cache records the flags in force
 * when it is made, and a runtime without --no-lazy rejects one made under it). Returns the path
 * written, or undefined when the folder refused it.
 */
export function makeCodeCache(bundlePath: string): string | undefined {
  const source = readFileSync(bundlePath, 'utf8');
  const digest = bundleDigest(source);
  if (digest === undefined) throw new Error(`${bundlePath} has no digest header: build it with scripts/bundle.mjs`);
  setFlagsFromString('--no-lazy');
  let script;
  try {
    script = compileBundle(bundlePath, source);
  } finally {
    setFlagsFromString('--lazy');
  }
  const cachePath = codeCachePath(bundlePath);
  return writeCodeCache(cachePath, digest, () => script.createCachedData()) ? cachePath : undefined;
}
