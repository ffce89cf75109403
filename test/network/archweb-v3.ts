import assert from 'node:assert/strict';

type Kind = 'string' | 'number' | 'integer' | 'boolean' | 'iso' | 'url';

// archweb's /mirrors/status/json/ (version 3) as reflector reads it: each field and its type, null where archweb allows it.
const TOP: Record<string, { kind: Kind; nullable: boolean }> = {
  cutoff: { kind: 'integer', nullable: false },
  last_check: { kind: 'iso', nullable: true },
  num_checks: { kind: 'integer', nullable: false },
  check_frequency: { kind: 'integer', nullable: true },
  version: { kind: 'integer', nullable: false },
};
const URL_FIELDS: Record<string, { kind: Kind; nullable: boolean }> = {
  url: { kind: 'url', nullable: false },
  protocol: { kind: 'string', nullable: false },
  last_sync: { kind: 'iso', nullable: true },
  completion_pct: { kind: 'number', nullable: true },
  delay: { kind: 'integer', nullable: true },
  duration_avg: { kind: 'number', nullable: true },
  duration_stddev: { kind: 'number', nullable: true },
  score: { kind: 'number', nullable: true },
  active: { kind: 'boolean', nullable: false },
  details: { kind: 'string', nullable: false },
};

function assertKind(value: unknown, kind: Kind, nullable: boolean, where: string): void {
  if (value === null) {
    assert.ok(nullable, `${where} is null`);
    return;
  }
  switch (kind) {
    case 'string':
      assert.equal(typeof value, 'string', where);
      return;
    case 'boolean':
      assert.equal(typeof value, 'boolean', where);
      return;
    case 'number':
      assert.ok(typeof value === 'number' && Number.isFinite(value), `${where} is a number`);
      return;
    case 'integer':
      assert.ok(Number.isInteger(value), `${where} is an integer: ${String(value)}`);
      return;
    case 'iso':
      assert.ok(typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value), `${where} is ISO 8601: ${String(value)}`);
      return;
    case 'url':
      assert.ok(typeof value === 'string' && /^(rsync|https?):\/\//.test(value), `${where} is a URL: ${String(value)}`);
  }
}

/** Checks a status.json against archweb's v3 field names and types. */
export function assertArchwebV3(status: Record<string, unknown>): void {
  for (const [key, spec] of Object.entries(TOP)) {
    assert.ok(key in status, `field ${key}`);
    assertKind(status[key], spec.kind, spec.nullable, key);
  }
  assert.equal(status['version'], 3);
  assert.ok(Array.isArray(status['urls']), 'urls is an array');
  for (const [index, url] of (status['urls'] as Record<string, unknown>[]).entries()) {
    for (const [key, spec] of Object.entries(URL_FIELDS)) {
      assert.ok(key in url, `urls[${index}].${key}`);
      assertKind(url[key], spec.kind, spec.nullable, `urls[${index}].${key}`);
    }
    assert.ok(['rsync', 'http', 'https'].includes(url['protocol'] as string), `urls[${index}].protocol`);
    const completion = url['completion_pct'];
    if (typeof completion === 'number') assert.ok(completion >= 0 && completion <= 1, 'completion_pct is a fraction, as in archweb');
  }
}
