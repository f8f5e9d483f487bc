import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '@stepsize/core';
import { fastMatmul } from '../wasm/fast-matmul.js';
import { fastKernelsSupported } from '../wasm/fast-kernels.js';
import { Mlp } from './mlp.js';
import { fusedReferenceMatmul, referenceMatmul, type Matmul, type MatmulArgs } from './matmul.js';

const SPECIAL = [0, -0, NaN, Infinity, -Infinity, 1e-45, 3.4028235e38, -3.4028235e38, 1e-30];

function randomArray(next: () => number, n: number, zeros: number, specials: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 1) {
    const u = next();
    if (u < zeros) out[i] = next() < 0.5 ? 0 : -0;
    else if (u < zeros + specials) out[i] = SPECIAL[Math.floor(next() * SPECIAL.length)] as number;
    else out[i] = (next() - 0.5) * 10 ** (next() * 6 - 3);
  }
  return out;
}

/** Bit-for-bit equality, any NaN equal to any NaN (neither JS nor WebAssembly fixes NaN payloads). */
function expectSameBits(actual: Float32Array, expected: Float32Array, label: string): void {
  const a = new Uint32Array(actual.buffer, actual.byteOffset, actual.length);
  const e = new Uint32Array(expected.buffer, expected.byteOffset, expected.length);
  expect(actual.length, label).toBe(expected.length);
  for (let i = 0; i < a.length; i += 1) {
    if (Number.isNaN(actual[i]) && Number.isNaN(expected[i])) continue;
    if (a[i] !== e[i]) expect(`${label}[${i}] = ${actual[i]}`).toBe(`${label}[${i}] = ${expected[i]}`);
  }
}

function run(matmul: Matmul, args: MatmulArgs): Float32Array {
  const c = Float32Array.from(args.c);
  matmul({ ...args, c });
  return c;
}

describe('referenceMatmul', () => {
  it('computes c += A · b in float32, reading A through its strides', () => {
    // A = [[1, 2], [3, 4]] stored transposed (column-major): aRowStride 1, aDepthStride 2.
    const a = Float32Array.of(1, 3, 2, 4);
    const b = Float32Array.of(1, 0, 1, 0, 1, 1);
    const c = Float32Array.of(10, 10, 10, 20, 20, 20);
    referenceMatmul({ c, a, b, rows: 2, depth: 2, columns: 3, aRowStride: 1, aDepthStride: 2 });
    expect(Array.from(c)).toEqual([11, 12, 13, 23, 24, 27]);
  });

  it('rounds every product and sum to float32 (no fused multiply-add)', () => {
    // 1 + 2^-24 is not a float32: r(x·y) = 1 + 2^-23 ... chosen so fused and unfused differ.
    const x = Math.fround(1 + 2 ** -12);
    const c = Float32Array.of(-1);
    referenceMatmul({ c, a: Float32Array.of(x), b: Float32Array.of(x), rows: 1, depth: 1, columns: 1, aRowStride: 1, aDepthStride: 1 });
    const unfused = Math.fround(Math.fround(x * x) - 1);
    const fused = Math.fround(x * x - 1);
    expect(unfused).not.toBe(fused);
    expect(c[0]).toBe(unfused);
  });

  it('fusedReferenceMatmul rounds each term once, as PyTorch addcmul does on the ties of torch_fma_ties.py', () => {
    const fixture = JSON.parse(readFileSync(new URL('../../../core/fixtures/torch-fma-ties.json', import.meta.url), 'utf8')) as {
      cases: { a: string; b: string; c: string; addcmul: string; double: string }[];
    };
    const view = new DataView(new ArrayBuffer(4));
    const float = (hex: string): number => {
      view.setUint32(0, Number.parseInt(hex, 16));
      return view.getFloat32(0);
    };
    let ties = 0;
    for (const row of fixture.cases) {
      // A 1x1x1 product: c = a, A = b, B = c, so c + A·B is torch.addcmul(a, b, c).
      const one = {
        a: Float32Array.of(float(row.b)),
        b: Float32Array.of(float(row.c)),
        rows: 1,
        depth: 1,
        columns: 1,
        aRowStride: 1,
        aDepthStride: 1,
      };
      if (float(row.b) === 0) continue; // a zero A(i, k) is skipped, by definition
      const c = Float32Array.of(float(row.a));
      fusedReferenceMatmul({ ...one, c });
      expect(c[0], `${row.a} ${row.b} ${row.c}`).toBe(float(row.addcmul));
      if (row.addcmul !== row.double) ties += 1;
    }
    expect(ties).toBeGreaterThan(30);
  });

  it('names bad arguments', () => {
    const ok = {
      c: new Float32Array(6),
      a: new Float32Array(8),
      b: new Float32Array(12),
      rows: 2,
      depth: 4,
      columns: 3,
      aRowStride: 4,
      aDepthStride: 1,
    };
    for (const matmul of [referenceMatmul, fastMatmul]) {
      expect(() => matmul({ ...ok, rows: 2.5 })).toThrow(/matmul rows must be an integer >= 0, got 2.5/);
      expect(() => matmul({ ...ok, c: new Float32Array(5) })).toThrow(/matmul c must hold rows \* columns = 6 values, got 5/);
      expect(() => matmul({ ...ok, b: new Float32Array(11) })).toThrow(/matmul b must hold depth \* columns = 12 values, got 11/);
      expect(() => matmul({ ...ok, a: new Float32Array(7) })).toThrow(/matmul a must hold index .* = 7, got length 7/);
      expect(() => matmul({ ...ok, a: [1, 2] as unknown as Float32Array })).toThrow(/matmul a must be a Float32Array/);
      expect(() => matmul({ ...ok, a: ok.c })).toThrow(/matmul c must not overlap a/);
    }
  });
});

