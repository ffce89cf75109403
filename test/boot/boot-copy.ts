import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bundleDigest, bundleHeader } from '../../src/boot/bundle-script.js';
import { codeCachePath } from '../../src/boot/code-cache.js';
import { runCli, type CliResult } from '../support/cli.js';
import { buildRoot, repoRoot } from '../support/paths.js';

const execFileAsync = promisify(execFile);

/** A copy of the shipped layout (bin/, dist/bundle/) in `root`, so a test may spoil its cache without touching the build others run. */
export interface BootCopy {
  readonly bin: string;
  readonly bundle: string;
  readonly cache: string;
}

export async function copyShippedCli(root: string): Promise<BootCopy> {
  const bundleDir = join(root, 'dist', 'bundle');
  await mkdir(bundleDir, { recursive: true });
  await mkdir(join(root, 'bin'));
  const builtBundle = join(buildRoot, 'bundle', 'mirrorsync.cjs');
  const bundle = join(bundleDir, 'mirrorsync.cjs');
  await copyFile(join(repoRoot, 'bin', 'mirrorsync.js'), join(root, 'bin', 'mirrorsync.js'));
  await copyFile(join(repoRoot, 'bin', 'package.json'), join(root, 'bin', 'package.json'));
  await copyFile(join(buildRoot, 'bundle', 'boot.cjs'), join(bundleDir, 'boot.cjs'));
  // cp -p: the cache names the bundle by its size and modification time, as the build left them.
  await execFileAsync('cp', ['-p', builtBundle, bundle]);
  await execFileAsync('cp', ['-p', codeCachePath(builtBundle, [], ''), codeCachePath(bundle, [], '')]);
  // pino and the other packages the bundle leaves outside resolve from node_modules above it.
  await symlink(join(repoRoot, 'node_modules'), join(root, 'node_modules'));
  return { bin: join(root, 'bin', 'mirrorsync.js'), bundle, cache: codeCachePath(bundle, [], '') };
}

/**
 * Rewrites the copy's bundle through `edit`: with a fresh digest line, as the build would, or
 * keeping the old one, as a hand edit would.
 */
export async function editBundle(copy: BootCopy, edit: (code: string) => string, digestLine: 'fresh' | 'kept'): Promise<void> {
  const source = await readFile(copy.bundle, 'utf8');
  const digest = bundleDigest(source);
  if (digest === undefined) throw new Error('the built bundle has no digest line');
  const code = edit(source.slice(bundleHeader(digest).length));
  const header = digestLine === 'fresh' ? bundleHeader(createHash('sha256').update(code).digest('hex')) : bundleHeader(digest);
  await writeFile(copy.bundle, header + code);
}

export interface BootRun {
  readonly code: number | null;
  readonly stdout: string;
  /** What boot said of the cache (MIRRORSYNC_DEBUG_BOOT): "used", "missing", "refused: ...". */
  readonly cache: string;
}

export async function runCopy(copy: BootCopy, args: readonly string[], env: Record<string, string> = {}): Promise<BootRun> {
  const { code, stdout, stderr } = await runCopyCli(copy, args, { MIRRORSYNC_DEBUG_BOOT: '1', ...env });
  const said = /^mirrorsync boot: code cache .*?: (.*)$/m.exec(stderr)?.[1];
  if (said === undefined) throw new Error(`boot said nothing of its cache; stderr: ${stderr}`);
  return { code, stdout, cache: said };
}

/** Runs the copy's bin to its end, with no node options unless `env` gives some (killed after 60 s rather than hang the test). */
export function runCopyCli(copy: BootCopy, args: readonly string[], env: Record<string, string> = {}): Promise<CliResult> {
  return runCli(args, { script: copy.bin, env: { NODE_OPTIONS: '', ...env }, timeoutMs: 60_000 });
}
