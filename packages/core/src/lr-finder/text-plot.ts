import { renderChart } from '../cli/chart.js';
import { StepsizeError } from '../errors.js';
import type { FindLearningRateResult } from './range-test.js';
import type { SuggestionName } from './suggestions.js';

const NAMES: readonly SuggestionName[] = ['valley', 'steep', 'minimum', 'slide'];
const label = (value: number): string => String(Number(value.toPrecision(3)));

/**
 * The loss range a range-test plot shows (every plot of it: the terminal's, @stepsize/plot's,
 * the web page's): from the lowest finite loss of `losses` (the smoothed ones) to
 * `min(highest, 2 × max(first, lowest))`, so that the divergence at the end does not flatten
 * the part that matters (the whole range when that cut is not above the lowest, as for
 * negative losses); values above are drawn at the top. Undefined when none is finite.
 *
 * @example
 * ```ts
 * rangeTestLossRange([1, 0.5, 0.4, 9]); // { lowest: 0.4, top: 2 }
 * ```
 */
export function rangeTestLossRange(losses: readonly number[]): { readonly lowest: number; readonly top: number } | undefined {
  const finite = losses.filter(Number.isFinite);
  if (finite.length === 0) return undefined;
  const lowest = Math.min(...finite);
  const highest = Math.max(...finite);
  const cut = 2 * Math.max(finite[0] as number, lowest);
  // Losses at or below 0 (a log-likelihood) have no such cut: the whole range is shown.
  return { lowest, top: cut > lowest ? Math.min(highest, cut) : highest };
}

/**
 * A range test's plot for the terminal: the smoothed loss against the update (the sweep's
 * order, so an exponential sweep reads as a log axis), its y axis cut as
 * {@link rangeTestLossRange} cuts it, the learning rates at both ends, a row of markers at the
 * suggestions (`v` valley, `s` steep, `m` minimum, `d` slide; the first named wins a cell)
 * and a line with their values. Non-finite losses are left out.
 *
 * @returns The lines, without trailing newlines.
 * @example
 * ```ts
 * console.log(rangeTestChart(await findLearningRate({ backend, optimizer, data, batchSize: 16 })).join('\n'));
 * ```
 */
export function rangeTestChart(
  result: FindLearningRateResult,
  options: { readonly width?: number; readonly height?: number; readonly ascii?: boolean } = {},
): string[] {
  const { learningRates, smoothedLosses } = result ?? {};
  if (!Array.isArray(learningRates) || !Array.isArray(smoothedLosses) || smoothedLosses.length !== learningRates.length) {
    throw new StepsizeError('rangeTestChart(result)', 'must be a range-test result (findLearningRate)', result);
  }
  const width = options.width ?? 64;
  const height = options.height ?? 12;
  const count = smoothedLosses.findIndex((loss) => !Number.isFinite(loss));
  const finite = count === -1 ? smoothedLosses : smoothedLosses.slice(0, count);
  if (finite.length === 0) throw new StepsizeError('rangeTestChart(result)', 'has no finite loss to plot', smoothedLosses.length);
  const { top } = rangeTestLossRange(finite) as { top: number };
  const lines = renderChart(
    finite.map((loss) => Math.min(loss, top)),
    {
      width,
      height,
      ascii: options.ascii ?? false,
      firstStep: Number(label(learningRates[0] as number)),
      lastStep: Number(label(learningRates[finite.length - 1] as number)),
    },
  );
  const axis = lines[lines.length - 2] as string;
  const start = axis.length - width;
  const markers = Array.from({ length: width }, () => ' ');
  const values: string[] = [];
  for (const name of [...NAMES].reverse()) {
    const found = result.suggestions?.[name];
    if (found === undefined || found.index >= finite.length) continue;
    const column = finite.length === 1 ? 0 : Math.round((found.index / (finite.length - 1)) * (width - 1));
    markers[column] = name === 'slide' ? 'd' : (name[0] as string);
  }
  for (const name of NAMES) {
    const found = result.suggestions?.[name];
    if (found !== undefined) values.push(`${name} ${label(found.learningRate)}`);
  }
  lines.splice(lines.length - 1, 0, `${' '.repeat(start)}${markers.join('')}`.trimEnd());
  lines.push(
    `learning rate ${label(learningRates[0] as number)} .. ${label(learningRates[finite.length - 1] as number)}${values.length > 0 ? `; ${values.join(', ')}` : ''}`,
  );
  return lines;
}
