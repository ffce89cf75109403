import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { median, range } from './measure.js';

/** What a benchmark hands back: its section of BENCHMARKS.md. */
export interface BenchReport {
  readonly name: string;
  readonly markdown: string;
}

export interface BenchOptions {
  /** Also run the 1M-file cases. */
  readonly large: boolean;
  /** Progress lines for the person watching (stderr). */
  readonly log: (line: string) => void;
}

export interface Bench {
  readonly name: string;
  readonly title: string;
  run(options: BenchOptions): Promise<BenchReport>;
}

export function markdownTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(3)} s`;
export const ratio = (value: number): string => (Number.isFinite(value) ? `${value.toFixed(2)}×` : '–');
export const mebibytes = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** "0.412 s (0.398–0.455)": the median and the spread of the samples. */
export function medianCell(samples: readonly number[]): string {
  const { min, max } = range(samples);
  return `${seconds(median(samples))} (${(min / 1000).toFixed(3)}–${(max / 1000).toFixed(3)})`;
}

/** One line per goal, said plainly. */
export function verdict(goal: string, met: boolean, measured: string): string {
  return `- goal: ${goal}: **${met ? 'met' : 'NOT met'}** (${measured})`;
}

const RUNS_HEADING = '## Runs';

/**
 * Appends one run's dated section under "## Runs" at the end of BENCHMARKS.md (created with a
 * short header when missing). The hand-written findings above it are left as they are.
 */
export async function appendRun(file: string, section: string): Promise<void> {
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    text = undefined;
  }
  if (text === undefined) {
    await writeFile(file, `# Benchmarks\n\nEach \`npm run bench\` appends a dated section below.\n\n${RUNS_HEADING}\n\n${section}\n`);
    return;
  }
  const prefix = text.includes(RUNS_HEADING) ? '' : `\n${RUNS_HEADING}\n`;
  await appendFile(file, `${text.endsWith('\n') ? '' : '\n'}${prefix}\n${section}\n`);
}
