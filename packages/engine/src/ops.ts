import { type MatmulDims, type Ops, float32Ops as hostOps } from '@stepsize/core';
import { fastMatmul } from './wasm/fast-matmul.js';

/** `b` (`rows x columns`, row-major) transposed. */
function transposed(b: Float32Array, rows: number, columns: number): Float32Array {
  const out = new Float32Array(b.length);
  for (let i = 0; i < rows; i += 1) for (let j = 0; j < columns; j += 1) out[j * rows + i] = b[i * columns + j] as number;
  return out;
}

/**
 * `Ops.matmul` on the engine's dense-layer product ({@link fastMatmul}: WebAssembly SIMD, every
 * product and sum rounded to float32, equal bit for bit to `referenceMatmul`): `a` is read
 * transposed through its strides, a transposed `b` is copied first.
 */
export function engineMatmul(a: Float32Array, b: Float32Array, dims: MatmulDims): Float32Array {
  const { rows, inner, columns, batch = 1 } = dims;
  for (const [name, value] of Object.entries({ rows, inner, columns, batch })) {
    if (!Number.isSafeInteger(value) || value < 0)
      throw new RangeError(`engine ops: matmul ${name} must be an integer >= 0, got ${String(value)}`);
  }
  if (a.length !== batch * rows * inner)
    throw new RangeError(`engine ops: matmul a must hold batch·rows·inner = ${batch * rows * inner} values, got ${a.length}`);
  if (b.length !== batch * inner * columns)
    throw new RangeError(`engine ops: matmul b must hold batch·inner·columns = ${batch * inner * columns} values, got ${b.length}`);
  const out = new Float32Array(batch * rows * columns);
  for (let p = 0; p < batch; p += 1) {
    const left = a.subarray(p * rows * inner, (p + 1) * rows * inner);
    const stored = b.subarray(p * inner * columns, (p + 1) * inner * columns);
    fastMatmul({
      c: out.subarray(p * rows * columns, (p + 1) * rows * columns),
      a: left,
      b: dims.transposeB ? transposed(stored, columns, inner) : stored,
      rows,
      depth: inner,
      columns,
      aRowStride: dims.transposeA ? 1 : inner,
      aDepthStride: dims.transposeA ? rows : 1,
    });
  }
  return out;
}

/**
 * The engine's generic primitives: core's `float32Ops` (`Ops<Float32Array>`, one
 * float32 rounding per operation, a Float32Array of length 1 broadcasting as a
 * scalar), named `engine`, with the engine's own matrix product (`engineMatmul`, for
 * Muon). They allocate; the fused kernels do not, and are tested equal to them.
 *
 * @example
 * ```ts
 * const runner = new OptimizerRunner({ optimizer: adam(), ops: float32Ops, params: { w } });
 * ```
 */
export const float32Ops: Ops<Float32Array> = { ...hostOps, name: 'engine', matmul: engineMatmul };
