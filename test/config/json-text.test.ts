import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { lineAndColumn, parseJsonText } from '../../src/config/json-text.js';

function acceptedByJsonParse(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

describe('parseJsonText', () => {
  test('accepts exactly what JSON.parse accepts', () => {
    const corpus = [
      '{}', '[]', '0', '-0', '1.5e+3', '1E-2', '"a\\u00e9\\n\\"b"', 'true', 'false', 'null', ' \t\r\n{ "a" : [ 1 , { } ] } \n',
      '{"a":{"b":{"c":[[[]]]}}}', '"\u00e9\u4e2d"', '[1,2,3]', '{"":1}',
      '', ' ', '-', '1.', '.5', '01', '1e', '+1', '0x10', 'NaN', 'tru', 'nul', 'True', "'a'", '"\\x41"', '"\\u00g0"', '"a\tb"',
      '"unterminated', '[1 2]', '[1,]', '[,1]', '{"a" 1}', '{"a":1,}', '{,}', '{a:1}', '{"a":1}}', '[1]]', '{"a":1} x',
      '\u00a0{}', '{"a":1 /* c */}', '[1,\n2,\n', '{"a":[1,{"b":2}', '"\\', '"\\u12"',
    ];
    for (const text of corpus) {
      const result = parseJsonText(text);
      assert.equal('value' in result, acceptedByJsonParse(text), JSON.stringify(text));
      if ('value' in result) assert.deepEqual(result.value, JSON.parse(text));
    }
  });

  test('says where the first error is', () => {
    const cases: [string, number, number, RegExp][] = [
      ['{\n  "a": 1,\n', 3, 1, /expected a property name in double quotes, found the end of the file/],
      ['{\n  "a": 1\n  "b": 2\n}', 3, 3, /expected ',' or '}' after a property value, found '"'/],
      ['[1, 2,, 3]', 1, 7, /expected a value, found ','/],
      ['{"a": tru}', 1, 7, /expected ',' or '}'|expected a value/],
      ['{"a": "x\ny"}', 1, 9, /control character in a string/],
      ['{"a": "abc', 1, 7, /unterminated string/],
      ['{"a": 1}\n\n  extra', 3, 3, /unexpected text after the end/],
      ['{"a" 1}', 1, 6, /expected ':' after a property name, found '1'/],
    ];
    for (const [text, line, column, message] of cases) {
      const result = parseJsonText(text);
      assert.ok('syntaxError' in result, JSON.stringify(text));
      assert.deepEqual([result.syntaxError.line, result.syntaxError.column], [line, column], JSON.stringify(text));
      assert.match(result.syntaxError.message, message);
    }
  });

  test('lists keys repeated in one object, with their JSON path', () => {
    const result = parseJsonText('{"a":1,"b":{"c":[{"d":1,"d":2,"e\\u0020f":1,"e f":2}]},"a":3,"x":{"a":1}}');
    assert.ok('value' in result);
    assert.deepEqual(result.duplicateKeys, ['b.c[0].d', 'b.c[0]["e f"]', 'a']);
  });

  test('strips a byte order mark; nesting too deep is an error, not a crash', () => {
    assert.deepEqual(parseJsonText('\uFEFF{"a":1}'), { value: { a: 1 }, duplicateKeys: [] });
    const deep = parseJsonText(`${'['.repeat(10_000)}${']'.repeat(10_000)}`);
    assert.ok('syntaxError' in deep);
    assert.match(deep.syntaxError.message, /nested too deeply/);
  });

  test('lineAndColumn counts from 1', () => {
    assert.deepEqual(lineAndColumn('ab\ncd', 0), { line: 1, column: 1 });
    assert.deepEqual(lineAndColumn('ab\ncd', 4), { line: 2, column: 2 });
    assert.deepEqual(lineAndColumn('ab\n', 3), { line: 2, column: 1 });
  });
});
