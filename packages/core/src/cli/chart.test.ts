import { describe, expect, it } from 'vitest';
import { formatAxisValue, rasterize, renderChart } from './chart.js';

const ramp = (n: number): number[] => Array.from({ length: n }, (_, i) => i / (n - 1));
const cosine = (n: number): number[] => Array.from({ length: n }, (_, i) => (1 + Math.cos((Math.PI * i) / (n - 1))) / 2);

/** Column index of every dot, per row. */
const dotsOf = (grid: boolean[][]): { row: number; column: number }[] =>
  grid.flatMap((cells, row) => cells.flatMap((on, column) => (on ? [{ row, column }] : [])));

/** For each column, the topmost row holding a dot (or -1). */
const topRows = (grid: boolean[][]): number[] =>
  Array.from({ length: grid[0]?.length ?? 0 }, (_, column) => grid.findIndex((cells) => cells[column]));

/** For each column, the bottommost row holding a dot (or -1). */
const bottomRows = (grid: boolean[][]): number[] =>
  Array.from({ length: grid[0]?.length ?? 0 }, (_, column) => {
    for (let row = grid.length - 1; row >= 0; row -= 1) if (grid[row]?.[column]) return row;
    return -1;
  });

const BITS: readonly (readonly [number, number])[] = [
  [0x01, 0x08],
  [0x02, 0x10],
  [0x04, 0x20],
  [0x40, 0x80],
];

/** Reads the dots back out of braille plot rows (each `width` cells, after the axis prefix). */
function decodeBraille(rows: readonly string[], width: number): boolean[][] {
  const grid = Array.from({ length: rows.length * 4 }, () => new Array<boolean>(width * 2).fill(false));
  rows.forEach((row, cellRow) => {
    [...row.padEnd(width)].forEach((char, cellColumn) => {
      const bits = char === ' ' ? 0 : (char.codePointAt(0) as number) - 0x2800;
      expect(bits).toBeGreaterThanOrEqual(0);
      expect(bits).toBeLessThan(256);
      BITS.forEach((pair, dy) => {
        pair.forEach((bit, dx) => {
          if (bits & bit) (grid[cellRow * 4 + dy] as boolean[])[cellColumn * 2 + dx] = true;
        });
      });
    });
  });
  return grid;
}

describe('formatAxisValue', () => {
  it('prints at most 6 significant digits in the shortest form', () => {
    expect(formatAxisValue(0)).toBe('0');
    expect(formatAxisValue(0.1)).toBe('0.1');
    expect(formatAxisValue(0.0505)).toBe('0.0505');
    expect(formatAxisValue(0.06000000000000001)).toBe('0.06');
    expect(formatAxisValue(0.09957652063800362)).toBe('0.0995765');
    expect(formatAxisValue(1e-7)).toBe('1e-7');
    expect(formatAxisValue(123456789)).toBe('123457000');
  });
});

describe('rasterize', () => {
  it('a linear ramp rises left to right: lowest dot at the left, highest dot at the right', () => {
    const grid = rasterize(ramp(11), 40, 16);
    expect(grid).toHaveLength(16);
    for (const row of grid) expect(row).toHaveLength(40);
    expect(grid[15]?.[0]).toBe(true); // bottom-left
    expect(grid[0]?.[39]).toBe(true); // top-right
    const top = dotsOf(grid)
      .filter((d) => d.row === 0)
      .map((d) => d.column);
    expect(Math.max(...top)).toBe(39);
    expect(
      Math.min(
        ...dotsOf(grid)
          .filter((d) => d.row === 15)
          .map((d) => d.column),
      ),
    ).toBe(0);
    // Monotone: the topmost dot of each column never goes down as x grows.
    const tops = topRows(grid);
    expect(tops.every((row) => row >= 0)).toBe(true); // no gaps
    for (let x = 1; x < tops.length; x += 1) expect(tops[x]).toBeLessThanOrEqual(tops[x - 1] as number);
  });

  it('a decreasing cosine has its highest dot at the left and falls monotonically, with no gaps', () => {
    for (const n of [5, 11, 1000]) {
      const grid = rasterize(cosine(n), 30, 12);
      expect(grid[0]?.[0]).toBe(true);
      expect(grid[11]?.[29]).toBe(true);
      const tops = topRows(grid);
      const bottoms = bottomRows(grid);
      expect(tops.every((row) => row >= 0)).toBe(true);
      for (let x = 1; x < tops.length; x += 1) {
        expect(tops[x]).toBeGreaterThanOrEqual(tops[x - 1] as number);
        // Continuous: each column's dots touch or overlap the previous column's.
        expect(tops[x]).toBeLessThanOrEqual((bottoms[x - 1] as number) + 1);
      }
    }
  });

  it('joins a step drop with a vertical run of dots when there are more samples than columns', () => {
    const values = Array.from({ length: 500 }, (_, i) => (i < 250 ? 1 : 0.25));
    const grid = rasterize(values, 20, 9);
    const dropColumn = topRows(grid).findIndex((_, x, tops) => x > 0 && (tops[x] as number) > 0);
    expect(dropColumn).toBeGreaterThan(0);
    const column = grid.map((cells) => cells[dropColumn - 1] || cells[dropColumn]);
    expect(column.every(Boolean)).toBe(true); // rows 0..8 all drawn around the drop
  });

  it('draws a flat series on the middle row and a single value as one dot', () => {
    const flat = rasterize([0.5, 0.5, 0.5], 10, 7);
    expect(flat[3]?.every(Boolean)).toBe(true);
    expect(dotsOf(flat)).toHaveLength(10);
    expect(dotsOf(rasterize([2], 10, 7))).toEqual([{ row: 3, column: 0 }]);
  });

  it('refuses empty grids', () => {
    expect(() => rasterize([1], 0, 3)).toThrow(RangeError);
    expect(() => rasterize([1], 3, 1.5)).toThrow(RangeError);
  });
});

