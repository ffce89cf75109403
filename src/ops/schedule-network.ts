import { cronExpression, describeCadence, onCalendar, planCadence } from './cadence.js';
import { cronCommand, shellWord, systemdArgument, systemdPathWord, systemdProgram } from './quote.js';
import { LOG_DIR } from './schedule.js';

/** What a schedule of `network check` then `network report` needs; every path absolute. */
export interface NetworkSchedule {
  /** Seconds between checks (hourly by default). */
  readonly everySeconds: number;
  readonly node: string;
  readonly cli: string;
  readonly name: string;
  readonly configFile: string;
  /** Where the report is written (a folder a web server publishes). */
  readonly outDir: string;
  /** The history database. */
  readonly dbFile: string;
}

/** The two argv of one scheduled round: the check, then the report from the history. */
export function networkArgvs(input: NetworkSchedule): { readonly check: string[]; readonly report: string[] } {
  const common = ['--config', input.configFile, '--db', input.dbFile];
  return {
    check: [input.node, input.cli, 'network', 'check', ...common, '--quiet'],
    report: [input.node, input.cli, 'network', 'report', ...common, '--out', input.outDir, '--quiet'],
  };
}

/** A crontab line: the check, then the report whatever the check's exit (a suspect check exits 69 and is still worth a page). */
export function renderNetworkCron(input: NetworkSchedule): string {
  const cadence = planCadence(input.everySeconds, `${input.name}-network`, 'cron');
  const errFile = shellWord(`${LOG_DIR}/${input.name}-network.err`);
  const { check, report } = networkArgvs(input);
  const line = `${cronExpression(cadence)} ${cronCommand(`${check.map(shellWord).join(' ')} 2>>${errFile}; ${report.map(shellWord).join(' ')} 2>>${errFile}`)}`;
  return [
    `# mirrorsync: check every source of ${input.name} ${describeCadence(cadence)}, then rewrite the report`,
    `# in ${input.outDir} (index.html and archweb-style status.json, for a web server to publish).`,
    `# History: ${input.dbFile} (90 days). Install with \`crontab -e\`; create ${LOG_DIR} first.`,
    line,
    '',
  ].join('\n');
}

/** A systemd service (check, then report) and its timer, each under a `# --- <path> ---` line. */
export function renderNetworkSystemd(input: NetworkSchedule): string {
  const cadence = planCadence(input.everySeconds, `${input.name}-network`, 'systemd');
  const unit = `mirrorsync-${input.name}-network`;
  const exec = (argv: string[]) => {
    const [program = '', ...args] = argv;
    return [systemdProgram(program), ...args.map(systemdArgument)].join(' ');
  };
  const { check, report } = networkArgvs(input);
  return [
    `# mirrorsync: systemd units that check every source of ${input.name} ${describeCadence(cadence)} and rewrite the report.`,
    `# Save each part as the file its "---" line names, then: systemctl daemon-reload && systemctl enable --now ${unit}.timer`,
    `# --- /etc/systemd/system/${unit}.service ---`,
    '[Unit]',
    `Description=mirrorsync: check the ${input.name} mirrors and write the report`,
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=oneshot',
    '# "-": a suspect check (most sources failed) exits 69; the report still runs.',
    `ExecStart=-${exec(check)}`,
    `ExecStart=${exec(report)}`,
    'TimeoutStartSec=900',
    'ProtectSystem=strict',
    `ReadWritePaths=${systemdPathWord(input.outDir)} ${systemdPathWord(dirOf(input.dbFile))}`,
    'PrivateTmp=yes',
    'NoNewPrivileges=yes',
    '',
    `# --- /etc/systemd/system/${unit}.timer ---`,
    '[Unit]',
    `Description=mirrorsync: check the ${input.name} mirrors`,
    '',
    '[Timer]',
    `OnCalendar=${onCalendar(cadence)}`,
    'RandomizedDelaySec=300',
    'AccuracySec=1s',
    'Persistent=true',
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ].join('\n');
}

function dirOf(path: string): string {
  return path.slice(0, Math.max(1, path.lastIndexOf('/')));
}
