import { describe, expect, it } from 'vitest';
import { float32Ops as ops } from './float32-ops.js';

const f = (...values: number[]): Float32Array => Float32Array.from(values);

describe('float32Ops', () => {
  it('rounds every result to float32, once per operation', () => {
    const third = ops.div(f(1), f(3));
    expect(third[0]).toBe(Math.fround(1 / 3));
    expect(ops.add(f(0.1), f(0.2))[0]).toBe(Math.fround(Math.fround(0.1) + Math.fround(0.2)));
  });

  it('broadcasts a length-1 operand on either side and refuses other mismatches', () => {
    expect(Array.from(ops.mul(f(1, 2, 3), f(2)))).toEqual([2, 4, 6]);
    expect(Array.from(ops.sub(f(10), f(1, 2)))).toEqual([9, 8]);
    expect(() => ops.add(f(1, 2), f(1, 2, 3))).toThrow(/broadcast lengths 2 and 3/);
  });

  it('has PyTorch semantics for sign, maximum, minimum and where', () => {
    expect(Array.from(ops.sign(f(-2, 0, -0, 3, NaN)))).toEqual([-1, 0, 0, 1, NaN]);
    expect(Array.from(ops.maximum(f(1, NaN, 3), f(2, 0, NaN)))).toEqual([2, NaN, NaN]);
    expect(Array.from(ops.minimum(f(1, 5), f(2, 0)))).toEqual([1, 0]);
    expect(Array.from(ops.where(f(1, 0, 2), f(7), f(8, 9, 10)))).toEqual([7, 9, 7]);
    expect(Array.from(ops.greater(f(1, 2, 3), f(2)))).toEqual([0, 0, 1]);
    expect(Array.from(ops.less(f(1, 2, 3), f(2)))).toEqual([1, 0, 0]);
  });

  it('sums, fills, assigns in place and finds non-finite values', () => {
    expect(ops.sum(f(1, 2, 3.5))[0]).toBe(6.5);
    expect(Array.from(ops.fullLike(f(0, 0, 0), f(0.5)))).toEqual([0.5, 0.5, 0.5]);
    const target = f(1, 2);
    expect(ops.assign(target, f(3, 4))).toBe(target);
    expect(Array.from(target)).toEqual([3, 4]);
    expect(ops.firstNonFinite(f(1, 2, Infinity, NaN))).toBe(2);
    expect(ops.firstNonFinite(f(1, 2))).toBe(-1);
  });
});
