import { seededRandom } from '@stepsize/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Mlp } from '../model/mlp.js';
import { referenceRelu } from '../model/relu.js';
import { createFastKernels } from './create-fast-kernels.node.js';
import type { FastKernels } from './fast-kernels.js';

const SPECIAL = [0, -0, NaN, Infinity, -Infinity, 1e-45, -1e-45, 3.4028235e38, -3.4028235e38, 1, -1];

/** Mixed signs and magnitudes with special values sprinkled in. */
function values(next: () => number, n: number): Float32Array {
  return Float32Array.from({ length: n }, () =>
    next() < 0.15 ? (SPECIAL[Math.floor(next() * SPECIAL.length)] as number) : (next() - 0.5) * 10 ** (next() * 6 - 3),
  );
}

/** Bit-for-bit equality, any NaN equal to any NaN. */
function expectSameBits(actual: Float32Array, expected: Float32Array, label: string): void {
  expect(actual.length, label).toBe(expected.length);
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  for (let i = 0; i < a.length; i += 1) {
    if (Number.isNaN(actual[i]) && Number.isNaN(expected[i])) continue;
    if (a[i] !== e[i]) expect(`${label}[${i}] = ${actual[i]} (0x${a[i]?.toString(16)})`).toBe(`${label}[${i}] = ${expected[i]}`);
  }
}

const sets: Record<string, FastKernels> = {};
beforeAll(async () => {
  sets['one thread'] = await createFastKernels({ threads: 1 });
  sets['two threads, split from 8 elements'] = await createFastKernels({ threads: 2, minParallelLength: 8, parallelChunkLength: 16 });
  sets['fixed memory'] = await createFastKernels({ fixedMemoryBytes: 4 << 20 });
});
afterAll(async () => {
  for (const fast of Object.values(sets)) await fast.close();
});

describe('fast.relu equals referenceRelu bit for bit', () => {
  for (const length of [1, 3, 4, 7, 64, 1001, 40_000])
    it(`${length} elements, resident and ordinary arrays, every kernel set`, () => {
      const next = seededRandom(length);
      const input = values(next, length);
      const gradient = values(next, length);
      const forward = new Float32Array(length);
      const backward = new Float32Array(length);
      referenceRelu.forward({ input, output: forward });
      referenceRelu.backward({ gradient, input, output: backward });
      for (const [name, fast] of Object.entries(sets)) {
        for (const resident of [true, false]) {
          const place = (a: Float32Array): Float32Array => (resident ? fast.from(a) : Float32Array.from(a));
          const [x, g, y, dx] = [place(input), place(gradient), place(new Float32Array(length)), place(new Float32Array(length))];
          fast.relu.forward({ input: x, output: y });
          fast.relu.backward({ gradient: g, input: x, output: dx });
          const label = `${name}, ${resident ? 'resident' : 'ordinary'}`;
          expectSameBits(y, forward, `${label} forward`);
          expectSameBits(dx, backward, `${label} backward`);
          // The inputs are left as they were.
          expectSameBits(x, input, `${label} input`);
          expectSameBits(g, gradient, `${label} gradient`);
        }
      }
    });

  it('the special values: +0 for NaN, -0, negatives and -Infinity; -0 and NaN backward where the input is not positive', () => {
    const fast = sets['one thread'] as FastKernels;
    const input = fast.from([NaN, -0, -2, -Infinity, 0, 3, Infinity, 1e-45]);
    const output = fast.allocate(8);
    fast.relu.forward({ input, output });
    expect(Array.from(output)).toEqual([0, 0, 0, 0, 0, 3, Infinity, Math.fround(1e-45)]);
    expect(Array.from(output, (v) => Object.is(v, -0))).toEqual(new Array(8).fill(false));
    const gradient = fast.from([-1, -1, Infinity, 2, -3, -4, 5, 6]);
    fast.relu.backward({ gradient, input, output });
    expect(Array.from(output)).toEqual([-0, -0, NaN, 0, -0, -4, 5, 6]);
    expect(Array.from(output, (v) => Object.is(v, -0))).toEqual([true, true, false, false, true, false, false, false]);
  });

  it('refuses arrays of different lengths, naming them', () => {
    const fast = sets['one thread'] as FastKernels;
    expect(() => fast.relu.forward({ input: new Float32Array(4), output: new Float32Array(3) })).toThrow(
      'fast.relu.forward output must hold 4 values, got 3',
    );
    expect(() => fast.relu.backward({ gradient: new Float32Array(4), input: new Float32Array(5), output: new Float32Array(4) })).toThrow(
      'fast.relu.backward gradient, input and output must have one length, got 4, 5 and 4',
    );
  });
});

describe('Mlp options.relu', () => {
  it('fast.relu gives the default Mlp losses and gradients bit for bit', () => {
    const fast = sets['two threads, split from 8 elements'] as FastKernels;
    const next = seededRandom(5);
    const batch = 9;
    const inputs = Float32Array.from({ length: batch * 30 }, () => next() - 0.5);
    const targets = Float32Array.from({ length: batch }, () => Math.floor(next() * 4));
    const plain = new Mlp({ inputSize: 30, layers: [13, 7, 4], seed: 3, matmul: fast.matmul });
    const simd = new Mlp({ inputSize: 30, layers: [13, 7, 4], seed: 3, matmul: fast.matmul, allocate: fast.allocate, relu: fast.relu });
    for (let step = 0; step < 2; step += 1) {
      const a = plain.lossAndGradients({ inputs, targets, batch, loss: 'softmaxCrossEntropy' });
      const b = simd.lossAndGradients({ inputs, targets, batch, loss: 'softmaxCrossEntropy' });
      expect(b.loss).toBe(a.loss);
      for (const name of Object.keys(a.gradients))
        expectSameBits(b.gradients[name] as Float32Array, a.gradients[name] as Float32Array, `step ${step} ${name}`);
    }
  });

  it('refuses a relu without forward and backward', () => {
    expect(() => new Mlp({ inputSize: 3, layers: [2], relu: { forward: () => {} } as never })).toThrow(
      /Mlp options\.relu must be \{ forward, backward \} such as referenceRelu or fast\.relu/,
    );
  });
});
