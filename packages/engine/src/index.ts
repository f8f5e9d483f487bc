export { float32Ops } from './ops.js';
export { fusedKernels } from './kernels.js';
