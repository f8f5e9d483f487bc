// createFastKernels of the browser entry (dist/index.browser.js, the `browser` export
// condition): the same kernels and memory as in Node, on the calling thread only. Nothing
// here or in what it imports refers to Node (no Node built-in module, no `process`), so bundlers
// build it for browsers with their default settings.
import { createFastKernelsOn, type FastKernelOptions, type FastKernels, type ThreadPlatform } from './fast-kernels.js';

/** No workers: every update runs on the calling thread. */
const noThreads: ThreadPlatform = {
  defaultThreads: () => 1,
  maxThreads: 1,
  startWorkers: async () => [],
};

/**
 * Creates SIMD WebAssembly kernels for SGD, Adam and AdamW (bit-for-bit equal to
 * {@link fusedKernels}, which they fall back to for other optimizers, for the last
 * `length % 4` elements and where WebAssembly SIMD or `SharedArrayBuffer` is missing),
 * with their own memory, on the calling thread: the browser entry starts no workers, so
 * `threads` of the result is 1 whatever `options.threads` asks.
 *
 * The shared (growing) memory needs `SharedArrayBuffer`, which a browser gives only to a
 * cross-origin isolated page (served with `Cross-Origin-Opener-Policy: same-origin` and
 * `Cross-Origin-Embedder-Policy: require-corp`); elsewhere pass `fixedMemoryBytes` for an
 * ordinary memory of a fixed size, or the result's `simd` is false (the reference kernels).
 *
 * @example
 * ```ts
 * const fast = await createFastKernels({ fixedMemoryBytes: fastMemoryBytes([1000, 1000, 1000, 1000]) });
 * const w = fast.from(initialWeights);
 * const runner = new OptimizerRunner({ optimizer: adamW(), ops: fast.ops, params: { w }, kernels: fast.kernels });
 * runner.step({ w: gradient });
 * ```
 */
export function createFastKernels(options: FastKernelOptions = {}): Promise<FastKernels> {
  return createFastKernelsOn(noThreads, options);
}
