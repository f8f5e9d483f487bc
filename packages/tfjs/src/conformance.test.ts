import {
  formatResults,
  optaxOptimizerCases,
  pytorchOptimizerCases,
  referenceOptimizerCases,
  runSuite,
  torchAdafactorCases,
} from '@stepsize/conformance';
import {
  OptimizerRunner,
  adam,
  adamW,
  adadelta,
  adagrad,
  adamax,
  lamb,
  lion,
  nadam,
  optimizerDefinitions,
  optimizerFromJSON,
  radam,
  rmsprop,
  rprop,
  sgd,
  type Optimizer,
} from '@stepsize/core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { conformanceBackend } from './conformance-backend.js';
import { tfjsOps } from './ops.js';

for (const backend of ['cpu', 'wasm'] as const) {
  describe(`tfjs ${backend} backend`, () => {
    it('passes the conformance suite (PyTorch optimizer trajectories)', async () => {
      await tf.setBackend(backend);
      await tf.ready();
      const results = await runSuite(conformanceBackend, pytorchOptimizerCases());
      console.log(formatResults(conformanceBackend.name, results));
      expect(results.length).toBeGreaterThanOrEqual(40);
      const references = await runSuite(conformanceBackend, referenceOptimizerCases());
      console.log(formatResults(conformanceBackend.name, references));
      expect(references.length).toBeGreaterThanOrEqual(8);
      const optax = await runSuite(conformanceBackend, optaxOptimizerCases());
      optax.push(...(await runSuite(conformanceBackend, torchAdafactorCases())));
      console.log(formatResults(conformanceBackend.name, optax));
      expect(optax.length).toBeGreaterThanOrEqual(20);
      results.push(...references, ...optax);
      for (const result of results) expect(result.passed, `${result.name}: ${result.maxError} ${result.error ?? ''}`).toBe(true);
    });

    const optimizers: Record<string, () => Optimizer> = {
      sgd: () => sgd({ learningRate: 0.01, momentum: 0.9, clipGradientNorm: 1 }),
      adam: () => adam({ amsgrad: true, emaDecay: 0.9 }),
      adamW: () => adamW({ accumulationSteps: 2 }),
      adamax: () => adamax(),
      nadam: () => nadam(),
      radam: () => radam(),
      adagrad: () => adagrad(),
      adadelta: () => adadelta(),
      rmsprop: () => rmsprop({ centered: true, momentum: 0.5 }),
      rprop: () => rprop(),
      lion: () => lion({ weightDecay: 0.1 }),
      lamb: () => lamb({ weightDecay: 0.01 }),
    };
    // Every other built-in optimizer with its defaults.
    for (const { type } of optimizerDefinitions) optimizers[type] ??= () => optimizerFromJSON({ type });
    it('keeps tf.memory().numTensors the same after 1,000 steps as after 10, for every optimizer', async () => {
      await tf.setBackend(backend);
      for (const [name, make] of Object.entries(optimizers)) {
        const w = tf.variable(tf.randomNormal([64], 0, 1, 'float32', 1));
        const runner = new OptimizerRunner({ optimizer: make(), ops: tfjsOps, params: { w } });
        const step = (): void => {
          tf.tidy(() => {
            runner.step({ w: tf.mul(w, 0.1) });
          });
        };
        for (let i = 0; i < 10; i += 1) step();
        const after10 = tf.memory().numTensors;
        for (let i = 0; i < 990; i += 1) step();
        expect(tf.memory().numTensors, name).toBe(after10);
        w.dispose();
      }
    });
  });
}
