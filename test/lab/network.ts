import { mkdir, writeFile } from 'node:fs/promises';
import { startDaemon, type Daemon } from './daemon.js';
import type { Lab } from './lab.js';
import { closedPort } from './ports.js';
import { startTraceHttpServer, type HttpMode } from './http-server.js';
import { startStallServer, type StallServer } from './stall-server.js';
import { makeTree, type TreeSpec } from './tree.js';

export const TRACE_PATH = 'zzz/timestamp.html';
export const HOUR_MS = 3_600_000;

/** One source of a lab network: a daemon over a tree, a port that stalls, or one where nothing listens. */
export type SourceSpec =
  | {
      readonly name: string;
      readonly kind?: 'daemon' | 'http-only';
      readonly tree: TreeSpec | { readonly dir: string };
      readonly master?: boolean;
      readonly priority?: number;
      readonly bwlimitKBps?: number;
      readonly auth?: { user: string; password: string };
      readonly maxConnections?: number;
      /** Also serve the tree over HTTP (the source gets `http`), in this mode. `http-only` sources have no daemon. */
      readonly httpMode?: HttpMode;
    }
  | { readonly name: string; readonly kind: 'stall' | 'closed'; readonly master?: boolean; readonly priority?: number };

export interface NetworkSpec {
  readonly sources: readonly SourceSpec[];
  /** Config overrides merged into the generated sources.json. */
  readonly rsync?: Record<string, unknown>;
  readonly probe?: Record<string, unknown>;
  readonly trace?: string | null;
  /** Put the password of authenticated daemons into the URL (else a passwordFile). */
  readonly passwordInUrl?: boolean;
}

export interface Network {
  readonly configPath: string;
  readonly target: string;
  readonly daemons: ReadonlyMap<string, Daemon>;
  readonly stalls: ReadonlyMap<string, StallServer>;
  /** The tree each daemon serves. */
  tree(name: string): string;
  daemon(name: string): Daemon;
  /** Rewrites sources.json with more overrides (the network stays up). */
  reconfigure(overrides: Partial<Pick<NetworkSpec, 'rsync' | 'probe'>>): Promise<void>;
}

/**
 * Builds a mirror network on 127.0.0.1: one rsync daemon per tree source, fault servers for the
 * others, and a sources.json naming them all, with timeouts a busy machine meets.
 */
export async function buildNetwork(lab: Lab, spec: NetworkSpec): Promise<Network> {
  const daemons = new Map<string, Daemon>();
  const stalls = new Map<string, StallServer>();
  const trees = new Map<string, string>();
  const entries: Record<string, unknown>[] = [];
  for (const source of spec.sources) {
    const entry: Record<string, unknown> = { name: source.name, master: source.master === true, priority: source.priority ?? 0 };
    if (!('tree' in source)) {
      if (source.kind === 'stall') {
        const stall = await startStallServer(lab);
        stalls.set(source.name, stall);
        entry['url'] = stall.url;
      } else {
        entry['url'] = `rsync://127.0.0.1:${await closedPort(lab)}/${lab.module}/`;
      }
    } else {
      let dir: string;
      if ('dir' in source.tree) dir = source.tree.dir;
      else {
        dir = lab.path('trees', source.name);
        await mkdir(dir, { recursive: true });
        await makeTree(dir, source.tree);
      }
      trees.set(source.name, dir);
      if (source.httpMode !== undefined || source.kind === 'http-only') {
        const server = await startTraceHttpServer(lab, { root: dir, mode: source.httpMode ?? 'normal' });
        entry['http'] = server.url;
      }
      if (source.kind === 'http-only') {
        entries.push(entry);
        continue;
      }
      const daemon = await startDaemon(lab, {
        name: source.name,
        tree: dir,
        ...(source.bwlimitKBps === undefined ? {} : { bwlimitKBps: source.bwlimitKBps }),
        ...(source.auth === undefined ? {} : { auth: source.auth }),
        ...(source.maxConnections === undefined ? {} : { maxConnections: source.maxConnections }),
      });
      daemons.set(source.name, daemon);
      if (source.auth === undefined) entry['url'] = daemon.url;
      else if (spec.passwordInUrl !== false) {
        entry['url'] = daemon.url.replace('rsync://', `rsync://${source.auth.user}:${encodeURIComponent(source.auth.password)}@`);
      } else {
        const passwordFile = lab.path(`${source.name}.password`);
        await writeFile(passwordFile, `${source.auth.password}\n`, { mode: 0o600 });
        entry['url'] = daemon.url.replace('rsync://', `rsync://${source.auth.user}@`);
        entry['passwordFile'] = passwordFile;
      }
    }
    entries.push(entry);
  }
  const configPath = lab.path('sources.json');
  const target = lab.path('mirror');
  let overrides = { rsync: spec.rsync ?? {}, probe: spec.probe ?? {} };
  const write = () =>
    writeFile(
      configPath,
      `${JSON.stringify(
        {
          name: 'sage',
          target,
          ...(spec.trace === null ? {} : { trace: spec.trace ?? TRACE_PATH }),
          sources: entries,
          // Wide enough for a busy 2-core machine: a healthy source answers long before these.
          // A test that waits for one to fire sets its own (and pays for it in run time).
          rsync: { timeoutSeconds: 15, connectTimeoutSeconds: 10, retries: 1, retryDelaySeconds: 0, ...overrides.rsync },
          probe: { timeoutMs: 10_000, samples: 1, ...overrides.probe },
        },
        null,
        2,
      )}\n`,
    );
  await write();
  return {
    configPath,
    target,
    daemons,
    stalls,
    tree(name) {
      const dir = trees.get(name);
      if (dir === undefined) throw new Error(`no tree for ${name}`);
      return dir;
    },
    daemon(name) {
      const daemon = daemons.get(name);
      if (daemon === undefined) throw new Error(`no daemon for ${name}`);
      return daemon;
    },
    async reconfigure(more) {
      overrides = { rsync: { ...overrides.rsync, ...more.rsync }, probe: { ...overrides.probe, ...more.probe } };
      await write();
    },
  };
}

