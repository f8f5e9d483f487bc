import { createRequire } from 'node:module';
import { Resvg } from '@resvg/resvg-js';
import { type FindLearningRateResult, StepsizeError } from '@stepsize/core';
import { parse, View } from 'vega';
import { type RangeTestPlotOptions, rangeTestSpec, type VegaSpec } from './range-test-spec.js';

const require = createRequire(import.meta.url);
/** DejaVu Sans, from `dejavu-fonts-ttf`: PNGs render the same on every machine, fonts installed or not. */
const FONT_FILES = ['dejavu-fonts-ttf/ttf/DejaVuSans.ttf', 'dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf'].map((file) => require.resolve(file));

/**
 * Renders a Vega specification to SVG text (Vega's own SVG renderer: no canvas, no browser).
 *
 * @example
 * ```ts
 * writeFileSync('plot.svg', await vegaToSvg(rangeTestSpec(result)));
 * ```
 */
export async function vegaToSvg(spec: VegaSpec): Promise<string> {
  const view = new View(parse(spec as Parameters<typeof parse>[0]), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Renders SVG text to PNG bytes with resvg, the text in the bundled DejaVu Sans (system
 * fonts are not read, so the bytes are the same on every machine). `scale` multiplies the
 * SVG's size (default 2, for sharp text on high-density screens).
 *
 * @example
 * ```ts
 * writeFileSync('plot.png', svgToPng(svg, { scale: 1 }));
 * ```
 */
export function svgToPng(svg: string, options: { readonly scale?: number | undefined } = {}): Uint8Array {
  if (typeof svg !== 'string' || !svg.trimStart().startsWith('<svg')) throw new StepsizeError('svgToPng(svg)', 'must be SVG text', svg);
  const scale = options.scale ?? 2;
  if (!(typeof scale === 'number' && Number.isFinite(scale) && scale > 0 && scale <= 8)) {
    throw new StepsizeError('svgToPng options.scale', 'must be a number in (0, 8]', scale);
  }
  const renderer = new Resvg(svg, {
    font: { loadSystemFonts: false, fontFiles: FONT_FILES, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
  });
  return new Uint8Array(renderer.render().asPng());
}

/**
 * A range test's plot as SVG text (see {@link rangeTestSpec} for what it shows).
 *
 * @example
 * ```ts
 * writeFileSync('lr-find.svg', await rangeTestSvg(result));
 * ```
 */
export async function rangeTestSvg(result: FindLearningRateResult, options?: RangeTestPlotOptions): Promise<string> {
  return vegaToSvg(rangeTestSpec(result, options));
}

/**
 * A range test's plot as PNG bytes (see {@link rangeTestSpec}; `scale` as in {@link svgToPng}).
 *
 * @example
 * ```ts
 * writeFileSync('lr-find.png', await rangeTestPng(result, { scale: 2 }));
 * ```
 */
export async function rangeTestPng(
  result: FindLearningRateResult,
  options: RangeTestPlotOptions & { readonly scale?: number | undefined } = {},
): Promise<Uint8Array> {
  const { scale, ...plot } = options;
  return svgToPng(await rangeTestSvg(result, plot), { scale });
}
