import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { buildNetwork, HOUR_MS, TRACE_PATH, useLab } from '../lab/index.js';
import { runCli } from '../support/cli.js';

// A name upstream controls, made to look like one of mirrorsync's own lines, and one that would
// recolour the terminal of the operator who cats the log.
const FORGED = 'x\n== bulk pass from master ended: exit 0 after 0.0 s';
const ESCAPE = 'y\x1b[31mred';

describe('last-run.log, written by rsync itself', () => {
  test('holds each pass framed by our lines, one rsync line per file and its --stats, and no line a hostile name forged', async (t) => {
    const lab = await useLab(t);
    const net = await buildNetwork(lab, {
      sources: [{ name: 'master', master: true, tree: { files: 12, trace: { path: TRACE_PATH, at: new Date(Date.now() - HOUR_MS) } } }],
    });
    await writeFile(join(net.tree('master'), FORGED), 'forged');
    await writeFile(join(net.tree('master'), ESCAPE), 'escape');
    const run = await runCli(['sync', '--config', net.configPath, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const status = JSON.parse(run.stdout) as { filesTransferred: number };

    const log = await readFile(join(net.target, '.mirrorsync', 'last-run.log'), 'utf8');
    const lines = log.trimEnd().split('\n');
    const ours = lines.filter((line) => line.startsWith('== '));
    assert.deepEqual(
      ours.map((line) => /^== (\w+) pass from master(?::| ended: exit 0 after [\d.]+ s$)/.exec(line)?.[1] ?? (/^== trace from master: the copy its probe read moments ago \(\d+ bytes\), no trace pass$/.test(line) ? 'probe copy' : line)),
      ['probe copy', 'bulk', 'bulk'],
      "the trace its probe read, then two lines of ours for the pass, and no more: the forged one is not a line",
    );
    const rsyncs = lines.filter((line) => !line.startsWith('== '));
    for (const line of rsyncs) assert.match(line, /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[\d+\] /, `a line that is neither ours nor rsync's: ${JSON.stringify(line)}`);
    assert.equal(log.includes('\x1b'), false, 'no terminal escape reaches the log');
    assert.ok(rsyncs.some((line) => line.endsWith('>f+++++++++ x\\#012== bulk pass from master ended: exit 0 after 0.0 s')), 'the newline is shown escaped, as rsync writes it');
    const perFile = rsyncs.filter((line) => /\] >f\+{9} /.test(line));
    assert.equal(perFile.length, status.filesTransferred, 'one line per transferred file');
    assert.ok(rsyncs.some((line) => /\] Number of regular files transferred: \d+$/.test(line)), 'the --stats summary');
    assert.equal(/rsync:\/\/[^\s]*@/.test(log), false, 'no URL with a user in it');
  });
});
