import { fusedKernels } from './kernels.js';
import { float32Ops } from './ops.js';

/**
 * The engine as a conformance backend (structurally a `ConformanceBackend`
 * from `@stepsize/conformance`): float32 primitives, fused kernels, tensors
 * are the Float32Arrays themselves. `stepsize-conformance --backend engine`
 * loads it.
 *
 * @example
 * ```ts
 * runSuite(conformanceBackend, pytorchOptimizerCases());
 * ```
 */
export const conformanceBackend = {
  name: 'engine',
  ops: float32Ops,
  kernels: fusedKernels,
  /** The values themselves are the tensor. */
  fromValues: (values: Float32Array): Float32Array => values,
  /** The tensor is its values. */
  toValues: (tensor: Float32Array): Float32Array => tensor,
};
