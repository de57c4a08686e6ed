import { describe, expect, it } from 'vitest';
import { argmaxRows, curlFor, inferPath, parseShape, parseTensor, placeholderValues, resolveShape, shellQuote } from './tensor';

const digits = { name: 'input', datatype: 'FP32', shape: [-1, 64] };

describe('parseTensor', () => {
  it('reads comma and space separated numbers and fills the free dimension', () => {
    const text = Array.from({ length: 64 }, (_, i) => (i % 2 ? `${i / 100}` : `${i}`)).join(', ');
    const r = parseTensor(digits, text);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.tensor.shape).toEqual([1, 64]);
      expect(r.tensor.data).toHaveLength(64);
      expect(r.tensor.data[1]).toBe(0.01);
    }
    const two = parseTensor(digits, Array.from({ length: 128 }, () => '0.5').join(' \n'));
    expect(two.ok && two.tensor.shape).toEqual([2, 64]);
  });

  it('takes the shape from nested JSON lists and checks fixed dimensions', () => {
    const spec = { name: 'x', datatype: 'INT64', shape: [-1, 2] };
    const r = parseTensor(spec, '[[1, 2], [3, 4], [5, 6]]');
    expect(r).toEqual({ ok: true, tensor: { name: 'x', datatype: 'INT64', shape: [3, 2], data: [1, 2, 3, 4, 5, 6] } });
    const bad = parseTensor(spec, '[[1, 2, 3]]');
    expect(bad).toEqual({ ok: false, error: 'Dimension 2 has 3 values; the model takes 2 (shape [-1, 2]).' });
    expect(parseTensor(spec, '[[1, 2], [3]]')).toEqual({ ok: false, error: 'The nested lists are not all the same length.' });
    expect(parseTensor(spec, '[[[1, 2]]]')).toEqual({ ok: false, error: 'The nested lists have 3 dimensions; the model takes 2 (shape [-1, 2]).' });
  });

  it('refuses a count that does not fit the shape', () => {
    expect(parseTensor(digits, '1, 2, 3')).toEqual({ ok: false, error: 'The values must come in whole groups of 64 (shape [-1, 64]); 3 given.' });
    expect(parseTensor({ name: 'x', datatype: 'FP32', shape: [2, 2] }, '1 2 3')).toEqual({
      ok: false,
      error: 'The model takes 4 values (shape [2, 2]); 3 given.',
    });
  });

  it('checks datatypes: whole numbers, ranges, booleans', () => {
    const i8 = { name: 'x', datatype: 'INT8', shape: [3] };
    expect(parseTensor(i8, '1, 2.5, 3')).toEqual({ ok: false, error: 'Value 2 (2.5) is not a whole number, as INT8 needs.' });
    expect(parseTensor(i8, '1, 200, 3')).toEqual({ ok: false, error: "Value 2 (200) is outside INT8's range -128 to 127." });
    expect(parseTensor({ name: 'u', datatype: 'UINT8', shape: [1] }, '-1')).toEqual({
      ok: false,
      error: "Value 1 (-1) is outside UINT8's range 0 to 255.",
    });
    expect(parseTensor(i8, '1, x, 3')).toEqual({ ok: false, error: 'Value 2 (x) is not a number.' });
    const b = parseTensor({ name: 'b', datatype: 'BOOL', shape: [4] }, 'true, 0, 1, false');
    expect(b.ok && b.tensor.data).toEqual([true, false, true, false]);
    expect(parseTensor({ name: 'b', datatype: 'BOOL', shape: [1] }, 'yes')).toEqual({
      ok: false,
      error: 'Value 1 (yes) is not a boolean: use true/false or 1/0.',
    });
    expect(parseTensor({ name: 's', datatype: 'BYTES', shape: [1] }, 'a').ok).toBe(false);
  });

  it('explains empty input, bad JSON and JSON non-numbers', () => {
    expect(parseTensor(digits, '  ')).toEqual({ ok: false, error: 'Enter the values.' });
    expect(parseTensor(digits, '[1, 2').ok).toBe(false);
    expect(parseTensor({ name: 'x', datatype: 'FP32', shape: [2] }, '[1, "a"]')).toEqual({ ok: false, error: 'Value 2 (a) is not a number.' });
    expect(parseTensor({ name: 'x', datatype: 'FP32', shape: [1] }, '[null]')).toEqual({ ok: false, error: 'Value 1 (null) is not a number.' });
  });
});

describe('resolveShape', () => {
  it('needs nested lists when several dimensions are free', () => {
    expect(resolveShape([-1, -1], 4)).toMatch(/several free dimensions/);
    expect(resolveShape([-1, -1], 4, [2, 2])).toEqual([2, 2]);
  });
  it('refuses zero values for a free dimension', () => {
    expect(resolveShape([-1, 3], 0)).toMatch(/whole groups of 3/);
  });
});

describe('parseShape and placeholders', () => {
  it('parses shapes', () => {
    expect(parseShape('[1, 64]')).toEqual([1, 64]);
    expect(parseShape('-1 28 28')).toEqual([-1, 28, 28]);
    expect(typeof parseShape('1, a')).toBe('string');
  });
  it('suggests zeros of the right count', () => {
    expect(placeholderValues({ name: 'x', datatype: 'FP32', shape: [-1, 3] })).toBe('0, 0, 0');
    expect(placeholderValues({ name: 'x', datatype: 'FP32', shape: [-1, 64] })).toBe('0, 0, 0, 0, … (64 values)');
  });
});

describe('argmaxRows', () => {
  it('finds each row’s largest value', () => {
    expect(argmaxRows([1, 4], [0.1, 0.2, 0.9, 0.3])).toEqual([2]);
    expect(argmaxRows([2, 2], [1, 0, 0, 1])).toEqual([0, 1]);
    expect(argmaxRows([3], [1, 5, 2])).toEqual([1]);
  });
  it('says nothing for shapes it cannot read as rows', () => {
    expect(argmaxRows([1, 1], [3])).toBeNull();
    expect(argmaxRows([2, 2, 2], new Array(8).fill(0))).toBeNull();
    expect(argmaxRows([1, 3], [1, 2])).toBeNull();
    expect(argmaxRows([2], [true, false])).toBeNull();
  });
});

describe('curlFor', () => {
  it('builds a runnable curl that names $KEY, never a secret', () => {
    const body = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 2], data: [0.5, 1] }] };
    const c = curlFor('http://127.0.0.1:8080', inferPath('digits'), body);
    expect(c).toBe(
      [
        "curl -sS -X POST 'http://127.0.0.1:8080/v2/models/digits/infer' \\",
        '  -H "Authorization: Bearer $KEY" \\',
        "  -H 'Content-Type: application/json' \\",
        `  -d '{"inputs":[{"name":"input","datatype":"FP32","shape":[1,2],"data":[0.5,1]}]}'`,
      ].join('\n'),
    );
    expect(c).not.toMatch(/mp_/);
  });
  it('quotes single quotes for the shell and picks the version path', () => {
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
    expect(inferPath('digits', '2')).toBe('/v2/models/digits/versions/2/infer');
    expect(inferPath('a.b')).toBe('/v2/models/a.b/infer');
  });
});
