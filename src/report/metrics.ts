/**
 * The Prometheus text file written by `sync --metrics-file`, for node_exporter's textfile
 * collector. Every series carries `mirror` (the config's name), so many mirrors' files share one
 * textfile directory, or one host-wide file, without two series colliding.
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
  /** The config's name: the `mirror` label on every series. */
  readonly mirror: string;
  readonly status: RunStatus;
  readonly sources: readonly SourceMetrics[];
  /** Stands in for the run's end while it is still running. */
  readonly now?: Date;
  readonly durationSeconds: number;
}

export type MetricLabels = Readonly<Record<string, string>>;
export type MetricSample = readonly [MetricLabels, number];

/** One metric family; families of the same name (from several mirrors) merge when rendered. */
export interface MetricFamily {
  readonly name: string;
  readonly type: 'gauge' | 'counter';
  readonly help: string;
  readonly samples: readonly MetricSample[];
}

/** Renders one mirror's metrics in the text exposition format (version 0.0.4). */
export function renderMetrics(input: MetricsInput): string {
  return renderFamilies(collectMetrics(input));
}

/** One mirror's metric families, each sample labelled with the mirror. */
export function collectMetrics(input: MetricsInput): MetricFamily[] {
  const { status } = input;
  const mirror = { mirror: input.mirror };
  const one = (value: number | null): MetricSample[] => (value === null ? [] : [[mirror, value]]);
  const gauge = (name: string, help: string, samples: readonly MetricSample[]): MetricFamily => ({ name, type: 'gauge', help, samples });
  const runEnd = status.endedAt ?? (input.now ?? new Date()).toISOString();
  return [
    gauge('mirrorsync_last_success_timestamp_seconds', 'Unix time the last successful (synced or no-op) run ended; 0 when none has.', [[mirror, seconds(status.lastSuccessAt) ?? 0]]),
    gauge('mirrorsync_last_run_timestamp_seconds', 'Unix time the last run ended.', one(seconds(runEnd))),
    gauge('mirrorsync_last_run_duration_seconds', 'Wall-clock duration of the last run.', one(input.durationSeconds)),
    gauge('mirrorsync_last_run_received_bytes', 'Bytes rsync received in the last run.', one(status.bytesReceived)),
    gauge('mirrorsync_last_run_files_transferred', 'Files rsync transferred in the last run.', one(status.filesTransferred)),
    gauge(
      'mirrorsync_last_run_result',
      'Outcome of the last run: 1 for the actual result, 0 for the others.',
      RUN_RESULTS.map((result): MetricSample => [{ ...mirror, result }, result === status.result ? 1 : 0]),
    ),
    gauge('mirrorsync_sources_tried', 'Number of sources the last run tried.', one(status.tried.length)),
    gauge('mirrorsync_freshness_timestamp_seconds', 'Unix time of the publication the mirror holds, from its trace.', one(seconds(status.freshness))),
    gauge('mirrorsync_lag_seconds', "The mirror's lag behind the master.", one(status.lagSeconds)),
    gauge('mirrorsync_source_up', 'Whether the source answered its probe (1) or not (0).', input.sources.map((s): MetricSample => [{ ...mirror, source: s.name }, s.up ? 1 : 0])),
    gauge(
      'mirrorsync_source_lag_seconds',
      "The source's lag behind the master; absent when unknown.",
      input.sources.flatMap((s): MetricSample[] => (s.lagSeconds === null ? [] : [[{ ...mirror, source: s.name }, s.lagSeconds]])),
    ),
  ];
}

/**
 * Renders families, merging those of the same name (the text format wants each family's lines
 * together, under one HELP and TYPE). The first family of a name gives its HELP and TYPE.
 */
export function renderFamilies(families: readonly MetricFamily[]): string {
  const merged = new Map<string, { family: MetricFamily; samples: MetricSample[] }>();
  for (const family of families) {
    const entry = merged.get(family.name) ?? { family, samples: [] };
    entry.samples.push(...family.samples);
    merged.set(family.name, entry);
  }
  const lines: string[] = [];
  for (const { family, samples } of merged.values()) {
    // A family without samples is left out whole: some parsers reject HELP/TYPE with nothing after.
    if (samples.length === 0) continue;
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`, `# TYPE ${family.name} ${family.type}`);
    for (const [labels, value] of samples) lines.push(`${family.name}${formatLabels(labels)} ${formatValue(value)}`);
  }
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

function formatLabels(labels: MetricLabels): string {
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
