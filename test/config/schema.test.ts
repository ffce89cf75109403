import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_NAME, KNOWN_KEYS, LIMITS, SOURCE_DEFAULTS } from '../../src/config/defaults.js';
import { validateConfig } from '../../src/config/validate.js';
import { repoRoot } from '../support/paths.js';
import { BAD_CASES, GOOD_CASES, baseDoc, withSection, withSource, withTop, type Doc } from './cases.js';
import { checkSchema, type Schema } from './schema-check.js';

type Node = { readonly [keyword: string]: unknown };
const schema = JSON.parse(readFileSync(join(repoRoot, 'sources.schema.json'), 'utf8')) as Node;
const FILE = '/etc/mirrorsync/sources.json';

function node(value: unknown): Node {
  assert.ok(typeof value === 'object' && value !== null && !Array.isArray(value));
  return value as Node;
}
const props = (n: Node): Node => node(n['properties']);
const sourceSchema = node(node(schema['$defs'])['source']);
const sections = { rsync: node(props(schema)['rsync']), probe: node(props(schema)['probe']), hooks: node(props(schema)['hooks']) };

function verdicts(doc: unknown): { schema: string[]; validator: string[] } {
  const result = validateConfig(doc, FILE);
  return { schema: checkSchema(schema as Schema, doc), validator: 'errors' in result ? result.errors : [] };
}

function assertAgree(doc: unknown, label: string): void {
  const { schema: bySchema, validator } = verdicts(doc);
  assert.equal(bySchema.length === 0, validator.length === 0, `${label}: schema says ${bySchema.length === 0 ? 'valid' : bySchema.join(', ')}; validator says ${validator.length === 0 ? 'valid' : validator.join(' | ')}`);
}

describe('sources.schema.json describes every key', () => {
  // Keys that have no default: required ones, and optional ones whose absence means something.
  const noDefault = new Set(['$schema', 'target', 'trace', 'sources', 'source.name', 'source.url', 'source.http', 'source.passwordFile', 'source.region', 'hooks.onSuccess', 'hooks.onFailure']);
  const objects: [string, Node][] = [['', schema], ['source', sourceSchema], ['rsync', sections.rsync], ['probe', sections.probe], ['hooks', sections.hooks]];

  for (const [prefix, object] of objects) {
    test(`${prefix || 'top level'}: additionalProperties false, and a description (and a default where there is one) on each key`, () => {
      assert.equal(object['additionalProperties'], false);
      for (const [key, value] of Object.entries(props(object))) {
        const name = prefix === '' ? key : `${prefix}.${key}`;
        assert.equal(typeof node(value)['description'], 'string', `${name} has no description`);
        assert.equal('default' in node(value), !noDefault.has(name), `${name}: default ${'default' in node(value) ? 'present' : 'missing'}`);
      }
    });
  }

  test('the schema lists exactly the keys the validator knows', () => {
    assert.deepEqual(Object.keys(props(schema)), [...KNOWN_KEYS.root]);
    assert.deepEqual(Object.keys(props(sourceSchema)), [...KNOWN_KEYS.source]);
    assert.deepEqual(Object.keys(props(sections.rsync)), [...KNOWN_KEYS.rsync]);
    assert.deepEqual(Object.keys(props(sections.probe)), [...KNOWN_KEYS.probe]);
    assert.deepEqual(Object.keys(props(sections.hooks)), [...KNOWN_KEYS.hooks]);
  });

  test('schema defaults are the defaults the validator fills in', () => {
    const result = validateConfig({ sources: [{ name: 'm', url: 'h::m', master: true }, { name: 'b', http: 'https://b/' }] }, FILE);
    assert.ok('config' in result);
    const { config } = result;
    assert.equal(node(props(schema)['name'])['default'], DEFAULT_NAME);
    assert.equal(config.name, DEFAULT_NAME);
    for (const section of ['rsync', 'probe'] as const) {
      assert.deepEqual(sections[section]['default'], config[section]);
      for (const [key, value] of Object.entries(props(sections[section]))) assert.deepEqual(node(value)['default'], (config[section] as unknown as Record<string, unknown>)[key], `${section}.${key}`);
    }
    assert.deepEqual(sections.hooks['default'], config.hooks);
    assert.equal(node(props(sourceSchema)['master'])['default'], SOURCE_DEFAULTS.master);
    assert.equal(node(props(sourceSchema)['priority'])['default'], SOURCE_DEFAULTS.priority);
    assert.equal(config.sources[1]?.master, SOURCE_DEFAULTS.master);
    assert.equal(config.sources[1]?.priority, SOURCE_DEFAULTS.priority);
  });

  test('schema bounds are the validator bounds', () => {
    const bounds: [Node, keyof typeof LIMITS][] = [
      ...(['timeoutSeconds', 'connectTimeoutSeconds', 'maxDurationSeconds', 'retries', 'retryDelaySeconds'] as const).map((k): [Node, keyof typeof LIMITS] => [node(props(sections.rsync)[k]), k]),
      ...(['timeoutMs', 'samples', 'freshWithinSeconds', 'maxClockSkewSeconds'] as const).map((k): [Node, keyof typeof LIMITS] => [node(props(sections.probe)[k]), k]),
      [node(props(sourceSchema)['priority']), 'priority'],
    ];
    for (const [property, key] of bounds) {
      assert.equal(property['type'], 'integer', key);
      assert.equal(property['minimum'], LIMITS[key].min, key);
      assert.equal(property['maximum'], LIMITS[key].max, key);
    }
  });
});

