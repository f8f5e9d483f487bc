import { float32Matmul, float32Reshape, float32SumAxis } from './float32-matrix.js';
import { fmaFloat32 } from './fma-float32.js';
import type { Ops } from './ops.js';

/** A Float32Array of length 1 broadcasts as a scalar. */
function binary(a: Float32Array, b: Float32Array, f: (x: number, y: number) => number): Float32Array {
  const n = Math.max(a.length, b.length);
  if (a.length !== b.length && a.length !== 1 && b.length !== 1) {
    throw new RangeError(`float32 ops: cannot broadcast lengths ${a.length} and ${b.length}`);
  }
  const out = new Float32Array(n);
  if (a.length === b.length) for (let i = 0; i < n; i += 1) out[i] = f(a[i] as number, b[i] as number);
  else if (a.length === 1) {
    const x = a[0] as number;
    for (let i = 0; i < n; i += 1) out[i] = f(x, b[i] as number);
  } else {
    const y = b[0] as number;
    for (let i = 0; i < n; i += 1) out[i] = f(a[i] as number, y);
  }
  return out;
}

function unary(a: Float32Array, f: (x: number) => number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i += 1) out[i] = f(a[i] as number);
  return out;
}

// biome-ignore lint/suspicious/noSelfCompare: the fastest NaN test in the update loops (Number.isNaN costs a call)
const isNaN32 = (x: number): boolean => x !== x;

// biome-ignore-start lint/complexity/useMathMinMax: Math.max/Math.min give +0/-0 for a tie of -0 and +0 whatever the order; these return y on a tie, and the fused kernels and other backends are compared with them bit for bit
/** Float32 maximum with NaN propagation (like torch.maximum). */
function max32(x: number, y: number): number {
  return isNaN32(x) || isNaN32(y) ? NaN : x > y ? x : y;
}

function min32(x: number, y: number): number {
  return isNaN32(x) || isNaN32(y) ? NaN : x < y ? x : y;
}
// biome-ignore-end lint/complexity/useMathMinMax: see above

/**
 * The reference primitives on the host: `Ops<Float32Array>`, one float32 rounding
 * per operation (each result is stored in a new Float32Array), the same
 * semantics as PyTorch's single-tensor CPU code path. A Float32Array of length
 * 1 is a scalar and broadcasts. These allocate; the engine's fused kernels do not,
 * and are tested equal to them (the engine's `float32Ops` is this one). `train()`
 * uses them for host-side math on parameters it reads back (schedule-free's
 * evaluation point).
 *
 * @example
 * ```ts
 * const runner = new OptimizerRunner({ optimizer: adam(), ops: float32Ops, params: { w: Float32Array.of(1, 2) } });
 * ```
 */
export const float32Ops: Ops<Float32Array> = {
  name: 'float32',
  scalar: (value) => Float32Array.of(value),
  zerosLike: (x) => new Float32Array(x.length),
  fullLike: (x, value) => new Float32Array(x.length).fill(value[0] as number),
  add: (a, b) => binary(a, b, (x, y) => x + y),
  sub: (a, b) => binary(a, b, (x, y) => x - y),
  mul: (a, b) => binary(a, b, (x, y) => x * y),
  div: (a, b) => binary(a, b, (x, y) => x / y),
  // x + y·z rounded once (fmaFloat32: a true fused multiply-add, ties included, as PyTorch's CPU kernels).
  addScaled: (a, b, c) => {
    if (c.length !== 1 && c.length !== b.length) throw new RangeError(`float32 ops: addScaled lengths ${b.length} and ${c.length}`);
    const n = Math.max(a.length, b.length);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i += 1) {
      const x = a.length === 1 ? (a[0] as number) : (a[i] as number);
      const y = b.length === 1 ? (b[0] as number) : (b[i] as number);
      out[i] = fmaFloat32(x, y, c.length === 1 ? (c[0] as number) : (c[i] as number));
    }
    return out;
  },
  neg: (a) => unary(a, (x) => -x),
  abs: (a) => unary(a, Math.abs),
  sqrt: (a) => unary(a, Math.sqrt),
  sign: (a) => unary(a, (x) => (x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : NaN)),
  maximum: (a, b) => binary(a, b, max32),
  minimum: (a, b) => binary(a, b, min32),
  greater: (a, b) => binary(a, b, (x, y) => (x > y ? 1 : 0)),
  less: (a, b) => binary(a, b, (x, y) => (x < y ? 1 : 0)),
  where: (mask, a, b) => {
    const n = Math.max(mask.length, a.length, b.length);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i += 1) {
      const m = mask.length === 1 ? (mask[0] as number) : (mask[i] as number);
      out[i] = m !== 0 ? (a.length === 1 ? (a[0] as number) : (a[i] as number)) : b.length === 1 ? (b[0] as number) : (b[i] as number);
    }
    return out;
  },
  sum: (a) => {
    // Pairwise-free plain sum in float64, rounded once (PyTorch reduces in higher precision too).
    let total = 0;
    for (let i = 0; i < a.length; i += 1) total += a[i] as number;
    return Float32Array.of(total);
  },
  assign: (target, value) => {
    if (target.length === value.length) {
      target.set(value);
      return target;
    }
    return value;
  },
  size: (x) => x.length,
  firstNonFinite: (x) => {
    for (let i = 0; i < x.length; i += 1) if (!Number.isFinite(x[i] as number)) return i;
    return -1;
  },
  readScalar: (x) => x[0] as number,
  reshape: float32Reshape,
  matmul: float32Matmul,
  sumAxis: float32SumAxis,
};
