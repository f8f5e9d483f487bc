// createFastKernels of the Node entry (dist/index.js): worker threads from node:worker_threads
// that share the kernels' WebAssembly memory, as many by default as the machine's available
// parallelism. The browser entry's twin, create-fast-kernels.browser.ts, imports nothing of Node.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import {
  createFastKernelsOn,
  type FastKernelOptions,
  type FastKernels,
  type ThreadPlatform,
  type WorkerHandle,
  WORKER_LOOP,
} from './fast-kernels.js';

/** The worker's program: the job loop with `workerData` and `parentPort` from node:worker_threads. */
const WORKER_SOURCE = `const { workerData, parentPort } = require('node:worker_threads');\n${WORKER_LOOP}`;

/** Node's threads: `count` workers on the module and shared memory, unref'd once all are ready. */
const nodeThreads: ThreadPlatform = {
  defaultThreads: () => availableParallelism(),
  maxThreads: 16,
  async startWorkers(count, module, memory) {
    const workers: Worker[] = [];
    const ready: Promise<unknown>[] = [];
    for (let index = 0; index < count; index += 1) {
      const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module, memory, index } });
      ready.push(
        new Promise((resolve, reject) => {
          worker.once('message', resolve);
          worker.once('error', reject);
        }),
      );
      workers.push(worker);
    }
    try {
      await Promise.all(ready);
    } catch (error) {
      await Promise.all(workers.map((worker) => worker.terminate()));
      throw error;
    }
    // Idle workers do not keep the process alive (unref'd only once ready: until then they must).
    for (const worker of workers) worker.unref();
    return workers as unknown as WorkerHandle[];
  },
};

/**
 * Creates SIMD WebAssembly kernels for SGD, Adam and AdamW (bit-for-bit equal to
 * {@link fusedKernels}, which they fall back to for other optimizers, for the last
 * `length % 4` elements and where WebAssembly SIMD or `SharedArrayBuffer` is missing),
 * with their own shared memory and, in Node, `threads - 1` worker threads that split
 * large parameters with this thread. In browsers (the package's browser entry) the same
 * kernels run on the calling thread only.
 *
 * For the full speed, keep parameters, gradients and optimizer slots in the shared
 * memory: allocate them with `allocate`/`from` and pass `ops` to the runner (its slots
 * are then allocated there too). Other Float32Arrays work as well, copied through a
 * cache-sized scratch area on this thread.
 *
 * @example
 * ```ts
 * const fast = await createFastKernels({ threads: 2 });
 * const w = fast.from(initialWeights);
 * const runner = new OptimizerRunner({ optimizer: adamW(), ops: fast.ops, params: { w }, kernels: fast.kernels });
 * runner.step({ w: gradient });
 * await fast.close();
 * ```
 */
export function createFastKernels(options: FastKernelOptions = {}): Promise<FastKernels> {
  return createFastKernelsOn(nodeThreads, options);
}