describe('schema and validator agree', () => {
  test('on the shipped sources.json', () => {
    assertAgree(JSON.parse(readFileSync(join(repoRoot, 'sources.json'), 'utf8')), 'sources.json');
    assert.deepEqual(checkSchema(schema as Schema, JSON.parse(readFileSync(join(repoRoot, 'sources.json'), 'utf8'))), []);
  });

  for (const good of GOOD_CASES) {
    test(`both accept: ${good.title}`, () => {
      const { schema: bySchema, validator } = verdicts(good.doc);
      assert.deepEqual(bySchema, []);
      assert.deepEqual(validator, []);
    });
  }

  for (const bad of BAD_CASES) {
    if (bad.schema === 'rejects') {
      test(`both reject: ${bad.title}`, () => {
        const { schema: bySchema, validator } = verdicts(bad.doc);
        assert.notDeepEqual(bySchema, [], 'the schema accepts it');
        assert.notDeepEqual(validator, [], 'the validator accepts it');
      });
    } else {
      // Listed so the gap is visible: the schema cannot express this rule, the validator enforces it.
      test(`validator only (${bad.schema.validatorOnly}): ${bad.title}`, () => {
        const { schema: bySchema, validator } = verdicts(bad.doc);
        assert.deepEqual(bySchema, [], 'the schema now rejects it: move the case to "rejects"');
        assert.notDeepEqual(validator, []);
      });
    }
  }

  const corpora: { label: string; values: readonly unknown[]; place: (value: unknown) => Doc }[] = [
    {
      label: 'rsync.args',
      place: (value) => withSection('rsync', { args: [value] }),
      values: [
        '--checksum', '--hard-links', '-H', '-6', '-avz', '--exclude=*.tmp', '--exclude=', '--bwlimit=1000', '--ipv4', '--delay-updates',
        '--no-motd', '--timeouts', '--configure', '--log-file-format=%n', '--filter=merge /etc/f', '--filter=- *.tmp', '--exclude-from=/etc/x',
        '--include-from=-', '--early-input=-', '--filter=. -', '--filter=dir-merge,- -', '--filter=:_-',
        '--delete', '--delete-after', '--delete-before', '--delete-during', '--delete-delay', '--delete-excluded', '--delete-missing-args',
        '--del', '--no-delete-after', '--no-del', '--remove-source-files', '--rsh=ssh', '--rsh', '-e', '-essh', '-avze', '--rsync-path=x',
        '--ignore-errors', '--max-delete=1', '--partial-dir=.p', '--temp-dir=/tmp', '-T', '-Tx', '--timeout=5', '--contimeout=5',
        '--password-file=/x', '--daemon', '--server', '--sender', '--config=/x', '--dparam=x', '-M', '--remote-option=--x',
        '--files-from=x', '--list-only', '--dry-run', '-n', '-vn', '--log-file=/tmp/x', '--read-batch=x', '--write-batch=x', '--only-write-batch=x',
        '--owner', '-o', '-avo', '--group', '-g', '--no-owner', '--chown=a:b', '--usermap=*:nobody', '--groupmap=*:nogroup', '--super', '--devices', '--specials', '-D',
        '--copy-devices', '--write-devices', '--acls', '-A', '--xattrs', '-X', '--keep-dirlinks', '-K', '--no-safe-links', '--safe-links', '--copy-unsafe-links', '--chmod=u+s', '--munge-links', '--fake-super',
        'checksum', '-', '--', '---x', '--Checksum', '-a b', '--exclude *.tmp', '', ' --checksum', '--exclude=a\nb', '--exclude=a\rb', '--exclude=a\u0000b', 5, null,
      ],
    },
    {
      label: 'target',
      place: (value) => withTop({ target: value }),
      values: [
        '/srv/mirror', '/srv/mirror/', '/srv//mirror', '/tmp/x', '/etc/x', '/mnt/data/mirror', '/x', '/srv/mirror.d/..x', '/srv/...',
        '/', '//', '/etc', '/etc/', '//etc//', '/tmp', '/var', '/usr', '/home/', '/srv', '/opt', '/root', '/lib64', '/srv/..', '/srv/../x', '/./srv',
        'srv', '', '~/mirror', './mirror', '/srv/a\tb', '/srv/a\u007f', 5,
      ],
    },
    {
      label: 'trace',
      place: (value) => withTop({ trace: value }),
      values: [
        'zzz/timestamp.html', 'project/trace/master', 'lastupdate', '.hidden/trace', 'a/-b', 'a..b/c', '.mirrorsyncx/t',
        '', '/x', '-x', '../x', 'a/../b', 'a/./b', './a', 'a/.', 'a//b', 'a/', '.mirrorsync/x', '.mirrorsync', 'a\nb', true,
      ],
    },
    {
      label: 'sources[1].url',
      place: (value) => withSource(1, { url: value }),
      values: [
        'host::mod', 'user@host::mod/sub', 'rsync://host/mod/', 'rsync://host/mod', 'rsync://[::1]:8873/sage/', 'rsync://u:p@host:873/m/x/y/',
        'rsync://host//mod/', '10.0.0.1::m',
        '-host::m', '--rsh=sh', 'rsync://host', 'rsync://host/', 'host::', 'host', 'https://host/m/', 'rsync://host/m /', 'host::m\n',
        'rsync://host/m/\u0001', 'rsync://host/-m/', 'host::_m', 7,
      ],
    },
    {
      label: 'sources[1].http',
      place: (value) => withSource(1, { http: value }),
      values: [
        'https://a.example/', 'http://a.example', 'https://a.example:8443/x/y', 'HTTPS://A.EXAMPLE/x', 'https://a.example/p@th/',
        'javascript:alert(1)', 'ftp://a.example/', 'https://u@a.example/', 'https://u:p@a.example/', 'https://a.example/?q', 'https://a.example/#f',
        'https:///x', 'https://a example/', 'https://a.example/ x', '//a.example/', 'a.example', '', false,
      ],
    },
  ];
  for (const corpus of corpora) {
    test(`on each ${corpus.label} in a corpus of accepted and refused values`, () => {
      for (const value of corpus.values) assertAgree(corpus.place(value), `${corpus.label} = ${JSON.stringify(value)}`);
    });
  }

  test('the corpora hold both verdicts (a corpus that is all good or all bad proves little)', () => {
    for (const corpus of corpora) {
      const valid = corpus.values.filter((value) => 'config' in validateConfig(corpus.place(value), FILE)).length;
      assert.ok(valid > 0 && valid < corpus.values.length, corpus.label);
    }
  });

  test('the evaluator itself fails a document it should fail (a schema check that cannot fail proves nothing)', () => {
    assert.notDeepEqual(checkSchema(schema as Schema, { ...baseDoc(), extra: 1 }), []);
    assert.throws(() => checkSchema({ type: 'string', format: 'uri' }, 'x'), /does not implement 'format'/);
  });
});
