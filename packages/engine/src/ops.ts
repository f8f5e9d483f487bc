import { type Ops, float32Ops as hostOps } from '@stepsize/core';

/**
 * The engine's generic primitives: core's `float32Ops` (`Ops<Float32Array>`, one
 * float32 rounding per operation, a Float32Array of length 1 broadcasting as a
 * scalar), named `engine`. They allocate; the fused kernels do not, and are tested
 * equal to them.
 *
 * @example
 * ```ts
 * const runner = new OptimizerRunner({ optimizer: adam(), ops: float32Ops, params: { w } });
 * ```
 */
export const float32Ops: Ops<Float32Array> = { ...hostOps, name: 'engine' };
