import { OptimizerRunner, sgd } from '@stepsize/core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { tfjsOps } from './ops.js';

const probe = (values: Float32Array): number =>
  tf.tidy(() => (tfjsOps.nonFiniteProbe as (x: tf.Tensor) => tf.Tensor)(tf.tensor1d(values)).dataSync()[0] as number);

for (const backend of ['wasm', 'cpu'] as const) {
  describe(`the non-finite probe (${backend})`, () => {
    it('is not finite for NaN, +Infinity, -Infinity or both, anywhere, at pooled and plain sizes', async () => {
      await tf.setBackend(backend);
      await tf.ready();
      // 2^20 and 1,000,000 pool; 1,000,003 is prime (plain sum); 1,000 is small (plain sum).
      for (const size of [1 << 20, 1_000_000, 1_000_003, 1_000]) {
        for (const bad of [[Number.NaN], [Infinity], [-Infinity], [Infinity, -Infinity]]) {
          for (const at of [0, 1, Math.floor(size / 2), size - 1]) {
            const values = new Float32Array(size).fill(0.5);
            bad.forEach((v, i) => {
              values[(at + i * 7) % size] = v;
            });
            expect(Number.isFinite(probe(values)), `${size} ${bad} at ${at}`).toBe(false);
          }
        }
        const finite = Float32Array.from({ length: size }, (_, i) => Math.sin(i) * 1e3);
        expect(Number.isFinite(probe(finite))).toBe(true);
      }
    });

    it('lets the runner refuse a 1M-element NaN gradient naming the index, and skip it', async () => {
      await tf.setBackend(backend);
      const w = tf.variable(tf.zeros([1_000_000]));
      const gradient = new Float32Array(1_000_000).fill(0.1);
      gradient[765_432] = Number.NaN;
      const runner = new OptimizerRunner({ optimizer: sgd({ learningRate: 0.1 }), ops: tfjsOps, params: { w } });
      expect(() => tf.tidy(() => void runner.step({ w: tf.tensor1d(gradient) }))).toThrow(/gradients\.w\[765432\] is not finite/);
      expect(w.dataSync().every((v) => v === 0)).toBe(true);
      const skipping = new OptimizerRunner({ optimizer: sgd({ learningRate: 0.1, nonFinite: 'skip' }), ops: tfjsOps, params: { w } });
      let outcome = '';
      tf.tidy(() => {
        outcome = skipping.step({ w: tf.tensor1d(gradient) }).outcome;
      });
      expect(outcome).toBe('skipped');
      w.dispose();
    });
  });
}
