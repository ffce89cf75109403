import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRsyncUrl, parseRsyncAddress, redactUrl, type RsyncAddress } from '../../src/sources/address.js';

function parsed(input: string): RsyncAddress {
  const result = parseRsyncAddress(input);
  assert.ok(!('error' in result), `${input}: ${'error' in result ? result.error : ''}`);
  return result;
}

function refused(input: string): string {
  const result = parseRsyncAddress(input);
  assert.ok('error' in result, `${JSON.stringify(input)} was accepted`);
  return result.error;
}

describe('parseRsyncAddress', () => {
  test('reads both daemon forms', () => {
    assert.deepEqual(parsed('rsync://rsync.mirrorservice.org/www.sagemath.org/'), { host: 'rsync.mirrorservice.org', port: 873, module: 'www.sagemath.org', path: '' });
    assert.deepEqual(parsed('rsync.sagemath.org::sage'), { host: 'rsync.sagemath.org', port: 873, module: 'sage', path: '' });
    assert.deepEqual(parsed('user@host.example.org::mod/sub'), { user: 'user', host: 'host.example.org', port: 873, module: 'mod', path: 'sub' });
    assert.deepEqual(parsed('rsync://[::1]:8873/sage/'), { host: '::1', port: 8873, module: 'sage', path: '' });
    assert.deepEqual(parsed('rsync://mirror:s%2Fecret@10.0.0.1:8873/sage/a/b/'), { user: 'mirror', password: 's/ecret', host: '10.0.0.1', port: 8873, module: 'sage', path: 'a/b' });
  });

  test('refuses what could be an option, a shell word or not an rsync address', () => {
    assert.match(refused('--rsh=sh'), /must not begin with "-"/);
    assert.match(refused('-host::mod'), /"-"/);
    assert.match(refused('rsync://host/mod /'), /white space/);
    assert.match(refused('host::mod\n'), /white space/);
    assert.match(refused('https://host/mod/'), /must be rsync:\/\/host\/module\/ or host::module/);
    assert.match(refused('rsync://host'), /needs a module/);
    assert.match(refused('host::'), /needs a module/);
    assert.match(refused('rsync://host:99999/m/'), /invalid port/);
    assert.match(refused('rsync://host:0/m/'), /invalid port/);
    assert.match(refused('rsync://ho_st/m/'), /invalid host/);
    assert.match(refused('rsync://[zz]/m/'), /invalid IPv6/);
    assert.match(refused('rsync://[::1/m/'), /unclosed IPv6 bracket/);
    assert.match(refused('rsync://host/-m/'), /invalid module name/);
    assert.match(refused('rsync://host/m/../etc/'), /invalid path segment '\.\.'/);
    assert.match(refused('rsync://u:@host/m/'), /invalid password/);
    assert.match(refused('us er@host::m'), /white space/);
    assert.match(refused('u;x@host::m'), /invalid user name/);
  });

  test('accepts a bracketed IPv6 host in the host::module form, as rsync does', () => {
    assert.deepEqual(parsed('[::1]::sage'), { host: '::1', port: 873, module: 'sage', path: '' });
  });

  test('refuses every control character, as its message says', () => {
    refused('rsync://host/m/a\u0001b/');
    refused('rsync://host/m/a\u007fb/');
  });

  test('refuses IPv6 addresses that are not addresses', () => {
    refused('rsync://[:]/m/');
    refused('rsync://[::::]/m/');
  });
});

describe('redactUrl', () => {
  test('replaces the password, and only the password, with ***', () => {
    assert.equal(redactUrl('rsync://mirror:secret@host/sage/'), 'rsync://mirror:***@host/sage/');
    assert.equal(redactUrl('rsync://mirror:secret@[::1]:8873/sage/'), 'rsync://mirror:***@[::1]:8873/sage/');
    assert.equal(redactUrl('rsync://mirror@host/sage/'), 'rsync://mirror@host/sage/');
    assert.equal(redactUrl('mirror@host::sage'), 'mirror@host::sage');
    assert.equal(redactUrl('rsync://host/sage/a@b/'), 'rsync://host/sage/a@b/');
  });

  test('hides all of a password that holds a raw @ (which parseRsyncAddress accepts)', () => {
    assert.equal(parsed('rsync://u:p@ss@host/m/').password, 'p@ss');
    assert.equal(redactUrl('rsync://u:p@ss@host/m/'), 'rsync://u:***@host/m/');
  });
});

describe('formatRsyncUrl', () => {
  test('gives rsync the address without the password, brackets around IPv6', () => {
    assert.equal(formatRsyncUrl(parsed('rsync://mirror:secret@[::1]:8873/sage/sub/')), 'rsync://mirror@[::1]:8873/sage/sub');
    assert.equal(formatRsyncUrl(parsed('rsync.sagemath.org::sage'), 'zzz/timestamp.html'), 'rsync://rsync.sagemath.org/sage/zzz/timestamp.html');
  });
});
