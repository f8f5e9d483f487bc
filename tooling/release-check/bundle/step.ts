// The tiny app's computation, run in the browser bundles (main.ts) and in Node (bundle.test.ts),
// which compares the two: a schedule from JSON, Adam and AdamW steps with each of the engine's
// kernel providers next to the plain JS reference kernels, and a few training steps with core's
// train() on the engine. Every number is a float32 or float64 that JSON carries exactly.
import { adam, adamW, OptimizerRunner, scheduleFromJSON, train, type KernelTable, type Ops } from '@stepsize/core';
import { createFastKernels, engineTrainingBackend, fastKernels, fastMemoryBytes, float32Ops, fusedKernels } from '@stepsize/engine';

/** What the page prints (as JSON) and the test compares with Node. */
export interface StepResult {
  /** The learning rates of the schedule (from its JSON spec) at steps 0..9. */
  readonly schedule: number[];
  /** Parameters after three Adam steps with the reference kernels (`fusedKernels`). */
  readonly reference: number[];
  /** The same steps with `fastKernels` (WebAssembly SIMD on this thread). */
  readonly fastKernels: number[];
  /** The same steps with `createFastKernels({ fixedMemoryBytes })` (an ordinary memory). */
  readonly fixedMemory: number[];
  /** The same steps with `createFastKernels()` (a shared memory where `SharedArrayBuffer` exists). */
  readonly sharedMemory: number[];
  /** Losses of twelve training steps (AdamW) of a small Mlp on the engine. */
  readonly losses: number[];
  /** Where it ran: not compared between Node and the browser. */
  readonly environment: {
    /** `simd` of `createFastKernels({ fixedMemoryBytes })`. */
    readonly fixedMemorySimd: boolean;
    /** `simd` of `createFastKernels()` (false where `SharedArrayBuffer` is missing). */
    readonly sharedMemorySimd: boolean;
    /** `threads` of `createFastKernels({ threads: 2 })`: 2 with the Node entry, 1 with the browser one. */
    readonly threadsWhenAskedForTwo: number;
    /** `globalThis.crossOriginIsolated` (undefined in Node). */
    readonly crossOriginIsolated: boolean | null;
  };
}

/** 37 parameters: nine blocks of four for the SIMD loop and one for the reference tail. */
const LENGTH = 37;

/** Three Adam steps over the learning rates of a JSON schedule. */
function adamSteps(kernels: KernelTable, ops: Ops<Float32Array>, from: (values: number[]) => Float32Array): number[] {
  const learningRate = scheduleFromJSON({ type: 'exponential', initialValue: 0.1, gamma: 0.5 });
  const w = from(Array.from({ length: LENGTH }, (_, i) => Math.sin(i + 1)));
  const runner = new OptimizerRunner({ optimizer: adam({ learningRate, weightDecay: 0.01 }), ops, params: { w }, kernels });
  for (let step = 0; step < 3; step += 1) runner.step({ w: Float32Array.from({ length: LENGTH }, (_, i) => Math.cos(i * (step + 2))) });
  return Array.from(runner.params.w as Float32Array);
}

/** Runs the computation (in a browser or in Node). */
export async function runSteps(): Promise<StepResult> {
  const schedule = scheduleFromJSON({ type: 'warmup', steps: 3, schedule: { type: 'cosineAnnealing', initialValue: 0.05, steps: 7 } });
  const ordinary = (values: number[]): Float32Array => Float32Array.from(values);
  const fixed = await createFastKernels({ fixedMemoryBytes: fastMemoryBytes([LENGTH, LENGTH, LENGTH]) });
  const shared = await createFastKernels({ threads: 1 });
  const two = await createFastKernels({ threads: 2 });
  const threadsWhenAskedForTwo = two.threads;
  await two.close();
  const result = {
    schedule: Array.from({ length: 10 }, (_, step) => schedule(step)),
    reference: adamSteps(fusedKernels, float32Ops, ordinary),
    fastKernels: adamSteps(fastKernels, float32Ops, ordinary),
    fixedMemory: adamSteps(fixed.kernels, fixed.ops, fixed.from),
    sharedMemory: adamSteps(shared.kernels, shared.ops, shared.from),
  };
  await fixed.close();
  await shared.close();
  const backend = await engineTrainingBackend({
    mlp: { inputSize: 2, layers: [4, 2], activation: 'tanh', loss: 'softmaxCrossEntropy', seed: 1 },
  });
  const data = {
    inputs: Float32Array.from({ length: 40 }, (_, i) => Math.sin(i)),
    targets: Float32Array.from({ length: 20 }, (_, i) => i % 2),
    examples: 20,
  };
  const { history } = await train({ backend, data, batchSize: 5, steps: 12, optimizer: adamW({ learningRate: 0.05 }) });
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  return {
    ...result,
    losses: history.map((record) => record.loss),
    environment: {
      fixedMemorySimd: fixed.simd,
      sharedMemorySimd: shared.simd,
      threadsWhenAskedForTwo,
      crossOriginIsolated: isolated ?? null,
    },
  };
}
