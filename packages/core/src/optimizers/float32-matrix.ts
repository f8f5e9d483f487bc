import type { MatmulDims } from './ops.js';

function count(value: unknown, name: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0)
    throw new RangeError(`float32 ops: ${name} must be an integer >= 0, got ${String(value)}`);
  return value as number;
}

/**
 * `Ops.matmul` on flat row-major Float32Arrays (see {@link MatmulDims}): each element summed
 * in float64 over `k` in order and rounded once, like `float32Ops.sum`.
 */
export function float32Matmul(a: Float32Array, b: Float32Array, dims: MatmulDims): Float32Array {
  const rows = count(dims.rows, 'matmul rows');
  const inner = count(dims.inner, 'matmul inner');
  const columns = count(dims.columns, 'matmul columns');
  const batch = count(dims.batch ?? 1, 'matmul batch');
  if (a.length !== batch * rows * inner)
    throw new RangeError(`float32 ops: matmul a must hold batch·rows·inner = ${batch * rows * inner} values, got ${a.length}`);
  if (b.length !== batch * inner * columns)
    throw new RangeError(`float32 ops: matmul b must hold batch·inner·columns = ${batch * inner * columns} values, got ${b.length}`);
  // Strides of A(i, k) and B(k, j) within one product.
  const [aRow, aInner] = dims.transposeA ? [1, rows] : [inner, 1];
  const [bInner, bColumn] = dims.transposeB ? [1, inner] : [columns, 1];
  const out = new Float32Array(batch * rows * columns);
  for (let p = 0; p < batch; p += 1) {
    const aBase = p * rows * inner;
    const bBase = p * inner * columns;
    const cBase = p * rows * columns;
    for (let i = 0; i < rows; i += 1) {
      for (let j = 0; j < columns; j += 1) {
        let total = 0;
        for (let k = 0; k < inner; k += 1)
          total += (a[aBase + i * aRow + k * aInner] as number) * (b[bBase + k * bInner + j * bColumn] as number);
        out[cBase + i * columns + j] = total;
      }
    }
  }
  return out;
}

/** The number of elements of a shape (1 for `[]`). */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** `Ops.sumAxis` on a flat row-major Float32Array: sums in float64, each rounded once. */
export function float32SumAxis(x: Float32Array, shape: readonly number[], axis: number): Float32Array {
  if (!Number.isSafeInteger(axis) || axis < 0 || axis >= shape.length)
    throw new RangeError(`float32 ops: sumAxis axis must be an integer in [0, ${shape.length}), got ${String(axis)}`);
  if (shapeSize(shape) !== x.length)
    throw new RangeError(`float32 ops: sumAxis shape [${shape.join(', ')}] does not hold ${x.length} values`);
  const outer = shapeSize(shape.slice(0, axis));
  const length = shape[axis] as number;
  const inner = shapeSize(shape.slice(axis + 1));
  const out = new Float32Array(outer * inner);
  for (let o = 0; o < outer; o += 1) {
    for (let i = 0; i < inner; i += 1) {
      let total = 0;
      for (let k = 0; k < length; k += 1) total += x[(o * length + k) * inner + i] as number;
      out[o * inner + i] = total;
    }
  }
  return out;
}

/** `Ops.reshape` on flat storage: the same array, once its size is checked. */
export function float32Reshape(x: Float32Array, shape: readonly number[]): Float32Array {
  if (shapeSize(shape) !== x.length) throw new RangeError(`float32 ops: cannot view ${x.length} values as shape [${shape.join(', ')}]`);
  return x;
}
