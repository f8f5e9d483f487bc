import { describe, expect, it } from 'vitest';
import { expectStepsizeError } from '../../test-support/stepsize-error.js';
import { float32Ops } from '../float32-ops.js';
import { OptimizerRunner } from '../runner.js';
import { stateFromJSON, stateToJSON } from '../state.js';
import { compileOptimizer } from '../step.js';
import { muon, muonShapeScale } from './muon.js';

const params = () => ({
  w: Float32Array.from({ length: 12 }, (_, i) => Math.sin(i) / 2),
  b: Float32Array.of(0.1, -0.2, 0.3, 0),
  e: Float32Array.from({ length: 6 }, (_, i) => i / 10),
});
const shapes = { w: [3, 4], b: [4], e: [2, 3] };
const gradients = (t: number) => ({
  w: Float32Array.from({ length: 12 }, (_, i) => Math.cos(i + t)),
  b: Float32Array.of(0.5, -0.25, t, 1),
  e: Float32Array.from({ length: 6 }, (_, i) => Math.sin(i * t + 1)),
});

describe('muon', () => {
  it('orthogonalizes 2-D parameters and sends the others (and groups routed to Adam) to AdamW', () => {
    const optimizer = muon({ learningRate: 0.02, groups: [{ params: ['e'], route: 'adam' }] });
    const runner = new OptimizerRunner({ optimizer, ops: float32Ops, params: params(), shapes });
    expect(Object.keys(runner.state.params.w ?? {})).toEqual(['momentumBuffer']);
    expect(Object.keys(runner.state.params.b ?? {})).toEqual(['expAvg', 'expAvgSq']);
    expect(Object.keys(runner.state.params.e ?? {})).toEqual(['expAvg', 'expAvgSq']);
    expect(runner.state.shapes).toEqual(shapes);
    runner.step(gradients(1));
    // optax's Nesterov Adam at its first step: m̂ = b1 (1 - b1) g / (1 - b1²) + g, √v̂ = |g|, so
    // every element moves by lr (0.9 · 0.1 / 0.19 + 1).
    const moved = [...(runner.params.b as Float32Array)].map((v, i) => Math.abs(v - (params().b[i] as number)));
    for (const step of moved) expect(step).toBeCloseTo(0.02 * ((0.9 * 0.1) / 0.19 + 1), 6);
  });

  it('needs the shapes on flat backends, and checks them', () => {
    expectStepsizeError(() => new OptimizerRunner({ optimizer: muon(), ops: float32Ops, params: params() }), 'init options.shapes.w');
    expectStepsizeError(
      () => new OptimizerRunner({ optimizer: muon(), ops: float32Ops, params: params(), shapes: { ...shapes, w: [5, 2] } }),
      'init options.shapes.w',
    );
    expectStepsizeError(
      () => new OptimizerRunner({ optimizer: muon(), ops: float32Ops, params: params(), shapes: { ...shapes, x: [1] } }),
      'init options.shapes.x',
    );
    const error = expectStepsizeError(
      () => new OptimizerRunner({ optimizer: muon({ route: 'muon' }), ops: float32Ops, params: params(), shapes }),
      'muon options.route',
    );
    expect(error.message).toMatch(/shape \[4\]: Muon orthogonalizes 2-D parameters only/);
  });

  it('checkpoints its shapes and resumes exactly', () => {
    const optimizer = muon({ learningRate: 0.02, weightDecay: 0.01, convention: 'pytorch' });
    const straight = new OptimizerRunner({ optimizer, ops: float32Ops, params: params(), shapes });
    const first = new OptimizerRunner({ optimizer, ops: float32Ops, params: params(), shapes });
    for (let t = 1; t <= 3; t += 1) {
      straight.step(gradients(t));
      first.step(gradients(t));
    }
    const json = JSON.parse(JSON.stringify(stateToJSON(first.state, (x) => x)));
    expect(json.shapes).toEqual(shapes);
    const resumed = new OptimizerRunner({ optimizer, ops: float32Ops, params: { ...first.params }, shapes });
    resumed.loadState(stateFromJSON(json, (v) => Float32Array.from(v), { optimizerType: 'muon' }));
    for (let t = 4; t <= 6; t += 1) {
      straight.step(gradients(t));
      resumed.step(gradients(t));
    }
    for (const name of ['w', 'b', 'e'])
      expect([...(resumed.params[name] as Float32Array)]).toEqual([...(straight.params[name] as Float32Array)]);
    // A checkpoint without its shapes, or with other ones, does not fit.
    const compiled = compileOptimizer(optimizer);
    const { shapes: _dropped, ...rest } = stateFromJSON(json, (v) => Float32Array.from(v));
    expectStepsizeError(() => compiled.checkState(float32Ops, first.params, rest), 'state.shapes');
    const other = stateFromJSON({ ...json, shapes: { ...shapes, w: [4, 3] } }, (v) => Float32Array.from(v));
    expect(() => compiled.checkState(float32Ops, first.params, other)).not.toThrow();
    const wrong = stateFromJSON({ ...json, shapes: { ...shapes, w: [12, 2] } }, (v) => Float32Array.from(v));
    expectStepsizeError(() => compiled.checkState(float32Ops, first.params, wrong), 'state.shapes.w');
  });

  it('scales by shape as each reference does (optax: x W layout, PyTorch: W x)', () => {
    const optax = { convention: 'optax', learningRateAdjustment: 'original', consistentRms: 0.2 } as const;
    const torch = { ...optax, convention: 'pytorch' } as const;
    expect(muonShapeScale(optax, 6, 10)).toBe(Math.fround(Math.sqrt(Math.fround(10 / 6))));
    expect(muonShapeScale(optax, 10, 6)).toBe(1);
    expect(muonShapeScale(torch, 6, 10)).toBe(1);
    expect(muonShapeScale(torch, 10, 6)).toBe(Math.sqrt(10 / 6));
    expect(muonShapeScale({ ...torch, learningRateAdjustment: 'matchRmsAdamW' }, 8, 8)).toBeCloseTo(0.2 * Math.sqrt(8), 15);
  });

  it('refuses coefficient lists that are not triples, and a step count the triples contradict', () => {
    for (const newtonSchulzCoefficients of [[1, 2], [1, 2, 3, 4], Array.from({ length: 300 }, () => 1)])
      expectStepsizeError(() => muon({ newtonSchulzCoefficients }), 'muon options.newtonSchulzCoefficients');
    const error = expectStepsizeError(
      () => muon({ newtonSchulzCoefficients: [3, -4, 2, 3, -4, 2], newtonSchulzSteps: 5 }),
      'muon options.newtonSchulzSteps',
    );
    expect(error.message).toMatch(/must be 2 \(or left out\) with 2 triples/);
  });

  it("adaptive (optax): the orthogonalized update times its inner product with the momentum; refused for PyTorch's convention", () => {
    const step = (adaptive: boolean) => {
      const w = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i) / 2);
      const runner = new OptimizerRunner({
        optimizer: muon({ learningRate: 0.02, nesterov: false, adaptive }),
        ops: float32Ops,
        params: { w },
        shapes: { w: [3, 4] },
      });
      runner.step({ w: gradients(1).w });
      return Array.from(w, (value, i) => Math.sin(i) / 2 - value);
    };
    // First update without Nesterov: u = μ / (1 - β) = g; plain: Δ = lr s O; adaptive: Δ = lr s ⟨g, O⟩ O.
    const plain = step(false);
    const adaptive = step(true);
    const g = gradients(1).w;
    const scale = 0.02 * muonShapeScale({ convention: 'optax', learningRateAdjustment: 'original', consistentRms: 0.2 }, 3, 4);
    const inner = plain.reduce((total, d, i) => total + (g[i] as number) * (d / scale), 0);
    // Far from 1, or the check could not tell the adaptive step from the plain one.
    expect(Math.abs(inner - 1)).toBeGreaterThan(0.5);
    // Each Δ carries the parameters' float32 rounding (|p| < 0.5: at most 2^-25 each, 2^-24 per difference).
    const rounding = 2 ** -24;
    adaptive.forEach((d, i) => {
      expect(Math.abs(d - inner * (plain[i] as number))).toBeLessThanOrEqual(rounding * (1 + Math.abs(inner)) + 1e-6 * Math.abs(d));
    });
    expectStepsizeError(() => muon({ convention: 'pytorch', adaptive: true }), 'muon options.adaptive');
  });

  it("takes optax's aol and schatten preconditioning, refuses spectral and PyTorch's convention with them", () => {
    const run = (preconditioning: 'frobenius' | 'aol' | 'schatten') => {
      const w = Float32Array.from({ length: 12 }, (_, i) => Math.sin(i) / 2);
      const runner = new OptimizerRunner({
        optimizer: muon({ learningRate: 0.02, preconditioning }),
        ops: float32Ops,
        params: { w },
        shapes: { w: [3, 4] },
      });
      runner.step({ w: gradients(1).w });
      return Array.from(w);
    };
    const [frobenius, aol, schatten] = [run('frobenius'), run('aol'), run('schatten')];
    expect(aol).not.toEqual(frobenius);
    expect(schatten).not.toEqual(frobenius);
    expect(aol.every(Number.isFinite) && schatten.every(Number.isFinite)).toBe(true);
    expectStepsizeError(() => muon({ preconditioning: 'spectral' as 'aol' }), 'muon options.preconditioning');
    expectStepsizeError(() => muon({ convention: 'pytorch', preconditioning: 'aol' }), 'muon options.preconditioning');
  });

  it('takes one triple per iteration (optax ns_coeffs of shape (n, 3)): the same triple n times is the triple with n steps', () => {
    const triple = [3.4445, -4.775, 2.0315];
    const run = (options: Parameters<typeof muon>[0]) => {
      const runner = new OptimizerRunner({
        optimizer: muon({ learningRate: 0.02, ...options }),
        ops: float32Ops,
        params: params(),
        shapes,
      });
      for (let t = 1; t <= 3; t += 1) runner.step(gradients(t));
      return Array.from(runner.params.w as Float32Array);
    };
    const repeated = run({ newtonSchulzCoefficients: [...triple, ...triple, ...triple] });
    expect(repeated).toEqual(run({ newtonSchulzCoefficients: triple, newtonSchulzSteps: 3 }));
    expect(repeated).not.toEqual(run({ newtonSchulzCoefficients: triple }));
    // Different triples per iteration change the result (the first iteration's alone is the 1-step run).
    const varied = run({ newtonSchulzCoefficients: [4.0848, -6.8946, 2.927, 3.9505, -6.3029, 2.6377] });
    expect(varied).not.toEqual(run({ newtonSchulzCoefficients: [4.0848, -6.8946, 2.927], newtonSchulzSteps: 2 }));
  });
});
