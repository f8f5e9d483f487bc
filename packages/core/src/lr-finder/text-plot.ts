import { renderChart } from '../cli/chart.js';
import { StepsizeError } from '../errors.js';
import type { FindLearningRateResult } from './range-test.js';
import type { SuggestionName } from './suggestions.js';

const NAMES: readonly SuggestionName[] = ['valley', 'steep', 'minimum', 'slide'];
const label = (value: number): string => String(Number(value.toPrecision(3)));

/**
 * A range test's plot for the terminal: the smoothed loss against the update (the sweep's
 * order, so an exponential sweep reads as a log axis), its y axis cut at
 * `min(highest, 2 × max(first smoothed loss, lowest))` so that the divergence at the end
 * does not flatten the rest, the learning rates at both ends, a row of markers at the
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
  const lowest = Math.min(...finite);
  const top = Math.min(Math.max(...finite), 2 * Math.max(finite[0] as number, lowest));
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
