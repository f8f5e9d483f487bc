/** Options of {@link renderChart}. */
export interface ChartOptions {
  /** Plot area width in character cells (axis and labels come on top), an integer >= 1. */
  readonly width: number;
  /** Plot area height in character cells (the x axis comes below), an integer >= 1. */
  readonly height: number;
  /** Step of the first value, written under the left end of the x axis. */
  readonly firstStep: number;
  /** Step of the last value, written under the right end of the x axis. */
  readonly lastStep: number;
  /** Plain ASCII (`*`, `|`, `-`, `+`) instead of Unicode braille and box drawing. Default false. */
  readonly ascii?: boolean;
}

/** Braille dot bits by [row within cell][column within cell] (Unicode U+2800 block). */
const BRAILLE_BITS: readonly (readonly [number, number])[] = [
  [0x01, 0x08],
  [0x02, 0x10],
  [0x04, 0x20],
  [0x40, 0x80],
];

const UNICODE = { tick: '┤', axis: '│', corner: '└', rule: '─' };
const ASCII = { tick: '+', axis: '|', corner: '+', rule: '-' };

/**
 * A short label for an axis value: at most 6 significant digits, shortest
 * form (`0.1`, `0.0505`, `1e-7`). Labels only: tables and exports print
 * values with full precision.
 */
export function formatAxisValue(value: number): string {
  return String(Number(value.toPrecision(6)));
}

function checkSize(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`chart ${name} must be an integer >= 1, got ${value}`);
}

/**
 * Draws `values` (equally spaced samples, first at the left, last at the
 * right) as a line on a `columns` x `rows` grid of dots, scaled so the
 * largest value touches the top row and the smallest the bottom row (a flat
 * series sits on the middle row). Consecutive samples are joined by straight
 * segments, so the line has no gaps whether there are fewer samples than
 * columns or many more.
 *
 * @returns The grid, `grid[row][column]`, row 0 at the top; `true` is a dot.
 */
export function rasterize(values: ArrayLike<number>, columns: number, rows: number): boolean[][] {
  checkSize('columns', columns);
  checkSize('rows', rows);
  const grid = Array.from({ length: rows }, () => new Array<boolean>(columns).fill(false));
  const n = values.length;
  if (n === 0) return grid;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i += 1) {
    const v = values[i] as number;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const span = max - min;
  const xOf = (i: number): number => (n === 1 ? 0 : Math.round((i * (columns - 1)) / (n - 1)));
  const yOf = (v: number): number =>
    span > 0 && Number.isFinite(span) ? Math.round(((max - v) / span) * (rows - 1)) : Math.floor((rows - 1) / 2);
  const dot = (x: number, y: number): void => {
    (grid[y] as boolean[])[x] = true;
  };
  let x0 = xOf(0);
  let y0 = yOf(values[0] as number);
  dot(x0, y0);
  for (let i = 1; i < n; i += 1) {
    const x1 = xOf(i);
    const y1 = yOf(values[i] as number);
    const dx = x1 - x0;
    const dy = y1 - y0;
    const length = Math.max(Math.abs(dx), Math.abs(dy));
    for (let k = 1; k <= length; k += 1) dot(x0 + Math.round((dx * k) / length), y0 + Math.round((dy * k) / length));
    x0 = x1;
    y0 = y1;
  }
  return grid;
}

/**
 * Renders a terminal chart of a sampled curve: `height` rows of `width`
 * plot cells (Unicode braille, 2 x 4 dots per cell, or one `*` per cell with
 * `ascii`), a y axis labelled with the maximum (top row) and minimum (bottom
 * row) values, an x axis, and the first and last steps under its ends.
 *
 * @returns The chart's lines, without trailing spaces or newlines: `height`
 * plot rows, the x axis, the step labels.
 *
 * @example
 * ```ts
 * renderChart([0, 1, 2, 3], { width: 10, height: 3, firstStep: 0, lastStep: 3 }).join('\n');
 * ```
 */
export function renderChart(values: ArrayLike<number>, options: ChartOptions): string[] {
  const { width, height, firstStep, lastStep, ascii = false } = options;
  checkSize('width', width);
  checkSize('height', height);
  if (values.length === 0) throw new RangeError('chart needs at least one value');
  const glyphs = ascii ? ASCII : UNICODE;
  const dotColumns = ascii ? 1 : 2;
  const dotRows = ascii ? 1 : 4;
  const grid = rasterize(values, width * dotColumns, height * dotRows);

  const cells: string[] = [];
  for (let row = 0; row < height; row += 1) {
    let line = '';
    for (let column = 0; column < width; column += 1) {
      if (ascii) {
        line += grid[row]?.[column] ? '*' : ' ';
        continue;
      }
      let bits = 0;
      for (let dy = 0; dy < 4; dy += 1) {
        const pixels = grid[row * 4 + dy] as boolean[];
        const rowBits = BRAILLE_BITS[dy] as readonly [number, number];
        if (pixels[column * 2]) bits |= rowBits[0];
        if (pixels[column * 2 + 1]) bits |= rowBits[1];
      }
      line += bits === 0 ? ' ' : String.fromCharCode(0x2800 + bits);
    }
    cells.push(line);
  }

  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i += 1) {
    const v = values[i] as number;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const labels = new Map<number, string>();
  if (max > min) {
    labels.set(0, formatAxisValue(max));
    labels.set(height - 1, formatAxisValue(min));
  } else {
    // A flat curve is drawn on the middle dot row: label the cell row holding it.
    labels.set(Math.floor(Math.floor((height * dotRows - 1) / 2) / dotRows), formatAxisValue(max));
  }
  const labelWidth = Math.max(...[...labels.values()].map((label) => label.length));
  const margin = ' '.repeat(labelWidth);

  const lines = cells.map((line, row) => {
    const label = labels.get(row);
    const prefix = label === undefined ? `${margin} ${glyphs.axis}` : `${label.padStart(labelWidth)} ${glyphs.tick}`;
    return `${prefix}${line}`.trimEnd();
  });
  lines.push(`${margin} ${glyphs.corner}${glyphs.rule.repeat(width)}`);
  const first = String(firstStep);
  const last = String(lastStep);
  const stepLabels = firstStep === lastStep ? first : `${first}${' '.repeat(Math.max(1, width - first.length - last.length))}${last}`;
  lines.push(`${margin}  ${stepLabels}`);
  return lines;
}
