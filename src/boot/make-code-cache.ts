import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { compileBundleAfresh, readBundle, type Bundle } from './bundle-script.js';
import { codeCachePath, writeCodeCache } from './code-cache.js';

/**
 * A full cache: every function of the bundle compiled, not only those one run happened to call,
 * so a no-op and a transfer both start warm, whichever run made it. V8 compiles inner functions
 * lazily unless told otherwise; the flag is set only around this one compile (a cache records the
 * flags in force when it is made, and a runtime without --no-lazy rejects one made under it).
 * node:v8 is loaded here only: a start that uses the cache never needs it. Returns the path
 * written, or undefined when the folder refused it.
 */
export function makeCodeCache(bundlePath: string, bundle: Bundle = readBundle(bundlePath)): string | undefined {
  const { source, identity } = bundle;
  if (identity === undefined) throw new Error(`${bundlePath} has no digest line: build it with scripts/bundle.mjs`);
  // Any absolute path serves to require a built-in.
  const { setFlagsFromString } = createRequire(resolve(bundlePath))('node:v8') as typeof import('node:v8');
  const cachePath = codeCachePath(bundlePath);
  const written = writeCodeCache(cachePath, identity, () => {
    setFlagsFromString('--no-lazy');
    let script;
    try {
      script = compileBundleAfresh(bundlePath, source);
    } finally {
      setFlagsFromString('--lazy');
    }
    // Serialized under the usual flags, which the cache records and a start compares.
    return script.createCachedData();
  });
  return written ? cachePath : undefined;
}
