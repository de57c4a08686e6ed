/** Turning what a person types into Open Inference Protocol tensors, checked against the model's metadata. */

export type Datatype =
  | 'BOOL' | 'UINT8' | 'UINT16' | 'UINT32' | 'UINT64'
  | 'INT8' | 'INT16' | 'INT32' | 'INT64'
  | 'FP16' | 'FP32' | 'FP64' | 'BYTES';

export interface TensorSpec {
  name: string;
  datatype: string;
  shape: number[];
}

export interface ParsedTensor {
  name: string;
  datatype: string;
  shape: number[];
  data: Array<number | boolean>;
}

export type ParseResult = { ok: true; tensor: ParsedTensor } | { ok: false; error: string };

const INT_RANGE: Record<string, [number, number]> = {
  UINT8: [0, 255],
  UINT16: [0, 65_535],
  UINT32: [0, 4_294_967_295],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
  INT8: [-128, 127],
  INT16: [-32_768, 32_767],
  INT32: [-2_147_483_648, 2_147_483_647],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

/** The model's shape as people write it: `[-1, 64]` → "-1, 64". */
export function formatShape(shape: ReadonlyArray<number>): string {
  return `[${shape.join(', ')}]`;
}

/** "1, 64" or "[1, 64]" → [1, 64]; an error sentence for anything that is not whole numbers ≥ -1. */
export function parseShape(text: string): number[] | string {
  const t = text.trim().replace(/^\[/, '').replace(/\]$/, '').trim();
  if (t === '') return [];
  const parts = t.split(/[\s,]+/).filter(Boolean);
  const dims = parts.map(Number);
  if (dims.some((d) => !Number.isInteger(d) || d < -1)) return 'A shape is whole numbers (−1 for a free dimension), e.g. 1, 64.';
  return dims;
}

/** Dimensions of a nested JSON array, or an error when rows differ in length. */
function nestedShape(value: unknown): number[] | string {
  if (!Array.isArray(value)) return [];
  if (value.length === 0) return [0];
  const inner = value.map(nestedShape);
  const first = inner[0] as number[] | string;
  if (typeof first === 'string') return first;
  for (const s of inner) {
    if (typeof s === 'string') return s;
    if (s.length !== first.length || s.some((d, i) => d !== first[i])) return 'The nested lists are not all the same length.';
  }
  return [value.length, ...first];
}

function flatten(value: unknown, out: unknown[]): void {
  if (Array.isArray(value)) value.forEach((v) => flatten(v, out));
  else out.push(value);
}

/** Raw values: a JSON array (flat or nested), or numbers separated by commas, spaces or new lines. */
function readValues(text: string): { values: unknown[]; nested?: number[] } | string {
  const t = text.trim();
  if (t === '') return 'Enter the values.';
  if (t.startsWith('[')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(t);
    } catch {
      return 'This is not valid JSON; close every [ with a ] and separate values with commas.';
    }
    const shape = nestedShape(parsed);
    if (typeof shape === 'string') return shape;
    const values: unknown[] = [];
    flatten(parsed, values);
    return { values, nested: shape.length > 1 ? shape : undefined };
  }
  return { values: t.split(/[\s,;]+/).filter(Boolean) };
}

function convert(raw: unknown, datatype: string, index: number): number | boolean | string {
  const at = `value ${index + 1}`;
  if (datatype === 'BOOL') {
    if (raw === true || raw === 'true' || raw === 1 || raw === '1') return true;
    if (raw === false || raw === 'false' || raw === 0 || raw === '0') return false;
    return `${at} (${String(raw)}) is not a boolean: use true/false or 1/0.`;
  }
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(n)) return `${at} (${String(raw)}) is not a number.`;
  const range = INT_RANGE[datatype];
  if (range) {
    if (!Number.isInteger(n)) return `${at} (${String(raw)}) is not a whole number, as ${datatype} needs.`;
    if (n < range[0] || n > range[1]) return `${at} (${String(raw)}) is outside ${datatype}'s range ${range[0]} to ${range[1]}.`;
  }
  return n;
}

const product = (xs: ReadonlyArray<number>) => xs.reduce((a, b) => a * b, 1);

