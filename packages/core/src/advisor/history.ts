import { StepsizeError } from '../errors.js';
import { fail, isPlainObject } from '../schedules/options.js';

/**
 * A training history as the advisor reads it: one training loss per point (in step
 * order), and the validation losses of the evaluations, each at its own step.
 */
export interface LossHistory {
  /** The step of every training point, strictly increasing (updates, or epochs for a tfjs `History`). */
  readonly steps: readonly number[];
  /** The training loss of every point; NaN or ±Infinity where the run blew up. */
  readonly losses: readonly number[];
  /** The learning rate of every point (the first group's), NaN where unknown; absent when none is known. */
  readonly learningRates?: readonly number[] | undefined;
  /** The gradient norm of every point, NaN where unknown; absent when none is known. */
  readonly gradientNorms?: readonly number[] | undefined;
  /** The validation losses and the steps they were measured at (strictly increasing). */
  readonly validation: { readonly steps: readonly number[]; readonly losses: readonly number[] };
}

/** One row of a history table: the columns `step, loss, valLoss, learningRate, gradientNorm`. */
export interface HistoryRow {
  readonly step?: number;
  /** Training loss; `null` (JSON's non-finite) or missing on a row that only holds a validation loss. */
  readonly loss?: number | null;
  readonly valLoss?: number | null;
  readonly learningRate?: number | null;
  readonly gradientNorm?: number | null;
}

type Column = 'step' | 'loss' | 'valLoss' | 'learningRate' | 'gradientNorm';

/** Column names accepted, with the spellings other tools write (Keras `val_loss` and `lr`, snake case). */
const ALIASES: Readonly<Record<string, Column>> = {
  step: 'step',
  loss: 'loss',
  valLoss: 'valLoss',
  val_loss: 'valLoss',
  validationLoss: 'valLoss',
  learningRate: 'learningRate',
  learning_rate: 'learningRate',
  lr: 'learningRate',
  gradientNorm: 'gradientNorm',
  gradient_norm: 'gradientNorm',
  grad_norm: 'gradientNorm',
};

const NON_FINITE: Readonly<Record<string, number>> = {
  nan: Number.NaN,
  inf: Number.POSITIVE_INFINITY,
  '+inf': Number.POSITIVE_INFINITY,
  infinity: Number.POSITIVE_INFINITY,
  '+infinity': Number.POSITIVE_INFINITY,
  '-inf': Number.NEGATIVE_INFINITY,
  '-infinity': Number.NEGATIVE_INFINITY,
};

/** A cell of a CSV or a JSON value as a number: undefined when empty or missing, NaN/±Infinity when written so. */
function cellNumber(raw: unknown, path: string): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (raw === null) return Number.NaN; // JSON writes non-finite numbers as null
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'string') {
    const text = raw.trim();
    if (text === '') return undefined;
    const special = NON_FINITE[text.toLowerCase()];
    if (special !== undefined) return special;
    const value = Number(text);
    if (Number.isFinite(value) && /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text)) return value;
  }
  return fail(path, 'must be a number (NaN, Infinity and empty are accepted)', raw);
}

/** Builds and checks a history from rows (CSV rows, JSON rows or `train()` records). */
function fromRows(rows: readonly Readonly<Record<string, unknown>>[], at: (row: number, column: string) => string): LossHistory {
  const steps: number[] = [];
  const losses: number[] = [];
  const learningRates: number[] = [];
  const gradientNorms: number[] = [];
  const validation = { steps: [] as number[], losses: [] as number[] };
  let previous = Number.NEGATIVE_INFINITY;
  rows.forEach((row, i) => {
    const keyOf = (column: Column): string => Object.keys(row).find((name) => ALIASES[name] === column) ?? column;
    const read = (column: Column): number | undefined => {
      const key = keyOf(column);
      return Object.hasOwn(row, key) ? cellNumber(row[key], at(i, key)) : undefined;
    };
    const step = read('step') ?? i;
    if (!Number.isFinite(step) || step <= previous) {
      fail(at(i, keyOf('step')), `must be a finite number above the previous row's step (${previous})`, step);
    }
    previous = step;
    const loss = read('loss');
    const valLoss = read('valLoss');
    if (loss === undefined && valLoss === undefined) fail(at(i, keyOf('loss')), 'is missing (a row needs a loss or a valLoss)', row);
    if (loss !== undefined) {
      const learningRate = read('learningRate');
      if (learningRate !== undefined && !(learningRate >= 0 && Number.isFinite(learningRate))) {
        fail(at(i, keyOf('learningRate')), 'must be a finite number >= 0', learningRate);
      }
      const gradientNorm = read('gradientNorm');
      if (gradientNorm !== undefined && gradientNorm < 0) fail(at(i, keyOf('gradientNorm')), 'must be >= 0', gradientNorm);
      steps.push(step);
      losses.push(loss);
      learningRates.push(learningRate ?? Number.NaN);
      gradientNorms.push(gradientNorm ?? Number.NaN);
    }
    if (valLoss !== undefined) {
      validation.steps.push(step);
      validation.losses.push(valLoss);
    }
  });
  const known = (values: number[]): number[] | undefined => (values.some((value) => !Number.isNaN(value)) ? values : undefined);
  return { steps, losses, learningRates: known(learningRates), gradientNorms: known(gradientNorms), validation };
}

