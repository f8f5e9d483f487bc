import { float32Matmul } from '@stepsize/core';
import { describe, expect, it } from 'vitest';
import { referenceMatmul } from './model/matmul.js';
import { engineMatmul, float32Ops } from './ops.js';

const values = (length: number, seed: number) => Float32Array.from({ length }, (_, i) => Math.sin(i * 1.7 + seed) * 2);

describe("the engine's matrix product", () => {
  it('is the dense-layer product, reading either operand transposed, in batches', () => {
    const [rows, inner, columns] = [5, 7, 3];
    const a = values(2 * rows * inner, 1);
    const b = values(2 * inner * columns, 2);
    const got = engineMatmul(a, b, { batch: 2, rows, inner, columns });
    for (let p = 0; p < 2; p += 1) {
      // The reference's order of float32 products and sums, bit for bit.
      const c = new Float32Array(rows * columns);
      const left = a.subarray(p * rows * inner, (p + 1) * rows * inner);
      referenceMatmul({
        c,
        a: left,
        b: b.subarray(p * inner * columns, (p + 1) * inner * columns),
        rows,
        depth: inner,
        columns,
        aRowStride: inner,
        aDepthStride: 1,
      });
      expect([...got.subarray(p * rows * columns, (p + 1) * rows * columns)]).toEqual([...c]);
    }
    // Transposed operands: the same product as core's float64-summed one, to float32 rounding.
    const x = values(rows * inner, 3);
    for (const dims of [
      { rows, inner: rows, columns: inner, transposeB: false },
      { rows: inner, inner: rows, columns: inner, transposeA: true },
      { rows, inner, columns: rows, transposeB: true },
    ]) {
      const engine = engineMatmul(dims.transposeA || dims.transposeB ? x : values(rows * rows, 4), x, dims);
      const core = float32Matmul(dims.transposeA || dims.transposeB ? x : values(rows * rows, 4), x, dims);
      engine.forEach((v, i) => {
        expect(Math.abs(v - (core[i] as number))).toBeLessThan(2e-4);
      });
    }
  });

  it('is the matmul of the engine ops, and refuses operands of the wrong size', () => {
    expect(float32Ops.matmul).toBe(engineMatmul);
    expect(() => engineMatmul(new Float32Array(5), new Float32Array(6), { rows: 2, inner: 3, columns: 2 })).toThrow(
      /matmul a must hold batch·rows·inner = 6 values, got 5/,
    );
    expect(() => engineMatmul(new Float32Array(6), new Float32Array(6), { rows: 2, inner: 3, columns: -1 })).toThrow(
      /columns must be an integer >= 0/,
    );
  });
});
