import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { bundleDigest, compileBundleAfresh } from './bundle-script.js';
import { codeCachePath, writeCodeCache, type BundleIdentity } from './code-cache.js';

export interface Bundle {
  readonly source: string;
  readonly uid: number;
  /** Undefined for a bundle without the build's digest line: no cache is used or made for it. */
  readonly identity: BundleIdentity | undefined;
}

/** Reads the bundle and the identity a cache records for it, from one open file (a build replacing it meanwhile cannot pair one's text with the other's size and time). */
export function readBundle(bundlePath: string): Bundle {
  const fd = openSync(bundlePath, 'r');
  try {
    const stats = fstatSync(fd, { bigint: true });
    const source = readFileSync(fd, 'utf8');
    const digest = bundleDigest(source);
    return { source, uid: Number(stats.uid), identity: digest === undefined ? undefined : { digest, size: stats.size, mtimeNs: stats.mtimeNs } };
  } finally {
    closeSync(fd);
  }
}

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
