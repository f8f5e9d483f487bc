import { TABLE_EDGE_ROWS, TABLE_MAX_ROWS } from './args.js';
import { renderChart } from './chart.js';

/** A sampled schedule, ready to print. */
export interface SampledSchedule {
  /** The schedule type, e.g. `"cosineAnnealing"`. */
  readonly type: string;
  /** The spec as read from the input (parsed JSON). */
  readonly spec: unknown;
  /** The steps sampled: `start, start + every, ...`. */
  readonly steps: readonly number[];
  /** The schedule's value at each of `steps`. */
  readonly values: ArrayLike<number>;
}

/** Options of {@link formatTable}. */
export interface TableOptions {
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
 * The `json` format: `{"type", "spec", "steps", "values"}` on one line, values
 * with full precision (JSON numbers print as `String(value)` does).
 */
export function formatJson(sampled: SampledSchedule): string {
  const { type, spec, steps, values } = sampled;
  return `${JSON.stringify({ type, spec, steps, values: Array.from(values) })}\n`;
}

/** The `csv` format: a `step,value` header, then one row per step, values as `String(value)`. */
export function formatCsv(sampled: SampledSchedule): string {
  const rows = ['step,value'];
  sampled.steps.forEach((step, i) => {
    rows.push(`${step},${String(sampled.values[i])}`);
  });
  return `${rows.join('\n')}\n`;
}

/** The header line of the table format: type, number of steps and their range. */
export function formatHeader(sampled: SampledSchedule): string {
  const { type, steps } = sampled;
  const first = steps[0] as number;
  const last = steps[steps.length - 1] as number;
  const every = steps.length > 1 ? (steps[1] as number) - first : 1;
  const count = `${steps.length} step${steps.length === 1 ? '' : 's'}`;
  const range = steps.length === 1 ? `step ${first}` : `${first} to ${last}${every === 1 ? '' : `, every ${every}`}`;
  return `${type}: ${count} (${range})`;
}

/**
 * The `table` format (for people): the header line, the chart (unless
 * `chart` is false), then an aligned `step  value` table, values as
 * `String(value)`. Above {@link TABLE_MAX_ROWS} rows only the first and last
 * {@link TABLE_EDGE_ROWS} are shown around a `...` line, unless `all`.
 */
export function formatTable(sampled: SampledSchedule, options: TableOptions): string {
  const { steps, values } = sampled;
  const out = [formatHeader(sampled), ''];
  if (options.chart) {
    const chartOptions = {
      width: options.width,
      height: options.height,
      ascii: options.ascii,
      firstStep: steps[0] as number,
      lastStep: steps[steps.length - 1] as number,
    };
    out.push(...renderChart(values, chartOptions), '');
  }
  const shortened = !options.all && steps.length > TABLE_MAX_ROWS;
  const shownIndexes = shortened
    ? [...range(0, TABLE_EDGE_ROWS), -1, ...range(steps.length - TABLE_EDGE_ROWS, steps.length)]
    : range(0, steps.length);
  const stepWidth = Math.max('step'.length, String(steps[steps.length - 1]).length);
  out.push(`${'step'.padStart(stepWidth)}  value`);
  for (const i of shownIndexes) {
    if (i === -1) {
      out.push(`${'...'.padStart(stepWidth)}  (${steps.length - 2 * TABLE_EDGE_ROWS} more rows; --all prints them)`);
    } else {
      out.push(`${String(steps[i]).padStart(stepWidth)}  ${String(values[i])}`);
    }
  }
  return `${out.join('\n')}\n`;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, k) => from + k);
}
