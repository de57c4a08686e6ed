/** Datatypes predict accepts as inputs and can return as outputs (the server refuses others: unsupported_datatype). */
export const INPUT_DATATYPES = ['FP32', 'FP64', 'INT64', 'INT32', 'INT8', 'UINT8', 'BOOL'] as const;
export const OUTPUT_DATATYPES = [
  'FP32', 'FP64', 'FP16', 'INT64', 'INT32', 'INT16', 'INT8', 'UINT64', 'UINT32', 'UINT16', 'UINT8', 'BOOL',
] as const;

/** One tensor row of the manifest form; the shape is typed as text, e.g. "-1, 1, 28, 28". */
export interface TensorDraft {
  name: string;
  datatype: string;
  shape: string;
}

export interface ManifestDraft {
  inputs: TensorDraft[];
  outputs: TensorDraft[];
  description: string;
}

export interface TensorSpec {
  name: string;
  datatype: string;
  shape: number[];
}

export interface Manifest {
  format: 'torchscript';
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  description?: string;
  sha256?: string;
}

export const emptyTensor = (datatype = 'FP32'): TensorDraft => ({ name: '', datatype, shape: '' });

/** "[-1, 1, 28, 28]" or "-1 1 28 28" → dimensions; each positive or -1 (a variable batch dimension), 1–16 of them. */
export function parseShape(text: string): { shape: number[] } | { error: string } {
  const parts = text.replace(/[[\]()]/g, ' ').split(/[\s,]+/).filter(Boolean);
  if (parts.length === 0) return { error: 'Give the shape, e.g. -1, 1, 28, 28.' };
  if (parts.length > 16) return { error: 'A shape has at most 16 dimensions.' };
  const shape: number[] = [];
  for (const p of parts) {
    if (!/^-?\d+$/.test(p)) return { error: `"${p}" is not a whole number.` };
    const d = Number(p);
    if (d === 0 || d < -1) return { error: 'Each dimension is positive, or -1 for a variable size.' };
    shape.push(d);
  }
  return { shape };
}

export interface TensorErrors {
  name?: string;
  datatype?: string;
  shape?: string;
}

export interface ManifestErrors {
  inputs: TensorErrors[];
  outputs: TensorErrors[];
  /** about a whole list or the description */
  general: string[];
}

export function hasErrors(e: ManifestErrors): boolean {
  const any = (ts: TensorErrors[]) => ts.some((t) => Object.keys(t).length > 0);
  return e.general.length > 0 || any(e.inputs) || any(e.outputs);
}

function checkList(kind: 'input' | 'output', tensors: TensorDraft[], allowed: readonly string[], general: string[]): TensorErrors[] {
  if (tensors.length === 0) general.push(`List at least one ${kind}.`);
  const seen = new Set<string>();
  return tensors.map((t) => {
    const e: TensorErrors = {};
    const name = t.name.trim();
    if (name.length === 0 || name.length > 128) e.name = 'A name of 1–128 characters.';
    else if (seen.has(name)) e.name = `Another ${kind} is already named ${name}.`;
    seen.add(name);
    if (!allowed.includes(t.datatype)) e.datatype = `Predict ${kind === 'input' ? 'does not accept' : 'cannot return'} ${t.datatype || 'this datatype'}.`;
    const s = parseShape(t.shape);
    if ('error' in s) e.shape = s.error;
    return e;
  });
}

export function validateManifest(d: ManifestDraft): ManifestErrors {
  const general: string[] = [];
  const inputs = checkList('input', d.inputs, INPUT_DATATYPES, general);
  const outputs = checkList('output', d.outputs, OUTPUT_DATATYPES, general);
  if (d.description.length > 1000) general.push('The description has at most 1000 characters.');
  return { inputs, outputs, general };
}

const toSpec = (t: TensorDraft): TensorSpec => {
  const s = parseShape(t.shape);
  return { name: t.name.trim(), datatype: t.datatype, shape: 'shape' in s ? s.shape : [] };
};

/** The manifest part of the upload; call only when validateManifest found nothing. */
export function buildManifest(d: ManifestDraft, sha256?: string): Manifest {
  return {
    format: 'torchscript',
    inputs: d.inputs.map(toSpec),
    outputs: d.outputs.map(toSpec),
    ...(d.description.trim() ? { description: d.description.trim() } : {}),
    ...(sha256 ? { sha256 } : {}),
  };
}

const draftOf = (t: unknown): TensorDraft => {
  const o = (t ?? {}) as Record<string, unknown>;
  return {
    name: typeof o.name === 'string' ? o.name : '',
    datatype: typeof o.datatype === 'string' ? o.datatype : '',
    shape: Array.isArray(o.shape) ? o.shape.join(', ') : '',
  };
};

/** A manifest typed as JSON, checked by the same rules as the form. */
export function parseManifestJson(text: string): { draft: ManifestDraft } | { error: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { error: 'This is not valid JSON.' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { error: 'The manifest is a JSON object.' };
  const o = raw as Record<string, unknown>;
  if (o.format !== undefined && o.format !== 'torchscript') return { error: 'format must be "torchscript".' };
  if (!Array.isArray(o.inputs) || !Array.isArray(o.outputs)) return { error: 'The manifest needs "inputs" and "outputs" lists.' };
  const draft: ManifestDraft = {
    inputs: o.inputs.map(draftOf),
    outputs: o.outputs.map(draftOf),
    description: typeof o.description === 'string' ? o.description : '',
  };
  const errors = validateManifest(draft);
  if (hasErrors(errors)) return { error: firstError(errors) };
  return { draft };
}

export function firstError(e: ManifestErrors): string {
  if (e.general[0]) return e.general[0];
  for (const [kind, list] of [['input', e.inputs], ['output', e.outputs]] as const) {
    for (let i = 0; i < list.length; i++) {
      const t = list[i] ?? {};
      const msg = t.name ?? t.datatype ?? t.shape;
      if (msg) return `${kind} ${i + 1}: ${msg}`;
    }
  }
  return '';
}

export function draftToJson(d: ManifestDraft): string {
  const errors = validateManifest(d);
  const m = hasErrors(errors)
    ? { format: 'torchscript', inputs: d.inputs.map(toSpec), outputs: d.outputs.map(toSpec), description: d.description || undefined }
    : buildManifest(d);
  return JSON.stringify(m, null, 2);
}
