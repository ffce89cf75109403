/**
 * A small evaluator for the subset of JSON Schema draft 2020-12 that sources.schema.json uses.
 * Honest by construction: a keyword it does not implement throws instead of being ignored, so the
 * schema cannot quietly grow a rule this test never checks.
 */
export type Schema = boolean | { readonly [keyword: string]: unknown };

const ANNOTATIONS = new Set(['$schema', '$id', '$comment', '$defs', 'title', 'description', 'default', 'examples']);
const IMPLEMENTED = new Set([
  '$ref', 'type', 'enum', 'const', 'properties', 'required', 'additionalProperties', 'dependentRequired', 'items',
  'prefixItems', 'minItems', 'maxItems', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'pattern',
  'minLength', 'maxLength', 'anyOf', 'oneOf', 'allOf', 'not', 'if', 'then', 'else',
]);

/** Every way `instance` breaks `schema`, as `<instance path>: <keyword>` (empty when it is valid). */
export function checkSchema(root: Schema, instance: unknown): string[] {
  const errors: string[] = [];
  evaluate(root, root, instance, '$', errors);
  return errors;
}

function evaluate(root: Schema, schema: Schema, value: unknown, path: string, errors: string[]): void {
  if (schema === true) return;
  if (schema === false) return void errors.push(`${path}: false schema`);
  for (const keyword of Object.keys(schema)) {
    if (!ANNOTATIONS.has(keyword) && !IMPLEMENTED.has(keyword)) throw new Error(`schema-check does not implement '${keyword}'`);
  }
  const fail = (keyword: string): void => void errors.push(`${path}: ${keyword}`);
  const sub = (s: unknown, v: unknown, p: string): boolean => {
    const found: string[] = [];
    evaluate(root, s as Schema, v, p, found);
    return found.length === 0;
  };
  const at = <T>(keyword: string): T | undefined => schema[keyword] as T | undefined;

  const ref = at<string>('$ref');
  if (ref !== undefined) evaluate(root, resolveRef(root, ref), value, path, errors);
  const type = at<string | string[]>('type');
  if (type !== undefined && !(Array.isArray(type) ? type : [type]).some((t) => hasType(value, t))) return fail(`type ${String(type)}`);
  const enumValues = at<unknown[]>('enum');
  if (enumValues !== undefined && !enumValues.some((e) => deepEqual(e, value))) fail('enum');
  if ('const' in schema && !deepEqual(schema['const'], value)) fail('const');

  for (const keyword of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = at<unknown[]>(keyword);
    if (list === undefined) continue;
    const passed = list.filter((s) => sub(s, value, path)).length;
    if (keyword === 'allOf' ? passed !== list.length : keyword === 'anyOf' ? passed === 0 : passed !== 1) fail(keyword);
  }
  if ('not' in schema && sub(schema['not'], value, path)) fail('not');
  if ('if' in schema) {
    const branch = sub(schema['if'], value, path) ? 'then' : 'else';
    if (branch in schema) evaluate(root, schema[branch] as Schema, value, path, errors);
  }

  if (typeof value === 'number') {
    const min = at<number>('minimum');
    const max = at<number>('maximum');
    const exMin = at<number>('exclusiveMinimum');
    const exMax = at<number>('exclusiveMaximum');
    if (min !== undefined && value < min) fail('minimum');
    if (max !== undefined && value > max) fail('maximum');
    if (exMin !== undefined && value <= exMin) fail('exclusiveMinimum');
    if (exMax !== undefined && value >= exMax) fail('exclusiveMaximum');
  }
  if (typeof value === 'string') {
    const length = [...value].length;
    const pattern = at<string>('pattern');
    if (pattern !== undefined && !new RegExp(pattern, 'u').test(value)) fail('pattern');
    if (length < (at<number>('minLength') ?? 0)) fail('minLength');
    if (length > (at<number>('maxLength') ?? Infinity)) fail('maxLength');
  }
  if (Array.isArray(value)) {
    const prefix = at<unknown[]>('prefixItems') ?? [];
    prefix.forEach((s, i) => {
      if (i < value.length) evaluate(root, s as Schema, value[i], `${path}[${i}]`, errors);
    });
    if ('items' in schema) {
      for (let i = prefix.length; i < value.length; i++) evaluate(root, schema['items'] as Schema, value[i], `${path}[${i}]`, errors);
    }
    if (value.length < (at<number>('minItems') ?? 0)) fail('minItems');
    if (value.length > (at<number>('maxItems') ?? Infinity)) fail('maxItems');
  }
  if (isObject(value)) {
    const properties = at<Record<string, Schema>>('properties') ?? {};
    for (const key of Object.keys(value)) {
      if (Object.hasOwn(properties, key)) evaluate(root, properties[key] as Schema, value[key], `${path}.${key}`, errors);
      else if ('additionalProperties' in schema) evaluate(root, schema['additionalProperties'] as Schema, value[key], `${path}.${key}`, errors);
    }
    for (const key of at<string[]>('required') ?? []) if (!Object.hasOwn(value, key)) fail(`required ${key}`);
    for (const [key, needed] of Object.entries(at<Record<string, string[]>>('dependentRequired') ?? {})) {
      if (Object.hasOwn(value, key) && needed.some((n) => !Object.hasOwn(value, n))) fail(`dependentRequired ${key}`);
    }
  }
}

function resolveRef(root: Schema, ref: string): Schema {
  if (!ref.startsWith('#/')) throw new Error(`schema-check resolves only local references, not '${ref}'`);
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~');
    if (!isObject(node) || !Object.hasOwn(node, key)) throw new Error(`unresolvable $ref '${ref}'`);
    node = node[key];
  }
  return node as Schema;
}

function hasType(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'boolean':
    case 'string':
      return typeof value === type;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isObject(value);
    default:
      throw new Error(`unknown type '${type}'`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && deepEqual(a[k], b[k]));
  }
  return false;
}
