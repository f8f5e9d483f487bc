import { TABLE_EDGE_ROWS, TABLE_MAX_ROWS } from './args.js';
import { renderChart } from './chart.js';

/** A sampled schedule, ready to print. */
export interface SampledSchedule {
  /** The schedule type, e.g. `"cosineAnnealing"`. */
  readonly type: string;
  /** The spec as read from the input (parsed JSON). */
  readonly spec: unknown;
  /** The first step sampled. */
  readonly start: number;
  /** The distance between sampled steps: the steps are `start, start + every, ...`. */
  readonly every: number;
  /** The schedule's value at each step (at least one). */
  readonly values: ArrayLike<number>;
}

/** Options of every format. */
export interface ValueOptions {
  /**
   * Round printed values to this many significant digits (then print the
   * shortest form of the rounded number). `undefined` prints the exact value.
   */
  readonly significant?: number | undefined;
}

/** Options of {@link formatTable}. */
export interface TableOptions extends ValueOptions {
  /** Draw the chart between the header and the table. */
  readonly chart: boolean;
  /** Chart plot area width in character cells. */
  readonly width: number;
  /** Chart plot area height in character cells. */
  readonly height: number;
  /** Plain ASCII chart. */
  readonly ascii: boolean;
  /** Print every row, even above {@link TABLE_MAX_ROWS}. */
  readonly all: boolean;
}

/**
 * How every format prints a value: by default `String(value)`, the shortest
 * decimal that reads back to exactly the same double (so `0.0007 * 0.1`
 * prints as `0.00007000000000000001`: that is the value the schedule
 * returns, not `7e-5`). With `significant`, the value is rounded to that many
 * significant digits for display and printed in its shortest form
 * (`0.00007`); a rounding that would overflow to Infinity prints the exact
 * value instead.
 *
 * @example
 * ```ts
 * formatValue(0.0007 * 0.1); // "0.00007000000000000001"
 * formatValue(0.0007 * 0.1, { significant: 6 }); // "0.00007"
 * ```
 */
export function formatValue(value: number, options: ValueOptions = {}): string {
  const { significant } = options;
  if (significant === undefined) return String(value);
  const rounded = Number(value.toPrecision(significant));
  return Number.isFinite(rounded) ? String(rounded) : String(value);
}

/** The step of row `index`. */
function stepAt(sampled: SampledSchedule, index: number): number {
  return sampled.start + index * sampled.every;
}

/** Rows are joined into blocks of this many before they are handed on, to keep the per-piece cost low. */
const ROWS_PER_PIECE = 1024;

/** The concatenation of `item(from) ... item(to - 1)`, in blocks of {@link ROWS_PER_PIECE}, each after `separator` but the first. */
function* joined(from: number, to: number, item: (index: number) => string, separator = ''): Generator<string> {
  for (let blockStart = from; blockStart < to; blockStart += ROWS_PER_PIECE) {
    const blockEnd = Math.min(to, blockStart + ROWS_PER_PIECE);
    const items: string[] = [];
    for (let i = blockStart; i < blockEnd; i += 1) items.push(item(i));
    yield (blockStart === from ? '' : separator) + items.join(separator);
  }
}

/**
 * The `json` format: `{"type", "spec", "steps", "values"}` on one line, as
 * `JSON.stringify` would print it, produced in pieces so the output can be
 * streamed (values as {@link formatValue} prints them).
 */
export function* formatJson(sampled: SampledSchedule, options: ValueOptions = {}): Generator<string> {
  const { type, spec, values } = sampled;
  const head = JSON.stringify({ type, spec });
  yield `${head.slice(0, -1)},"steps":[`;
  yield* joined(0, values.length, (i) => String(stepAt(sampled, i)), ',');
  yield '],"values":[';
  yield* joined(0, values.length, (i) => formatValue(values[i] as number, options), ',');
  yield ']}\n';
}

/** The `csv` format, in pieces: a `step,value` header, then one row per step (values as {@link formatValue} prints them). */
export function* formatCsv(sampled: SampledSchedule, options: ValueOptions = {}): Generator<string> {
  const { values } = sampled;
  yield 'step,value\n';
  yield* joined(0, values.length, (i) => `${stepAt(sampled, i)},${formatValue(values[i] as number, options)}\n`);
}

/** The header line of the table format: type, number of steps and their range. */
export function formatHeader(sampled: SampledSchedule): string {
  const { type, start, every, values } = sampled;
  const length = values.length;
  const last = stepAt(sampled, length - 1);
  const count = `${length} step${length === 1 ? '' : 's'}`;
  const range = length === 1 ? `step ${start}` : `${start} to ${last}${every === 1 ? '' : `, every ${every}`}`;
  return `${type}: ${count} (${range})`;
}

/**
 * The `table` format (for people), in pieces: the header line, the chart
 * (unless `chart` is false), then an aligned `step  value` table, values as
 * {@link formatValue} prints them. Above {@link TABLE_MAX_ROWS} rows only
 * the first and last {@link TABLE_EDGE_ROWS} are shown around a `...` line,
 * unless `all`.
 */
export function* formatTable(sampled: SampledSchedule, options: TableOptions): Generator<string> {
  const { values } = sampled;
  const length = values.length;
  const lastStep = stepAt(sampled, length - 1);
  yield `${formatHeader(sampled)}\n\n`;
  if (options.chart) {
    const chartOptions = { width: options.width, height: options.height, ascii: options.ascii, firstStep: sampled.start, lastStep };
    yield `${renderChart(values, chartOptions).join('\n')}\n\n`;
  }
  const stepWidth = Math.max('step'.length, String(lastStep).length);
  const row = (i: number): string => `${String(stepAt(sampled, i)).padStart(stepWidth)}  ${formatValue(values[i] as number, options)}\n`;
  yield `${'step'.padStart(stepWidth)}  value\n`;
  if (options.all || length <= TABLE_MAX_ROWS) {
    yield* joined(0, length, row);
    return;
  }
  yield* joined(0, TABLE_EDGE_ROWS, row);
  yield `${'...'.padStart(stepWidth)}  (${length - 2 * TABLE_EDGE_ROWS} more rows; --all prints them)\n`;
  yield* joined(length - TABLE_EDGE_ROWS, length, row);
}
