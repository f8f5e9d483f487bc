import { describe, expect, it } from 'vitest';
import { expectStepsizeError } from '../../test-support/stepsize-error.js';
import { float32Ops } from '../float32-ops.js';
import { OptimizerRunner } from '../runner.js';
import { compileOptimizer } from '../step.js';
import { adafactor } from './adafactor.js';

/**
 * torch.optim.Adafactor's single-tensor step (torch/optim/_adafactor.py) in float64 on a
 * [batch, rows, columns] parameter, written out from its formula: the reference for shapes the
 * torch 2.13 fixture does not hold (a 3-D parameter factors each matrix of the batch).
 */
function torchAdafactor3d(p: number[], grads: number[][], dims: [number, number, number], o: { lr: number; wd: number }): number[] {
  const [batch, rows, columns] = dims;
  const eps1 = 2 ** -23;
  const row = new Array(batch * rows).fill(0);
  const col = new Array(batch * columns).fill(0);
  const lerp = (a: number, b: number, w: number) => a + w * (b - a);
  const at = (bi: number, i: number, j: number) => (bi * rows + i) * columns + j;
  const x = [...p];
  grads.forEach((g, step) => {
    const t = step + 1;
    const w = t ** -0.8;
    const rho = Math.min(o.lr, 1 / Math.sqrt(t));
    const alpha = Math.max(1e-3, Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length)) * rho;
    for (let i = 0; i < x.length; i += 1) x[i] = (x[i] as number) * (1 - o.lr * o.wd);
    for (let b = 0; b < batch; b += 1) {
      for (let i = 0; i < rows; i += 1) {
        let s = 0;
        for (let j = 0; j < columns; j += 1) s += (g[at(b, i, j)] as number) ** 2;
        row[b * rows + i] = lerp(row[b * rows + i], s / columns, w);
      }
      for (let j = 0; j < columns; j += 1) {
        let s = 0;
        for (let i = 0; i < rows; i += 1) s += (g[at(b, i, j)] as number) ** 2;
        col[b * columns + j] = lerp(col[b * columns + j], s / rows, w);
      }
    }
    const u = g.map((gv, n) => {
      const b = Math.floor(n / (rows * columns));
      const i = Math.floor(n / columns) % rows;
      const j = n % columns;
      let mean = 0;
      for (let k = 0; k < rows; k += 1) mean += row[b * rows + k] / rows;
      const v = (row[b * rows + i] * col[b * columns + j]) / Math.max(mean, eps1);
      return gv / Math.sqrt(Math.max(v, eps1 * eps1));
    });
    const rms = Math.sqrt(u.reduce((s, v) => s + v * v, 0) / u.length);
    const denominator = Math.max(1, rms);
    for (let i = 0; i < x.length; i += 1) x[i] = (x[i] as number) - (alpha / denominator) * (u[i] as number);
  });
  return x;
}

describe('adafactor', () => {
  const dims: [number, number, number] = [2, 3, 4];
  const p0 = Array.from({ length: 24 }, (_, i) => Math.sin(i) / 3);
  const grads = Array.from({ length: 8 }, (_, t) => Array.from({ length: 24 }, (_, i) => Math.cos(i * (t + 1)) * (1 + (i % 5))));

  it('factors each matrix of a 3-D parameter as torch.optim.Adafactor does', () => {
    const runner = new OptimizerRunner({
      optimizer: adafactor({ learningRate: 0.02, weightDecay: 0.01 }),
      ops: float32Ops,
      params: { w: Float32Array.from(p0) },
      shapes: { w: dims },
    });
    expect(runner.state.params.w?.rowVariance?.length).toBe(6);
    expect(runner.state.params.w?.columnVariance?.length).toBe(8);
    for (const g of grads) runner.step({ w: Float32Array.from(g) });
    const expected = torchAdafactor3d(p0, grads, dims, { lr: 0.02, wd: 0.01 });
    const scale = Math.max(...expected.map(Math.abs));
    expected.forEach((value, i) => {
      expect(Math.abs((runner.params.w?.[i] as number) - value) / scale).toBeLessThan(1e-5);
    });
  });

  it('keeps a full second moment for vectors, and checks slot sizes against the shape', () => {
    const compiled = compileOptimizer(adafactor());
    expect(compiled.slotShapes(['w'], 'w', [2, 3, 4])).toEqual({ rowVariance: [2, 3], columnVariance: [2, 4] });
    expect(compiled.slotShapes(['w'], 'w', [5])).toEqual({ variance: [5] });
    const params = { w: Float32Array.from(p0) };
    const state = compiled.init(float32Ops, params, { shapes: { w: dims } });
    const bad = { ...state, params: { w: { ...state.params.w, columnVariance: new Float32Array(24) } } };
    const error = expectStepsizeError(() => compiled.checkState(float32Ops, params, bad), 'state.params.w.columnVariance');
    expect(error.message).toMatch(/must have 8 elements/);
  });

  it('refuses an epsilon1 whose square underflows float32, and takes the smallest whose square does not', () => {
    expect(Math.fround(2 ** -74 * 2 ** -74)).toBeGreaterThan(0);
    expect(Math.fround(2 ** -75 * 2 ** -75)).toBe(0);
    for (const epsilon1 of [1e-30, 2 ** -75, 0]) expectStepsizeError(() => adafactor({ epsilon1 }), 'adafactor options.epsilon1');
    const params = { w: Float32Array.of(1, -2, 3, 0.5, 0, 4) };
    const runner = new OptimizerRunner({ optimizer: adafactor({ epsilon1: 2 ** -74 }), ops: float32Ops, params, shapes: { w: [2, 3] } });
    // A zero gradient: V = max(0, eps1²) stays positive, so the update is 0, not 0 · ∞.
    runner.step({ w: new Float32Array(6) });
    expect(Array.from(runner.params.w as Float32Array)).toEqual([1, -2, 3, 0.5, 0, 4]);
  });
});
