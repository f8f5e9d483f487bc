import {
  adadelta,
  adagrad,
  adam,
  adamW,
  adamax,
  cosineAnnealing,
  lamb,
  optimizerDefinitions,
  lion,
  nadam,
  oneCycleMomentum,
  OptimizerRunner,
  radam,
  rmsprop,
  rprop,
  sgd,
  type Optimizer,
} from '@stepsize/core';
import { describe, expect, it } from 'vitest';
import { fusedKernels } from './kernels.js';
import { float32Ops } from './ops.js';

import { seededRandom as random } from '@stepsize/core';

const cases: Record<string, () => Optimizer> = {
  'sgd plain': () => sgd({ learningRate: 0.05 }),
  'sgd momentum dampening weight decay': () => sgd({ learningRate: 0.05, momentum: 0.9, dampening: 0.3, weightDecay: 0.01 }),
  'sgd nesterov maximize': () => sgd({ learningRate: 0.05, momentum: 0.8, nesterov: true, maximize: true }),
  'sgd scheduled momentum': () =>
    sgd({ learningRate: cosineAnnealing({ initialValue: 0.1, steps: 30 }), momentum: oneCycleMomentum({ totalSteps: 30 }) }),
  'adam defaults': () => adam(),
  'adam amsgrad L2 maximize': () => adam({ learningRate: 0.01, amsgrad: true, weightDecay: 0.1, maximize: true }),
  'adamW amsgrad': () => adamW({ learningRate: 0.01, weightDecay: 0.1, amsgrad: true }),
  adamax: () => adamax({ weightDecay: 0.01 }),
  nadam: () => nadam({ weightDecay: 0.01, momentumDecay: 0.01 }),
  radam: () => radam({ weightDecay: 0.01 }),
  adagrad: () => adagrad({ learningRateDecay: 0.01, initialAccumulatorValue: 0.1, weightDecay: 0.01 }),
  adadelta: () => adadelta({ rho: 0.5, weightDecay: 0.01, maximize: true }),
  'rmsprop plain': () => rmsprop(),
  'rmsprop centered momentum weight decay': () => rmsprop({ centered: true, momentum: 0.9, weightDecay: 0.01, alpha: 0.9 }),
  rprop: () => rprop({ etas: [0.3, 1.5], stepSizes: [1e-4, 1] }),
  'lion weight decay': () => lion({ learningRate: 1e-3, weightDecay: 0.1 }),
  'lamb weight decay': () => lamb({ learningRate: 1e-2, weightDecay: 0.01 }),
  'lamb no bias correction maximize': () => lamb({ biasCorrection: false, maximize: true }),
  'lion optax convention weight decay maximize': () => lion({ learningRate: 1e-3, weightDecay: 0.1, maximize: true, convention: 'optax' }),
  'lion optax convention': () => lion({ learningRate: 1e-3, convention: 'optax' }),
  'lamb optax convention epsilonRoot weight decay': () =>
    lamb({ learningRate: 1e-2, weightDecay: 0.01, epsilonRoot: 1e-8, convention: 'optax' }),
  'lamb optax convention no bias correction': () => lamb({ biasCorrection: false, convention: 'optax' }),
  'lamb epsilonRoot': () => lamb({ learningRate: 1e-2, epsilonRoot: 1e-6 }),
};

function run(make: () => Optimizer, fused: boolean, seed: number): { params: Float32Array; slots: Float32Array[] } {
  const next = random(seed);
  const size = 97;
  const w = Float32Array.from({ length: size }, () => next() * 4 - 2);
  const runner = new OptimizerRunner({
    optimizer: make(),
    ops: float32Ops,
    params: { w },
    ...(fused && { kernels: fusedKernels }),
  });
  for (let step = 0; step < 40; step += 1) {
    // Mixed magnitudes, sign flips and exact zeros.
    const g = Float32Array.from({ length: size }, (_, i) => (i % 13 === 0 ? 0 : (next() - 0.5) * 10 ** (next() * 4 - 3)));
    runner.step({ w: g });
  }
  const state = runner.state.params.w ?? {};
  return {
    params: w,
    slots: Object.keys(state)
      .sort()
      .map((k) => state[k] as Float32Array),
  };
}

describe('fused kernels equal the generic composition bit for bit', () => {
  for (const [name, make] of Object.entries(cases)) {
    it(name, () => {
      for (const seed of [1, 2, 3]) {
        const generic = run(make, false, seed);
        const fused = run(make, true, seed);
        expect(Array.from(fused.params)).toEqual(Array.from(generic.params));
        expect(fused.slots.map((s) => Array.from(s))).toEqual(generic.slots.map((s) => Array.from(s)));
      }
    });
  }

  it('has a kernel for every built-in optimizer but those whose step size follows their sums', () => {
    // Prodigy and D-Adaptation read their group sums back after the step (core's absorb): they run the generic math.
    for (const definition of optimizerDefinitions) {
      // Muon and Adafactor multiply and reduce matrices: the generic math, on the engine's matmul.
      const expected = definition.math.absorb === undefined && !definition.math.shaped ? 'function' : 'undefined';
      expect(typeof (fusedKernels as Record<string, unknown>)[definition.type], definition.type).toBe(expected);
    }
  });
});
