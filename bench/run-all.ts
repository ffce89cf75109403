import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { failoverBench } from './failover.js';
import { BENCHMARKS_FILE } from './fixtures.js';
import { describeMachine, formatMachine } from './machine.js';
import { memoryBench } from './memory.js';
import { dueBench } from './due.js';
import { noopBench } from './noop.js';
import { probesBench } from './probes.js';
import { rankBench } from './rank.js';
import { appendRun, type Bench } from './report.js';
import { stallBench } from './stall.js';
import { transferBench } from './transfer.js';

// `node dist/bench/run-all.js [--large] [--no-record] [names...]`: runs the benchmarks (all by
// default), prints each one's tables, and appends the run to BENCHMARKS.md. Timing never makes
// it fail; only a benchmark that could not run does (exit 1).

const BENCHES: readonly Bench[] = [noopBench, transferBench, failoverBench, stallBench, rankBench, probesBench, memoryBench, dueBench];

function usage(): string {
  return `usage: node dist/bench/run-all.js [--large] [--no-record] [${BENCHES.map((bench) => bench.name).join('|')} ...]\n`;
}

async function main(argv: readonly string[]): Promise<number> {
  const flags = new Set(argv.filter((arg) => arg.startsWith('-')));
  const names = argv.filter((arg) => !arg.startsWith('-'));
  const unknownFlag = [...flags].find((flag) => !['--large', '--no-record', '--help'].includes(flag));
  const unknownName = names.find((name) => !BENCHES.some((bench) => bench.name === name));
  if (flags.has('--help') || unknownFlag !== undefined || unknownName !== undefined) {
    process.stderr.write(`${unknownFlag ?? unknownName ?? ''}${unknownFlag ?? unknownName ? ': unknown\n' : ''}${usage()}`);
    return flags.has('--help') ? 0 : 64;
  }
  const large = flags.has('--large');
  const selected = names.length === 0 ? BENCHES : BENCHES.filter((bench) => names.includes(bench.name));
  const command = process.env['npm_lifecycle_event'] === 'bench' ? `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}` : `node dist/bench/run-all.js ${argv.join(' ')}`.trim();
  const machine = describeMachine();
  const startedAt = new Date();
  const log = (line: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  log(formatMachine(machine));

  const sections: string[] = [];
  let failed = 0;
  for (const bench of selected) {
    const started = performance.now();
    log(`== ${bench.title}`);
    let body: string;
    try {
      body = (await bench.run({ large, log })).markdown;
    } catch (error) {
      failed += 1;
      body = `Could not run: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`.split('\n').map((line) => `    ${line}`).join('\n');
    }
    const took = ((performance.now() - started) / 1000).toFixed(0);
    const section = `#### ${bench.title} (${took} s)\n\n${body}\n`;
    process.stdout.write(`\n${section}`);
    sections.push(section);
  }
  const totalMinutes = ((Date.now() - startedAt.getTime()) / 60_000).toFixed(1);
  const header = [
    `### ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC: \`${command}\``,
    '',
    `Machine: ${formatMachine(machine)}; load at the end: ${loadavg().map((value) => value.toFixed(2)).join(' / ')}. Whole run: ${totalMinutes} min.`,
    '',
  ].join('\n');
  if (!flags.has('--no-record')) {
    await appendRun(BENCHMARKS_FILE, `${header}\n${sections.join('\n')}`);
    log(`appended to ${BENCHMARKS_FILE}`);
  }
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
