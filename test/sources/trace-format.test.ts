import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTrace } from '../../src/sources/trace-format.js';
import type { Freshness } from '../../src/sources/types.js';

const NOW = new Date('2024-06-01T00:00:00Z');

function parsed(text: string, now = NOW): Freshness {
  const result = parseTrace(text, now);
  if ('error' in result) assert.fail(`expected a date, got: ${result.error}`);
  return result;
}

function parseTraceOrThrow(text: string, skew: number): Freshness {
  const result = parseTrace(text, NOW, skew);
  if ('error' in result) assert.fail(`expected a date, got: ${result.error}`);
  return result;
}

function failure(text: string, now = NOW): string {
  const result = parseTrace(text, now);
  if (!('error' in result)) assert.fail(`expected an error, got ${result.at.toISOString()}`);
  return result.error;
}

// Debian's project/trace/master as dak writes it (verbatim, from FIELD-NOTES).
const DEBIAN_MASTER = `Wed Apr 27 15:39:01 UTC 2016
Using dak v1
Running on host: franck.debian.org
Archive serial: 2016042703
Date: Wed, 27 Apr 2016 15:39:01 +0000
`;

// sagemath/website templates/mirror/zzz/timestamp.html, as the repository holds it: a leading
// blank line, the head on several lines, and the <pre> on the last line.
const SAGE_TIMESTAMP = `
        <html><head>
   <meta http-equiv="refresh" content="60"/>
   <META HTTP-EQUIV="Expire" content="0">
   <style type="text/css">
   body {padding: 0; margin: 2px; font-size:-1;}
   p,div,pre {padding: 0; margin: 0;}
   </style></head><body><pre>2022-05-18 15:25 GMT / 9.6 / 9.6 / 2cf2ba16e35bc6d40327b928e507e8cd / 8a2cbbbba6632360d60899363491a6dc</pre></body></html>`;

describe('parseTrace reads each published format', () => {
  test('Debian master trace: the date -u first line, and the archive serial as identity', () => {
    const result = parsed(DEBIAN_MASTER);
    assert.equal(result.at.toISOString(), '2016-04-27T15:39:01.000Z');
    assert.equal(result.identity, '2016042703');
  });

  test('SageMath timestamp.html: the date before the first " / ", the rest as identity', () => {
    const result = parsed(SAGE_TIMESTAMP);
    assert.equal(result.at.toISOString(), '2022-05-18T15:25:00.000Z');
    assert.equal(result.identity, '9.6 / 9.6 / 2cf2ba16e35bc6d40327b928e507e8cd / 8a2cbbbba6632360d60899363491a6dc');
  });

  test('two SageMath publications on the same minute differ by identity', () => {
    const other = SAGE_TIMESTAMP.replace('2cf2ba16', '00000000');
    assert.notEqual(parsed(SAGE_TIMESTAMP).identity, parsed(other).identity);
  });

  const cases: ReadonlyArray<readonly [string, string, string]> = [
    ['ISO 8601 with Z', '2016-04-27T15:39:01Z\n', '2016-04-27T15:39:01.000Z'],
    ['ISO 8601 with an offset', '2016-04-27T17:39:01+02:00', '2016-04-27T15:39:01.000Z'],
    ['ISO 8601 with a compact offset and fraction', '2016-04-27T10:39:01.250-0500', '2016-04-27T15:39:01.250Z'],
    ['ISO 8601 without zone is UTC', '2016-04-27T15:39:01', '2016-04-27T15:39:01.000Z'],
    ['ISO 8601 with a space and no seconds', '2016-04-27 15:39', '2016-04-27T15:39:00.000Z'],
    ['ISO 8601 date only', '2016-04-27', '2016-04-27T00:00:00.000Z'],
    ['RFC 2822', 'Wed, 27 Apr 2016 15:39:01 +0000', '2016-04-27T15:39:01.000Z'],
    ['RFC 2822 with a named zone', 'Wed, 27 Apr 2016 08:39:01 PDT', '2016-04-27T15:39:01.000Z'],
    ['RFC 2822 with a positive offset', 'Wed, 27 Apr 2016 17:39:01 +0200', '2016-04-27T15:39:01.000Z'],
    ['date -u output', 'Wed Apr 27 15:39:01 UTC 2016', '2016-04-27T15:39:01.000Z'],
    ['date -u output with a padded day', 'Thu Apr  7 05:09:01 UTC 2016', '2016-04-07T05:09:01.000Z'],
    ['Unix seconds (Arch lastupdate)', '1461771541\n', '2016-04-27T15:39:01.000Z'],
    ['CRLF line ends and a BOM', '\uFEFF2016-04-27T15:39:01Z\r\nsecond line\r\n', '2016-04-27T15:39:01.000Z'],
    ['a <pre> without the Sage fields', '<html><pre>\n2016-04-27 15:39:01 UTC\n</pre>', '2016-04-27T15:39:01.000Z'],
  ];
  for (const [name, text, iso] of cases) {
    test(name, () => {
      const result = parsed(text);
      assert.equal(result.at.toISOString(), iso);
      assert.equal(result.identity, undefined);
    });
  }
});

