/**
 * The Prometheus text file written by `sync --metrics-file`, for node_exporter's textfile
 * collector. Labels are kept minimal (`result`, `source`): operators add `job`/`instance`.
 */
import { MirrorsyncError, describeError } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { RUN_RESULTS } from './run-status.js';
import type { RunStatus } from './run-status.js';

export interface SourceMetrics {
  readonly name: string;
  readonly up: boolean;
  readonly lagSeconds: number | null;
}

export interface MetricsInput {
  readonly status: RunStatus;
  readonly sources: readonly SourceMetrics[];
  /** Stands in for the run's end while it is still running. */
  readonly now?: Date;
  readonly durationSeconds: number;
}

type Labels = Readonly<Record<string, string>>;
type Sample = readonly [Labels, number];

/** Renders the metrics in the text exposition format (version 0.0.4). */
export function renderMetrics(input: MetricsInput): string {
  const { status } = input;
  const lines: string[] = [];
  const family = (name: string, type: 'gauge', help: string, samples: readonly Sample[]): void => {
    // A family without samples is left out whole: some parsers reject HELP/TYPE with nothing after.
    if (samples.length === 0) return;
    lines.push(`# HELP ${name} ${escapeHelp(help)}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${formatLabels(labels)} ${formatValue(value)}`);
  };
  const one = (value: number | null): Sample[] => (value === null ? [] : [[{}, value]]);
  const runEnd = status.endedAt ?? (input.now ?? new Date()).toISOString();

  family(
    'mirrorsync_last_success_timestamp_seconds',
    'gauge',
    'Unix time the last successful (synced or no-op) run ended; 0 when none has.',
    [[{}, seconds(status.lastSuccessAt) ?? 0]],
  );
  family('mirrorsync_last_run_timestamp_seconds', 'gauge', 'Unix time the last run ended.', one(seconds(runEnd)));
  family('mirrorsync_last_run_duration_seconds', 'gauge', 'Wall-clock duration of the last run.', [[{}, input.durationSeconds]]);
  family('mirrorsync_last_run_bytes_received', 'gauge', 'Bytes rsync received in the last run.', [[{}, status.bytesReceived]]);
  family('mirrorsync_last_run_files_transferred', 'gauge', 'Files rsync transferred in the last run.', [[{}, status.filesTransferred]]);
  family(
    'mirrorsync_last_run_result',
    'gauge',
    'Outcome of the last run: 1 for the actual result, 0 for the others.',
    RUN_RESULTS.map((result): Sample => [{ result }, result === status.result ? 1 : 0]),
  );
  family('mirrorsync_sources_tried', 'gauge', 'Number of sources the last run tried.', [[{}, status.tried.length]]);
  family('mirrorsync_freshness_timestamp_seconds', 'gauge', "Unix time of the publication the mirror holds, from its trace.", one(seconds(status.freshness)));
  family('mirrorsync_lag_seconds', 'gauge', "The mirror's lag behind the master.", one(status.lagSeconds));
  family(
    'mirrorsync_source_up',
    'gauge',
    'Whether the source answered its probe (1) or not (0).',
    input.sources.map((s): Sample => [{ source: s.name }, s.up ? 1 : 0]),
  );
  family(
    'mirrorsync_source_lag_seconds',
    'gauge',
    "The source's lag behind the master; absent when unknown.",
    input.sources.flatMap((s): Sample[] => (s.lagSeconds === null ? [] : [[{ source: s.name }, s.lagSeconds]])),
  );
  return `${lines.join('\n')}\n`;
}

/** Writes the metrics file atomically (the collector never sees half a file). Failures are `sync.local`. */
export async function writeMetricsFile(path: string, text: string): Promise<void> {
  try {
    await writeFileAtomic(path, text, 0o644);
  } catch (error) {
    throw new MirrorsyncError('sync.local', `cannot write ${path}: ${describeError(error)}`, { cause: error, details: { path } });
  }
}

function seconds(iso: string | null): number | null {
  if (iso === null) return null;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : ms / 1000;
}

function formatLabels(labels: Labels): string {
  const pairs = Object.entries(labels).map(([name, value]) => `${name}="${escapeLabelValue(value)}"`);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
