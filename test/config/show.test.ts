import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { quote } from '../../src/config/show.js';

describe('quote: text from a file or a source, shown on a terminal', () => {
  test('C0, DEL and C1 controls are escaped: no terminal escape sequence gets through', () => {
    assert.equal(quote('a\u001b[31mb'), "'a\\u001b[31mb'");
    assert.equal(quote('a\u009b31mb\u007f'), "'a\\u009b31mb\\u007f'");
    assert.equal(quote('line\nnext\tcol'), "'line\\nnext\\tcol'");
  });

  test('bidi controls that reorder the shown text are escaped', () => {
    assert.equal(quote('evil\u202egnp.exe'), "'evil\\u202egnp.exe'");
    assert.equal(quote('\u2066x\u2069\u200f'), "'\\u2066x\\u2069\\u200f'");
  });

  test('ordinary text, accents included, is kept; long text is cut', () => {
    assert.equal(quote('café 9.6 / naïve'), "'café 9.6 / naïve'");
    assert.equal(quote('x'.repeat(300)), `'${'x'.repeat(200)}…'`);
  });
});
