/**
 * The optimizer configuration and runner on a float64 reference backend, with
 * expected values derived by hand from each update rule (PyTorch's documented
 * algorithms). Trajectories against real PyTorch are in the conformance suite.
 */
import { describe, expect, it } from 'vitest';
import { StepsizeError } from '../errors.js';
import { constant } from '../schedules/constant.js';
import { linear } from '../schedules/linear.js';
import { reduceOnPlateau } from '../schedules/metric-driven.js';
import { adam, adamW, lamb, lion, rprop, sgd } from './builtin/index.js';
import { layerDecayGroups } from './optimizer.js';
import { OptimizerRunner } from './runner.js';
import { optimizerFromJSON } from './spec.js';
import { arrayOps } from './test-support/array-ops.js';
import { float32Ops } from './float32-ops.js';
import { expectStepsizeError } from '../test-support/stepsize-error.js';

const close = (actual: number[], expected: number[]): void => {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => {
    expect(a).toBeCloseTo(expected[i] as number, 12);
  });
};

describe('SGD by hand', () => {
  it('momentum: the buffer starts as the first gradient, then b = mu b + (1 - dampening) g', () => {
    const w = [1, -2];
    const runner = new OptimizerRunner({
      optimizer: sgd({ learningRate: 0.1, momentum: 0.9, dampening: 0.5 }),
      ops: arrayOps,
      params: { w },
    });
    runner.step({ w: [1, 2] }); // b = [1, 2]; w = [1 - 0.1, -2 - 0.2]
    close(w, [0.9, -2.2]);
    runner.step({ w: [1, 2] }); // b = 0.9 b + 0.5 g = [1.4, 2.8]; w -= 0.1 b
    close(w, [0.9 - 0.14, -2.2 - 0.28]);
  });

  it('nesterov requires momentum and no dampening', () => {
    expect(() => sgd({ learningRate: 0.1, nesterov: true })).toThrow(/nesterov requires a non-zero momentum/);
  });
});

describe('Adam and AdamW by hand', () => {
  it('first Adam step moves each weight by lr * g / (|g| + eps)', () => {
    const w = [1, 1];
    const runner = new OptimizerRunner({ optimizer: adam({ learningRate: 0.01 }), ops: arrayOps, params: { w } });
    runner.step({ w: [0.5, -3] });
    // m̂ = g, v̂ = g², so the step is lr * g / (|g| + eps).
    close(w, [1 - (0.01 * 0.5) / (0.5 + 1e-8), 1 + (0.01 * 3) / (3 + 1e-8)]);
  });

  it('AdamW decays the weights by (1 - lr wd) before the Adam step; Adam adds wd p to the gradient', () => {
    const w = [2];
    new OptimizerRunner({ optimizer: adamW({ learningRate: 0.1, weightDecay: 0.5 }), ops: arrayOps, params: { w } }).step({ w: [1] });
    close(w, [2 * (1 - 0.05) - (0.1 * 1) / (1 + 1e-8)]);
    const v = [2];
    new OptimizerRunner({ optimizer: adam({ learningRate: 0.1, weightDecay: 0.5 }), ops: arrayOps, params: { v } }).step({ v: [1] });
    close(v, [2 - (0.1 * 2) / (2 + 1e-8)]); // g + wd p = 2
  });
});

