import { cadenceSeconds, describeCadence, onCalendar, planCadence, type Cadence } from './cadence.js';
import { shellWord, systemdArgument, systemdPathWord, systemdProgram } from './quote.js';
import { CONFIG_DIR, runDeadlineSeconds, syncArgv, type MirrorSchedule, type ScheduleUser } from './schedule.js';

/** What the instance units (mirrorsync@.service/.timer) need: no single mirror, one config each. */
export interface TemplateSchedule {
  readonly everySeconds: number;
  readonly node: string;
  readonly cli: string;
  /** The folder every instance may write (the mirrors' common parent). */
  readonly writableRoot: string;
  readonly maxDurationSeconds: number;
  readonly user?: ScheduleUser;
}

export const UNIT_DIR = '/etc/systemd/system';
const METRICS_DIR = '/var/lib/prometheus/node-exporter';

/** `mirrorsync-<name>.service` and `.timer`, each under a `# --- <path> ---` line. */
export function renderSystemd(input: MirrorSchedule): string {
  const cadence = planCadence(input.everySeconds, input.name, 'systemd');
  const unit = `mirrorsync-${input.name}`;
  const [program = '', ...args] = syncArgv(input);
  const execStart = [systemdProgram(program), ...args.map(systemdArgument)].join(' ');
  return [
    `# mirrorsync: systemd units that sync the ${input.name} mirror ${describeCadence(cadence)}.`,
    '# Save each part as the file its "---" line names, then:',
    `#   mkdir -p ${shellWord(input.target)} && systemctl daemon-reload && systemctl enable --now ${unit}.timer`,
    `# (systemd refuses to start a unit whose ReadWritePaths= folder is missing, hence the mkdir).`,
    `# Watch it with: systemctl list-timers ${unit}.timer; journalctl -u ${unit}.service`,
    `# --- ${UNIT_DIR}/${unit}.service ---`,
    ...service({
      description: `mirrorsync: sync the ${input.name} mirror`,
      execStart,
      writable: systemdPathWord(input.target),
      metricsFile: `${METRICS_DIR}/${unit}.prom`,
      maxDurationSeconds: input.maxDurationSeconds,
      writableNote: [],
      ...(input.user === undefined ? {} : { user: input.user.name }),
    }),
    `# --- ${UNIT_DIR}/${unit}.timer ---`,
    ...timer(cadence, `mirrorsync: sync the ${input.name} mirror`, 'The minute comes from the mirror\'s name; with the random delay, mirrors sharing a master do not all knock at once.'),
  ].join('\n');
}

/** `mirrorsync@.service` and `.timer`: one host, many mirrors, `/etc/mirrorsync/<instance>.json` each. */
export function renderSystemdTemplate(input: TemplateSchedule): string {
  const cadence = planCadence(input.everySeconds, undefined, 'systemd');
  // %i is written raw: it is the specifier systemd replaces with the instance name.
  const execStart = [systemdProgram(input.node), systemdArgument(input.cli), 'sync', '--config', `${CONFIG_DIR}/%i.json`].join(' ');
  return [
    `# mirrorsync: systemd instance units, one mirror per instance, each run ${describeCadence(cadence)}.`,
    `# For a mirror NAME: write its config to ${CONFIG_DIR}/NAME.json, save each part below as the`,
    '# file its "---" line names, then: systemctl daemon-reload && systemctl enable --now mirrorsync@NAME.timer',
    '# Watch them with: systemctl list-timers \'mirrorsync@*\'; journalctl -u mirrorsync@NAME.service',
    `# --- ${UNIT_DIR}/mirrorsync@.service ---`,
    ...service({
      description: 'mirrorsync: sync the %i mirror',
      execStart,
      writable: systemdPathWord(input.writableRoot),
      metricsFile: `${METRICS_DIR}/mirrorsync-%i.prom`,
      maxDurationSeconds: input.maxDurationSeconds,
      ...(input.user === undefined ? {} : { user: input.user.name }),
      writableNote: [
        '# systemd cannot read each instance\'s target out of its JSON config, so every instance may',
        `# write anywhere under ${input.writableRoot}: keep the targets there, or give one instance its own`,
        '# folder with `systemctl edit mirrorsync@NAME.service` ([Service] ReadWritePaths=/its/target).',
      ],
    }),
    `# --- ${UNIT_DIR}/mirrorsync@.timer ---`,
    ...timer(cadence, 'mirrorsync: sync the %i mirror', 'All instances share the grid; the random delay spreads them apart.'),
  ].join('\n');
}

