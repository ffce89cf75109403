import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOST_DEFAULTS, HOST_KEYS, HOST_LIMITS } from '../../src/host/defaults.js';
import { validateHost } from '../../src/host/validate-host.js';
import { repoRoot } from '../support/paths.js';
import { checkSchema, type Schema } from '../config/schema-check.js';

type Node = { readonly [keyword: string]: unknown };
const read = (file: string): Node => JSON.parse(readFileSync(join(repoRoot, file), 'utf8')) as Node;
const schema = read('host.schema.json');
const sources = read('sources.schema.json');
const props = (n: unknown): Node => (n as Node)['properties'] as Node;

function agree(doc: unknown, label: string): boolean {
  const bySchema = checkSchema(schema as Schema, doc);
  const result = validateHost(doc, '/etc/mirrorsync/host.json', '/etc/mirrorsync');
  const validator = 'errors' in result ? result.errors : [];
  assert.equal(bySchema.length === 0, validator.length === 0, `${label}: schema ${bySchema.join(', ') || 'valid'}; validator ${validator.join(' | ') || 'valid'}`);
  return validator.length === 0;
}

describe('host.schema.json and the host.json validator agree', () => {
  test('the schema lists exactly the keys the validator knows, each with a description', () => {
    assert.deepEqual(Object.keys(props(schema)), [...HOST_KEYS.root]);
    assert.deepEqual(Object.keys(props(props(schema)['defaults'])), [...HOST_KEYS.defaults]);
    assert.equal(schema['additionalProperties'], false);
    for (const [key, value] of Object.entries(props(schema))) assert.equal(typeof (value as Node)['description'], 'string', key);
  });

  test('defaults and bounds are the validator\'s', () => {
    const result = validateHost({}, null, '/etc/mirrorsync');
    assert.ok('host' in result);
    for (const key of ['maxConcurrentJobs', 'maxConnectionsPerUpstream', 'bwlimitKBps', 'minFreeBytes', 'stateDir'] as const) {
      assert.equal((props(schema)[key] as Node)['default'], HOST_DEFAULTS[key], key);
      assert.equal(result.host[key], HOST_DEFAULTS[key], key);
    }
    for (const key of Object.keys(HOST_LIMITS) as (keyof typeof HOST_LIMITS)[]) {
      const node = props(schema)[key] as Node;
      assert.equal(node['minimum'], HOST_LIMITS[key].min, key);
      if (HOST_LIMITS[key].max < Number.MAX_SAFE_INTEGER) assert.equal(node['maximum'], HOST_LIMITS[key].max, key);
    }
  });

  test('the defaults sections are the sources.json sections, without their defaults', () => {
    for (const section of HOST_KEYS.defaults) {
      const { default: _ignored, ...expected } = props(sources)[section] as Node;
      assert.deepEqual(props(props(schema)['defaults'])[section], expected, section);
    }
  });

  test('on a corpus of accepted and refused documents', () => {
    const docs: unknown[] = [
      {}, { maxConcurrentJobs: 1, maxConnectionsPerUpstream: 64, bwlimitKBps: 0, minFreeBytes: 10_000_000_000 }, { statusFile: '/var/www/status.json', metricsFile: 'm.prom', stateDir: 'state' },
      { defaults: { rsync: { timeoutSeconds: 60, args: ['--hard-links'] }, probe: { samples: 1 }, hooks: { onSuccess: ['/bin/true'] } } },
      { maxConcurrentJobs: 0 }, { maxConcurrentJobs: 65 }, { maxConcurrentJobs: 2.5 }, { bwlimitKBps: -1 }, { minFreeBytes: '1G' }, { statusFile: '' }, { stateDir: 'a\nb' },
      { defaults: { rsync: { args: ['--delete-excluded'] } } }, { defaults: { rsync: { timeoutSeconds: 0 } } }, { defaults: { hooks: { onSuccess: [] } } }, { defaults: { other: {} } }, { extra: 1 }, [], 'x',
    ];
    const verdicts = docs.map((doc) => agree(doc, JSON.stringify(doc)));
    assert.ok(verdicts.includes(true) && verdicts.includes(false));
  });
});