describe('Lion, LAMB and Rprop by hand', () => {
  it('Lion steps by lr * sign(b1 m + (1 - b1) g) after decoupled decay', () => {
    const w = [1, 1];
    new OptimizerRunner({ optimizer: lion({ learningRate: 0.1, weightDecay: 1 }), ops: arrayOps, params: { w } }).step({ w: [0.001, -5] });
    close(w, [1 * 0.9 - 0.1, 1 * 0.9 + 0.1]);
  });

  it('LAMB scales the Adam direction by the trust ratio ‖p‖ / ‖r‖', () => {
    const w = [3, 4]; // ‖p‖ = 5
    new OptimizerRunner({ optimizer: lamb({ learningRate: 0.1, epsilon: 0 }), ops: arrayOps, params: { w } }).step({ w: [1, -1] });
    // r = sign(g) = [1, -1], ‖r‖ = √2, step = 0.1 * 5 / √2 * r
    const step = (0.1 * 5) / Math.SQRT2;
    close(w, [3 - step, 4 + step]);
  });

  it("Lion's optax convention: p + (-lr) (sign(c) + wd p), bit for bit as float32 computes it; without decay the two agree", () => {
    const f = Math.fround;
    const p0 = Float32Array.of(0.7, -1.3, 2.9);
    const g = Float32Array.of(0.2, 0.5, -0.1);
    const run = (convention: 'paper' | 'optax', weightDecay: number) => {
      const w = Float32Array.from(p0);
      new OptimizerRunner({ optimizer: lion({ learningRate: 0.03, weightDecay, convention }), ops: float32Ops, params: { w } }).step({
        w: g,
      });
      return Array.from(w);
    };
    // First step: m = 0, so c = (1 - b1) g and sign(c) = sign(g).
    const lr = f(-0.03);
    const wd = f(0.1);
    expect(run('optax', 0.1)).toEqual(Array.from(p0, (p, i) => f(p + f(f(Math.sign(g[i] as number) + f(p * wd)) * lr))));
    const decay = f(1 - 0.03 * 0.1);
    expect(run('paper', 0.1)).toEqual(Array.from(p0, (p, i) => f(f(p * decay) + f(Math.sign(g[i] as number) * lr))));
    expect(run('optax', 0)).toEqual(run('paper', 0));
    expectStepsizeError(() => lion({ convention: 'keras' as 'optax' }), 'lion options.convention');
  });

  it("LAMB's optax convention: optax's moments and float32 bias corrections, the trust ratio before -lr", () => {
    const f = Math.fround;
    const w = Float32Array.of(3, 4);
    const g = Float32Array.of(0.5, -0.25);
    new OptimizerRunner({ optimizer: lamb({ learningRate: 0.1, convention: 'optax' }), ops: float32Ops, params: { w } }).step({ w: g });
    // optax, step 1: m = (1 - b1) g, v = (1 - b2) g², m̂ = m / (1 - b1), v̂ = v / (1 - b2), all in float32.
    const c1 = f(1 - 0.9);
    const c2 = f(1 - 0.999);
    const r = Array.from(g, (gi) => {
      const m = f(f(gi * c1) + f(0 * f(0.9)));
      const v = f(f(f(gi * gi) * c2) + f(0 * f(0.999)));
      return f(f(m / f(1 - f(0.9))) / f(f(Math.sqrt(f(f(v / f(1 - f(0.999))) + 0))) + f(1e-6)));
    });
    const [r0, r1] = r as [number, number];
    const trust = f(f(5) / f(Math.sqrt(f(f(r0 * r0) + f(r1 * r1)))));
    const expected = [3, 4].map((p, i) => f(p + f(f((r[i] as number) * trust) * f(-0.1))));
    expect(Array.from(w)).toEqual(expected);
  });

  it('Rprop grows the step on agreement, shrinks and skips on a sign flip', () => {
    const w = [0];
    const runner = new OptimizerRunner({ optimizer: rprop({ learningRate: 0.1 }), ops: arrayOps, params: { w } });
    runner.step({ w: [1] }); // step size 0.1 (no previous gradient: factor 1)
    close(w, [-0.1]);
    runner.step({ w: [1] }); // agreement: 0.1 * 1.2
    close(w, [-0.1 - 0.12]);
    runner.step({ w: [-1] }); // flip: size 0.06, gradient zeroed, no move
    close(w, [-0.22]);
  });
});

