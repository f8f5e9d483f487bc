import type { Dataset } from '../training/data.js';
import { InputError } from './input.js';

/** Examples read from a file: inputs and targets with their widths per example. */
export interface ExampleFile {
  readonly inputs: Float32Array;
  readonly targets: Float32Array;
  readonly examples: number;
  readonly inputWidth: number;
  readonly targetWidth: number;
}

const finite = (value: unknown, where: string): number => {
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new InputError(`${where} must be a finite number, got ${JSON.stringify(value)}`);
  return value;
};

function rows(value: unknown, where: string): { values: number[]; width: number } {
  if (!Array.isArray(value) || value.length === 0) throw new InputError(`${where} must be a non-empty array of examples`);
  const width = Array.isArray(value[0]) ? value[0].length : 1;
  const values: number[] = [];
  value.forEach((row: unknown, i) => {
    const cells = Array.isArray(row) ? row : [row];
    if (cells.length !== width || width === 0)
      throw new InputError(`${where}[${i}] must hold ${width} values like ${where}[0], got ${cells.length}`);
    cells.forEach((cell: unknown, j) => {
      values.push(finite(cell, Array.isArray(row) ? `${where}[${i}][${j}]` : `${where}[${i}]`));
    });
  });
  return { values, width };
}

/**
 * Reads examples from JSON (`{ "inputs": [[...], ...], "targets": [...] or [[...], ...] }`) or
 * CSV (a header row, then one example per row, every cell a number; the `target` column, by
 * default the last, is the target and every other column an input, in order). Errors name
 * the file, the row or line and the column.
 */
export function readExampleFile(text: string, name: string, target: string | undefined): ExampleFile {
  const body = text.replace(/^\uFEFF/, '');
  if (/^\s*[{[]/.test(body)) {
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch (error) {
      throw new InputError(`${name}: invalid JSON (${(error as Error).message})`);
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw new InputError(`${name}: must be an object { "inputs": [...], "targets": [...] }`);
    const { inputs, targets } = json as { inputs?: unknown; targets?: unknown };
    const x = rows(inputs, `${name}: inputs`);
    const y = rows(targets, `${name}: targets`);
    const examples = x.values.length / x.width;
    if (y.values.length / y.width !== examples)
      throw new InputError(`${name}: targets must hold one row per input row (${examples}), got ${y.values.length / y.width}`);
    return {
      inputs: Float32Array.from(x.values),
      targets: Float32Array.from(y.values),
      examples,
      inputWidth: x.width,
      targetWidth: y.width,
    };
  }
  const lines = body.split(/\r?\n/).filter((line) => line.trim() !== '');
  if (lines.length < 2) throw new InputError(`${name}: needs a header row and at least one example`);
  const header = (lines[0] as string).split(',').map((cell) => cell.trim());
  const column = target === undefined ? header.length - 1 : header.indexOf(target);
  if (column < 0) throw new InputError(`${name}: has no column ${JSON.stringify(target)} (columns: ${header.join(', ')})`);
  if (header.length < 2) throw new InputError(`${name}: needs at least one input column besides the target`);
  const inputs: number[] = [];
  const targets: number[] = [];
  lines.slice(1).forEach((line, i) => {
    const cells = line.split(',');
    if (cells.length !== header.length) throw new InputError(`${name}:${i + 2}: has ${cells.length} cells, the header ${header.length}`);
    cells.forEach((cell, j) => {
      const value = cell.trim() === '' ? Number.NaN : Number(cell);
      if (!Number.isFinite(value))
        throw new InputError(`${name}:${i + 2}: column ${header[j]} must be a finite number, got ${JSON.stringify(cell.trim())}`);
      (j === column ? targets : inputs).push(value);
    });
  });
  const examples = lines.length - 1;
  return {
    inputs: Float32Array.from(inputs),
    targets: Float32Array.from(targets),
    examples,
    inputWidth: header.length - 1,
    targetWidth: 1,
  };
}

/**
 * The examples as a model with these widths trains on them: class indices become one-hot
 * rows when the model's target is wider than 1. Anything else that does not fit is an error
 * naming the file and the widths.
 */
export function fitExamples(
  file: ExampleFile,
  name: string,
  widths: { readonly input?: number | undefined; readonly target?: number | undefined } | undefined,
): Dataset {
  const input = widths?.input;
  const target = widths?.target;
  if (input !== undefined && input !== file.inputWidth)
    throw new InputError(`${name}: has ${file.inputWidth} inputs per example, the model takes ${input}`);
  if (target === undefined || target === file.targetWidth) return { inputs: file.inputs, targets: file.targets, examples: file.examples };
  if (file.targetWidth !== 1) throw new InputError(`${name}: has ${file.targetWidth} target values per example, the model takes ${target}`);
  const oneHot = new Float32Array(file.examples * target);
  file.targets.forEach((label, i) => {
    if (!Number.isInteger(label) || label < 0 || label >= target) {
      throw new InputError(
        `${name}: target of example ${i} must be a class index in [0, ${target - 1}] for the model's ${target} outputs, got ${label}`,
      );
    }
    oneHot[i * target + label] = 1;
  });
  return { inputs: file.inputs, targets: oneHot, examples: file.examples };
}
