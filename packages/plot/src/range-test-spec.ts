import { type FindLearningRateResult, rangeTestLossRange, StepsizeError } from '@stepsize/core';

/** The suggestions a plot can mark (fastai's names). */
export type SuggestionName = 'valley' | 'steep' | 'minimum' | 'slide';

/** Options of the range-test plots ({@link rangeTestSpec}, `rangeTestSvg`, `rangeTestPng`). */
export interface RangeTestPlotOptions {
  /** Plot area width in pixels (axes and title come on top). Default 640. */
  readonly width?: number | undefined;
  /** Plot area height in pixels. Default 360. */
  readonly height?: number | undefined;
  /** The title. Default: the updates, why the test stopped and the suggestion. */
  readonly title?: string | undefined;
  /** The suggestions to mark, each with a rule and its value. Default every one the test found. */
  readonly suggestions?: readonly SuggestionName[] | undefined;
  /** Draw the raw losses (grey) under the smoothed ones. Default true. */
  readonly raw?: boolean | undefined;
}

/** A Vega specification (JSON), as `vega.parse` takes it. */
export type VegaSpec = Record<string, unknown>;

/** The fonts every plot names: DejaVu Sans, bundled for PNG (`dejavu-fonts-ttf`), the reader's sans-serif in an SVG viewer without it. */
export const PLOT_FONT = 'DejaVu Sans, sans-serif';

const COLORS: Readonly<Record<SuggestionName, string>> = { valley: '#d62728', steep: '#2ca02c', minimum: '#9467bd', slide: '#ff7f0e' };
const NAMES: readonly SuggestionName[] = ['valley', 'steep', 'minimum', 'slide'];
const where = 'range-test plot';

/** A learning rate as a label: 3 significant digits, shortest form. */
export const rateLabel = (value: number): string => String(Number(value.toPrecision(3)));

function size(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || (value as number) < 50 || (value as number) > 10_000) {
    throw new StepsizeError(`${where} options.${name}`, 'must be an integer from 50 to 10000 (pixels)', value);
  }
  return value as number;
}

/** Checks a range-test result's arrays (the plots read nothing else). */
function checkResult(result: FindLearningRateResult): void {
  if (typeof result !== 'object' || result === null || !Array.isArray(result.learningRates) || !Array.isArray(result.losses)) {
    throw new StepsizeError(`${where} result`, 'must be a range-test result (findLearningRate, findLearningRateWithFit)', result);
  }
  const { learningRates, losses, smoothedLosses } = result;
  if (losses.length !== learningRates.length || smoothedLosses?.length !== learningRates.length) {
    throw new StepsizeError(`${where} result`, 'must hold as many losses and smoothedLosses as learningRates', {
      learningRates: learningRates.length,
      losses: losses.length,
      smoothedLosses: smoothedLosses?.length,
    });
  }
  const bad = learningRates.findIndex((rate) => !(typeof rate === 'number' && Number.isFinite(rate) && rate >= 0));
  if (bad >= 0) throw new StepsizeError(`${where} result.learningRates[${bad}]`, 'must be a finite number >= 0', learningRates[bad]);
}

/**
 * The Vega specification of a range-test plot: the smoothed loss against the learning rate
 * (a log axis for an exponential sweep, linear otherwise), the raw losses under it, and a
 * rule with its value at each suggestion. The y axis runs from the lowest smoothed loss to
 * `min(highest, 2 × max(first smoothed loss, lowest))`, values above clamped to the top, so
 * the divergence at the end does not flatten the part that matters. Non-finite losses are
 * left out. Render it with `vega` (`new View(parse(spec)).toSVG()`), or use `rangeTestSvg` /
 * `rangeTestPng`.
 *
 * @example
 * ```ts
 * const spec = rangeTestSpec(await findLearningRate({ backend, optimizer, data, batchSize: 16 }), { width: 480 });
 * ```
 */
