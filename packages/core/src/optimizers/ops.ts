/**
 * The elementwise primitives optimizer math is written against. Each backend
 * implements them once (typed arrays, tf tensors, ONNX graph nodes); the
 * optimizers in this folder are written only in terms of these, so the same
 * definition of the math runs, or is traced, on every backend.
 *
 * Scalars are values of the same type `T` made with {@link Ops.scalar} (a
 * one-element tensor); every binary operation broadcasts a scalar operand
 * against a tensor. Results are new values: backends that update in place do
 * so in their fused kernels, which must equal this composition (tested).
 *
 * Arithmetic follows the backend's float32 semantics, one rounding per
 * operation, like PyTorch's single-tensor (`foreach=False`) code path.
 *
 * @example
 * ```ts
 * // m = beta1 * m + (1 - beta1) * g
 * const m2 = ops.add(ops.mul(m, s.beta1), ops.mul(g, s.oneMinusBeta1));
 * ```
 */
export interface Ops<T> {
  // Shape-aware primitives (Muon's Newton-Schulz iteration, Adafactor's factored moments) are
  // optional: only optimizers whose math reads a parameter's shape need them, and their
  // arguments carry the shapes, since a backend's tensors may be flat (the engine's arrays).
  /** Backend name, for error messages and reports. */
  readonly name: string;
  /** A scalar holding `value` (rounded to the backend's float type). */
  scalar(value: number): T;
  /** A tensor of `x`'s shape filled with zeros. */
  zerosLike(x: T): T;
  /** A tensor of `x`'s shape filled with the scalar `value`. */
  fullLike(x: T, value: T): T;
  /** a + b */
  add(a: T, b: T): T;
  /** a - b */
  sub(a: T, b: T): T;
  /** a * b */
  mul(a: T, b: T): T;
  /** a / b */
  div(a: T, b: T): T;
  /**
   * `a + b · c` with one rounding where the backend can (a fused multiply-add,
   * as PyTorch's CPU `add(b, alpha=c)` and `addcmul`); `c` is a scalar or a
   * tensor. Backends without one may round twice.
   */
  addScaled(a: T, b: T, c: T): T;
  /** -a */
  neg(a: T): T;
  /** |a| */
  abs(a: T): T;
  /** √a */
  sqrt(a: T): T;
  /** sign(a): -1, 0 or 1 (0 for ±0; NaN for NaN). */
  sign(a: T): T;
  /** Elementwise max(a, b) (NaN if either is NaN). */
  maximum(a: T, b: T): T;
  /** Elementwise min(a, b) (NaN if either is NaN). */
  minimum(a: T, b: T): T;
  /** 1 where a > b, else 0. */
  greater(a: T, b: T): T;
  /** 1 where a < b, else 0. */
  less(a: T, b: T): T;
  /** Where `mask` is non-zero `a`, else `b`. */
  where(mask: T, a: T, b: T): T;
  /** Sum of all elements, as a scalar. */
  sum(a: T): T;
  /**
   * Stores `value` in `target` and returns the tensor that now holds it: backends
   * with mutable storage copy into `target` (so parameter identity is stable),
   * others return `value`.
   */
  assign(target: T, value: T): T;
  /**
   * Makes long-lived storage for optimizer state from a fresh tensor (tfjs: a
   * `tf.Variable`, so a step can run inside `tf.tidy` and write state with
   * {@link Ops.assign}). Optional; identity when absent.
   */
  persist?(x: T): T;
  /** Number of elements. */
  size(x: T): number;
  /**
   * A scalar that is not finite whenever some element of `x` is not: the
   * non-finite check reads it once per step. Optional; defaults to
   * {@link Ops.sum}. A backend may use a cheaper reduction (tfjs on wasm uses
   * XNNPACK's average pooling, about 4x faster than its sum).
   */
  nonFiniteProbe?(x: T): T;
  /** Index of the first NaN or infinite element, or -1 when all are finite (host check). */
  firstNonFinite(x: T): number;
  /**
   * Reads a one-element value back to the host. Optional: only optimizers whose host
   * state follows their tensors (Prodigy, D-Adaptation: the next step's distance estimate
   * from this step's sums) need it; a traced backend has none and reads those sums from
   * its graph's outputs instead (`CompiledOptimizer.absorb`).
   */
  readScalar?(x: T): number;
  /**
   * The tensor's own shape, where the backend keeps one (tfjs, the ONNX tracer). Absent on
   * backends with flat storage (the engine): the shape-aware optimizers then take the
   * shapes from `init`'s options.
   */
  shape?(x: T): readonly number[];
  /**
   * `x` viewed as `shape` (same size, row-major order unchanged). Backends with flat
   * storage return `x`.
   */
  reshape?(x: T, shape: readonly number[]): T;
  /**
   * The matrix product of row-major matrices, in float32 (each backend sums in its own
   * order): see {@link MatmulDims}. The result has shape `[rows, columns]`, or
   * `[batch, rows, columns]` when `batch` is given.
   */
  matmul?(a: T, b: T, dims: MatmulDims): T;
  /**
   * The sums over one axis of `x` viewed as `shape` (row-major): the result has `shape`
   * without that axis (`[]`, a scalar, for a 1-D `shape`).
   */
  sumAxis?(x: T, shape: readonly number[], axis: number): T;
}

/**
 * The dimensions of {@link Ops.matmul}: `c[b, i, j] = Σ_k A[b, i, k] · B[b, k, j]` for
 * `b < batch`, `i < rows`, `j < columns`, `k < inner`, where `A` is `a` stored
 * `[batch, rows, inner]` (or `[batch, inner, rows]` and read transposed, `transposeA`) and
 * `B` is `b` stored `[batch, inner, columns]` (or `[batch, columns, inner]`, `transposeB`).
 *
 * @example
 * ```ts
 * // X Xᵀ of a 6 x 10 matrix X
 * const gram = ops.matmul(x, x, { rows: 6, inner: 10, columns: 6, transposeB: true });
 * ```
 */
export interface MatmulDims {
  readonly rows: number;
  readonly inner: number;
  readonly columns: number;
  /** `a` is stored `[inner, rows]` and read transposed. Default false. */
  readonly transposeA?: boolean;
  /** `b` is stored `[columns, inner]` and read transposed. Default false. */
  readonly transposeB?: boolean;
  /** Independent products stacked in front. Default: one, and a 2-D result. */
  readonly batch?: number;
}
