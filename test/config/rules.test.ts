import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkHttp, checkTarget, checkTrace, redactAddress } from '../../src/config/rules.js';
import { editDistance, suggestKey } from '../../src/config/suggest.js';

describe('value rules', () => {
  test('target: trailing and repeated slashes are normalised', () => {
    assert.deepEqual(checkTarget('/srv/mirror/'), { value: '/srv/mirror' });
    assert.deepEqual(checkTarget('//srv//mirror//'), { value: '/srv/mirror' });
    assert.deepEqual(checkTarget('/tmp/x'), { value: '/tmp/x' });
    assert.ok('error' in checkTarget('/tmp/'));
    assert.ok('error' in checkTarget('/srv/x/..'));
  });

  test('http: a missing trailing slash is added; host is normalised by the URL parser', () => {
    assert.deepEqual(checkHttp('https://Mirrors.Example.ORG/sage'), { value: 'https://mirrors.example.org/sage/' });
    assert.deepEqual(checkHttp('http://example.org'), { value: 'http://example.org/' });
    assert.deepEqual(checkHttp('https://example.org:443/a/b/'), { value: 'https://example.org/a/b/' });
    assert.ok('error' in checkHttp('https://example.org/a\nb/'));
    assert.ok('error' in checkHttp('file:///etc/passwd'));
  });

  test('trace: a relative file path inside the tree', () => {
    assert.deepEqual(checkTrace('zzz/timestamp.html'), { value: 'zzz/timestamp.html' });
    assert.ok('error' in checkTrace('zzz/timestamp.html/'));
  });

  test('redactAddress hides a password whether or not the address parses', () => {
    assert.equal(redactAddress('rsync://u:pw@host/m/'), 'rsync://u:***@host/m/');
    assert.equal(redactAddress('rsync://u:p@w@host/m/'), 'rsync://u:***@host/m/');
    assert.equal(redactAddress('u:secret@host::m'), 'u:***@host::m');
    assert.equal(redactAddress('rsync://u:pa/ss@host/m/'), 'rsync://u:***@host/m/');
    assert.equal(redactAddress('user@host::m'), 'user@host::m');
    assert.equal(redactAddress('rsync://host:8873/m/'), 'rsync://host:8873/m/');
  });
});

describe('key suggestions', () => {
  test('edit distance counts a swap of neighbours as one edit', () => {
    assert.equal(editDistance('priority', 'prority'), 1);
    assert.equal(editDistance('priority', 'proirity'), 1);
    assert.equal(editDistance('master', 'mastre'), 1);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('url', 'http'), 4);
  });

  test('suggests the closest known key within two edits, or nothing', () => {
    const known = ['name', 'url', 'http', 'master', 'priority', 'passwordFile', 'region'];
    assert.equal(suggestKey('prority', known), 'priority');
    assert.equal(suggestKey('Master', known), 'master');
    assert.equal(suggestKey('passwordfile', known), 'passwordFile');
    assert.equal(suggestKey('urls', known), 'url');
    assert.equal(suggestKey('mirror', known), undefined);
  });
});
