import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { closedPort, startDaemon, startFileServer, writeTrace, type Daemon, type Lab } from '../lab/index.js';

export const TRACE = 'zzz/timestamp.html';
export const HOUR = 3_600_000;

/** What a hostile mirror puts in its trace, status.json and log: each would set window.__pwned if it ever ran. */
export const HOSTILE = {
  trace: '<script>window.__pwned = "trace"</script>\n',
  statusError: '<img src=x onerror="window.__pwned = \'img\'"><script>window.__pwned = "status"</script>',
  logLine: '@ERROR: <script>window.__pwned = "log"</script> max connections reached',
};
export const MAX_CONNECTIONS_LINE = '@ERROR: max connections (2) reached -- try again later';

export interface MirrorLab {
  readonly configPath: string;
  /** The flapping mirror's daemon, stopped on odd checks. */
  readonly flapping: Daemon;
  /** The time the traces are dated from: the first simulated check. */
  readonly start: Date;
  /** Every mirror's name, in config order. */
  readonly names: readonly string[];
}

/** A status.json as mirrorsync writes it. */
export function ownStatus(result: 'synced' | 'failed', endedAt: Date, lastSuccessAt: Date, error: string | null): string {
  return JSON.stringify({
    result,
    mode: 'incremental',
    startedAt: new Date(endedAt.getTime() - 60_000).toISOString(),
    endedAt: endedAt.toISOString(),
    source: result === 'synced' ? 'master' : null,
    tried: [{ name: 'master', exitCode: result === 'synced' ? 0 : 5, error }],
    bytesReceived: 0,
    filesTransferred: 0,
    freshness: lastSuccessAt.toISOString(),
    lagSeconds: 0,
    lastSuccessAt: lastSuccessAt.toISOString(),
    error: error === null ? null : { code: 'sync.failed', message: error },
  });
}

async function tree(lab: Lab, name: string, traceAt: Date | string, own?: { status: string; log: string }): Promise<string> {
  const dir = lab.path('trees', name);
  await mkdir(join(dir, '.mirrorsync'), { recursive: true });
  if (typeof traceAt === 'string') {
    await mkdir(join(dir, 'zzz'), { recursive: true });
    await writeFile(join(dir, TRACE), traceAt);
  } else await writeTrace(dir, TRACE, traceAt);
  if (own !== undefined) {
    await writeFile(join(dir, '.mirrorsync', 'status.json'), own.status);
    await writeFile(join(dir, '.mirrorsync', 'last-run.log'), own.log);
  }
  return dir;
}

/**
 * The seven mirrors of the network test: master (fresh, rsync and HTTP), stale (3 d), flapping,
 * down, httponly, failedrun (its own last run failed, its log quotes rsync's @ERROR) and hostile
 * (HTML and script in its trace, status.json and log).
 */
export async function buildMirrorLab(lab: Lab, start: Date): Promise<MirrorLab> {
  const ago = (ms: number) => new Date(start.getTime() - ms);
  const daemon = async (name: string, dir: string) => (await startDaemon(lab, { name, tree: dir })).url;
  const http = async (dir: string) => (await startFileServer(lab, { root: dir })).url;

  const masterDir = await tree(lab, 'master', ago(HOUR), { status: ownStatus('synced', ago(HOUR), ago(HOUR), null), log: 'sent 1 bytes  received 2 bytes\n' });
  const staleDir = await tree(lab, 'stale', ago(72 * HOUR));
  const flappingDir = await tree(lab, 'flapping', ago(2 * HOUR));
  const httponlyDir = await tree(lab, 'httponly', ago(5 * HOUR));
  const failedDir = await tree(lab, 'failedrun', ago(36 * HOUR), {
    status: ownStatus('failed', ago(30 * 60_000), ago(36 * HOUR), 'every source failed: rsync exited with code 5'),
    log: `receiving incremental file list\n${MAX_CONNECTIONS_LINE}\nrsync error: error starting client-server protocol (code 5) at main.c(1863) [Receiver=3.2.7]\n`,
  });
  const hostileDir = await tree(lab, 'hostile', HOSTILE.trace, {
    status: ownStatus('failed', ago(HOUR), ago(HOUR), HOSTILE.statusError),
    log: `${HOSTILE.logLine}\n`,
  });
  const flapping = await startDaemon(lab, { name: 'flapping', tree: flappingDir });
  const sources = [
    { name: 'master', master: true, url: await daemon('master', masterDir), http: await http(masterDir) },
    { name: 'stale', url: await daemon('stale', staleDir) },
    { name: 'flapping', url: flapping.url },
    { name: 'down', url: `rsync://127.0.0.1:${await closedPort(lab)}/sage/` },
    { name: 'httponly', http: await http(httponlyDir) },
    { name: 'failedrun', url: await daemon('failedrun', failedDir), http: await http(failedDir) },
    { name: 'hostile', url: await daemon('hostile', hostileDir) },
  ];
  const configPath = lab.path('sage.json');
  await writeFile(configPath, JSON.stringify({ name: 'sage', target: lab.path('mirror'), trace: TRACE, sources, probe: { timeoutMs: 4000, samples: 1 } }, null, 2));
  return { configPath, flapping, start, names: sources.map((source) => source.name) };
}
