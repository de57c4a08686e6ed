import { describe, expect, it } from 'vitest';
import {
  buildManifest, draftToJson, firstError, hasErrors, parseManifestJson, parseShape, validateManifest, type ManifestDraft,
} from './manifest';

const digits: ManifestDraft = {
  inputs: [{ name: 'input', datatype: 'FP32', shape: '-1, 1, 28, 28' }],
  outputs: [{ name: 'output', datatype: 'FP32', shape: '[-1, 10]' }],
  description: '',
};

describe('shape parsing', () => {
  it('accepts commas, spaces and brackets', () => {
    expect(parseShape('-1, 1, 28, 28')).toEqual({ shape: [-1, 1, 28, 28] });
    expect(parseShape('[ -1 10 ]')).toEqual({ shape: [-1, 10] });
  });

  it('refuses zero, below -1, fractions, words and empty', () => {
    expect(parseShape('1, 0')).toHaveProperty('error');
    expect(parseShape('-2')).toHaveProperty('error');
    expect(parseShape('1.5')).toEqual({ error: '"1.5" is not a whole number.' });
    expect(parseShape('batch, 3')).toHaveProperty('error');
    expect(parseShape('  ')).toHaveProperty('error');
  });

  it('allows at most 16 dimensions', () => {
    expect(parseShape(Array(16).fill('1').join(','))).toHaveProperty('shape');
    expect(parseShape(Array(17).fill('1').join(','))).toEqual({ error: 'A shape has at most 16 dimensions.' });
  });
});

describe('manifest builder', () => {
  it('builds the manifest with the browser-computed sha256', () => {
    expect(validateManifest(digits)).toEqual({ inputs: [{}], outputs: [{}], general: [] });
    const sha = 'a'.repeat(64);
    expect(buildManifest(digits, sha)).toEqual({
      format: 'torchscript',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 1, 28, 28] }],
      outputs: [{ name: 'output', datatype: 'FP32', shape: [-1, 10] }],
      sha256: sha,
    });
  });

  it('refuses datatypes predict cannot carry: INT16 and BYTES inputs, BYTES outputs', () => {
    const e = validateManifest({
      ...digits,
      inputs: [{ name: 'a', datatype: 'INT16', shape: '1' }],
      outputs: [{ name: 'b', datatype: 'BYTES', shape: '1' }],
    });
    expect(e.inputs[0]?.datatype).toBe('Predict does not accept INT16.');
    expect(e.outputs[0]?.datatype).toBe('Predict cannot return BYTES.');
    expect(validateManifest({ ...digits, outputs: [{ name: 'b', datatype: 'INT16', shape: '1' }] }).outputs[0]).toEqual({});
  });

  it('needs at least one input and output, unique names and a short description', () => {
    const e = validateManifest({
      inputs: [],
      outputs: [
        { name: 'x', datatype: 'FP32', shape: '1' },
        { name: 'x', datatype: 'FP32', shape: '1' },
      ],
      description: 'd'.repeat(1001),
    });
    expect(e.general).toEqual(['List at least one input.', 'The description has at most 1000 characters.']);
    expect(e.outputs[1]?.name).toBe('Another output is already named x.');
    expect(hasErrors(e)).toBe(true);
    expect(firstError(e)).toBe('List at least one input.');
  });

  it('names the row of the first tensor error', () => {
    const e = validateManifest({ ...digits, outputs: [{ name: '', datatype: 'FP32', shape: '1' }] });
    expect(firstError(e)).toBe('output 1: A name of 1–128 characters.');
  });

  it('round-trips through JSON', () => {
    const parsed = parseManifestJson(draftToJson({ ...digits, description: 'mnist' }));
    expect(parsed).toEqual({
      draft: {
        inputs: [{ name: 'input', datatype: 'FP32', shape: '-1, 1, 28, 28' }],
        outputs: [{ name: 'output', datatype: 'FP32', shape: '-1, 10' }],
        description: 'mnist',
      },
    });
  });

  it('explains bad JSON manifests', () => {
    expect(parseManifestJson('{')).toEqual({ error: 'This is not valid JSON.' });
    expect(parseManifestJson('[]')).toEqual({ error: 'The manifest is a JSON object.' });
    expect(parseManifestJson('{"format":"onnx","inputs":[],"outputs":[]}')).toEqual({ error: 'format must be "torchscript".' });
    expect(parseManifestJson('{"inputs":[{"name":"a","datatype":"FP32","shape":[0]}],"outputs":[{"name":"b","datatype":"FP32","shape":[1]}]}')).toEqual({
      error: 'input 1: Each dimension is positive, or -1 for a variable size.',
    });
  });
});
