import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lutimes, mkdir, readdir, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { writeTrace, type TraceFormat } from './trace.js';

/** What makeTree builds: `files` files of `bytesPerFile` bytes spread over `dirs` subfolders. */
export interface TreeSpec {
  files: number;
  /** Default 64. */
  bytesPerFile?: number;
  /** Spread the files over this many subfolders; default about sqrt(files), 0 puts them at the top. */
  dirs?: number;
  /** Content (and the default mtime) vary by seed; default 'lab'. */
  seed?: string;
  /**
   * Modification time of every file and folder. Default: a fixed time derived from the seed, so
   * equal specs give equal trees while trees of different seeds differ in mtime as well as in
   * content (rsync's size+mtime quick check would otherwise skip same-size files written in the same second).
   */
  mtime?: Date;
  /** A trace file written after the files (its mtime is its own `at`). */
  trace?: { path: string; at: Date; format?: TraceFormat };
}

const seedHash = (...parts: string[]): Buffer => createHash('sha256').update(parts.join('\0')).digest();

/** Deterministic, incompressible bytes for one file (xorshift32 keyed by seed and path). */
export function fileContent(seed: string, relPath: string, size: number): Buffer {
  const words = new Uint32Array(Math.ceil(size / 4));
  let state = seedHash(seed, relPath).readUInt32LE(0) || 1;
  for (let i = 0; i < words.length; i += 1) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    words[i] = state;
  }
  return Buffer.from(words.buffer, 0, size);
}

// Between 2024-01-01 and 2024-01-31: old enough to be stale, fixed for a given seed.
function seedMtime(seed: string): Date {
  const offsetSeconds = seedHash('mtime', seed).readUInt32LE(0) % (30 * 24 * 3600);
  return new Date(Date.UTC(2024, 0, 1) + offsetSeconds * 1000);
}

/** Relative paths of the files makeTree writes for a spec, in order. */
export function treeFilePaths(spec: TreeSpec): string[] {
  const dirs = spec.dirs ?? Math.max(1, Math.round(Math.sqrt(spec.files)));
  const paths: string[] = [];
  for (let i = 0; i < spec.files; i += 1) {
    const name = `file-${String(i).padStart(5, '0')}.bin`;
    paths.push(dirs === 0 ? name : `dir-${String(i % dirs).padStart(3, '0')}/${name}`);
  }
  return paths;
}

/** Builds a deterministic tree in dir (created if missing); `files: 0` gives an empty folder. */
export async function makeTree(dir: string, spec: TreeSpec): Promise<void> {
  const seed = spec.seed ?? 'lab';
  const size = spec.bytesPerFile ?? 64;
  await mkdir(dir, { recursive: true });
  const created = new Set<string>();
  for (const relPath of treeFilePaths(spec)) {
    const slash = relPath.lastIndexOf('/');
    if (slash > 0 && !created.has(relPath.slice(0, slash))) {
      created.add(relPath.slice(0, slash));
      await mkdir(join(dir, relPath.slice(0, slash)), { recursive: true });
    }
    await writeFile(join(dir, relPath), fileContent(seed, relPath, size));
  }
  const mtime = spec.mtime ?? seedMtime(seed);
  await setTreeMtime(dir, mtime);
  if (spec.trace === undefined) return;
  await writeTrace(dir, spec.trace.path, spec.trace.at, spec.trace.format);
  // Writing the trace touched its folders: give them the tree's mtime back, so a listing stays deterministic.
  const parts = spec.trace.path.split('/').filter((part) => part !== '');
  for (let depth = parts.length - 1; depth >= 0; depth -= 1) {
    const folder = join(dir, ...parts.slice(0, depth));
    await lutimes(folder, mtime, mtime);
  }
}

// Yields every entry under dir (relative, '/'-separated), parents before children, in name order.
async function* walk(dir: string, prefix = ''): AsyncGenerator<{ rel: string; abs: string; kind: 'file' | 'dir' | 'link' | 'other' }> {
  const entries = await readdir(join(dir, prefix), { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const rel = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
    const abs = join(dir, rel);
    const kind = entry.isSymbolicLink() ? 'link' : entry.isDirectory() ? 'dir' : entry.isFile() ? 'file' : 'other';
    yield { rel, abs, kind };
    if (kind === 'dir') yield* walk(dir, rel);
  }
}

async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/**
 * Relative path -> sha256 for files, 'dir' for folders, 'link:<target>' for symlinks,
 * 'other' for the rest. `exclude` skips top-level names such as '.mirrorsync'.
 */
export async function treeDigest(dir: string, options: { exclude?: string[] } = {}): Promise<Map<string, string>> {
  const exclude = new Set(options.exclude ?? []);
  const digest = new Map<string, string>();
  for await (const entry of walk(dir)) {
    const top = entry.rel.split('/')[0] ?? entry.rel;
    if (exclude.has(top)) continue;
    if (entry.kind === 'file') digest.set(entry.rel, await sha256File(entry.abs));
    else if (entry.kind === 'link') digest.set(entry.rel, `link:${await readlink(entry.abs)}`);
    else digest.set(entry.rel, entry.kind);
  }
  return digest;
}

/** Sets the mtime (and atime) of dir and everything under it, symlinks themselves included. */
export async function setTreeMtime(dir: string, at: Date): Promise<void> {
  for await (const entry of walk(dir)) await lutimes(entry.abs, at, at);
  await lutimes(dir, at, at);
}