/** Parses CSV text with a header row (quoted cells may hold commas; `""` is a quote). */
function fromCsv(text: string): LossHistory {
  const lines = text.split(/\r?\n/).filter((line) => line.trim() !== '');
  const split = (line: string): string[] => {
    const cells: string[] = [];
    let cell = '';
    let quoted = false;
    for (let i = 0; i < line.length; i += 1) {
      const char = line[i] as string;
      if (quoted && char === '"' && line[i + 1] === '"') {
        cell += '"';
        i += 1;
      } else if (char === '"') quoted = !quoted;
      else if (char === ',' && !quoted) {
        cells.push(cell);
        cell = '';
      } else cell += char;
    }
    cells.push(cell);
    return cells.map((value) => value.trim());
  };
  const header = split(lines[0] ?? '');
  if (!header.some((name) => ALIASES[name] === 'loss')) {
    fail('history (CSV) header', 'must name a loss column: step, loss, valLoss, learningRate, gradientNorm', lines[0] ?? '');
  }
  const rows = lines.slice(1).map((line, i) => {
    const cells = split(line);
    if (cells.length > header.length) fail(`history (CSV) line ${i + 2}`, `has ${cells.length} cells for ${header.length} columns`, line);
    return Object.fromEntries(header.map((name, j) => [name, cells[j] ?? '']));
  });
  return fromRows(rows, (row, column) => `history (CSV) line ${row + 2} column ${column}`);
}

/** A tfjs `History` (`model.fit`'s result): `{ epoch: number[], history: { loss: number[], val_loss?: number[], lr?: number[] } }`. */
function fromTfjs(input: { epoch?: unknown; history: Record<string, unknown> }): LossHistory {
  const columns = input.history;
  const loss = columns.loss;
  if (!Array.isArray(loss)) fail('history.history.loss', 'must be an array of losses (a tfjs History)', loss);
  const epochs = Array.isArray(input.epoch) ? input.epoch : loss.map((_, i) => i);
  const rows = epochs.map((epoch, i) =>
    Object.fromEntries([
      ['step', epoch],
      ...Object.entries(columns).map(([name, values]) => [name, Array.isArray(values) ? values[i] : undefined]),
    ]),
  );
  return fromRows(rows, (row, column) => (column === 'step' ? `history.epoch[${row}]` : `history.history.${column}[${row}]`));
}

/** Checks an already built {@link LossHistory}. */
function checked(input: Record<string, unknown>): LossHistory {
  const { steps, losses } = input;
  if (!Array.isArray(steps) || !Array.isArray(losses) || steps.length !== losses.length) {
    fail('history.steps', 'must be an array as long as history.losses', steps);
  }
  const rows = steps.map((step, i) => ({
    step,
    loss: losses[i],
    learningRate: (input.learningRates as unknown[] | undefined)?.[i],
    gradientNorm: (input.gradientNorms as unknown[] | undefined)?.[i],
  }));
  const plural: Readonly<Record<string, string>> = {
    step: 'steps',
    loss: 'losses',
    learningRate: 'learningRates',
    gradientNorm: 'gradientNorms',
  };
  const history = fromRows(rows, (row, column) => `history.${plural[column] ?? column}[${row}]`);
  const validation = isPlainObject(input.validation) ? input.validation : { steps: [], losses: [] };
  const valRows = (Array.isArray(validation.steps) ? validation.steps : []).map((step, i) => ({
    step,
    valLoss: (validation.losses as unknown[] | undefined)?.[i],
  }));
  const checkedValidation = fromRows(valRows, (row, column) => `history.validation.${column === 'step' ? 'steps' : 'losses'}[${row}]`);
  return { ...history, validation: checkedValidation.validation };
}

