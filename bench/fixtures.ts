import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { makeTree, TRACE_PATH, type TreeSpec } from '../test/lab/index.js';
import { repoRoot } from '../test/support/paths.js';
import { timeProcess, type TimeOptions, type Timed } from './measure.js';

const run = promisify(execFile);

/** The shipped CLI: what `npm install -g` puts on PATH (it loads the bundle). */
export const CLI = join(repoRoot, 'bin', 'mirrorsync.js');
export const BENCHMARKS_FILE = join(repoRoot, 'BENCHMARKS.md');
/** Trees are made once and reused across runs: the 1M-file one takes minutes. */
export const BENCH_ROOT = process.env['MIRRORSYNC_BENCH_DIR'] ?? '/tmp/mirrorsync-bench';
/** Every cached tree's trace says this publication; its copy in a mirror then means "up to date". */
export const PUBLISHED = new Date('2025-06-01T12:00:00Z');

/** Runs the CLI as cron would: `node bin/mirrorsync.js ...`, with no config from the environment. */
export function timeCli(args: readonly string[], options: TimeOptions = {}): Promise<Timed> {
  return timeProcess(process.execPath, [CLI, ...args], { ...options, env: { ...process.env, MIRRORSYNC_CONFIG: '', ...options.env } });
}

export interface CachedTree {
  readonly dir: string;
  readonly files: number;
  readonly bytes: number;
  /** How long making it took, when it was made (this run or an earlier one). */
  readonly createdSeconds: number;
  readonly reused: boolean;
}

/**
 * A tree of `files` files under BENCH_ROOT/trees/<key>, with the lab's trace, made by the lab's
 * makeTree the first time and reused after (a marker written last says it is complete).
 */
export async function cachedTree(key: string, spec: Omit<TreeSpec, 'trace'>, log: (line: string) => void): Promise<CachedTree> {
  const dir = join(BENCH_ROOT, 'trees', key);
  const marker = `${dir}.json`;
  // The lab's default size is left out, so `{ files }` and `{ files, bytesPerFile: 64 }` share one tree.
  const { bytesPerFile, ...rest } = spec;
  const full: TreeSpec = { ...rest, ...(bytesPerFile === undefined || bytesPerFile === 64 ? {} : { bytesPerFile }), trace: { path: TRACE_PATH, at: PUBLISHED } };
  const wanted = JSON.stringify(full);
  const bytes = spec.files * (bytesPerFile ?? 64);
  if (existsSync(marker) && existsSync(dir)) {
    const known = JSON.parse(await readFile(marker, 'utf8')) as { spec: string; createdSeconds: number };
    if (known.spec === wanted) return { dir, files: spec.files, bytes, createdSeconds: known.createdSeconds, reused: true };
  }
  log(`making the tree ${key} (${spec.files} files) in ${dir}`);
  await removeTree(dir);
  await mkdir(dir, { recursive: true });
  const started = performance.now();
  await makeTree(dir, full);
  const createdSeconds = Math.round((performance.now() - started) / 100) / 10;
  await writeFile(marker, `${JSON.stringify({ spec: wanted, createdSeconds, createdAt: new Date().toISOString() })}\n`);
  log(`  made in ${createdSeconds} s`);
  return { dir, files: spec.files, bytes, createdSeconds, reused: false };
}

/** `cp -a`: a mirror that already equals the tree, in a fraction of an rsync's time. */
export async function copyTree(from: string, to: string): Promise<number> {
  const started = performance.now();
  await run('cp', ['-a', `${from}/.`, to], { maxBuffer: 1 << 20 });
  return performance.now() - started;
}

/** `rm -rf` (several times faster than fs.rm on a 100k-file tree). */
export async function removeTree(dir: string): Promise<void> {
  if (dir === '' || dir === '/') throw new Error(`refusing to remove ${dir}`);
  await run('rm', ['-rf', '--', dir]);
}

/** `sync`: writes dirty pages out, so the next measurement does not pay for the last one's writeback. */
export async function flushDisks(): Promise<void> {
  await run('sync');
}

/** Bytes of every regular file under dir, hidden folders (rsync's partial dirs) included. */
export async function bytesOnDisk(dir: string): Promise<number> {
  let total = 0;
  let entries: string[];
  try {
    entries = await readdir(dir, { recursive: true });
  } catch {
    return 0;
  }
  for (const entry of entries) {
    try {
      const info = await lstat(join(dir, entry));
      if (info.isFile()) total += info.size;
    } catch {
      // Renamed away while we looked (rsync moves finished files out of its partial dir).
    }
  }
  return total;
}

export interface ConfigSource {
  readonly name: string;
  readonly url: string;
  readonly master?: boolean;
  readonly priority?: number;
}

/** Writes a sources.json; unlike the lab's buildNetwork, several of them may share one lab. */
export async function writeConfig(
  file: string,
  config: { target: string; sources: readonly ConfigSource[]; rsync?: Record<string, unknown>; probe?: Record<string, unknown> },
): Promise<string> {
  const body = {
    name: 'sage',
    target: config.target,
    trace: TRACE_PATH,
    sources: config.sources.map((source) => ({ master: false, ...source })),
    ...(config.rsync === undefined ? {} : { rsync: config.rsync }),
    ...(config.probe === undefined ? {} : { probe: config.probe }),
  };
  await writeFile(file, `${JSON.stringify(body, null, 2)}\n`);
  return file;
}

/**
 * mirrorsync's bulk pass as `sync --dry-run --json` prints it, made into the one rsync a person
 * would run: the trace is not held back for a second pass, the target is the baseline's own, and
 * rsync's per-file log goes to `logFile` (mirrorsync's goes into its state folder).
 */
export async function bareBulkArgs(config: string, mirror: string, bare: string, logFile: string): Promise<string[]> {
  const commands = await plannedCommands(config);
  // The bulk pass is the one into the target itself (the trace is fetched into .mirrorsync/ first).
  const bulk = commands.find((argv) => argv.at(-1) === `${mirror}/`);
  if (bulk === undefined) throw new Error(`no bulk pass into ${mirror}/ in the dry-run plan: ${JSON.stringify(commands)}`);
  return [
    ...bulk
      .slice(1, -1)
      .filter((arg) => arg !== `--exclude=/${TRACE_PATH}` && arg !== '--dry-run')
      .map((arg) => (arg.startsWith('--log-file=') ? `--log-file=${logFile}` : arg)),
    `${bare}/`,
  ];
}

async function plannedCommands(config: string): Promise<string[][]> {
  const plan = await timeCli(['sync', '--config', config, '--dry-run', '--json'], { captureStdout: true });
  if (plan.code !== 0) throw new Error(`mirrorsync sync --dry-run exited ${plan.code}: ${plan.stderrTail}`);
  return (JSON.parse(plan.stdout) as { commands: string[][] }).commands;
}

/** The baseline's argv as printed in BENCHMARKS.md: no lab port, no temp paths. */
export function describeBaseline(args: readonly string[]): string {
  return args
    .map((arg) => (arg.startsWith('rsync://') ? 'rsync://127.0.0.1:PORT/sage/' : arg.startsWith('--log-file=') ? '--log-file=<log>' : arg.startsWith('/') ? '<empty target>/' : arg))
    .join(' ');
}
