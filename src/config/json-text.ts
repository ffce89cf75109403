import { childPath, indexPath, ROOT_PATH } from './json-path.js';

/** A syntax error with the place it was found (1-based line and column). */
export interface JsonSyntaxError {
  readonly message: string;
  readonly line: number;
  readonly column: number;
}

export type JsonTextResult = { value: unknown; duplicateKeys: string[] } | { syntaxError: JsonSyntaxError };

const MAX_DEPTH = 256;

/**
 * Parses JSON text. JSON.parse does the parsing; a scan first finds where a syntax error is
 * (JSON.parse does not always say) and which keys are repeated in one object (JSON.parse keeps
 * the last silently, which hides a typo as well as an unknown key would).
 */
export function parseJsonText(source: string): JsonTextResult {
  const text = source.startsWith('\uFEFF') ? source.slice(1) : source;
  const scanner = new Scanner(text);
  try {
    scanner.skipSpace();
    scanner.value(ROOT_PATH, 0);
    scanner.skipSpace();
    if (scanner.pos < text.length) scanner.fail('unexpected text after the end of the JSON document');
  } catch (error) {
    if (error instanceof ScanError) return { syntaxError: { message: error.message, ...lineAndColumn(text, error.offset) } };
    throw error;
  }
  return { value: JSON.parse(text) as unknown, duplicateKeys: scanner.duplicates };
}

export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lastBreak = before.lastIndexOf('\n');
  return { line: before.split('\n').length, column: offset - lastBreak };
}

class ScanError extends Error {
  constructor(message: string, readonly offset: number) {
    super(message);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const STRING_BODY = /(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9A-Fa-f]{4}))*/y;

class Scanner {
  pos = 0;
  readonly duplicates: string[] = [];

  constructor(private readonly text: string) {}

  fail(message: string, at = this.pos): never {
    throw new ScanError(message, at);
  }

  skipSpace(): void {
    while (' \t\n\r'.includes(this.text[this.pos] ?? 'x')) this.pos++;
  }

  value(path: string, depth: number): void {
    if (depth > MAX_DEPTH) this.fail('nested too deeply');
    const c = this.text[this.pos];
    if (c === '{') this.object(path, depth);
    else if (c === '[') this.array(path, depth);
    else if (c === '"') this.string();
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) this.match(NUMBER, 'invalid number');
    else if (this.text.startsWith('true', this.pos)) this.pos += 4;
    else if (this.text.startsWith('false', this.pos)) this.pos += 5;
    else if (this.text.startsWith('null', this.pos)) this.pos += 4;
    else this.fail(`expected a value, found ${this.found()}`);
  }

  private object(path: string, depth: number): void {
    this.pos++;
    this.skipSpace();
    if (this.text[this.pos] === '}') return void this.pos++;
    const keys = new Set<string>();
    for (;;) {
      if (this.text[this.pos] !== '"') this.fail(`expected a property name in double quotes, found ${this.found()}`);
      const start = this.pos;
      this.string();
      const key = JSON.parse(this.text.slice(start, this.pos)) as string;
      if (keys.has(key)) this.duplicates.push(childPath(path, key));
      keys.add(key);
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.fail(`expected ':' after a property name, found ${this.found()}`);
      this.pos++;
      this.skipSpace();
      this.value(childPath(path, key), depth + 1);
      this.skipSpace();
      const next = this.text[this.pos];
      this.pos++;
      if (next === '}') return;
      if (next !== ',') this.fail(`expected ',' or '}' after a property value, found ${this.found(next)}`, this.pos - 1);
      this.skipSpace();
    }
  }

  private array(path: string, depth: number): void {
    this.pos++;
    this.skipSpace();
    if (this.text[this.pos] === ']') return void this.pos++;
    for (let index = 0; ; index++) {
      this.value(indexPath(path, index), depth + 1);
      this.skipSpace();
      const next = this.text[this.pos];
      this.pos++;
      if (next === ']') return;
      if (next !== ',') this.fail(`expected ',' or ']' after an array element, found ${this.found(next)}`, this.pos - 1);
      this.skipSpace();
    }
  }

  private string(): void {
    const start = this.pos;
    this.pos++;
    this.match(STRING_BODY, 'invalid string');
    const c = this.text[this.pos];
    if (c === '"') return void this.pos++;
    if (c === undefined) this.fail('unterminated string: the file ends inside it', start);
    if (c === '\\') this.fail('invalid escape sequence in a string');
    this.fail('control character in a string (write it as an escape such as \\n)');
  }

  private match(pattern: RegExp, message: string): void {
    pattern.lastIndex = this.pos;
    if (!pattern.test(this.text)) this.fail(message);
    this.pos = pattern.lastIndex;
  }

  private found(c: string | undefined = this.text[this.pos]): string {
    return c === undefined ? 'the end of the file' : describeChar(c);
  }
}

function describeChar(c: string): string {
  return /[\u0000-\u001f]/.test(c) ? `character U+${c.charCodeAt(0).toString(16).padStart(4, '0')}` : `'${c}'`;
}
