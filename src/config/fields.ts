import type { IntegerBounds } from './defaults.js';
import { childPath } from './json-path.js';
import type { Checked } from './rules.js';
import { describeValue } from './show.js';
import { suggestKey } from './suggest.js';

/** Collects every problem found, each as `<json path>: <what is wrong>`. */
export class Problems {
  readonly list: string[] = [];

  add(path: string, message: string): void {
    this.list.push(`${path}: ${message}`);
  }
}

export type JsonObject = Readonly<Record<string, unknown>>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The object at `path`, after reporting each key it holds that is not in `known`. */
export function readObject(value: unknown, path: string, known: readonly string[], problems: Problems): JsonObject | undefined {
  if (!isJsonObject(value)) {
    problems.add(path, `must be an object, got ${describeValue(value)}`);
    return undefined;
  }
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const suggestion = suggestKey(key, known);
    problems.add(
      childPath(path, key),
      suggestion === undefined ? `unknown key (known keys: ${known.join(', ')})` : `unknown key; did you mean '${suggestion}'?`,
    );
  }
  return value;
}

/** A field reader: the value under `key`, or undefined when the key is absent or the value is wrong. */
export class Fields {
  constructor(
    private readonly object: JsonObject,
    private readonly path: string,
    private readonly problems: Problems,
  ) {}

  has(key: string): boolean {
    return Object.hasOwn(this.object, key);
  }

  pathOf(key: string): string {
    return childPath(this.path, key);
  }

  raw(key: string): unknown {
    return this.has(key) ? this.object[key] : undefined;
  }

  string(key: string, check?: (value: string) => Checked<string>): string | undefined {
    if (!this.has(key)) return undefined;
    const value = this.object[key];
    if (typeof value !== 'string') return this.wrong(key, 'a string', value);
    if (check === undefined) return value;
    return this.take(key, check(value));
  }

  boolean(key: string): boolean | undefined {
    if (!this.has(key)) return undefined;
    const value = this.object[key];
    return typeof value === 'boolean' ? value : this.wrong(key, 'true or false', value);
  }

  integer(key: string, bounds: IntegerBounds): number | undefined {
    if (!this.has(key)) return undefined;
    const value = this.object[key];
    const ok = typeof value === 'number' && Number.isInteger(value) && value >= bounds.min && value <= bounds.max;
    return ok ? value : this.wrong(key, describeIntegerBounds(bounds), value);
  }

  /** A number in (exclusiveMin, max]. */
  fraction(key: string, exclusiveMin: number, max: number): number | undefined {
    if (!this.has(key)) return undefined;
    const value = this.object[key];
    const ok = typeof value === 'number' && value > exclusiveMin && value <= max;
    return ok ? value : this.wrong(key, `a number greater than ${exclusiveMin} and at most ${max}`, value);
  }

  take<T>(key: string, checked: Checked<T>): T | undefined {
    if ('value' in checked) return checked.value;
    this.problems.add(this.pathOf(key), checked.error);
    return undefined;
  }

  private wrong(key: string, expected: string, found: unknown): undefined {
    this.problems.add(this.pathOf(key), `must be ${expected}, got ${describeValue(found)}`);
    return undefined;
  }
}

function describeIntegerBounds(bounds: IntegerBounds): string {
  if (bounds.max >= Number.MAX_SAFE_INTEGER) {
    return bounds.min <= Number.MIN_SAFE_INTEGER ? 'an integer' : `an integer of at least ${bounds.min}`;
  }
  return `an integer from ${bounds.min} to ${bounds.max}`;
}