describe('gradient transformations', () => {
  it('clips the global norm as PyTorch: coef = min(maxNorm / (‖g‖ + 1e-6), 1)', () => {
    const a = [0];
    const b = [0];
    new OptimizerRunner({ optimizer: sgd({ learningRate: 1, clipGradientNorm: 1 }), ops: arrayOps, params: { a, b } }).step({
      a: [3],
      b: [4],
    });
    const coef = 1 / (5 + 1e-6);
    close([...a, ...b], [-3 * coef, -4 * coef]);
  });

  it('clips values to [-v, v]', () => {
    const w = [0, 0, 0];
    new OptimizerRunner({ optimizer: sgd({ learningRate: 1, clipGradientValue: 0.5 }), ops: arrayOps, params: { w } }).step({
      w: [2, -0.25, -7],
    });
    close(w, [-0.5, 0.25, 0.5]);
  });

  it('accumulates micro-steps and updates with their mean on the last one', () => {
    const w = [0];
    const runner = new OptimizerRunner({ optimizer: sgd({ learningRate: 1, accumulationSteps: 3 }), ops: arrayOps, params: { w } });
    expect(runner.step({ w: [1] }).outcome).toBe('accumulated');
    expect(runner.step({ w: [2] }).outcome).toBe('accumulated');
    expect(w).toEqual([0]);
    expect(runner.step({ w: [6] })).toMatchObject({ outcome: 'updated', step: 1 });
    close(w, [-3]);
  });

  it('keeps an exponential moving average of the weights', () => {
    const w = [1];
    const runner = new OptimizerRunner({ optimizer: sgd({ learningRate: 1, emaDecay: 0.5 }), ops: arrayOps, params: { w } });
    runner.step({ w: [1] }); // w = 0, ema = 0.5 * 1 + 0.5 * 0
    runner.step({ w: [1] }); // w = -1, ema = 0.5 * 0.5 + 0.5 * -1
    close(runner.state.ema.w as number[], [-0.25]);
  });
});

describe('decoupled weight decay with a mask, and layer-wise decay', () => {
  it('decays every parameter but the excluded ones by (1 - lr rate) before the update, for any optimizer', () => {
    const weight = [2];
    const bias = [2];
    const optimizer = sgd({ learningRate: 0.1, decoupledWeightDecay: 0.5, decoupledWeightDecayExclude: ['*.bias'] });
    new OptimizerRunner({ optimizer, ops: arrayOps, params: { 'a.weight': weight, 'a.bias': bias } }).step({
      'a.weight': [1],
      'a.bias': [1],
    });
    close(weight, [2 * (1 - 0.05) - 0.1]);
    close(bias, [2 - 0.1]);
    expect(() => new OptimizerRunner({ optimizer, ops: arrayOps, params: { w: [1] } })).toThrow(
      /decoupledWeightDecayExclude\[0\] matches no parameter/,
    );
    expect(optimizerFromJSON(JSON.stringify(optimizer)).toJSON()).toEqual(optimizer.toJSON());
  });

  it('layerDecayGroups gives layer i of L the scale decay^(L - 1 - i)', () => {
    const groups = layerDecayGroups({ layers: [['l0.*'], ['l1.*'], ['head.*']], decay: 0.5 });
    expect(groups.map((g) => g.learningRateScale)).toEqual([0.25, 0.5, 1]);
    const params = { 'l0.w': [0], 'l1.w': [0], 'head.w': [0] };
    new OptimizerRunner({ optimizer: sgd({ learningRate: 1, groups }), ops: arrayOps, params }).step({
      'l0.w': [1],
      'l1.w': [1],
      'head.w': [1],
    });
    expect([params['l0.w'][0], params['l1.w'][0], params['head.w'][0]]).toEqual([-0.25, -0.5, -1]);
    expect(() => layerDecayGroups({ layers: [['a']], decay: 0 })).toThrow(/decay must be a number in \(0, 1\], got 0/);
    expect(() => layerDecayGroups({ layers: [[]], decay: 0.5 })).toThrow(/layers\[0\] must be a non-empty array/);
  });
});

