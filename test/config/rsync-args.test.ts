import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRsyncArg } from '../../src/config/rsync-args.js';

describe('extra rsync arguments', () => {
  test('ordinary options are allowed', () => {
    for (const arg of ['--checksum', '--hard-links', '-H', '--exclude=*.tmp', '--bwlimit=1000', '--ipv4', '-6', '-avz', '--delay-updates',
      '--filter=- *.tmp', '--exclude-from=/etc/mirrorsync/excludes', '--no-motd', '--timeouts', '--log-file-format=%n',
      '-a', '--safe-links', '--copy-unsafe-links', '--copy-links', '--munge-links', '--chmod=Fg+w', '--numeric-ids']) {
      assert.equal(checkRsyncArg(arg), undefined, arg);
    }
  });

  test('options mirrorsync controls are refused, with the reason', () => {
    const refused: [string, RegExp][] = [
      ['--rsh=sh', /it runs a remote shell/], ['--rsh', /remote shell/], ['-e', /remote shell/], ['-avessh', /remote shell/],
      ['--rsync-path=/tmp/x', /runs a command on the remote side/], ['-M--foo', /not an option/], ['-M', /remote side/],
      ['--delete', /deletes/], ['--del', /deletes/], ['--delete-before', /deletes/], ['--delete-excluded', /deletes/], ['--no-delete-after', /deletes/],
      ['--remove-source-files', /delete files on the source/], ['--ignore-errors', /mass delete/], ['--max-delete=10', /maxDeleteFraction/],
      ['--partial-dir=x', /partial files/], ['--temp-dir=/tmp', /partial files/], ['-T', /partial files/],
      ['--timeout=1', /timeoutSeconds/], ['--contimeout=1', /connectTimeoutSeconds/], ['--password-file=/p', /passwordFile/],
      ['--daemon', /client option/], ['--server', /client option/], ['--config=/etc/rsyncd.conf', /daemon option/],
      ['--files-from=list', /which files/], ['--include-from=-', /stdin/], ['--exclude-from=-', /stdin/], ['--filter=merge -', /stdin/], ['--filter=. -', /stdin/],
      ['--list-only', /listing/], ['--dry-run', /--dry-run/], ['-n', /--dry-run/], ['--log-file=/tmp/l', /last-run\.log/],
      ['--read-batch=b', /batch/],
      ['--owner', /owners and groups are never kept/], ['-o', /-o is --owner/], ['-avg', /-g is --group/], ['--chown=root:root', /owners/],
      ['--usermap=*:0', /owners/], ['--groupmap=*:0', /owners/], ['--super', /super-user|only root/], ['--devices', /device nodes/],
      ['--specials', /FIFOs/], ['-D', /-D is --devices/], ['--copy-devices', /device/], ['--write-devices', /device files/],
      ['--acls', /security\.capability/], ['-X', /-X is --xattrs/], ['--keep-dirlinks', /symlinked folder/], ['-K', /symlinked folder/],
      ['--no-safe-links', /keepUnsafeLinks/],
    ];
    for (const [arg, reason] of refused) {
      const problem = checkRsyncArg(arg);
      assert.ok(problem !== undefined, arg);
      assert.match(problem, reason, arg);
    }
  });

  test('anything that is not one option is refused', () => {
    for (const arg of ['checksum', '1000', '-', '--', '---x', '--Checksum', '--exclude *.tmp', '', '-a b', 'host::mod', '/tmp/dst']) {
      assert.match(checkRsyncArg(arg) ?? '', /is not an option/, JSON.stringify(arg));
    }
    assert.match(checkRsyncArg('--exclude=a\nb') ?? '', /line breaks/);
    assert.match(checkRsyncArg('--exclude=a\u0000b') ?? '', /NUL/);
  });
});
