import assert from 'node:assert/strict';
import { chmod, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { buildNetwork, makeTree, useLab } from '../lab/index.js';
import { runCli } from '../support/cli.js';
import { cveWarning, parseRsyncVersion } from '../../src/sync/rsync-version.js';

describe('parseRsyncVersion and cveWarning', () => {
  const rows: ReadonlyArray<readonly [output: string, text: string | undefined, warns: boolean]> = [
    ['rsync  version 3.2.7  protocol version 31\nCopyright (C) 1996-2022 by Andrew Tridgell\n', '3.2.7', true],
    ['rsync  version 3.1.3  protocol version 31\n', '3.1.3', true],
    ['rsync  version v3.3.0  protocol version 31\n', '3.3.0', true],
    ['rsync  version 3.4.0  protocol version 32\n', '3.4.0', false],
    ['rsync  version 3.4.1  protocol version 32\n', '3.4.1', false],
    ['rsync  version 3.5.0  protocol version 32\n', '3.5.0', false],
    ['rsync  version 3.10.0  protocol version 33\n', '3.10.0', false],
    ['rsync  version 4.0.0pre1  protocol version 33\n', '4.0.0pre1', false],
    ['rsync  version 2.6.9  protocol version 29\n', '2.6.9', true],
    ['openrsync: protocol version 29\n', undefined, false],
    ['', undefined, false],
    [`rsync  version ${'9'.repeat(100000)}`, undefined, false],
  ];
  for (const [output, text, warns] of rows) {
    test(`${JSON.stringify(output.slice(0, 40))} → ${text ?? 'unknown'}${warns ? ', warns' : ''}`, () => {
      const version = parseRsyncVersion(output);
      assert.equal(version?.text, text);
      const warning = cveWarning(version, '/usr/bin/rsync');
      assert.equal(warning !== undefined, warns);
      if (warns) assert.match(warning ?? '', /CVE-2024-12084 to 12088.*rsync\.cve2024Patched/);
    });
  }

  test('the rsync on this machine parses', () => {
    assert.ok(parseRsyncVersion(execFileSync('rsync', ['--version'], { encoding: 'utf8' })) !== undefined);
  });
});

describe('the warning in a real sync', () => {
  test('an rsync that says 3.2.7 warns when a pass runs, and rsync.cve2024Patched silences it', async (t) => {
    const lab = await useLab(t);
    const tree = lab.path('trees', 'master');
    await makeTree(tree, { files: 5, seed: 'v' });
    // A wrapper that answers --version like Debian bookworm's rsync and runs the real one otherwise.
    const wrapper = lab.path('old-rsync');
    await writeFile(wrapper, '#!/bin/sh\nif [ "$1" = --version ]; then echo "rsync  version 3.2.7  protocol version 31"; exit 0; fi\nexec rsync "$@"\n');
    await chmod(wrapper, 0o755);
    const net = await buildNetwork(lab, { trace: null, rsync: { binary: wrapper }, sources: [{ name: 'master', master: true, tree: { dir: tree } }] });
    const warned = await runCli(['sync', '--config', net.configPath, '--full']);
    assert.equal(warned.code, 0, warned.stderr);
    assert.match(warned.stderr, /rsync 3\.2\.7, older than 3\.4\.0.*CVE-2024-12084 to 12088/);
    await net.reconfigure({ rsync: { binary: wrapper, cve2024Patched: true } });
    const silenced = await runCli(['sync', '--config', net.configPath, '--full']);
    assert.equal(silenced.code, 0, silenced.stderr);
    assert.doesNotMatch(silenced.stderr, /CVE-2024/);
  });
});
