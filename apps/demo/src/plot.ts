import { type FindLearningRateResult, rangeTestChart, renderChart } from '@stepsize/core';
import { lineChartSpec, rangeTestPng, rangeTestSvg, svgToPng, vegaToSvg } from '@stepsize/plot';

/** A plot as the demo writes it: SVG text, PNG bytes and the terminal lines. */
export interface DemoPlot {
  readonly svg: string;
  readonly png: Uint8Array;
  readonly terminal: string;
}

/** A schedule's curve over the steps (drawn by @stepsize/plot; core's braille chart for the terminal). */
export async function schedulePlot(title: string, values: readonly number[]): Promise<DemoPlot> {
  const steps = values.map((_, i) => i);
  const svg = await vegaToSvg(
    lineChartSpec({ title, series: [{ name: 'learning rate', x: steps, y: values }], xLabel: 'step', yLabel: 'learning rate' }),
  );
  const terminal = renderChart(values, { width: 60, height: 12, firstStep: 0, lastStep: values.length - 1 }).join('\n');
  return { svg, png: svgToPng(svg), terminal };
}

/** A range test's plot (@stepsize/plot's, with fastai's suggestions marked; core's for the terminal). */
export async function rangeTestPlot(result: FindLearningRateResult, title: string): Promise<DemoPlot> {
  return {
    svg: await rangeTestSvg(result, { title }),
    png: await rangeTestPng(result, { title }),
    terminal: rangeTestChart(result).join('\n'),
  };
}