export interface ServiceParts {
  readonly description: string;
  readonly execStart: string;
  readonly writable: string;
  /** Absent when the metrics file is configured elsewhere (host.json). */
  readonly metricsFile?: string;
  readonly maxDurationSeconds: number;
  readonly writableNote: readonly string[];
  /** Replaces the per-run backstop (a host run holds many mirrors' runs). */
  readonly timeoutStartSec?: string;
  /** The dedicated user the service runs as (--user); otherwise a commented-out User= line. */
  readonly user?: string;
}

export function service(parts: ServiceParts): string[] {
  return [
    '[Unit]',
    `Description=${parts.description}`,
    'Wants=network-online.target',
    'After=network-online.target',
    '',
    '[Service]',
    'Type=oneshot',
    ...(parts.user === undefined
      ? ['# Runs as root unless User=/Group= name the owner of the target (recommended).', '#User=mirror']
      : ['# The owner of the target; its primary group too, unless Group= says otherwise.', `User=${parts.user}`]),
    `ExecStart=${parts.execStart}`,
    ...(parts.metricsFile === undefined
      ? []
      : [
          '# For node_exporter\'s textfile collector, append to ExecStart',
          `#   --metrics-file ${parts.metricsFile}`,
          `# and add ReadWritePaths=${METRICS_DIR} (left out: that folder exists only where the collector is set up).`,
        ]),
    '# Logs go to the journal. Hooks from the config run inside the same sandbox.',
    `# A backstop only: mirrorsync stops each rsync pass after rsync.maxDurationSeconds (${parts.maxDurationSeconds}s) itself.`,
    `TimeoutStartSec=${parts.timeoutStartSec ?? runDeadlineSeconds(parts.maxDurationSeconds)}`,
    '# SIGTERM to mirrorsync alone: it stops rsync, releases the lock and records "interrupted".',
    'KillMode=mixed',
    'TimeoutStopSec=60',
    'Nice=10',
    'IOSchedulingClass=idle',
    'ProtectSystem=strict',
    ...parts.writableNote,
    `ReadWritePaths=${parts.writable}`,
    'ProtectHome=read-only',
    'PrivateTmp=yes',
    'PrivateDevices=yes',
    'NoNewPrivileges=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectControlGroups=yes',
    'RestrictSUIDSGID=yes',
    'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6',
    '# No MemoryDenyWriteExecute=: Node\'s JIT compiler needs it off.',
    '',
  ];
}

export function timer(cadence: Cadence, description: string, spreadNote: string): string[] {
  // A tenth of the period, at most 15 minutes: enough to spread load, small against the period.
  const delay = Math.min(Math.round(cadenceSeconds(cadence) / 10), 900);
  return [
    '[Unit]',
    `Description=${description}`,
    '',
    '[Timer]',
    `# ${spreadNote}`,
    `OnCalendar=${onCalendar(cadence)}`,
    `RandomizedDelaySec=${delay}`,
    '# The default 1 minute accuracy would round the minute offset and the random delay away.',
    'AccuracySec=1s',
    '# A run missed while the machine was off starts soon after boot.',
    'Persistent=true',
    '',
    '[Install]',
    'WantedBy=timers.target',
    '',
  ];
}
