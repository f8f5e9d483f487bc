import { StepsizeError } from '@stepsize/core';
import { PLOT_FONT, type VegaSpec } from './range-test-spec.js';

/** One line of a {@link lineChartSpec}. */
export interface LineSeries {
  readonly name: string;
  readonly x: readonly number[];
  readonly y: readonly number[];
}

/** Options of {@link lineChartSpec}. */
export interface LineChartOptions {
  readonly title: string;
  readonly series: readonly LineSeries[];
  readonly xLabel: string;
  readonly yLabel: string;
  /** Logarithmic axes (every value of that axis must then be > 0). Default false. */
  readonly logX?: boolean | undefined;
  readonly logY?: boolean | undefined;
  /** Plot area in pixels. Default 640 × 360. */
  readonly width?: number | undefined;
  readonly height?: number | undefined;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b'];
const where = 'line chart';

/**
 * The Vega specification of a line chart: one line per series (a learning-rate schedule over
 * the steps, loss curves), axes with ticks, numbers and titles, a legend when there is more
 * than one series. Non-finite points are left out. Render it with `vegaToSvg` and `svgToPng`.
 *
 * @example
 * ```ts
 * const steps = Array.from({ length: 100 }, (_, i) => i);
 * const svg = await vegaToSvg(lineChartSpec({ title: 'cosine', series: [{ name: 'rate', x: steps, y: Array.from(sample(schedule, { steps: 100 })) }], xLabel: 'step', yLabel: 'learning rate' }));
 * ```
 */
export function lineChartSpec(options: LineChartOptions): VegaSpec {
  if (typeof options !== 'object' || options === null) throw new StepsizeError(`${where} options`, 'must be an options object', options);
  const { series, logX = false, logY = false } = options;
  if (!Array.isArray(series) || series.length === 0)
    throw new StepsizeError(`${where} options.series`, 'must be a non-empty array of { name, x, y }', series);
  const values: { series: string; x: number; y: number }[] = [];
  series.forEach((line, i) => {
    if (typeof line?.name !== 'string' || !Array.isArray(line.x) || !Array.isArray(line.y) || line.x.length !== line.y.length) {
      throw new StepsizeError(`${where} options.series[${i}]`, 'must be { name, x, y } with as many x as y values', line);
    }
    line.x.forEach((x: number, j: number) => {
      const y = line.y[j] as number;
      if (Number.isFinite(x) && Number.isFinite(y) && (!logX || x > 0) && (!logY || y > 0)) values.push({ series: line.name, x, y });
    });
  });
  if (values.length === 0) throw new StepsizeError(`${where} options.series`, 'has no finite point to plot', series.length);
  for (const key of ['width', 'height'] as const) {
    const value = options[key];
    if (value !== undefined && (!Number.isSafeInteger(value) || value < 50 || value > 10_000)) {
      throw new StepsizeError(`${where} options.${key}`, 'must be an integer from 50 to 10000 (pixels)', value);
    }
  }
  const names = series.map((line) => line.name);
  return {
    $schema: 'https://vega.github.io/schema/vega/v6.json',
    width: options.width ?? 640,
    height: options.height ?? 360,
    padding: 8,
    background: 'white',
    config: {
      font: PLOT_FONT,
      title: { font: PLOT_FONT, fontSize: 14 },
      axis: { labelFont: PLOT_FONT, titleFont: PLOT_FONT },
      legend: { labelFont: PLOT_FONT },
    },
    title: { text: options.title, anchor: 'start' },
    data: [{ name: 'points', values }],
    scales: [
      {
        name: 'x',
        type: logX ? 'log' : 'linear',
        domain: { data: 'points', field: 'x' },
        range: 'width',
        ...(logX ? {} : { zero: false, nice: true }),
      },
      {
        name: 'y',
        type: logY ? 'log' : 'linear',
        domain: { data: 'points', field: 'y' },
        range: 'height',
        ...(logY ? {} : { zero: false, nice: true }),
      },
      { name: 'color', type: 'ordinal', domain: names, range: names.map((_, i) => PALETTE[i % PALETTE.length]) },
    ],
    axes: [
      { orient: 'bottom', scale: 'x', title: options.xLabel, ...(logX ? { format: '.0e' } : {}) },
      { orient: 'left', scale: 'y', title: options.yLabel, grid: true, ...(logY ? { format: '.0e' } : {}) },
    ],
    ...(series.length > 1 && { legends: [{ stroke: 'color', orient: 'top-right', symbolType: 'stroke' }] }),
    marks: [
      {
        type: 'group',
        from: { facet: { name: 'line', data: 'points', groupby: 'series' } },
        marks: [
          {
            type: 'line',
            from: { data: 'line' },
            encode: {
              enter: {
                x: { scale: 'x', field: 'x' },
                y: { scale: 'y', field: 'y' },
                stroke: { scale: 'color', field: 'series' },
                strokeWidth: { value: 2 },
              },
            },
          },
        ],
      },
    ],
  };
}