describe('hyperparameters, groups and non-finite gradients', () => {
  it('evaluates schedules at the update count and reports the learning rate used', () => {
    const w = [0];
    const runner = new OptimizerRunner({
      optimizer: sgd({ learningRate: linear({ initialValue: 0, endValue: 1, steps: 4 }) }),
      ops: arrayOps,
      params: { w },
    });
    const rates = [0, 1, 2, 3].map(() => runner.step({ w: [1] }).learningRate);
    expect(rates).toEqual([0, 0.25, 0.5, 0.75]);
    close(w, [-1.5]);
  });

  it('follows a metric-driven learning rate', () => {
    const plateau = reduceOnPlateau({ initialValue: 1, patience: 0, factor: 0.5 });
    const w = [0];
    const runner = new OptimizerRunner({ optimizer: sgd({ learningRate: plateau }), ops: arrayOps, params: { w } });
    plateau.observe({ step: 0, metric: 1 });
    plateau.observe({ step: 1, metric: 1 }); // no improvement: 0.5
    runner.step({ w: [1] });
    close(w, [-0.5]);
  });

  it('refuses a schedule value outside the hyperparameter range, naming the option and the step', () => {
    const make = (): unknown =>
      new OptimizerRunner({ optimizer: adam({ beta1: constant({ value: 1.5 }) }), ops: arrayOps, params: { w: [0] } });
    expect(make).toThrow(/adam options\.beta1 schedule gave 1\.5 at step 0; it must be a finite number in \[0, 1\)/);
  });

  it('gives groups their own options, matched by name or glob, with a learning-rate scale', () => {
    const weight = [1];
    const bias = [1];
    const optimizer = adamW({
      learningRate: 0.1,
      weightDecay: 0.5,
      groups: [{ params: ['*.bias'], weightDecay: 0, learningRateScale: 2 }],
    });
    new OptimizerRunner({ optimizer, ops: arrayOps, params: { 'dense.weight': weight, 'dense.bias': bias } }).step({
      'dense.weight': [1],
      'dense.bias': [1],
    });
    close(weight, [1 * 0.95 - 0.1 / (1 + 1e-8)]);
    close(bias, [1 - 0.2 / (1 + 1e-8)]);
    expect(
      () =>
        new OptimizerRunner({ optimizer: sgd({ learningRate: 1, groups: [{ params: ['head.*'] }] }), ops: arrayOps, params: { w: [0] } }),
    ).toThrow(/groups\[0\]\.params\[0\] matches no parameter; parameters: w/);
  });

  it("throws on a non-finite gradient naming the parameter and index, and changes nothing; 'skip' counts it", () => {
    const w = [1, 2];
    const runner = new OptimizerRunner({ optimizer: adam(), ops: arrayOps, params: { w } });
    const error = (() => {
      try {
        runner.step({ w: [0, NaN] });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(StepsizeError);
    expect((error as StepsizeError).path).toBe('gradients.w[1]');
    expect(w).toEqual([1, 2]);
    expect(runner.state.step).toBe(0);
    const skipping = new OptimizerRunner({ optimizer: adam({ nonFinite: 'skip' }), ops: arrayOps, params: { w } });
    expect(skipping.step({ w: [Infinity, 0] }).outcome).toBe('skipped');
    expect(skipping.state).toMatchObject({ step: 0, skipped: 1 });
    expect(w).toEqual([1, 2]);
    expect(skipping.state.params.w).toEqual({ expAvg: [0, 0], expAvgSq: [0, 0] });
    // 'propagate' does no check: the NaN reaches the parameter (as in PyTorch), but names are still checked.
    const propagating = new OptimizerRunner({
      optimizer: sgd({ learningRate: 0.5, nonFinite: 'propagate' }),
      ops: arrayOps,
      params: { w: [1, 2] },
    });
    expect(propagating.step({ w: [Number.NaN, 2] }).outcome).toBe('updated');
    expect(propagating.params.w?.[0]).toBeNaN();
    expect(propagating.params.w?.[1]).toBe(1);
    expect(() => propagating.step({})).toThrow(/gradients\.w.*missing/);
  });

  it('names missing and unknown gradients', () => {
    const runner = new OptimizerRunner({ optimizer: sgd({ learningRate: 1 }), ops: arrayOps, params: { w: [0], b: [0] } });
    expect(() => runner.step({ w: [1] })).toThrow(/gradients\.b is missing/);
    expect(() => runner.step({ w: [1], b: [1], c: [1] })).toThrow(/gradients\.c is not a parameter/);
  });
});

describe('options and JSON', () => {
  it('validates options with the option name and the bad value', () => {
    expect(() => adam({ learningRate: -1 })).toThrow(/adam options\.learningRate must be a finite number >= 0 or a schedule, got -1/);
    expect(() => adam({ beta1: 1 })).toThrow(/adam options\.beta1 must be a finite number in \[0, 1\) or a schedule, got 1/);
    const momentum = linear({ initialValue: 0.9, endValue: 1.2, steps: 10 });
    const runner = new OptimizerRunner({ optimizer: sgd({ learningRate: 1, momentum }), ops: arrayOps, params: { w: [0] } });
    expect(() => {
      for (let i = 0; i < 10; i += 1) runner.step({ w: [1] });
    }).not.toThrow(); // momentum has no upper bound
    const beta = new OptimizerRunner({
      optimizer: adam({ beta1: linear({ initialValue: 0.9, endValue: 1, steps: 2 }) }),
      ops: arrayOps,
      params: { w: [0] },
    });
    beta.step({ w: [1] });
    beta.step({ w: [1] });
    expect(() => beta.step({ w: [1] })).toThrow(/beta1 schedule gave 1 at step 2/);
    expect(() => sgd({} as never)).toThrow(/sgd options\.learningRate is required/);
    expect(() => adam({ epsilon: NaN })).toThrow(/epsilon must be a finite number >= 0, got NaN/);
    expect(() => rprop({ etas: [1.5, 0.5] })).toThrow(/etas must be \[etaMinus, etaPlus\]/);
    expect(() => adam({ learningRat: 1 } as never)).toThrow(/learningRat is not a known option/);
  });

  it('round-trips through JSON with schedules and groups', () => {
    const optimizer = adamW({
      learningRate: linear({ initialValue: 0, endValue: 1e-3, steps: 100 }),
      groups: [{ params: ['*.bias'], weightDecay: 0 }],
      clipGradientNorm: 1,
    });
    const json = JSON.parse(JSON.stringify(optimizer));
    expect(json).toMatchObject({ type: 'adamW', weightDecay: 0.01, clipGradientNorm: 1, learningRate: { type: 'linear' } });
    expect(optimizerFromJSON(json).toJSON()).toEqual(optimizer.toJSON());
  });

  it('reports JSON errors with their path', () => {
    expect(() => optimizerFromJSON({ type: 'adamw' })).toThrow(/\$\.type is not a known optimizer type; known types: sgd, adam, adamW/);
    expect(() => optimizerFromJSON({ type: 'sgd', learningRate: { type: 'cosineAnnealing', initialValue: 1, steps: 0 } })).toThrow(
      /\$\.learningRate\.steps must be an integer >= 1, got 0/,
    );
    expect(() => optimizerFromJSON({ type: 'sgd', learningRate: 1, groups: [{ params: [], momentum: 1 }] })).toThrow(
      /\$\.groups\[0\]\.params must be a non-empty array/,
    );
    expect(() => optimizerFromJSON('{"type": "sgd",')).toThrow(/\$ is not valid JSON/);
  });
});