describe('parseTrace rejects what is not a trace', () => {
  test('garbage names the line it could not read', () => {
    assert.equal(failure('<html><body>Welcome to our captive portal</body></html>'),
      "no date found in the first line: '<html><body>Welcome to our captive portal</body></html>'");
  });

  test('an empty file or a blank <pre>', () => {
    assert.equal(failure(''), 'the trace is empty');
    assert.equal(failure('\n  \n'), 'the trace is empty');
    assert.equal(failure('<pre>\n</pre>'), 'the <pre> block is empty');
  });

  test('a Sage page whose <pre> holds no date', () => {
    assert.match(failure('<pre>soon / 9.6 / 9.6</pre>'), /^no date found in the <pre> block: 'soon \/ 9\.6 \/ 9\.6'$/);
  });

  test('long binary lines are cut and control characters shown', () => {
    const message = failure(`\u0001${'x'.repeat(500)}`);
    assert.ok(message.startsWith("no date found in the first line: '\\x01xxx"), message);
    assert.ok(message.length < 120, message);
  });

  test('impossible calendar dates and unknown zones', () => {
    assert.match(failure('2016-02-30T00:00:00Z'), /no date found/);
    assert.match(failure('2016-04-27T25:00:00Z'), /no date found/);
    assert.match(failure('Wed Apr 27 15:39:01 CEST 2016'), /no date found/);
  });

  test('dates before 1990', () => {
    assert.equal(failure('1989-12-31T23:59:59Z'), "the date '1989-12-31T23:59:59Z' is before 1990");
    assert.match(failure('0'), /before 1990/);
  });

  test('without a skew given, dates more than a day after now, but not less', () => {
    assert.match(failure('2024-06-02T00:00:01Z'), /ahead of this host's clock/);
    assert.equal(parsed('2024-06-01T23:00:00Z').at.toISOString(), '2024-06-01T23:00:00.000Z');
  });

  test('a skew bounds the future: within it is believed, beyond it is refused as such', () => {
    assert.equal(parseTraceOrThrow('2024-06-01T00:05:00Z', 300).at.toISOString(), '2024-06-01T00:05:00.000Z');
    const beyond = parseTrace('2024-06-01T00:05:01Z', NOW, 300);
    assert.ok('error' in beyond && beyond.future === true);
    assert.equal(beyond.error, "dated 2024-06-01T00:05:01.000Z, 5m 1s ahead of this host's clock (more than probe.maxClockSkewSeconds, 300 s)");
    const hours = parseTrace('<pre>2024-06-01 03:00 GMT / 9.9 / 9.9</pre>', NOW, 300);
    assert.ok('error' in hours && hours.future === true && /3h ahead/.test(hours.error));
  });

  test('the future is measured from the given now', () => {
    assert.match(failure('Wed Apr 27 15:39:01 UTC 2016', new Date('2016-04-25T00:00:00Z')), /ahead of this host's clock/);
  });

  test("a mirrorsync mirror's own trace: the ISO date first, facts after it on the same line", () => {
    assert.equal(parsed('2024-05-31T01:58:29Z synced-at=2024-05-31T02:03:11Z source=mit').at.toISOString(), '2024-05-31T01:58:29.000Z');
    assert.match(failure('yesterday synced-at=2024-05-31T02:03:11Z'), /no date found/);
  });
});

describe('parseTrace takes time linear in its input, whatever the input', () => {
  // Hang guards only: quadratic parsing took 17 s on 256 KiB and never ended on 100 MB.
  const GUARD_MS = 20_000;
  const timed = (text: string) => {
    const started = performance.now();
    const result = parseTrace(text, NOW);
    const ms = performance.now() - started;
    assert.ok(ms < GUARD_MS, `parsing hung for ${Math.round(ms)} ms`);
    return result;
  };

  test('256 KiB of "<pre" with no ">"', () => {
    assert.match(('error' in timed('<pre'.repeat(64 * 1024)) ? 'refused' : 'parsed'), /refused/);
  });

  test('100 MB of "<pre" and of "<pre>" are cut to 64 KiB before anything is read', () => {
    const result = timed('<pre'.repeat(25 * 1024 * 1024));
    assert.ok('error' in result);
    const open = timed(`${'<pre>'.repeat(20 * 1024 * 1024)}`);
    assert.ok('error' in open);
  });

  test('a date beyond the first 64 KiB is never seen', () => {
    assert.ok('error' in timed(`${'\n'.repeat(64 * 1024)}2024-05-01T00:00:00Z`));
  });

  test('an Archive serial line padded with 60 KiB of blanks', () => {
    const result = timed(`2024-05-01T00:00:00Z\nArchive serial: 1${' '.repeat(60 * 1024)}x\n`);
    assert.ok(!('error' in result));
    assert.equal(result.identity?.startsWith('1 '), true);
  });

  test('a first line of 64 KiB of date-like tokens and of separators', () => {
    assert.ok('error' in timed(`2024-05-01T${'0'.repeat(64 * 1024)}`));
    assert.ok('error' in timed(`2024-05-01T00:00:00Z ${'a '.repeat(32 * 1024)}`));
    assert.ok('error' in timed(`Wed, ${' '.repeat(64 * 1024)}27 Apr 2016`));
    assert.ok('error' in timed(` / `.repeat(20 * 1024)));
  });
});
