// The Node entry (the `node` export condition): createFastKernels with worker threads.
// index.browser.ts is the browser entry, with the same exports and no Node imports.
export { float32Ops } from './ops.js';
export { fusedKernels } from './kernels.js';
export { Mlp, type MlpOptions, type Activation, type LossAndGradients } from './model/mlp.js';
export { referenceRelu, type ReluKernels } from './model/relu.js';
export { fusedReferenceMatmul, referenceMatmul, type Matmul, type MatmulArgs } from './model/matmul.js';
export { fastMatmul } from './wasm/fast-matmul.js';
export { lossAndGradient, type LossName } from './model/losses.js';
export { conformanceBackend } from './conformance-backend.js';
export { engineTrainingBackend, type EngineTrainingBackendOptions, type EngineModel } from './training-backend.js';
export { createFastKernels } from './wasm/create-fast-kernels.node.js';
export {
  fastKernels,
  fastMemoryBytes,
  fastKernelsSupported,
  fusedMultiplyAddSupported,
  type FastKernels,
  type FastKernelOptions,
} from './wasm/fast-kernels.js';
export { optimizerMemoryBytes } from './wasm/optimizer-memory.js';
