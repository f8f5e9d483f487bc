import { describe, expect, it } from 'vitest';
import { float32Matmul, float32Reshape, float32SumAxis } from './float32-matrix.js';

const f = (...values: number[]) => Float32Array.from(values);

describe('float32 matrix primitives', () => {
  // a = [[1, 2, 3], [4, 5, 6]], b = [[1, 0], [0, 1], [2, -1]]: a b = [[7, -1], [16, -1]].
  const a = f(1, 2, 3, 4, 5, 6);
  const b = f(1, 0, 0, 1, 2, -1);

  it('multiplies row-major matrices, reading either operand transposed', () => {
    expect([...float32Matmul(a, b, { rows: 2, inner: 3, columns: 2 })]).toEqual([7, -1, 16, -1]);
    // aᵀ stored [3, 2] and bᵀ stored [2, 3] give the same product.
    const aT = f(1, 4, 2, 5, 3, 6);
    const bT = f(1, 0, 2, 0, 1, -1);
    expect([...float32Matmul(aT, b, { rows: 2, inner: 3, columns: 2, transposeA: true })]).toEqual([7, -1, 16, -1]);
    expect([...float32Matmul(a, bT, { rows: 2, inner: 3, columns: 2, transposeB: true })]).toEqual([7, -1, 16, -1]);
    // a aᵀ = [[14, 32], [32, 77]].
    expect([...float32Matmul(a, a, { rows: 2, inner: 3, columns: 2, transposeB: true })]).toEqual([14, 32, 32, 77]);
  });

  it('runs batches of products independently, and rounds each sum once to float32', () => {
    const batch = float32Matmul(f(1, 2, 3, 4), f(5, 7), { batch: 2, rows: 2, inner: 1, columns: 1 });
    expect([...batch]).toEqual([5, 10, 21, 28]);
    // 1 + 2^-24 + 2^-24: float64 sums it exactly, then one rounding gives 1 + 2^-23.
    const sum = float32Matmul(f(1, 2 ** -24, 2 ** -24), f(1, 1, 1), { rows: 1, inner: 3, columns: 1 });
    expect(sum[0]).toBe(1 + 2 ** -23);
  });

  it('refuses operands of the wrong size, naming the dimension', () => {
    expect(() => float32Matmul(a, b, { rows: 3, inner: 3, columns: 2 })).toThrow(/matmul a must hold batch·rows·inner = 9 values, got 6/);
    expect(() => float32Matmul(a, b, { rows: 2, inner: 3, columns: 3 })).toThrow(/matmul b must hold/);
    expect(() => float32Matmul(a, b, { rows: 1.5, inner: 3, columns: 2 })).toThrow(/matmul rows must be an integer >= 0, got 1.5/);
  });

  it('sums over one axis of a row-major view', () => {
    // x[i, j, k] = 12 i + 4 j + k for shape [2, 3, 4].
    const x = Float32Array.from({ length: 24 }, (_, n) => n);
    expect([...float32SumAxis(x, [2, 3, 4], 2)]).toEqual([6, 22, 38, 54, 70, 86]);
    expect([...float32SumAxis(x, [2, 3, 4], 1)]).toEqual([12, 15, 18, 21, 48, 51, 54, 57]);
    expect([...float32SumAxis(x, [2, 3, 4], 0)]).toEqual(Array.from({ length: 12 }, (_, n) => 2 * n + 12));
    expect([...float32SumAxis(f(1, 2, 3), [3], 0)]).toEqual([6]);
    expect(() => float32SumAxis(x, [2, 3, 4], 3)).toThrow(/axis must be an integer in \[0, 3\), got 3/);
    expect(() => float32SumAxis(x, [5, 5], 0)).toThrow(/shape \[5, 5\] does not hold 24 values/);
  });

  it('views flat storage as any shape of the same size', () => {
    expect(float32Reshape(a, [3, 2])).toBe(a);
    expect(() => float32Reshape(a, [4, 2])).toThrow(/cannot view 6 values as shape \[4, 2\]/);
  });
});
