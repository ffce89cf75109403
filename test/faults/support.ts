// Shared by the fault suite: a mirror that equals its master, the publications that give a sync
// something to do, and the checks every fault case ends with (tree, status, processes, lock).
import { execFile, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runCli } from '../support/cli.js';
export { waitFor } from '../support/wait.js';
import { HOUR_MS, makeTree, TRACE_PATH, treeDigest, writeTrace, type TreeSpec } from '../lab/index.js';

const run = promisify(execFile);

export const NOW = Date.now();
/** The publication every mirror starts from. */
export const V1 = new Date(NOW - 2 * HOUR_MS);
/** A newer publication of the master. */
export const V2 = new Date(NOW - HOUR_MS);

/** status.json as the tests read it. */
export interface Status {
  readonly result: string;
  readonly mode: string;
  readonly source: string | null;
  readonly tried: ReadonlyArray<{ name: string; exitCode: number | null; error: string | null; attempts?: number; bytesReceived?: number }>;
  readonly bytesReceived: number;
  readonly filesTransferred: number;
  readonly error: { code: string; message: string } | null;
  readonly previousRunDied?: { startedAt: string; pid: number | null };
  readonly lastSuccessAt: string | null;
}

export async function readStatus(target: string): Promise<Status> {
  return JSON.parse(await readFile(join(target, '.mirrorsync', 'status.json'), 'utf8')) as Status;
}

/** The mirror's content as a digest, without mirrorsync's own folder. */
export function mirrorDigest(target: string): Promise<Map<string, string>> {
  return treeDigest(target, { exclude: ['.mirrorsync'] });
}

/** A tree with the v1 trace, the shape every case starts from. */
export function v1Tree(files: number, extra: Partial<TreeSpec> = {}): TreeSpec {
  return { files, seed: 'v1', bytesPerFile: 1024, trace: { path: TRACE_PATH, at: V1 }, ...extra };
}

/** Copies a tree with its mtimes, so the copy is a mirror that equals the original. */
export async function copyTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  await run('cp', ['-a', `${from}/.`, to]);
}

/** The master publishes: new files under `folder`, then a new trace. Returns the bytes added. */
export async function publish(tree: string, spec: { folder: string; files: number; bytesPerFile: number; at: Date }): Promise<number> {
  await makeTree(join(tree, spec.folder), { files: spec.files, bytesPerFile: spec.bytesPerFile, seed: spec.folder });
  await writeTrace(tree, TRACE_PATH, spec.at);
  return spec.files * spec.bytesPerFile;
}

/** Files a daemon sent, from its transfer log ("send ... <path> <bytes>"). */
export function sentFiles(log: string): string[] {
  return log
    .split('\n')
    .map((line) => / send \S+ \[[^\]]*\] \S+ \([^)]*\) (\S+) \d+/.exec(line)?.[1])
    .filter((path): path is string => path !== undefined);
}

/** Sum of the sizes of the regular files under dir (partial dirs included), skipping top-level names. */
export async function bytesUnder(dir: string, skip: readonly string[] = ['.mirrorsync']): Promise<number> {
  let total = 0;
  const pending = [dir];
  for (let current = pending.pop(); current !== undefined; current = pending.pop()) {
    let entries;
    try {
      entries = await readdir(current, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (current === dir && skip.includes(entry.name)) continue;
      const path = join(current, entry.name);
      if (entry.isDirectory()) pending.push(path);
      else if (entry.isFile()) total += await lstat(path).then((info) => info.size, () => 0);
    }
  }
  return total;
}

function readProc(pid: string, file: string): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

/** Live rsync processes whose command line mentions `needle` (a target path), as pid → argv. */
export function rsyncProcesses(needle: string): Map<number, string[]> {
  const found = new Map<number, string[]>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = readProc(pid, 'stat');
    if (stat === undefined || stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
    const argv = (readProc(pid, 'cmdline') ?? '').split('\0').filter((arg) => arg !== '');
    if (argv[0] === undefined || !/(^|\/)rsync$/.test(argv[0])) continue;
    if (argv.some((arg) => arg.includes(needle))) found.set(Number(pid), argv);
  }
  return found;
}

/** The environment of a live process, '' when it is gone. */
export function processEnviron(pid: number): string {
  return (readProc(String(pid), 'environ') ?? '').replaceAll('\0', '\n');
}

/** Resident memory of a live process in KiB, undefined once it is gone. */
export function rssKiB(pid: number): number | undefined {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readProc(String(pid), 'status') ?? '');
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** True when nobody holds an flock on the file: `flock -xn FILE true` succeeds. */
export function lockIsFree(lockFile: string): boolean {
  const result = spawnSync('flock', ['-xn', lockFile, 'true'], { stdio: 'ignore' });
  if (result.error !== undefined) throw result.error;
  return result.status === 0;
}

export function lockFileOf(target: string): string {
  return join(target, '.mirrorsync', 'lock');
}

/** Rewrites a sources.json in place (net.reconfigure() would drop the change: call it first). */
export async function patchConfig(configPath: string, patch: (doc: { sources: Array<Record<string, unknown>> } & Record<string, unknown>) => void, to = configPath): Promise<string> {
  const doc = JSON.parse(await readFile(configPath, 'utf8')) as { sources: Array<Record<string, unknown>> } & Record<string, unknown>;
  patch(doc);
  await writeFile(to, `${JSON.stringify(doc, null, 2)}\n`);
  return to;
}

/** Names of the files (not folders) present in `after` but not in `before`, and missing from `after`. */
export function digestDiff(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): { lost: string[]; changed: string[]; added: string[] } {
  const lost: string[] = [];
  const changed: string[] = [];
  const added: string[] = [];
  for (const [path, hash] of before) {
    const now = after.get(path);
    if (now === undefined) lost.push(path);
    else if (now !== hash) changed.push(path);
  }
  for (const path of after.keys()) if (!before.has(path)) added.push(path);
  return { lost, changed, added };
}

/** A row of `sources rank --json`, as the fault tests read it. */
export interface RankRow {
  readonly name: string;
  readonly usable: boolean;
  readonly reason: string;
}

/** `sources rank --json` for a config, by source name. */
export async function rankRows(configPath: string): Promise<Map<string, RankRow>> {
  const result = await runCli(['sources', 'rank', '--config', configPath, '--json']);
  const doc = JSON.parse(result.stdout) as { sources: RankRow[] };
  return new Map(doc.sources.map((row) => [row.name, row]));
}
