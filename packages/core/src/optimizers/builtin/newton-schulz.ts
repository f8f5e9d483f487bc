import { fail } from '../../schedules/options.js';
import type { MatmulDims, Ops } from '../ops.js';

/** The precision of the Newton-Schulz iteration: float32 (optax) or bfloat16 (PyTorch's `torch.optim.Muon`). */
export type NewtonSchulzPrecision = 'float32' | 'bfloat16';

/**
 * optax's rescaling of the first iteration (`preconditioning`), for a matrix not normalized
 * beforehand: `'aol'` ("almost orthogonal layer") scales row `i` of the wide `X` by
 * `s_i = 1 / √max(Σ_j |A_ij|, 1e-8)` and `A` to `s_i A_ij s_j`; `'schatten'` scales `X` by
 * `s = 1 / √max(‖A‖_F, 1e-8)` and `A` by `s²` (`A = X Xᵀ`).
 */
export type NewtonSchulzFirstStep = 'aol' | 'schatten';

/** optax's floor of the first step's rescaling (its own `eps` default, not Muon's). */
const FIRST_STEP_FLOOR = 1e-8;

/** The shape-aware primitives the matrix optimizers need, or an error naming the backend. */
export function matrixOps<T>(ops: Ops<T>, type: string): Required<Pick<Ops<T>, 'matmul' | 'sumAxis' | 'reshape'>> {
  const { matmul, sumAxis, reshape } = ops;
  if (matmul === undefined || sumAxis === undefined || reshape === undefined)
    fail(`${type} ops`, `must have matmul, sumAxis and reshape (${type} multiplies and reduces matrices); ${ops.name} has not`, ops.name);
  return { matmul: matmul.bind(ops), sumAxis: sumAxis.bind(ops), reshape: reshape.bind(ops) };
}

/**
 * `x` rounded to the nearest bfloat16 (8 significant bits), kept in float32: Veltkamp's
 * split `γ = 65537 x`, `x_hi = γ + (x - γ)` in float32 arithmetic, which rounds to nearest
 * with ties to even as PyTorch's `Tensor.bfloat16()` does (checked against torch on a million
 * values and every tie), so every backend rounds alike. Float32 subnormals (below 1.2e-38)
 * are kept as they are, and |x| above 2.6e33 overflows.
 */
export function roundToBfloat16<T>(ops: Ops<T>, x: T): T {
  const scaled = ops.mul(x, ops.scalar(65537));
  return ops.add(scaled, ops.sub(x, scaled));
}

/** What one Newton-Schulz run reads: the matrix `x` (`rows` x `columns`, row-major) and the scalars. */
export interface NewtonSchulzInput<T> {
  readonly ops: Ops<T>;
  readonly type: string;
  readonly x: T;
  readonly rows: number;
  readonly columns: number;
  /** The polynomial's coefficients `a`, `b`, `c` as scalars, for every iteration. */
  readonly coefficients: readonly [T, T, T];
  readonly steps: number;
  /**
   * One `[a, b, c]` per iteration instead (optax's `ns_coeffs` of shape `(n, 3)`, such as its
   * `'dion'` preset): iteration `i` uses `perIteration[i]`; its length must be `steps`.
   */
  readonly perIteration?: readonly (readonly [T, T, T])[];
  /** optax's rescaled first iteration ({@link NewtonSchulzFirstStep}); default none (the input is normalized). */
  readonly firstStep?: NewtonSchulzFirstStep;
  readonly precision: NewtonSchulzPrecision;
}

/**
 * The Newton-Schulz iteration of Muon (Jordan et al. 2024), on an already normalized matrix:
 * `steps` times `A = X Xᵀ`, `B = b A + (c A) A`, `X = a X + B X` (`a`, `b`, `c` the same every
 * iteration, or `perIteration[i]` at iteration `i`; Python's `c * A @ A` scales
 * first: `*` and `@` bind alike, left to right), on the wide orientation
 * (`Xᵀ` when `rows > columns`, as optax and PyTorch transpose; here the products are written
 * on `X` with transposed operands, which computes the same sums). With `'bfloat16'` every
 * result is rounded to bfloat16 as PyTorch's bfloat16 tensors are (products summed in
 * float32, then rounded).
 */