/**
 * Reads a training history from what you have:
 * - `train()`'s result, or its JSON: `{ history: StepRecord[], evaluations?: EvaluationRecord[] }`
 *   (an evaluation's `step` is the updates done, which is the step of the record after it);
 * - a tfjs `History` from `model.fit` (`{ epoch, history: { loss, val_loss, lr } }`: one point per epoch);
 * - rows `[{ step, loss, valLoss, learningRate, gradientNorm }]`, or that table as CSV text with a
 *   header (the columns in any order; `val_loss`, `lr`, `learning_rate`, `grad_norm` are
 *   accepted too; other columns are ignored; a missing `step` column numbers the rows);
 * - JSON text of any of these, or a {@link LossHistory}.
 *
 * Losses may be NaN or ±Infinity (written `NaN`, `inf`, or JSON `null`): that is how a
 * run that blew up looks. Everything else is checked: steps strictly increasing, learning
 * rates finite and >= 0, gradient norms >= 0; a bad value throws a `StepsizeError` naming
 * its row and column.
 *
 * @example
 * ```ts
 * const history = readHistory('step,loss,valLoss\n0,2.3,\n1,2.1,2.2\n');
 * history.losses; // [2.3, 2.1]
 * history.validation; // { steps: [1], losses: [2.2] }
 * ```
 */
export function readHistory(input: unknown): LossHistory {
  if (typeof input === 'string') {
    const text = input.trim();
    if (text.startsWith('{') || text.startsWith('[')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        throw new StepsizeError('history', `is not valid JSON (${(error as Error).message})`, input.slice(0, 60), { cause: error });
      }
      return readHistory(parsed);
    }
    return fromCsv(text);
  }
  if (Array.isArray(input)) {
    input.forEach((row, i) => {
      if (!isPlainObject(row)) fail(`history[${i}]`, 'must be a row object { step, loss, valLoss, learningRate, gradientNorm }', row);
    });
    return fromRows(input as Record<string, unknown>[], (row, column) => `history[${row}].${column}`);
  }
  if (isPlainObject(input) && Array.isArray(input.losses)) return checked(input);
  if (isPlainObject(input) && isPlainObject(input.history)) return fromTfjs(input as { epoch?: unknown; history: Record<string, unknown> });
  if (isPlainObject(input) && Array.isArray(input.history)) {
    const records = input.history as unknown[];
    records.forEach((row, i) => {
      if (!isPlainObject(row)) fail(`history.history[${i}]`, 'must be a step record { step, loss, learningRate, gradientNorm }', row);
    });
    const evaluations = Array.isArray(input.evaluations) ? (input.evaluations as unknown[]) : [];
    const byStep = new Map<number, Record<string, unknown>>();
    (records as Record<string, unknown>[]).forEach((row, i) => {
      if (byStep.has(row.step as number)) fail(`history.history[${i}].step`, "repeats an earlier record's step", row.step);
      byStep.set(row.step as number, { ...row });
    });
    evaluations.forEach((evaluation, i) => {
      if (!isPlainObject(evaluation)) fail(`history.evaluations[${i}]`, 'must be an evaluation record { step, loss }', evaluation);
      const step = evaluation.step as number;
      byStep.set(step, { ...(byStep.get(step) ?? { step }), valLoss: evaluation.loss });
    });
    const rows = [...byStep.values()].sort((a, b) => (a.step as number) - (b.step as number));
    return fromRows(rows, (row, column) => `history (step ${String(rows[row]?.step)}).${column}`);
  }
  return fail('history', "must be train()'s result, a tfjs History, rows of { step, loss, ... }, or CSV or JSON text", input);
}