export function rangeTestSpec(result: FindLearningRateResult, options: RangeTestPlotOptions = {}): VegaSpec {
  checkResult(result);
  if (typeof options !== 'object' || options === null) throw new StepsizeError(`${where} options`, 'must be an options object', options);
  const width = size(options.width, 'width', 640);
  const height = size(options.height, 'height', 360);
  const marked = options.suggestions ?? NAMES;
  if (!Array.isArray(marked) || marked.some((name) => !NAMES.includes(name))) {
    throw new StepsizeError(`${where} options.suggestions`, `must be an array of ${NAMES.join(', ')}`, options.suggestions);
  }
  if (options.title !== undefined && typeof options.title !== 'string')
    throw new StepsizeError(`${where} options.title`, 'must be a string', options.title);
  const { learningRates, losses, smoothedLosses } = result;
  const points = learningRates
    .map((learningRate, i) => ({ learningRate, loss: losses[i] as number, smoothed: smoothedLosses[i] as number }))
    .filter((p) => Number.isFinite(p.smoothed) && Number.isFinite(p.loss));
  if (points.length === 0) throw new StepsizeError(`${where} result`, 'has no finite loss to plot', result.losses.length);
  const positive = points.every((p) => p.learningRate > 0);
  const first = points[0] as (typeof points)[number];
  const last = points[points.length - 1] as (typeof points)[number];
  // A linear sweep (equal steps) gets a linear axis; an exponential one (equal ratios), a log axis.
  const step = learningRates.length > 1 ? (learningRates[1] as number) - (learningRates[0] as number) : 0;
  const linear = learningRates.every(
    (rate, i) => i === 0 || Math.abs(rate - (learningRates[i - 1] as number) - step) <= 1e-9 * Math.abs(rate),
  );
  const logScale = positive && !linear && last.learningRate > first.learningRate;
  const { lowest, top } = rangeTestLossRange(points.map((p) => p.smoothed)) as { lowest: number; top: number };
  const spread = top - lowest || Math.abs(top) || 1;
  const suggestions = (marked as readonly SuggestionName[]).flatMap((name) => {
    const found = result.suggestions?.[name];
    if (found === undefined) return [];
    // The dot sits on the curve at the suggested rate (`minimum` is a tenth of the rate at the lowest loss, not a point of the curve).
    const nearest = points.reduce((best, p) =>
      Math.abs(p.learningRate - found.learningRate) < Math.abs(best.learningRate - found.learningRate) ? p : best,
    );
    return [{ name, learningRate: found.learningRate, smoothed: nearest.smoothed, label: `${name} ${rateLabel(found.learningRate)}` }];
  });
  const chosen = result.suggestion;
  const title =
    options.title ??
    `Learning-rate range test: ${learningRates.length} updates, ${result.stopReason}${chosen ? `; suggested ${rateLabel(chosen.learningRate)}` : ''}`;
  const marks: unknown[] = [];
  if (options.raw !== false) {
    marks.push({
      type: 'line',
      from: { data: 'curve' },
      encode: {
        enter: {
          x: { scale: 'x', field: 'learningRate' },
          y: { scale: 'y', field: 'loss' },
          stroke: { value: '#9a9a9a' },
          strokeWidth: { value: 1 },
          strokeOpacity: { value: 0.6 },
        },
      },
    });
  }
  marks.push(
    {
      type: 'line',
      from: { data: 'curve' },
      encode: {
        enter: {
          x: { scale: 'x', field: 'learningRate' },
          y: { scale: 'y', field: 'smoothed' },
          stroke: { value: '#1f77b4' },
          strokeWidth: { value: 2 },
        },
      },
    },
    {
      type: 'rule',
      from: { data: 'suggestions' },
      encode: {
        enter: {
          x: { scale: 'x', field: 'learningRate' },
          y: { value: 0 },
          y2: { signal: 'height' },
          stroke: { scale: 'color', field: 'name' },
          strokeDash: { value: [4, 3] },
          strokeWidth: { value: 1.5 },
        },
      },
    },
    {
      type: 'symbol',
      from: { data: 'suggestions' },
      encode: {
        enter: {
          x: { scale: 'x', field: 'learningRate' },
          y: { scale: 'y', field: 'smoothed' },
          fill: { scale: 'color', field: 'name' },
          size: { value: 60 },
        },
      },
    },
    {
      type: 'text',
      from: { data: 'suggestions' },
      encode: {
        enter: {
          x: { scale: 'x', field: 'learningRate', offset: 4 },
          y: { signal: `12 + 14 * datum.order` },
          text: { field: 'label' },
          fill: { scale: 'color', field: 'name' },
          fontSize: { value: 12 },
          font: { value: PLOT_FONT },
        },
      },
    },
  );
  return {
    $schema: 'https://vega.github.io/schema/vega/v6.json',
    width,
    height,
    padding: 8,
    background: 'white',
    config: { font: PLOT_FONT, title: { font: PLOT_FONT, fontSize: 14 }, axis: { labelFont: PLOT_FONT, titleFont: PLOT_FONT } },
    title: { text: title, anchor: 'start' },
    data: [
      { name: 'curve', values: points },
      { name: 'suggestions', values: suggestions.map((s, order) => ({ ...s, order })) },
    ],
    scales: [
      {
        name: 'x',
        type: logScale ? 'log' : 'linear',
        domain: [first.learningRate, last.learningRate],
        range: 'width',
        ...(logScale ? {} : { zero: false, nice: true }),
      },
      {
        name: 'y',
        type: 'linear',
        domain: [lowest - 0.05 * spread, top + 0.05 * spread],
        range: 'height',
        zero: false,
        nice: true,
        clamp: true,
      },
      { name: 'color', type: 'ordinal', domain: NAMES, range: NAMES.map((name) => COLORS[name]) },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: 'learning rate', ...(logScale ? { format: '.0e' } : {}) },
      { orient: 'left', scale: 'y', title: options.raw === false ? 'loss (smoothed)' : 'loss (blue: smoothed, grey: raw)', grid: true },
    ],
    marks,
  };
}