describe('renderChart', () => {
  it('has height plot rows, an x axis of width cells and step labels under its ends', () => {
    const lines = renderChart(ramp(31), { width: 24, height: 6, firstStep: 0, lastStep: 30 });
    expect(lines).toHaveLength(8);
    expect(lines[0]).toMatch(/^1 ┤/);
    expect(lines[5]).toMatch(/^0 ┤/);
    for (const line of lines.slice(1, 5)) expect(line).toMatch(/^ {2}│/);
    expect(lines[6]).toBe(`  └${'─'.repeat(24)}`);
    expect(lines[7]).toBe(`   0${' '.repeat(21)}30`);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(2 + 1 + 24);
    for (const line of lines) expect(line).toBe(line.trimEnd());
  });

  it('encodes exactly the rasterized dots in braille, 2 x 4 dots per cell', () => {
    const values = cosine(50);
    const lines = renderChart(values, { width: 16, height: 5, firstStep: 0, lastStep: 49 });
    const plotRows = lines.slice(0, 5).map((line) => line.slice('1 ┤'.length));
    expect(decodeBraille(plotRows, 16)).toEqual(rasterize(values, 32, 20));
  });

  it("a ramp's highest braille dot is in the rightmost cell of the top row", () => {
    const lines = renderChart(ramp(11), { width: 20, height: 4, firstStep: 0, lastStep: 10 });
    const grid = decodeBraille(
      lines.slice(0, 4).map((line) => line.slice('1 ┤'.length)),
      20,
    );
    const topRow = dotsOf(grid)
      .filter((d) => d.row === 0)
      .map((d) => d.column);
    expect(Math.max(...topRow)).toBe(39); // the highest dot is at the right
    expect(Math.min(...topRow)).toBeGreaterThan(30);
    expect(grid[15]?.[0]).toBe(true);
  });

  it('right-aligns the y labels to the widest, max on top and min at the bottom', () => {
    const lines = renderChart([0.001, 0.1], { width: 10, height: 3, firstStep: 100, lastStep: 200 });
    expect(lines[0]).toMatch(/^ {2}0\.1 ┤/);
    expect(lines[1]).toMatch(/^ {5} │/);
    expect(lines[2]).toMatch(/^0\.001 ┤/);
    expect(lines[4]).toBe(`       100${' '.repeat(4)}200`);
  });

  it('labels only the row of a flat curve, and one step when first = last', () => {
    const lines = renderChart([0.5], { width: 10, height: 3, firstStep: 7, lastStep: 7 });
    expect(lines).toEqual(['    │', '0.5 ┤⠂', '    │', `    └${'─'.repeat(10)}`, '     7']);
  });

  it('--ascii: one * per cell and ASCII axes', () => {
    const lines = renderChart(ramp(6), { width: 6, height: 6, firstStep: 0, lastStep: 5, ascii: true });
    expect(lines).toEqual(['1 +     *', '  |    *', '  |   *', '  |  *', '  | *', '0 +*', '  +------', '   0    5']);
  });

  it('keeps a space between the step labels when the plot is narrow', () => {
    const lines = renderChart([1, 2], { width: 3, height: 2, firstStep: 1000, lastStep: 2000, ascii: true });
    expect(lines.at(-1)).toBe('   1000 2000');
  });

  it('refuses bad sizes and no values', () => {
    expect(() => renderChart([1], { width: 0, height: 3, firstStep: 0, lastStep: 0 })).toThrow(RangeError);
    expect(() => renderChart([1], { width: 3, height: -1, firstStep: 0, lastStep: 0 })).toThrow(RangeError);
    expect(() => renderChart([], { width: 3, height: 3, firstStep: 0, lastStep: 0 })).toThrow(RangeError);
  });
});
