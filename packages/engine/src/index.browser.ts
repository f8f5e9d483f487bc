// The browser entry (the `browser` and `default` export conditions): the same exports as the
// Node entry (index.ts), with createFastKernels on the calling thread; nothing it imports refers
// to Node, so bundlers build it for browsers with their default settings.
export { float32Ops } from './ops.js';
export { fusedKernels } from './kernels.js';
export { Mlp, type MlpOptions, type Activation, type LossAndGradients } from './model/mlp.js';
export { referenceRelu, type ReluKernels } from './model/relu.js';
export { fusedReferenceMatmul, referenceMatmul, type Matmul, type MatmulArgs } from './model/matmul.js';
export { fastMatmul } from './wasm/fast-matmul.js';
export { lossAndGradient, type LossName } from './model/losses.js';
export { conformanceBackend } from './conformance-backend.js';
export { engineTrainingBackend, type EngineTrainingBackendOptions, type EngineModel } from './training-backend.js';
export { createFastKernels } from './wasm/create-fast-kernels.browser.js';
export {
  fastKernels,
  fastMemoryBytes,
  fastKernelsSupported,
  fusedMultiplyAddSupported,
  type FastKernels,
  type FastKernelOptions,
} from './wasm/fast-kernels.js';
export { optimizerMemoryBytes } from './wasm/optimizer-memory.js';
