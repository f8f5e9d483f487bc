/**
 * Plots of stepsize's learning-rate range test as SVG and PNG: a Vega specification
 * (`rangeTestSpec`), rendered by Vega's SVG renderer and by resvg with a bundled font.
 * For the terminal, `rangeTestChart` is in `@stepsize/core`.
 */
export { PLOT_FONT, rangeTestSpec, rateLabel, type RangeTestPlotOptions, type SuggestionName, type VegaSpec } from './range-test-spec.js';
export { type LineChartOptions, type LineSeries, lineChartSpec } from './line-spec.js';
export { rangeTestPng, rangeTestSvg, svgToPng, vegaToSvg } from './render.js';
