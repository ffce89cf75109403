// Shared by the hostile-* fault files: a piece of "host" outside the target holding a secret,
// checks that it is untouched and that its secret shows up nowhere, and file-mode helpers.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { treeDigest, type Lab } from '../lab/index.js';
import type { CliResult } from '../support/cli.js';

/** The hang guard: a run here takes seconds; one that hung on a FIFO would never end. */
export const GUARD_MS = 45_000;
// Every source here answers: a wide probe deadline keeps a loaded machine from reading one as unreachable.
export const SLOW_HOST_PROBE = { timeoutMs: 20_000 };

/** A folder of the host outside the target, and what it held before the attack. */
export interface Sentinel {
  readonly dir: string;
  /** A file whose first line a trace parser would accept, with a unique secret after the date. */
  readonly secretFile: string;
  readonly secret: string;
  readonly before: Map<string, string>;
}

export async function makeSentinel(lab: Lab): Promise<Sentinel> {
  const dir = lab.path('host');
  await mkdir(join(dir, 'etc'), { recursive: true });
  const secret = `host-secret-${randomBytes(8).toString('hex')}`;
  const secretFile = join(dir, 'etc', 'shadow');
  await writeFile(secretFile, `2026-11-29T00:00:00Z ${secret}\nroot:${secret}:0:0\n`, { mode: 0o600 });
  await writeFile(join(dir, 'etc', 'status.json'), '{"host": "file"}\n');
  await writeFile(join(dir, 'lock'), 'the host lock file\n');
  return { dir, secretFile, secret, before: await treeDigest(dir) };
}

/** No byte of the sentinel folder changed, nothing was added to it or removed. */
export async function assertHostUntouched(sentinel: Sentinel): Promise<void> {
  assert.deepEqual(await treeDigest(sentinel.dir), sentinel.before, 'a file outside the target changed');
}

/** The secret appears in no output and in no file under the target (state folder included). */
export async function assertNoSecret(sentinel: Sentinel, target: string, results: readonly CliResult[]): Promise<void> {
  for (const result of results) {
    assert.ok(!result.stdout.includes(sentinel.secret), 'the secret reached stdout');
    assert.ok(!result.stderr.includes(sentinel.secret), 'the secret reached stderr');
  }
  for (const file of await regularFilesUnder(target)) {
    const text = await readFile(file, 'utf8');
    assert.ok(!text.includes(sentinel.secret), `the secret reached ${file}`);
  }
}

/** Every regular file under dir, never following a link. */
export async function regularFilesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  const pending = [dir];
  for (let current = pending.pop(); current !== undefined; current = pending.pop()) {
    let names: string[];
    try {
      names = await readdir(current);
    } catch {
      continue;
    }
    for (const name of names) {
      const path = join(current, name);
      const info = await lstat(path);
      if (info.isDirectory()) pending.push(path);
      else if (info.isFile()) found.push(path);
    }
  }
  return found;
}

/** Relative path → type letter and permission bits (setuid, setgid and sticky included) of every entry under dir. */
export async function modesUnder(dir: string, skip: readonly string[] = ['.mirrorsync']): Promise<Map<string, { type: string; mode: number; uid: number; gid: number }>> {
  const modes = new Map<string, { type: string; mode: number; uid: number; gid: number }>();
  const walk = async (rel: string): Promise<void> => {
    for (const name of await readdir(join(dir, rel))) {
      const path = rel === '' ? name : `${rel}/${name}`;
      if (rel === '' && skip.includes(name)) continue;
      const info = await lstat(join(dir, path));
      const type = info.isDirectory() ? 'd' : info.isFile() ? 'f' : info.isSymbolicLink() ? 'l' : info.isFIFO() ? 'p' : info.isBlockDevice() ? 'b' : info.isCharacterDevice() ? 'c' : 's';
      modes.set(path, { type, mode: info.mode & 0o7777, uid: info.uid, gid: info.gid });
      if (type === 'd') await walk(path);
    }
  };
  await walk('');
  return modes;
}

/** The run ended on its own, well within the hang guard (never a timing assertion beyond that). */
export function assertEndedWithin(result: CliResult, guardMs: number): void {
  assert.equal(result.signal, null, `the run was killed by the hang guard (${result.signal ?? ''})`);
  assert.ok(result.durationMs < guardMs, `the run took ${Math.round(result.durationMs)} ms`);
}

export function parseJson<T>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${result.code ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
  }
}
