import type { Ops } from '../ops.js';

/** The scalars the moment updates read. */
export interface MomentScalars<T> {
  readonly beta1: T;
  readonly oneMinusBeta1: T;
  readonly beta2: T;
  readonly oneMinusBeta2: T;
}

/**
 * Adam's moment estimates, shared by Adam, AdamW, NAdam, RAdam and LAMB:
 * `m = b1 m + (1 - b1) g`, `v = b2 v + (1 - b2) g²` (PyTorch's operation order).
 */
export function updateMoments<T>(ops: Ops<T>, s: MomentScalars<T>, g: T, m: T, v: T): { expAvg: T; expAvgSq: T } {
  return {
    // PyTorch: exp_avg.mul_(b1).add_(g, alpha=1 - b1); exp_avg_sq.mul_(b2).addcmul_(g, g, value=1 - b2).
    expAvg: ops.addScaled(ops.mul(m, s.beta1), g, s.oneMinusBeta1),
    // addcmul_(t1, t2, value) is fma(round(value · t1), t2, self) on CPU.
    expAvgSq: ops.addScaled(ops.mul(v, s.beta2), ops.mul(g, s.oneMinusBeta2), g),
  };
}
