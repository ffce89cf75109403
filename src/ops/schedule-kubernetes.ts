import { cadenceSeconds, cronExpression, describeCadence, planCadence } from './cadence.js';
import { shellWord, yamlString } from './quote.js';
import { CONFIG_DIR, runDeadlineSeconds, type MirrorSchedule } from './schedule.js';

export interface KubernetesSchedule extends MirrorSchedule {
  /** Tag for the placeholder image name (the CLI's version). */
  readonly version: string;
}

/** A CronJob object name: a DNS label of at most 52 characters (the controller appends 11 for its Jobs). */
export function kubernetesName(name: string): string {
  const label = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+/, '')
    .slice(0, 52 - 'mirrorsync-'.length)
    .replace(/-+$/, '');
  return `mirrorsync-${label === '' ? 'mirror' : label}`;
}

// The pod runs as the dedicated user's ids; the volume is made group-writable for them (fsGroup).
function securityContext(input: KubernetesSchedule): string[] {
  const user = input.user;
  if (user?.uid === undefined) {
    return ['          # Runs as the image\'s user (often root): `schedule --user NAME` sets runAsUser to that user\'s ids.'];
  }
  const gid = user.gid ?? user.uid;
  return [
    `          # The ids of ${user.name} on the host that printed this: the owner of the tree.`,
    '          securityContext:',
    `            runAsUser: ${user.uid}`,
    `            runAsGroup: ${gid}`,
    `            fsGroup: ${gid}`,
    '            runAsNonRoot: true',
  ];
}

/** A batch/v1 CronJob running `mirrorsync sync` on the schedule cron would use, the tree on a volume. */
export function renderKubernetes(input: KubernetesSchedule): string {
  const cadence = planCadence(input.everySeconds, input.name, 'kubernetes');
  const name = kubernetesName(input.name);
  const instance = name.slice('mirrorsync-'.length);
  const configInPod = `${CONFIG_DIR}/sources.json`;
  const labels = (indent: string): string[] => [
    `${indent}labels:`,
    `${indent}  app.kubernetes.io/name: mirrorsync`,
    `${indent}  app.kubernetes.io/instance: ${yamlString(instance)}`,
  ];
  return [
    `# mirrorsync: a Kubernetes CronJob that syncs the ${input.name} mirror ${describeCadence(cadence)}`,
    '# (in the controller\'s time zone, UTC on most clusters).',
    '#',
    '# mirrorsync is not published as a container image: build one holding Node 20, rsync and a',
    '# built mirrorsync (npm ci && npm run build) with `mirrorsync` on PATH, and put its name below.',
    `# The config goes in a ConfigMap, mounted at ${CONFIG_DIR}:`,
    `#   kubectl create configmap ${name} --from-file=sources.json=${shellWord(input.configFile)}`,
    '# Keep passwords out of it: mount a Secret and point the sources\' passwordFile at it.',
    `# The tree lives on the PersistentVolumeClaim ${name}, mounted at the config's target`,
    '# (ReadWriteOnce is enough: concurrencyPolicy Forbid never runs two jobs at once).',
    'apiVersion: batch/v1',
    'kind: CronJob',
    'metadata:',
    `  name: ${name}`,
    ...labels('  '),
    'spec:',
    `  schedule: ${yamlString(cronExpression(cadence))}`,
    '  concurrencyPolicy: Forbid',
    '  # A run that could not start on time is still worth starting until the next one is due.',
    `  startingDeadlineSeconds: ${cadenceSeconds(cadence)}`,
    '  successfulJobsHistoryLimit: 3',
    '  failedJobsHistoryLimit: 3',
    '  jobTemplate:',
    '    spec:',
    '      # mirrorsync retries and fails over by itself; the next scheduled run is the retry.',
    '      backoffLimit: 0',
    `      # A backstop: mirrorsync stops each rsync pass after rsync.maxDurationSeconds (${input.maxDurationSeconds}s) itself.`,
    `      activeDeadlineSeconds: ${runDeadlineSeconds(input.maxDurationSeconds)}`,
    '      template:',
    '        metadata:',
    ...labels('          '),
    '        spec:',
    '          restartPolicy: Never',
    ...securityContext(input),
    '          # SIGTERM lets mirrorsync stop rsync, release the lock and record "interrupted".',
    '          terminationGracePeriodSeconds: 60',
    '          containers:',
    '            - name: mirrorsync',
    `              image: ${yamlString(`registry.example.org/mirrorsync:${input.version}`)}`,
    `              command: ${JSON.stringify(['mirrorsync', 'sync', '--config', configInPod])}`,
    '              volumeMounts:',
    '                - name: config',
    `                  mountPath: ${yamlString(CONFIG_DIR)}`,
    '                  readOnly: true',
    '                - name: tree',
    `                  mountPath: ${yamlString(input.target)}`,
    '          volumes:',
    '            - name: config',
    '              configMap:',
    `                name: ${name}`,
    '            - name: tree',
    '              persistentVolumeClaim:',
    `                claimName: ${name}`,
    '',
  ].join('\n');
}
