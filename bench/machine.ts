import { execFileSync } from 'node:child_process';
import { cpus, loadavg, release, totalmem } from 'node:os';

/** The machine a run measured, as written at the head of each run's section. */
export interface Machine {
  readonly cores: number;
  readonly memoryGiB: number;
  readonly cpuModel: string;
  readonly kernel: string;
  readonly node: string;
  readonly rsync: string;
  /** 1, 5 and 15 minute load averages. */
  readonly load: readonly number[];
}

export function describeMachine(): Machine {
  const cpuList = cpus();
  let rsync = 'not found';
  try {
    rsync = /version\s+(\S+)\s+protocol version (\d+)/.exec(execFileSync('rsync', ['--version'], { encoding: 'utf8' }))?.slice(1).join(', protocol ') ?? '?';
  } catch {
    // Reported as not found; every benchmark will then fail loudly on its own.
  }
  return {
    cores: cpuList.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    cpuModel: cpuList[0]?.model.trim() ?? '?',
    kernel: release(),
    node: process.version,
    rsync,
    load: loadavg().map((value) => Math.round(value * 100) / 100),
  };
}

export function formatMachine(machine: Machine): string {
  return [
    `${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB} GiB memory, Linux ${machine.kernel}`,
    `Node ${machine.node}, rsync ${machine.rsync}`,
    `load average at start: ${machine.load.join(' / ')} (1 / 5 / 15 min)`,
  ].join('; ');
}
