import { renderChart } from '@stepsize/core';
import { PNG } from 'pngjs';

/** A line plot's data. */
export interface PlotData {
  readonly title: string;
  /** x values (steps or rates) and y values. */
  readonly x: readonly number[];
  readonly y: readonly number[];
  readonly xLabel: string;
  readonly yLabel: string;
  /** Logarithmic x axis (learning-rate sweeps). */
  readonly logX?: boolean;
  /** Vertical markers (e.g. suggested rates), with labels. */
  readonly markers?: readonly { readonly x: number; readonly label: string }[];
}

const WIDTH = 800;
const HEIGHT = 400;
const MARGIN = { left: 70, right: 20, top: 40, bottom: 50 };

function scales(data: PlotData): {
  sx: (x: number) => number;
  sy: (y: number) => number;
  yMin: number;
  yMax: number;
  xMin: number;
  xMax: number;
} {
  const fx = (x: number): number => (data.logX ? Math.log10(x) : x);
  const xs = data.x.map(fx);
  const finite = data.y.filter(Number.isFinite);
  const xMin = Math.min(...xs);
  const xMax = Math.max(...xs);
  let yMin = Math.min(...finite);
  let yMax = Math.max(...finite);
  if (yMax === yMin) {
    yMax += Math.abs(yMax) * 0.05 || 1;
    yMin -= Math.abs(yMin) * 0.05 || 1;
  }
  const sx = (x: number): number => MARGIN.left + ((fx(x) - xMin) / (xMax - xMin || 1)) * (WIDTH - MARGIN.left - MARGIN.right);
  const sy = (y: number): number => HEIGHT - MARGIN.bottom - ((y - yMin) / (yMax - yMin)) * (HEIGHT - MARGIN.top - MARGIN.bottom);
  return { sx, sy, yMin, yMax, xMin, xMax };
}

const label = (v: number): string =>
  Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(1) : String(Number(v.toPrecision(3)));
const escapeXml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The plot as a standalone SVG document. */
export function toSvg(data: PlotData): string {
  const { sx, sy, yMin, yMax, xMin, xMax } = scales(data);
  const points = data.x.map((x, i) => [x, data.y[i] as number] as const).filter(([, y]) => Number.isFinite(y));
  const path = points.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${sx(x).toFixed(2)},${sy(y).toFixed(2)}`).join(' ');
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  const yTicks = ticks.map((t) => yMin + t * (yMax - yMin));
  const xTicks = ticks.map((t) => (data.logX ? 10 ** (xMin + t * (xMax - xMin)) : xMin + t * (xMax - xMin)));
  const markers = (data.markers ?? []).map(
    (m) =>
      `<line x1="${sx(m.x)}" x2="${sx(m.x)}" y1="${MARGIN.top}" y2="${HEIGHT - MARGIN.bottom}" stroke="#d62728" stroke-dasharray="4 3"/><text x="${sx(m.x) + 4}" y="${MARGIN.top + 12}" fill="#d62728" font-size="12">${escapeXml(m.label)}</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="${WIDTH / 2}" y="22" text-anchor="middle" font-size="16">${escapeXml(data.title)}</text>
<line x1="${MARGIN.left}" y1="${HEIGHT - MARGIN.bottom}" x2="${WIDTH - MARGIN.right}" y2="${HEIGHT - MARGIN.bottom}" stroke="#333"/>
<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${HEIGHT - MARGIN.bottom}" stroke="#333"/>
${yTicks.map((v) => `<text x="${MARGIN.left - 6}" y="${sy(v) + 4}" text-anchor="end" font-size="11">${label(v)}</text>`).join('\n')}
${xTicks.map((v) => `<text x="${sx(v)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle" font-size="11">${label(v)}</text>`).join('\n')}
<text x="${WIDTH / 2}" y="${HEIGHT - 10}" text-anchor="middle" font-size="12">${escapeXml(data.xLabel)}</text>
<text x="16" y="${HEIGHT / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 16 ${HEIGHT / 2})">${escapeXml(data.yLabel)}</text>
<path d="${path}" fill="none" stroke="#1f77b4" stroke-width="2"/>
${markers.join('\n')}
</svg>
`;
}

/** The plot as PNG bytes (axes, the curve and markers drawn with pngjs; text labels are in the SVG). */
export function toPng(data: PlotData): Buffer {
  const png = new PNG({ width: WIDTH, height: HEIGHT });
  png.data.fill(255);
  const set = (x: number, y: number, [r, g, b]: readonly [number, number, number]): void => {
    const px = Math.round(x);
    const py = Math.round(y);
    if (px < 0 || py < 0 || px >= WIDTH || py >= HEIGHT) return;
    const i = (py * WIDTH + px) * 4;
    png.data[i] = r;
    png.data[i + 1] = g;
    png.data[i + 2] = b;
    png.data[i + 3] = 255;
  };
  const line = (x0: number, y0: number, x1: number, y1: number, color: readonly [number, number, number], thick = 1): void => {
    const n = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0)));
    for (let k = 0; k <= n; k += 1) {
      const x = x0 + ((x1 - x0) * k) / n;
      const y = y0 + ((y1 - y0) * k) / n;
      for (let d = 0; d < thick; d += 1) set(x, y + d, color);
    }
  };
  const { sx, sy } = scales(data);
  line(MARGIN.left, HEIGHT - MARGIN.bottom, WIDTH - MARGIN.right, HEIGHT - MARGIN.bottom, [51, 51, 51]);
  line(MARGIN.left, MARGIN.top, MARGIN.left, HEIGHT - MARGIN.bottom, [51, 51, 51]);
  const points = data.x.map((x, i) => [x, data.y[i] as number] as const).filter(([, y]) => Number.isFinite(y));
  for (let i = 1; i < points.length; i += 1) {
    const [xa, ya] = points[i - 1] as readonly [number, number];
    const [xb, yb] = points[i] as readonly [number, number];
    line(sx(xa), sy(ya), sx(xb), sy(yb), [31, 119, 180], 2);
  }
  for (const m of data.markers ?? [])
    for (let y = MARGIN.top; y < HEIGHT - MARGIN.bottom; y += 7) line(sx(m.x), y, sx(m.x), y + 3, [214, 39, 40]);
  return PNG.sync.write(png);
}

/** The plot for a terminal (core's braille chart). */
export function toTerminal(data: PlotData, width = 60, height = 12): string {
  return renderChart(data.y, { width, height, firstStep: data.x[0] as number, lastStep: data.x[data.x.length - 1] as number }).join('\n');
}
