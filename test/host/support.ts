import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTree, startDaemon, TRACE_PATH, type Daemon, type Lab, type TreeSpec } from '../lab/index.js';

export interface UpstreamSpec {
  readonly name: string;
  /** Daemon-side --bwlimit (KiB/s) per connection: makes a transfer last long enough to overlap. */
  readonly bwlimitKBps?: number;
}

export interface LabMirror {
  readonly name: string;
  /** The upstream daemon's name, and the folder of the module that holds this mirror's tree. */
  readonly upstream: string;
  readonly tree?: Partial<TreeSpec>;
  /** Extra keys of the mirror file (target, filters, rsync...). */
  readonly extra?: Record<string, unknown>;
}

export interface LabHost {
  readonly dir: string;
  readonly daemons: ReadonlyMap<string, Daemon>;
  target(mirror: string): string;
  /** The source tree of a mirror (under its daemon's module). */
  tree(mirror: string): string;
  writeMirror(mirror: LabMirror): Promise<void>;
}

/**
 * A config dir in the lab: one rsync daemon per upstream, each mirror a folder of its upstream's
 * module with a tree and a trace, host.json as given.
 */
export async function buildHost(lab: Lab, spec: { host: Record<string, unknown>; upstreams: readonly UpstreamSpec[]; mirrors: readonly LabMirror[] }): Promise<LabHost> {
  const dir = lab.path('etc');
  await mkdir(join(dir, 'mirrors'), { recursive: true });
  await writeFile(join(dir, 'host.json'), JSON.stringify({ stateDir: lab.path('state'), ...spec.host }));
  const daemons = new Map<string, Daemon>();
  for (const upstream of spec.upstreams) {
    const tree = lab.path('upstreams', upstream.name);
    await mkdir(tree, { recursive: true });
    daemons.set(upstream.name, await startDaemon(lab, { name: upstream.name, tree, ...(upstream.bwlimitKBps === undefined ? {} : { bwlimitKBps: upstream.bwlimitKBps }) }));
  }
  const host: LabHost = {
    dir,
    daemons,
    target: (mirror) => lab.path('mirrors', mirror),
    tree: (mirror) => lab.path('upstreams', upstreamOf(mirror), mirror),
    async writeMirror(mirror) {
      const daemon = daemons.get(mirror.upstream);
      if (daemon === undefined) throw new Error(`no upstream ${mirror.upstream}`);
      const doc = {
        target: host.target(mirror.name),
        trace: TRACE_PATH,
        sources: [{ name: mirror.upstream, url: `${daemon.url}${mirror.name}/`, master: true }],
        rsync: { timeoutSeconds: 30, connectTimeoutSeconds: 5, retries: 0, retryDelaySeconds: 0 },
        probe: { timeoutMs: 10_000, samples: 1 },
        ...mirror.extra,
      };
      await writeFile(join(dir, 'mirrors', `${mirror.name}.json`), JSON.stringify(doc, null, 2));
    },
  };
  const upstreams = new Map(spec.mirrors.map((mirror) => [mirror.name, mirror.upstream]));
  const upstreamOf = (mirror: string) => upstreams.get(mirror) ?? '?';
  for (const mirror of spec.mirrors) {
    await makeTree(host.tree(mirror.name), { files: 8, bytesPerFile: 8192, seed: mirror.name, trace: { path: TRACE_PATH, at: new Date(Date.now() - 3_600_000) }, ...mirror.tree });
    await host.writeMirror(mirror);
  }
  return host;
}

/** One connection in a daemon log: where it starts and ends in the log's order, and what it sent. */
export interface Connection {
  readonly pid: string;
  readonly first: number;
  readonly last: number;
  readonly sent: readonly string[];
}

/**
 * The connections of an rsync daemon log, by the daemon child's PID. The log is appended in the
 * order things happen, so line order is time order at a finer grain than its one-second stamps:
 * a transfer whose "connect" line comes before another's final "sent ... bytes" line overlapped it.
 */
export function connections(log: string): Connection[] {
  const byPid = new Map<string, { first: number; last: number; sent: string[] }>();
  const pidsOfDaemon = new Set<string>();
  log.split('\n').forEach((line, index) => {
    const match = /^\S+ \S+ \[(\d+)\] (.*)$/.exec(line);
    // The daemon's own lines (start-up, listening) are not connections.
    if (match === null || pidsOfDaemon.has(match[1] ?? '')) return;
    if (/^rsyncd version .* starting/.test(match[2] ?? '')) {
      pidsOfDaemon.add(match[1] ?? '');
      return;
    }
    const [, pid = '', text = ''] = match;
    const entry = byPid.get(pid) ?? { first: index, last: index, sent: [] };
    entry.last = index;
    const sent = /^send \S+ \[[^\]]*\] \S+ \([^)]*\) (\S+) \d+/.exec(text)?.[1];
    if (sent !== undefined) entry.sent.push(sent);
    byPid.set(pid, entry);
  });
  return [...byPid.entries()].map(([pid, entry]) => ({ pid, ...entry }));
}

/** The log lines of clients asking for a module (probes and passes; the lab's readiness check asks for none). */
export function moduleRequests(log: string): string[] {
  return log.split('\n').filter((line) => /\] rsync (?:on|allowed access on module) /.test(line));
}

/** Connections that carried a tree (any file but the trace): the rsync passes, not the probes. */
export function transfers(log: string): Connection[] {
  return connections(log).filter((connection) => connection.sent.some((path) => !path.endsWith(TRACE_PATH)));
}

/** The most transfers that were open at once. */
export function peakConcurrency(list: readonly Connection[]): number {
  const events = list.flatMap((connection) => [
    { at: connection.first, delta: 1 },
    { at: connection.last, delta: -1 },
  ]);
  events.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let open = 0;
  let peak = 0;
  for (const event of events) {
    open += event.delta;
    peak = Math.max(peak, open);
  }
  return peak;
}