/**
 * Resolves the shape to send: the model's shape with −1 filled in from the number of values (one free
 * dimension), or from the nesting of a JSON array; checks every fixed dimension.
 */
export function resolveShape(modelShape: ReadonlyArray<number>, count: number, nested?: ReadonlyArray<number>): number[] | string {
  const want = formatShape(modelShape);
  if (nested) {
    if (nested.length !== modelShape.length) return `The nested lists have ${nested.length} dimensions; the model takes ${modelShape.length} (shape ${want}).`;
    for (let i = 0; i < nested.length; i++) {
      const m = modelShape[i] as number;
      if (m !== -1 && m !== nested[i]) return `Dimension ${i + 1} has ${nested[i]} values; the model takes ${m} (shape ${want}).`;
    }
    return [...nested];
  }
  const free = modelShape.filter((d) => d === -1).length;
  const fixed = product(modelShape.filter((d) => d !== -1));
  if (free === 0) {
    if (count !== fixed) return `The model takes ${fixed} values (shape ${want}); ${count} given.`;
    return [...modelShape];
  }
  if (free > 1) return `The shape ${want} has several free dimensions; give the values as nested JSON lists so their sizes are known.`;
  if (fixed === 0 || count % fixed !== 0 || count === 0) {
    return `The values must come in whole groups of ${fixed} (shape ${want}); ${count} given.`;
  }
  return modelShape.map((d) => (d === -1 ? count / fixed : d));
}

/** One input field's text → a tensor for the request, or the sentence saying what is wrong. */
export function parseTensor(spec: TensorSpec, text: string): ParseResult {
  if (spec.datatype === 'BYTES') return { ok: false, error: 'BYTES inputs cannot be sent from this form.' };
  const read = readValues(text);
  if (typeof read === 'string') return { ok: false, error: read };
  const data: Array<number | boolean> = [];
  for (let i = 0; i < read.values.length; i++) {
    const v = convert(read.values[i], spec.datatype, i);
    if (typeof v === 'string') return { ok: false, error: v.charAt(0).toUpperCase() + v.slice(1) };
    data.push(v);
  }
  const shape = resolveShape(spec.shape, data.length, read.nested);
  if (typeof shape === 'string') return { ok: false, error: shape };
  return { ok: true, tensor: { name: spec.name, datatype: spec.datatype, shape, data } };
}

/** A sample value list of the right size, to start from (zeros; a free dimension taken as 1). */
export function placeholderValues(spec: TensorSpec): string {
  const n = product(spec.shape.map((d) => (d === -1 ? 1 : d)));
  const zero = spec.datatype === 'BOOL' ? 'false' : '0';
  if (n > 12) return `${Array.from({ length: 4 }, () => zero).join(', ')}, … (${n} values)`;
  return Array.from({ length: n }, () => zero).join(', ');
}

/** Index of the largest value in each row of a [rows, n] (or [n]) numeric output: what a classifier predicts. */
export function argmaxRows(shape: ReadonlyArray<number>, data: ReadonlyArray<unknown>): number[] | null {
  if (shape.length === 0 || shape.length > 2 || data.length === 0) return null;
  const width = shape[shape.length - 1] as number;
  if (width < 2 || data.some((d) => typeof d !== 'number')) return null;
  const rows = shape.length === 2 ? (shape[0] as number) : 1;
  if (rows * width !== data.length) return null;
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let i = 1; i < width; i++) if ((data[r * width + i] as number) > (data[r * width + best] as number)) best = i;
    out.push(best);
  }
  return out;
}

/** Single-quotes a string for a POSIX shell. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The curl that sends the same request; the credential stays a variable (`$KEY`), never the secret. */
export function curlFor(origin: string, path: string, body: unknown): string {
  return [
    `curl -sS -X POST ${shellQuote(origin + path)}`,
    `  -H "Authorization: Bearer $KEY"`,
    `  -H 'Content-Type: application/json'`,
    `  -d ${shellQuote(JSON.stringify(body))}`,
  ].join(' \\\n');
}

/** The predict path for the model, or for one version of it. */
export function inferPath(model: string, version?: string): string {
  const m = encodeURIComponent(model);
  return version ? `/v2/models/${m}/versions/${encodeURIComponent(version)}/infer` : `/v2/models/${m}/infer`;
}
