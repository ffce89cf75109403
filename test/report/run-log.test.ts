import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFile, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openRunLog, redactCredentials, runLogPath } from '../../src/report/run-log.js';
import { temporaryFolders } from '../support/temp-dirs.js';

describe('last-run.log', () => {
  const newTarget = temporaryFolders('mirrorsync-runlog-');

  test("the previous run's log stays whole until the new one is closed, then is replaced", async () => {
    const target = await newTarget();
    await mkdir(join(target, '.mirrorsync'));
    await writeFile(runLogPath(target), 'previous run\n');
    const log = await openRunLog(target);
    await log.write('receiving incremental file list');
    await log.write('pub/file.iso\n');
    assert.equal(await readFile(runLogPath(target), 'utf8'), 'previous run\n');
    await log.close();
    await log.close();
    assert.equal(await readFile(runLogPath(target), 'utf8'), 'receiving incremental file list\npub/file.iso\n');
    assert.deepEqual(await readdir(join(target, '.mirrorsync')), ['last-run.log']);
    await log.write('after close is ignored');
    assert.equal(await readFile(runLogPath(target), 'utf8'), 'receiving incremental file list\npub/file.iso\n');
  });

  test('every line goes through redact, and an rsync URL password is removed even without one', async () => {
    const target = await newTarget();
    const log = await openRunLog(target, { redact: (line) => line.replaceAll('s3cret', '***') });
    await log.write('@ERROR: auth failed on module sage with s3cret');
    await log.write('rsync: connecting to rsync://mirror:hunter2@host.example/sage/ failed');
    await log.close();
    const text = await readFile(runLogPath(target), 'utf8');
    assert.equal(text.includes('s3cret') || text.includes('hunter2'), false);
    assert.match(text, /rsync:\/\/mirror:\*\*\*@host\.example\/sage\//);
    assert.equal(redactCredentials('rsync://u:p@h/m/ and rsync://v:q@k/n/'), 'rsync://u:***@h/m/ and rsync://v:***@k/n/');
  });

  test("mirrorsync's lines and what another writer appends to the file meanwhile (rsync's --log-file) arrive in order", async () => {
    const target = await newTarget();
    const log = await openRunLog(target);
    log.write('== bulk pass from master: rsync ...');
    await log.flush();
    // rsync opens its --log-file itself and appends; our descriptor must not write over it.
    await appendFile(log.file, '2026/11/29 20:30:08 [15010] >f+++++++++ pub/file.iso\n'.repeat(3));
    log.write('== bulk pass from master ended: exit 0 after 0.1 s');
    for (let i = 0; i < 200; i++) log.write(`${i} ${'x'.repeat(1024)}`);
    await log.close();
    const lines = (await readFile(runLogPath(target), 'utf8')).split('\n');
    assert.equal(lines.length, 206);
    assert.equal(lines[0], '== bulk pass from master: rsync ...');
    assert.match(lines[3] ?? '', /pub\/file\.iso$/);
    assert.equal(lines[4], '== bulk pass from master ended: exit 0 after 0.1 s');
    assert.equal(lines[204]?.startsWith('199 '), true);
  });

  test('a temp log left by a dead process is swept; a live one is kept', async () => {
    const target = await newTarget();
    await mkdir(join(target, '.mirrorsync'));
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid;
    assert.ok(deadPid !== undefined);
    const dead = `.last-run.log.${deadPid}.abcdef012345.tmp`;
    const live = `.last-run.log.${process.pid}.abcdef012345.tmp`;
    await writeFile(join(target, '.mirrorsync', dead), 'killed run');
    await writeFile(join(target, '.mirrorsync', live), 'another log in progress');
    const log = await openRunLog(target);
    await log.close();
    assert.deepEqual((await readdir(join(target, '.mirrorsync'))).sort(), [live, 'last-run.log'].sort());
  });

  test('a target where the log cannot be written is a local failure', async () => {
    const target = await newTarget();
    await writeFile(join(target, 'file'), 'a file where a folder should be');
    await assert.rejects(openRunLog(join(target, 'file', 'mirror')), { code: 'sync.local' });
    await writeFile(join(target, '.mirrorsync'), 'a file where the folder should be');
    await assert.rejects(openRunLog(target), { code: 'state.unsafe' });
  });
});
