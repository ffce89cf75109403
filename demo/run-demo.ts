import { spawn } from 'node:child_process';
import { cp, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildNetwork, createLab, HOUR_MS, makeTree, TRACE_PATH, writeTrace, type Network } from '../test/lab/index.js';
import { cliPath } from '../test/support/paths.js';
import { hostDemo } from './host-demo.js';

// The main job on a mirror network of rsync daemons on 127.0.0.1: rank, bootstrap from an
// alternate, an update at the master, an incremental sync, a no-op, a failover, and the status.

const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text);

function scene(title: string): void {
  process.stdout.write(`\n${bold(`== ${title}`)}\n`);
}

/** Runs the real CLI with the terminal as its stdio, and says how it ended. */
function mirrorsync(args: readonly string[], options: { killAfterMs?: () => Promise<void> } = {}): Promise<number | null> {
  process.stdout.write(`${bold(`$ mirrorsync ${args.join(' ')}`)}\n`);
  const started = performance.now();
  const child = spawn(process.execPath, [cliPath, ...args], { stdio: 'inherit' });
  void options.killAfterMs?.();
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      process.stdout.write(`(exit ${code ?? 'signal'}, ${((performance.now() - started) / 1000).toFixed(2)} s)\n`);
      resolve(code);
    });
  });
}

async function publish(net: Network, release: string, files: number, at: Date): Promise<void> {
  const master = net.tree('master');
  await makeTree(join(master, release), { files, bytesPerFile: 16_384, seed: release });
  await writeTrace(master, TRACE_PATH, at);
}

async function main(): Promise<void> {
  const lab = await createLab();
  try {
    const now = Date.now();
    const published = new Date(now - 2 * HOUR_MS);
    const masterDir = lab.path('trees', 'master');
    await makeTree(masterDir, { files: 400, bytesPerFile: 8_192, seed: 'sage-10.7', trace: { path: TRACE_PATH, at: published } });
    const altDir = lab.path('trees', 'alt');
    await cp(masterDir, altDir, { recursive: true, preserveTimestamps: true });
    const net = await buildNetwork(lab, {
      sources: [
        { name: 'master', master: true, tree: { dir: masterDir } },
        // The alternate serves at about 4 MB/s so that the failover scene can stop it mid-transfer.
        { name: 'alt', priority: -1, bwlimitKBps: 4_000, tree: { dir: altDir } },
        { name: 'stale', tree: { files: 300, bytesPerFile: 8_192, seed: 'sage-10.6', trace: { path: TRACE_PATH, at: new Date(now - 74 * HOUR_MS) } } },
        { name: 'dead', kind: 'closed' },
      ],
      rsync: { timeoutSeconds: 5, retries: 0 },
    });
    const config = ['--config', net.configPath];
    process.stdout.write(`lab network in ${lab.root}\nmirror target: ${net.target}\n`);

    scene('1. The configured sources (master, a fresh alternate, a mirror 3 days stale, one that is down)');
    await mirrorsync(['sources', 'list', ...config]);

    scene('2. Ranking for a new mirror: the master is kept for last, the stale and dead ones are explained');
    await mirrorsync(['sources', 'rank', ...config]);

    scene('3. Bootstrap: the first full sync comes from the alternate, not the master');
    await mirrorsync(['sync', ...config]);

    scene('4. The master publishes a release; the alternate has not picked it up yet');
    await publish(net, 'sage-10.8', 60, new Date(now - HOUR_MS));
    await mirrorsync(['sources', 'rank', ...config]);

    scene('5. Incremental sync: only the difference, from the one source that has it');
    await mirrorsync(['sync', ...config]);

    scene('6. The scheduled run that finds nothing new: a no-op, no rsync pass');
    await mirrorsync(['sync', ...config]);

    scene('7. Failover: a bigger release reaches the master and the alternate; the alternate dies mid-transfer');
    await publish(net, 'sage-10.9', 400, new Date(now - 30 * 60_000));
    await cp(masterDir, altDir, { recursive: true, preserveTimestamps: true, force: true });
    await mirrorsync(['sync', ...config], {
      killAfterMs: async () => {
        await waitForFiles(join(net.target, 'sage-10.9'), 20);
        process.stdout.write('!! killing the alt daemon and its transfers\n');
        await net.daemon('alt').kill();
      },
    });

    scene('8. Status, as monitoring reads it (a monitoring plugin: exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)');
    await mirrorsync(['status', ...config]);
    process.stdout.write(`\n${bold(`$ cat ${join(net.target, '.mirrorsync', 'trace')}`)}\n${await readFile(join(net.target, '.mirrorsync', 'trace'), 'utf8')}`);
    const metrics = lab.path('mirrorsync.prom');
    scene('9. Metrics for node_exporter (a no-op run writes them too)');
    await mirrorsync(['sync', ...config, '--quiet', '--metrics-file', metrics]);
    process.stdout.write((await readFile(metrics, 'utf8')).split('\n').filter((line) => line !== '' && !line.startsWith('#')).join('\n') + '\n');

    await hostDemo(lab, { mirrorsync, scene, bold });
    await writeFile(lab.path('done'), '');
  } finally {
    await lab.dispose();
  }
}

async function waitForFiles(dir: string, count: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const found = await countBelow(dir);
    if (found >= count) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function countBelow(dir: string): Promise<number> {
  try {
    const entries = await readdir(dir, { recursive: true });
    return entries.length;
  } catch {
    return 0;
  }
}

await main();