export function newtonSchulz<T>(input: NewtonSchulzInput<T>): T {
  const { ops, rows, columns, coefficients, steps, precision, perIteration, firstStep } = input;
  if (perIteration !== undefined && perIteration.length !== steps)
    fail(`${input.type} newtonSchulz perIteration`, `must hold one [a, b, c] per iteration (${steps})`, perIteration.length);
  const { matmul, sumAxis, reshape } = matrixOps(ops, input.type);
  const round = precision === 'bfloat16' ? (v: T) => roundToBfloat16(ops, v) : (v: T) => v;
  const wide = rows <= columns;
  const small = wide ? rows : columns;
  const product = (p: T, q: T, dims: MatmulDims): T => round(matmul(p, q, dims));
  const big = wide ? columns : rows;
  /** `u ⊗ v` (an `m x n` matrix; one exact product per element where a factor is 1). */
  const outer = (u: T, m: number, v: T, n: number): T => matmul(reshape(u, [m, 1]), reshape(v, [1, n]), { rows: m, inner: 1, columns: n });
  /** optax's first-step rescaling of `x` and its Gram matrix. */
  const precondition = (x: T, gram: T, kind: NewtonSchulzFirstStep): { x: T; gram: T } => {
    const floor = ops.scalar(FIRST_STEP_FLOOR);
    const one = ops.scalar(1);
    if (kind === 'schatten') {
      const scale = ops.div(one, ops.sqrt(ops.maximum(ops.sqrt(ops.sum(ops.mul(gram, gram))), floor)));
      return { x: round(ops.mul(x, scale)), gram: round(ops.mul(gram, ops.mul(scale, scale))) };
    }
    const rowScale = ops.div(one, ops.sqrt(ops.maximum(sumAxis(ops.abs(gram), [small, small], 1), floor)));
    const onesBig = ops.fullLike(sumAxis(x, [rows, columns], wide ? 0 : 1), one);
    const onesSmall = ops.fullLike(rowScale, one);
    // wide: row i of X times s_i; tall: column i (a row of Xᵀ).
    const scaledX = wide ? ops.mul(x, outer(rowScale, small, onesBig, big)) : ops.mul(x, outer(onesBig, big, rowScale, small));
    const scaledGram = ops.mul(ops.mul(gram, outer(rowScale, small, onesSmall, small)), outer(onesSmall, small, rowScale, small));
    return { x: round(scaledX), gram: round(scaledGram) };
  };
  let x = input.x;
  for (let i = 0; i < steps; i += 1) {
    const [a, b, c] = perIteration?.[i] ?? coefficients;
    // wide: A = X Xᵀ; tall: A = (Xᵀ)(Xᵀ)ᵀ = Xᵀ X. Either is small x small.
    let gram = wide
      ? product(x, x, { rows, inner: columns, columns: rows, transposeB: true })
      : product(x, x, { rows: columns, inner: rows, columns, transposeA: true });
    if (i === 0 && firstStep !== undefined) ({ x, gram } = precondition(x, gram, firstStep));
    const square = product(round(ops.mul(gram, c)), gram, { rows: small, inner: small, columns: small });
    const update = round(ops.add(round(ops.mul(gram, b)), square));
    // wide: B X; tall: (B Xᵀ)ᵀ = X Bᵀ.
    const moved = wide
      ? product(update, x, { rows, inner: rows, columns })
      : product(x, update, { rows, inner: columns, columns, transposeB: true });
    x = round(ops.add(round(ops.mul(x, a)), moved));
  }
  return x;
}
