import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import { formatProgress } from '../../src/cli/progress-line.js';
import { parseProgress } from '../../src/sync/progress.js';
import { buildNetwork, HOUR_MS, TRACE_PATH, useLab } from '../lab/index.js';
import { cliPath } from '../support/paths.js';

const FILE_BYTES = 1536 * 1024;
const BWLIMIT_KBPS = 256;

/** Runs the CLI under script(1), which gives it a pseudo-terminal as a person at a shell has. */
function runOnTerminal(args: readonly string[]): Promise<string> {
  const command = [process.execPath, cliPath, ...args].map((arg) => `'${arg}'`).join(' ');
  return new Promise<string>((resolve, reject) => {
    const child = spawn('script', ['-qefc', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`exit ${code}: ${text}`))));
  });
}

describe('the progress line', () => {
  test('inside one big file, it moves while the file arrives (rsync redraws its line with \\r), and the pass start is logged', async (t) => {
    const lab = await useLab(t);
    // One file that takes about six seconds at the daemon's --bwlimit: rsync's progress2 redraws
    // about once a second inside it, and only its end would show if output were split on \n alone.
    const net = await buildNetwork(lab, {
      sources: [{ name: 'master', master: true, bwlimitKBps: BWLIMIT_KBPS, tree: { files: 1, bytesPerFile: FILE_BYTES, trace: { path: TRACE_PATH, at: new Date(Date.now() - HOUR_MS) } } }],
    });
    const output = await runOnTerminal(['sync', '--config', net.configPath]);
    const drawn = [...output.matchAll(/\r\x1b\[Kmaster: +(\d+)%  ([\d.]+) (KiB|MiB)  ([\d.]+) (KiB|MiB)\/s  ETA (\d+:\d{2}:\d{2})/g)];
    const beforeTheEnd = new Set(drawn.filter((match) => Number(match[1]) < 100).map((match) => `${match[2]} ${match[3]}`));
    assert.ok(beforeTheEnd.size >= 3, `only ${beforeTheEnd.size} distinct progress updates before the file ended:\n${JSON.stringify(output)}`);
    assert.ok(drawn.some((match) => match[1] === '100'), 'the last update says 100%');
    assert.match(output, /bulk pass from master: starting/);
  });

  test('bytes and rate are shown in the same binary units, whatever rsync printed', () => {
    const progress = parseProgress('  1,288,490,188  45%   12.30MB/s    0:01:40 (xfr#3, to-chk=10/20)');
    assert.ok(progress !== undefined);
    assert.equal(formatProgress('alt', progress), 'alt:  45%  1.20 GiB  12.3 MiB/s  ETA 0:01:40');
    const slow = parseProgress('        524,288   3%  500.00kB/s    0:00:30');
    assert.ok(slow !== undefined);
    assert.equal(formatProgress('alt', slow), 'alt:   3%  512.0 KiB  500.0 KiB/s  ETA 0:00:30');
  });
});
