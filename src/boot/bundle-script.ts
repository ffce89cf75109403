import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { Script } from 'node:vm';
import type { BundleIdentity } from './code-cache.js';

/**
 * The names the bundle's wrapper gives it, in the order boot passes them. The last two stand in
 * for what a CommonJS script cannot have: the bundle's own URL (import.meta.url in the sources)
 * and an import() that works inside vm.Script (on Node 20 a script's own import() needs
 * --experimental-vm-modules, so the bundle borrows one from the loader; scripts/bundle.mjs routes
 * every import() in the bundle to it).
 */
export const BUNDLE_PARAMETERS = ['exports', 'require', 'module', '__filename', '__dirname', '__mirrorsyncUrl', '__mirrorsyncImport'] as const;

/** The first line scripts/bundle.mjs writes: the sha256 of the rest, which names its code cache. */
const HEADER = /^\/\/ mirrorsync bundle sha256:([0-9a-f]{64})\n/;

export function bundleHeader(digest: string): string {
  return `// mirrorsync bundle sha256:${digest}\n`;
}

/** The content digest the build wrote at the top of the bundle, or undefined for a bundle without one. */
export function bundleDigest(source: string): string | undefined {
  return HEADER.exec(source)?.[1];
}

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
 * Compiles the bundle as one function, the way node's CommonJS loader wraps a module, but through
 * vm.Script: node 20's loader takes no code cache, vm.Script does. The wrapper's first line sits
 * above the file's first line, hence the line offset (stack traces keep the file's numbers).
 */
export function compileBundle(bundlePath: string, source: string, cachedData?: Buffer): Script {
  return new Script(wrap(source), {
    filename: bundlePath,
    lineOffset: -1,
    ...(cachedData === undefined ? {} : { cachedData }),
  });
}

/**
 * Compiles the bundle afresh, never taken from V8's in-memory table of compiled scripts: at a
 * run's exit that table holds the run's own, lazily compiled one, and a cache made from it would
 * hold only what that run called. A script with its own import() hook has its own host options,
 * which the table is keyed by (the hook is never called: the script is never run). The name
 * stays the bundle's: a cache keeps the name it was made under, for stack traces.
 */
export function compileBundleAfresh(bundlePath: string, source: string): Script {
  return new Script(wrap(source), { filename: bundlePath, lineOffset: -1, importModuleDynamically: () => Promise.reject(new Error('never run')) });
}

function wrap(source: string): string {
  return `(function (${BUNDLE_PARAMETERS.join(', ')}) {\n${source}\n})`;
}
