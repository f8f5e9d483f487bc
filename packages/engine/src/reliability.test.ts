import { OptimizerRunner, adamW, cosineAnnealing, stateFromJSON, stateToJSON, warmup } from '@stepsize/core';
import { collectGarbage, testRandom } from '@stepsize/datasets';
import { describe, expect, it } from 'vitest';
import { fusedKernels } from './kernels.js';
import { float32Ops } from './ops.js';

describe('engine reliability', () => {
  it('100,000 optimizer steps with stable memory and a bit-exact resume from JSON at a random step', () => {
    const optimizer = () =>
      adamW({
        learningRate: warmup({ steps: 100, schedule: cosineAnnealing({ initialValue: 1e-2, steps: 100_000 }) }),
        weightDecay: 0.01,
        emaDecay: 0.99,
      });
    const gradient = (i: number): Float32Array => Float32Array.of(Math.sin(i), -Math.cos(i), 0.3, -0.4);
    const w = Float32Array.of(0.5, -1, 2, 0.25);
    const runner = new OptimizerRunner({ optimizer: optimizer(), ops: float32Ops, params: { w }, kernels: fusedKernels });
    const at = 1_000 + Math.floor(testRandom('engine resume step')() * 98_000);
    let checkpoint = '';
    for (let i = 0; i < 1_000; i += 1) runner.step({ w: gradient(i) });
    collectGarbage();
    const before = process.memoryUsage();
    for (let i = 1_000; i < 100_000; i += 1) {
      if (i === at) checkpoint = JSON.stringify({ w: Array.from(w), state: stateToJSON(runner.state, (t) => t) });
      runner.step({ w: gradient(i) });
    }
    collectGarbage();
    const after = process.memoryUsage();
    console.log(
      `engine: 100,000 steps; rss ${(before.rss / 2 ** 20).toFixed(1)} → ${(after.rss / 2 ** 20).toFixed(1)} MB, heap ${(before.heapUsed / 2 ** 20).toFixed(1)} → ${(after.heapUsed / 2 ** 20).toFixed(1)} MB; resumed at step ${at}`,
    );
    expect((after.heapUsed - before.heapUsed) / 2 ** 20).toBeLessThan(16);
    // rss also moves with the allocator and the machine's load: a leak of one array a step is far above this.
    expect((after.rss - before.rss) / 2 ** 20).toBeLessThan(128);
    expect(w.every(Number.isFinite)).toBe(true);
    const saved = JSON.parse(checkpoint) as { w: number[]; state: unknown };
    const v = Float32Array.from(saved.w);
    const resumed = new OptimizerRunner({ optimizer: optimizer(), ops: float32Ops, params: { w: v }, kernels: fusedKernels });
    resumed.loadState(stateFromJSON(saved.state, (values) => Float32Array.from(values)));
    for (let i = at; i < 100_000; i += 1) resumed.step({ w: gradient(i) });
    expect(v).toEqual(w);
    expect(resumed.state.ema.w).toEqual(runner.state.ema.w);
  });
});
