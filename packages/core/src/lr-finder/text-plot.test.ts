import { describe, expect, it } from 'vitest';
import { rangeTestRecorder } from './range-test.js';
import { rangeTestChart, rangeTestLossRange } from './text-plot.js';

/** A range test over 1e-6 .. 1 in 61 updates whose loss falls, bottoms out at 1e-2 and blows up. */
function curve() {
  const recorder = rangeTestRecorder({ steps: 61, smoothing: 0, divergence: 1e9 });
  for (let i = 0; i <= 60; i += 1) {
    const rate = 1e-6 * 10 ** (i / 10);
    recorder.record(rate, i <= 40 ? 2 - i / 40 : 1 + (i - 40) ** 2);
  }
  return recorder.result();
}

describe('rangeTestChart', () => {
  it('draws the smoothed loss, clips the blow-up at twice the start, marks the suggestions under their updates', () => {
    const result = curve();
    const lines = rangeTestChart(result, { width: 61, height: 8, ascii: true });
    // y axis: the lowest loss (1) to 2 × the first (2) = 4, the 401 at the end clipped there.
    expect(lines[0]).toMatch(/^4 \+/);
    expect(lines[7]).toMatch(/^1 \+/);
    const markers = lines[9] as string;
    const valley = result.suggestions.valley;
    const minimum = result.suggestions.minimum;
    expect(valley).toBeDefined();
    // One column per update: the marker sits at the suggestion's index.
    const start = (lines[8] as string).indexOf('+') + 1;
    expect(markers[start + (valley?.index as number)]).toBe('v');
    expect(markers[start + (minimum?.index as number)]).toBe('m');
    expect(lines[10]).toMatch(/^\s+0\.000001\s+1$/);
    expect(lines[11]).toBe(
      `learning rate 0.000001 .. 1; ${['valley', 'steep', 'minimum', 'slide']
        .filter((n) => result.suggestions[n as 'valley'] !== undefined)
        .map((n) => `${n} ${Number(result.suggestions[n as 'valley']?.learningRate.toPrecision(3))}`)
        .join(', ')}`,
    );
  });

  it('stops at the first non-finite loss and refuses what is not a result', () => {
    const recorder = rangeTestRecorder({ steps: 10, smoothing: 0, divergence: 5 });
    for (const loss of [3, 2, 1, Number.NaN]) recorder.record(0.1, loss);
    const lines = rangeTestChart(recorder.result(), { width: 10, height: 3, ascii: true });
    expect(lines[0]).toMatch(/^3 \+/);
    expect(() => rangeTestChart({} as never)).toThrow(/rangeTestChart\(result\) must be a range-test result/);
  });
});

describe('rangeTestLossRange', () => {
  it('runs from the lowest finite loss to min(highest, 2 × max(first, lowest))', () => {
    expect(rangeTestLossRange([1, 0.5, 0.4, 9])).toEqual({ lowest: 0.4, top: 2 });
    // A curve that never rises above twice its start keeps its highest point.
    expect(rangeTestLossRange([1, 0.5, 1.5, Number.NaN])).toEqual({ lowest: 0.5, top: 1.5 });
    // Negative losses have no cut at twice the start: the whole range.
    expect(rangeTestLossRange([-1, -2, 3])).toEqual({ lowest: -2, top: 3 });
    expect(rangeTestLossRange([Number.NaN])).toBeUndefined();
  });
});
