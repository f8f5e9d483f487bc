import { rangeTestRecorder } from '@stepsize/core';
import { describe, expect, it } from 'vitest';
import { rangeTestSpec } from './range-test-spec.js';
import { rangeTestPng, rangeTestSvg, svgToPng } from './render.js';

/** A range test over 1e-6 .. 1 in 61 updates whose loss falls, bottoms out near 1e-2 and blows up. */
function curve() {
  const recorder = rangeTestRecorder({ steps: 61, smoothing: 0.5, divergence: 1e9 });
  for (let i = 0; i <= 60; i += 1) recorder.record(1e-6 * 10 ** (i / 10), (i <= 40 ? 2 - i / 40 : 1 + (i - 40) ** 2) + 0.05 * Math.sin(i));
  return recorder.result();
}

/** Width and height of a PNG (its IHDR chunk). */
function pngSize(png: Uint8Array): [number, number] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return [view.getUint32(16), view.getUint32(20)];
}

describe('range-test plots', () => {
  it('the SVG has the axes with their ticks and numbers, the title, and each suggestion with its value', async () => {
    const result = curve();
    const svg = await rangeTestSvg(result);
    expect(svg.startsWith('<svg')).toBe(true);
    for (const tick of ['1e-6', '1e-5', '1e-4', '1e-3', '1e-2', '1e-1']) expect(svg).toContain(`>${tick}</text>`);
    expect(svg).toContain('>learning rate</text>');
    expect(svg).toContain('Learning-rate range test: 61 updates, completed; suggested');
    for (const name of ['valley', 'steep', 'minimum'] as const) {
      const found = result.suggestions[name];
      expect(found).toBeDefined();
      expect(svg).toContain(`>${name} ${Number(found?.learningRate.toPrecision(3))}</text>`);
    }
    // The y axis is cut at 2 × the first smoothed loss, far below the 401 at the end.
    const y = (rangeTestSpec(result).scales as { name: string; domain: number[] }[]).find((s) => s.name === 'y');
    expect(y?.domain[1]).toBeLessThan(5);
  });

  it('a linear sweep gets a linear axis; options are checked, naming the bad one', async () => {
    const recorder = rangeTestRecorder({ steps: 20, smoothing: 0, divergence: 1e9 });
    for (let i = 0; i < 20; i += 1) recorder.record(0.01 + i * 0.01, 1 / (1 + i));
    const spec = rangeTestSpec(recorder.result(), { raw: false, suggestions: ['minimum'] });
    expect((spec.scales as { name: string; type: string }[])[0]?.type).toBe('linear');
    expect(() => rangeTestSpec(recorder.result(), { width: 3 })).toThrow(
      /range-test plot options\.width must be an integer from 50 to 10000/,
    );
    expect(() => rangeTestSpec(recorder.result(), { suggestions: ['best' as never] })).toThrow(
      /options\.suggestions must be an array of valley, steep, minimum, slide/,
    );
    expect(() => rangeTestSpec({ learningRates: [1], losses: [] } as never)).toThrow(
      /must hold as many losses and smoothedLosses as learningRates/,
    );
  });

  it('the PNG is the SVG rendered with the bundled font at the scale asked, the same bytes every time', async () => {
    const result = curve();
    const png = await rangeTestPng(result, { width: 400, height: 240, scale: 1 });
    expect(Array.from(png.slice(1, 4), (c) => String.fromCharCode(c)).join('')).toBe('PNG');
    const [width, height] = pngSize(png);
    const svg = await rangeTestSvg(result, { width: 400, height: 240 });
    const svgWidth = Number(/width="(\d+)"/.exec(svg)?.[1]);
    expect(width).toBe(svgWidth);
    expect(height).toBeGreaterThan(240);
    expect(pngSize(svgToPng(svg, { scale: 2 }))).toEqual([2 * width, 2 * height]);
    expect(await rangeTestPng(result, { width: 400, height: 240, scale: 1 })).toEqual(png);
    expect(() => svgToPng('not svg')).toThrow(/svgToPng\(svg\) must be SVG text/);
    expect(() => svgToPng(svg, { scale: 0 })).toThrow(/svgToPng options\.scale must be a number in \(0, 8\]/);
  });
});

describe('line charts', () => {
  it('draws each series with axes, ticks, numbers and a legend; checks its options', async () => {
    const { lineChartSpec } = await import('./line-spec.js');
    const { vegaToSvg } = await import('./render.js');
    const steps = Array.from({ length: 101 }, (_, i) => i);
    const svg = await vegaToSvg(
      lineChartSpec({
        title: 'two schedules',
        series: [
          { name: 'cosine', x: steps, y: steps.map((t) => 0.05 * (1 + Math.cos((Math.PI * t) / 100))) },
          { name: 'linear', x: steps, y: steps.map((t) => 0.1 * (1 - t / 100)) },
        ],
        xLabel: 'step',
        yLabel: 'learning rate',
      }),
    );
    for (const text of ['two schedules', 'step', 'learning rate', 'cosine', 'linear', '0', '50', '100', '0.10'])
      expect(svg).toContain(`>${text}</text>`);
    expect(() => lineChartSpec({ title: 't', series: [], xLabel: 'x', yLabel: 'y' })).toThrow(
      /line chart options\.series must be a non-empty array/,
    );
    expect(() => lineChartSpec({ title: 't', series: [{ name: 'a', x: [1, 2], y: [1] }], xLabel: 'x', yLabel: 'y' })).toThrow(
      /options\.series\[0\] must be/,
    );
    expect(() => lineChartSpec({ title: 't', series: [{ name: 'a', x: [1], y: [Number.NaN] }], xLabel: 'x', yLabel: 'y' })).toThrow(
      /has no finite point/,
    );
  });
});
