import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { validateConfig } from '../../src/config/validate.js';
import { isMirrorsyncError } from '../../src/errors.js';
import { BAD_CASES, GOOD_CASES, type BadCase } from './cases.js';

function problemLine(lines: readonly string[], bad: BadCase): string {
  const line = lines.find((candidate) => candidate.startsWith(`${bad.path}: `) && (bad.match === undefined || bad.match.test(candidate)));
  assert.ok(line !== undefined, `no line for ${bad.path}${bad.match === undefined ? '' : ` matching ${String(bad.match)}`} in:\n${lines.join('\n')}`);
  return line;
}

describe('validateConfig refuses malformed documents, naming the field', () => {
  test('the table holds at least 20 malformed documents', () => {
    assert.ok(BAD_CASES.length >= 20);
  });
  for (const bad of BAD_CASES) {
    test(bad.title, () => {
      const result = validateConfig(bad.doc, '/etc/mirrorsync/sources.json');
      assert.ok('errors' in result, 'expected errors');
      problemLine(result.errors, bad);
      if (bad.secret !== undefined) assert.ok(!result.errors.join('\n').includes(bad.secret), `the message shows the secret:\n${result.errors.join('\n')}`);
    });
  }
});

describe('validateConfig accepts good documents', () => {
  for (const good of GOOD_CASES) {
    test(good.title, () => {
      const result = validateConfig(good.doc, '/etc/mirrorsync/sources.json');
      assert.ok('config' in result, 'errors' in result ? result.errors.join('\n') : '');
    });
  }
});

describe('loadConfig turns each malformed file into config.invalid', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mirrorsync-config-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  BAD_CASES.forEach((bad, index) => {
    test(bad.title, async () => {
      const file = join(dir, `bad-${index}.json`);
      await writeFile(file, JSON.stringify(bad.doc, null, 2));
      await assert.rejects(loadConfig({ file, cwd: dir, env: {} }), (error: unknown) => {
        assert.ok(isMirrorsyncError(error));
        assert.equal(error.code, 'config.invalid');
        assert.ok(error.message.startsWith(`${file}: `), error.message);
        const lines = error.message.split('\n');
        problemLine(lines.slice(1), bad);
        if (bad.secret !== undefined) assert.ok(!error.message.includes(bad.secret));
        return true;
      });
    });
  });
});