describe.skipIf(!fastKernelsSupported())('fastMatmul equals referenceMatmul bit for bit', () => {
  it('over shapes (columns around the 16- and 4-wide blocks), strides, zeros and special values', () => {
    const next = seededRandom(20261122);
    const shapes = [
      [1, 1, 1],
      [3, 5, 7],
      [4, 16, 16],
      [5, 9, 17],
      [2, 33, 35],
      [7, 3, 64],
      [6, 40, 19],
      [1, 0, 5],
      [0, 4, 4],
      [9, 11, 0],
    ];
    for (const [rows, depth, columns] of shapes as [number, number, number][]) {
      for (const transposed of [false, true]) {
        for (const [zeros, specials] of [
          [0, 0],
          [0.5, 0],
          [0.1, 0.1],
        ] as const) {
          const a = randomArray(next, Math.max(1, rows * depth), zeros, specials);
          const args: MatmulArgs = {
            c: randomArray(next, rows * columns, 0.1, specials / 2),
            a,
            b: randomArray(next, depth * columns, zeros / 4, specials),
            rows,
            depth,
            columns,
            aRowStride: transposed ? 1 : depth,
            aDepthStride: transposed ? rows : 1,
          };
          const label = `${rows}x${depth}x${columns} transposed=${transposed} zeros=${zeros} specials=${specials}`;
          expectSameBits(run(fastMatmul, args), run(referenceMatmul, args), label);
        }
      }
    }
  });

  it('grows its memory for large operands and keeps working after', () => {
    const next = seededRandom(3);
    const big: MatmulArgs = {
      c: new Float32Array(300 * 513),
      a: randomArray(next, 300 * 700, 0.3, 0),
      b: randomArray(next, 700 * 513, 0, 0),
      rows: 300,
      depth: 700,
      columns: 513,
      aRowStride: 700,
      aDepthStride: 1,
    };
    expectSameBits(run(fastMatmul, big), run(referenceMatmul, big), 'large');
    const small: MatmulArgs = {
      c: new Float32Array(6),
      a: Float32Array.of(1, 2, 3, 4),
      b: Float32Array.of(1, 2, 3, 4, 5, 6),
      rows: 2,
      depth: 2,
      columns: 3,
      aRowStride: 2,
      aDepthStride: 1,
    };
    expect(Array.from(run(fastMatmul, small))).toEqual([9, 12, 15, 19, 26, 33]);
  });

  it('gives an Mlp the same losses, gradients and predictions as the reference', () => {
    const next = seededRandom(9);
    for (const activation of ['relu', 'tanh', 'sigmoid'] as const) {
      for (const [inputSize, layers, batch] of [
        [784, [37, 10], 13],
        [5, [16, 16, 3], 8],
        [19, [1], 4],
      ] as [number, number[], number][]) {
        const models = [referenceMatmul, fastMatmul].map((matmul) => new Mlp({ inputSize, layers, activation, seed: 4, matmul }));
        const inputs = randomArray(next, batch * inputSize, 0.4, 0);
        const outputs = layers[layers.length - 1] as number;
        const targets = Float32Array.from({ length: batch }, () => Math.floor(next() * outputs));
        const loss = outputs === 1 ? 'mse' : 'softmaxCrossEntropy';
        const [reference, fast] = models.map((model) => {
          const result = model.lossAndGradients({ inputs, targets, batch, loss });
          return {
            loss: result.loss,
            gradients: structuredClone(result.gradients),
            predictions: Float32Array.from(model.predict(inputs, batch)),
          };
        }) as [
          { loss: number; gradients: Record<string, Float32Array>; predictions: Float32Array },
          { loss: number; gradients: Record<string, Float32Array>; predictions: Float32Array },
        ];
        const label = `${activation} ${inputSize}-${layers.join('-')} batch ${batch}`;
        expect(fast.loss, label).toBe(reference.loss);
        expectSameBits(fast.predictions, reference.predictions, `${label} predictions`);
        for (const name of Object.keys(reference.gradients))
          expectSameBits(fast.gradients[name] as Float32Array, reference.gradients[name] as Float32Array, `${label} ${name}`);
      }
    }
  });
});
