/**
 * The host-wide files of host.json: `statusFile` (tunasync's `/jobs` array, for the host's web
 * pages, with a disk block beside it) and `metricsFile` (every mirror's series plus
 * `mirrorsync_runs_total{mirror,result}`). Both are rebuilt whole from every mirror's
 * status.json, under a host lock, whenever a mirror starts or ends: concurrent `sync --all`
 * processes never lose each other's updates, and a reader only ever sees a whole file.
 */
import { mkdir, readFile, stat, statfs } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { HostMirror, HostSettings } from '../host/types.js';
import { writeFileAtomic } from '../report/atomic-write.js';
import { collectMetrics, renderFamilies, type MetricFamily, type MetricSample } from '../report/metrics.js';
import type { FinalResult } from '../report/run-status.js';
import { viewMirrors, type MirrorView } from './gather.js';
import { withHostLock } from './host-lock.js';
import { tunasyncJob } from './jobs.js';

/** Counts of finished runs, by mirror and result, kept in the host's state folder. */
export type RunCounts = Record<string, Partial<Record<FinalResult, number>>>;

export interface PublishInput {
  readonly host: HostSettings;
  readonly mirrors: readonly HostMirror[];
  readonly now: Date;
  /** A run that just ended: counted in mirrorsync_runs_total. */
  readonly ended?: { readonly mirror: string; readonly result: FinalResult };
}

export function hostLockPath(host: HostSettings): string {
  return join(host.stateDir, 'host-files.lock');
}

export function runCountsPath(host: HostSettings): string {
  return join(host.stateDir, 'runs-total.json');
}

/** The disk block's file: beside the status file (`tunasync.json` → `tunasync.disk.json`). */
export function diskFilePath(statusFile: string): string {
  return statusFile.endsWith('.json') ? `${statusFile.slice(0, -5)}.disk.json` : `${statusFile}.disk.json`;
}

export async function publishHost(input: PublishInput): Promise<void> {
  const { host } = input;
  if (host.statusFile === undefined && host.metricsFile === undefined) return;
  await withHostLock(hostLockPath(host), 30, async () => {
    const counts = await readRunCounts(host);
    if (input.ended !== undefined) {
      const mine = (counts[input.ended.mirror] ??= {});
      mine[input.ended.result] = (mine[input.ended.result] ?? 0) + 1;
      await writeFileAtomic(runCountsPath(host), `${JSON.stringify(counts)}\n`, 0o644);
    }
    const views = await viewMirrors(input.mirrors, input.now);
    if (host.statusFile !== undefined) {
      await mkdir(dirname(host.statusFile), { recursive: true });
      await writeFileAtomic(host.statusFile, `${JSON.stringify(views.map((view) => tunasyncJob(view.facts)))}\n`, 0o644);
      await writeFileAtomic(diskFilePath(host.statusFile), `${JSON.stringify(await diskBlock(views, input.now))}\n`, 0o644);
    }
    if (host.metricsFile !== undefined) await mkdir(dirname(host.metricsFile), { recursive: true });
    if (host.metricsFile !== undefined) await writeFileAtomic(host.metricsFile, renderHostMetrics(views, counts), 0o644);
  });
}

/** Every mirror's series (status-derived; per-source series stay in each run's own --metrics-file) and the run counters. */
export function renderHostMetrics(views: readonly MirrorView[], counts: RunCounts): string {
  const families: MetricFamily[] = [];
  for (const view of views) {
    const status = view.facts.status;
    if (status !== null) families.push(...collectMetrics({ mirror: view.mirror.name, status, sources: [], durationSeconds: status.durationSeconds ?? 0 }));
  }
  const runs: MetricSample[] = Object.entries(counts).flatMap(([mirror, byResult]) =>
    Object.entries(byResult).map(([result, count]): MetricSample => [{ mirror, result }, count ?? 0]),
  );
  families.push({ name: 'mirrorsync_runs_total', type: 'counter', help: 'Runs that ended, by mirror and result, since the host state folder was created.', samples: runs });
  families.push({
    name: 'mirrorsync_triggers_pending',
    type: 'gauge',
    help: 'Sync requests (mirrorsync trigger) waiting for the next run.',
    samples: views.map((view): MetricSample => [{ mirror: view.mirror.name }, view.triggers]),
  });
  return renderFamilies(families);
}

export async function readRunCounts(host: HostSettings): Promise<RunCounts> {
  try {
    const value: unknown = JSON.parse(await readFile(runCountsPath(host), 'utf8'));
    return isCounts(value) ? value : {};
  } catch {
    // Missing or corrupt: counters restart, as Prometheus counters may (a reset is not an error).
    return {};
  }
}

function isCounts(value: unknown): value is RunCounts {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  return Object.values(value).every(
    (byResult) => typeof byResult === 'object' && byResult !== null && Object.values(byResult as object).every((n) => Number.isInteger(n) && (n as number) >= 0),
  );
}

/** One entry per filesystem holding mirrors: sizes in bytes, and which mirrors live there. */
async function diskBlock(views: readonly MirrorView[], now: Date): Promise<object> {
  const filesystems = new Map<string, { mirrors: string[]; totalBytes: number; usedBytes: number; freeBytes: number }>();
  for (const view of views) {
    const target = view.mirror.config.target;
    if (target === undefined) continue;
    const [stats, info] = await Promise.all([statfs(target).catch(() => undefined), stat(target).catch(() => undefined)]);
    if (stats === undefined || info === undefined) continue;
    const totalBytes = stats.blocks * stats.bsize;
    const freeBytes = stats.bavail * stats.bsize;
    const key = String(info.dev);
    const entry = filesystems.get(key) ?? { mirrors: [], totalBytes, usedBytes: totalBytes - stats.bfree * stats.bsize, freeBytes };
    entry.mirrors.push(view.mirror.name);
    filesystems.set(key, entry);
  }
  return { updated_ts: Math.floor(now.getTime() / 1000), filesystems: [...filesystems.values()] };
}
