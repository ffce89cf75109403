import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatMirrorTrace, mirrorTracePath, parseMirrorTrace, writeMirrorTrace } from '../../src/report/trace-file.js';
import { temporaryFolders } from '../support/temp-dirs.js';

describe("the mirror's own trace", () => {
  const newTarget = temporaryFolders('mirrorsync-trace-');

  const trace = { freshness: new Date('2026-11-24T01:58:29Z'), syncedAt: new Date('2026-11-24T02:03:11.789Z'), source: 'mit' };

  test('is one line that starts with the freshness as an ISO 8601 date, so it can serve as a trace downstream', async () => {
    const target = await newTarget();
    assert.equal(await writeMirrorTrace(target, trace), true);
    const text = await readFile(mirrorTracePath(target), 'utf8');
    assert.equal(text, '2026-11-24T01:58:29Z synced-at=2026-11-24T02:03:11Z source=mit\n');
    const first = text.split(/\s/)[0] ?? '';
    assert.match(first, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(new Date(first).getTime(), trace.freshness.getTime());
    assert.deepEqual(await readdir(join(target, '.mirrorsync')), ['trace']);
  });

  test('rounds a sub-second freshness down, never up', () => {
    const line = formatMirrorTrace({ ...trace, freshness: new Date('2026-11-24T01:58:29.999Z') });
    assert.match(line ?? '', /^2026-11-24T01:58:29Z /);
  });

  test('reads back what it writes, a source name with a space included', () => {
    const line = formatMirrorTrace({ ...trace, source: 'my mirror' }) ?? '';
    assert.deepEqual(parseMirrorTrace(line), {
      freshness: new Date('2026-11-24T01:58:29Z'),
      syncedAt: new Date('2026-11-24T02:03:11Z'),
      source: 'my mirror',
    });
    assert.deepEqual(parseMirrorTrace('2026-11-24T01:58:29Z\n'), { freshness: new Date('2026-11-24T01:58:29Z'), syncedAt: null, source: null });
    assert.equal(parseMirrorTrace('Wed Apr 27 15:39:01 UTC 2016\n'), null);
    assert.equal(parseMirrorTrace(''), null);
  });

  test('with an unknown freshness the previous trace is left as it was, and nothing is written on a first run', async () => {
    const target = await newTarget();
    assert.equal(await writeMirrorTrace(target, { ...trace, freshness: null }), false);
    assert.deepEqual(await readdir(target), []);
    await mkdir(join(target, '.mirrorsync'));
    await writeFile(mirrorTracePath(target), 'old\n');
    assert.equal(await writeMirrorTrace(target, { ...trace, freshness: null, source: null }), false);
    assert.equal(await readFile(mirrorTracePath(target), 'utf8'), 'old\n');
  });

  test('without a source, the source fact is left out', () => {
    assert.equal(formatMirrorTrace({ ...trace, source: null }), '2026-11-24T01:58:29Z synced-at=2026-11-24T02:03:11Z\n');
  });
});
