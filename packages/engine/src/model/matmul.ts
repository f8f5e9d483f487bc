import { fmaFloat32 } from '@stepsize/core';
/**
 * What a dense-layer product computes: for every row `i < rows` and column `j < columns`,
 *
 * ```text
 * c[i·columns + j] = r(c[i·columns + j] + r(A(i, k) · b[k·columns + j]))   for k = 0 … depth−1 in order
 * ```
 *
 * where `r` rounds to float32, `A(i, k) = a[i·aRowStride + k·aDepthStride]` (so `a` can be read
 * transposed) and terms with `A(i, k) = ±0` are skipped. `c` is accumulated into, not overwritten.
 */
export interface MatmulArgs {
  readonly c: Float32Array;
  readonly a: Float32Array;
  readonly b: Float32Array;
  readonly rows: number;
  readonly depth: number;
  readonly columns: number;
  /** Distance in `a` between A(i, k) and A(i + 1, k). */
  readonly aRowStride: number;
  /** Distance in `a` between A(i, k) and A(i, k + 1). */
  readonly aDepthStride: number;
}

/**
 * A dense-layer product (see {@link MatmulArgs}). {@link referenceMatmul} defines the result;
 * {@link fastMatmul} (WebAssembly SIMD) equals it bit for bit.
 */
export type Matmul = (args: MatmulArgs) => void;

/** Checks the arguments of a {@link Matmul}: sizes are integers and every index is in range. */
export function checkMatmulArgs(args: MatmulArgs): void {
  const { c, a, b, rows, depth, columns, aRowStride, aDepthStride } = args;
  const count = (value: number, name: string): void => {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`matmul ${name} must be an integer >= 0, got ${String(value)}`);
  };
  count(rows, 'rows');
  count(depth, 'depth');
  count(columns, 'columns');
  count(aRowStride, 'aRowStride');
  count(aDepthStride, 'aDepthStride');
  for (const [name, array] of [
    ['c', c],
    ['a', a],
    ['b', b],
  ] as const) {
    if (!(array instanceof Float32Array))
      throw new TypeError(`matmul ${name} must be a Float32Array, got ${Object.prototype.toString.call(array)}`);
  }
  for (const [name, array] of [
    ['a', a],
    ['b', b],
  ] as const) {
    const overlaps =
      array.buffer === c.buffer && array.byteOffset < c.byteOffset + c.byteLength && c.byteOffset < array.byteOffset + array.byteLength;
    if (overlaps) throw new RangeError(`matmul c must not overlap ${name} (the product is accumulated into c)`);
  }
  if (rows === 0 || columns === 0) return;
  if (c.length < rows * columns) throw new RangeError(`matmul c must hold rows * columns = ${rows * columns} values, got ${c.length}`);
  if (depth === 0) return;
  if (b.length < depth * columns) throw new RangeError(`matmul b must hold depth * columns = ${depth * columns} values, got ${b.length}`);
  const last = (rows - 1) * aRowStride + (depth - 1) * aDepthStride;
  if (a.length <= last)
    throw new RangeError(`matmul a must hold index (rows - 1) * aRowStride + (depth - 1) * aDepthStride = ${last}, got length ${a.length}`);
}

const r = Math.fround;

/** The loops both references share; `term(c, x, b)` is one accumulation. */
function accumulate(args: MatmulArgs, term: (c: number, x: number, b: number) => number): void {
  checkMatmulArgs(args);
  const { c, a, b, rows, depth, columns, aRowStride, aDepthStride } = args;
  for (let i = 0; i < rows; i += 1) {
    const row = i * columns;
    for (let k = 0; k < depth; k += 1) {
      const x = a[i * aRowStride + k * aDepthStride] as number;
      if (x === 0) continue;
      const bRow = k * columns;
      for (let j = 0; j < columns; j += 1) c[row + j] = term(c[row + j] as number, x, b[bRow + j] as number);
    }
  }
}

/**
 * The reference dense-layer product: plain loops in the order {@link MatmulArgs} defines,
 * every product and sum rounded to float32 (as float32 hardware without fused multiply-add
 * computes it). The result does not depend on the machine.
 *
 * @example
 * ```ts
 * // c (2x3) += a (2x4) · b (4x3)
 * referenceMatmul({ c, a, b, rows: 2, depth: 4, columns: 3, aRowStride: 4, aDepthStride: 1 });
 * ```
 */
export const referenceMatmul: Matmul = (args) => accumulate(args, (c, x, b) => r(c + r(x * b)));

/**
 * The reference dense-layer product with fused multiply-adds: the same loops and order as
 * {@link referenceMatmul}, each term `c = r(c + A(i, k) · b[k·columns + j])` rounded once
 * (`fmaFloat32`). `fast.matmul` of `createFastKernels` computes this where it runs on the hardware
 * FMA (`fast.fusedMultiplyAdd`), and {@link referenceMatmul} elsewhere; the two differ in the last
 * bits.
 *
 * @example
 * ```ts
 * const reference = fast.fusedMultiplyAdd ? fusedReferenceMatmul : referenceMatmul;
 * ```
 */
export const fusedReferenceMatmul: Matmul = (args) => accumulate(args, fmaFloat32);
