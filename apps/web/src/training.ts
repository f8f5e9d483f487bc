import { adamW, type Dataset, type MlpSpec, type StepRecord, scheduleFromJSON, train, type TrainingBackend } from '@stepsize/core';
import { engineTrainingBackend, fusedKernels } from '@stepsize/engine';
import { tfjsTrainingBackend } from '@stepsize/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
// Registers 'webgpu' only where navigator.gpu exists; the adapter is requested when the page selects it.
import '@tensorflow/tfjs-backend-webgpu';
// Gradients for tf.variableGrads (a bundler drops tfjs-core's registration unless it is imported).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tf from '@tensorflow/tfjs-core';

/** The demo app's model: an MLP 4-16-3 (tanh) with core's seeded weights, the same on both backends. */
export const MLP: MlpSpec = { inputSize: 4, layers: [16, 3], activation: 'tanh', loss: 'softmaxCrossEntropy', seed: 1 };
const BATCH = 15;

/** A backend whose backward pass gives the page a frame every 10 batches, so that it stays responsive and the charts update live. */
function yielding<G>(backend: TrainingBackend<G>): TrainingBackend<G> {
  let batches = 0;
  return {
    ...backend,
    lossAndGradients: async (batch) => {
      batches += 1;
      if (batches % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 0));
      return backend.lossAndGradients(batch);
    },
  };
}

/** Why tfjs cannot run `name` here (the page then trains on cpu and says so). */
const UNAVAILABLE: Record<string, { unregistered: string; failed: string }> = {
  webgl: { unregistered: 'webgl is not registered', failed: 'WebGL is unavailable' },
  webgpu: {
    unregistered: 'navigator.gpu is missing (WebGPU needs a secure context and a browser that offers it)',
    failed: 'no WebGPU adapter or device is offered',
  },
};

/**
 * Sets tfjs's backend to `name`, or to cpu where this browser cannot run it: where its
 * backend is not registered (tfjs's webgpu registers only where navigator.gpu exists) or
 * fails to initialize (no WebGL context, no WebGPU adapter). Returns why it fell back.
 */
async function useTfjsBackend(name: string): Promise<string | undefined> {
  let reason: string | undefined;
  if (name !== 'cpu') {
    if (!tf.findBackendFactory(name)) reason = UNAVAILABLE[name]?.unregistered ?? `tfjs backend ${name} is not registered`;
    else if (!(await tf.setBackend(name))) reason = UNAVAILABLE[name]?.failed ?? `tfjs backend ${name} failed to initialize`;
  }
  if (name === 'cpu' || reason !== undefined) await tf.setBackend('cpu');
  await tf.ready();
  return reason === undefined ? undefined : `${name} unavailable here: ${reason}; trained on cpu`;
}

/**
 * Trains the model on one backend with core's `train()` (the same call for both:
 * only the backend differs), AdamW with the schedule of `spec` as its learning rate.
 * Returns the backend's name (tfjs reports the tfjs backend that ran: webgl or webgpu,
 * or cpu where the browser offers neither) and, where tfjs fell back to cpu, why.
 */
export async function trainOn(args: {
  readonly name: 'engine' | 'tfjs';
  readonly spec: string;
  readonly data: Dataset;
  readonly steps: number;
  readonly tfjsBackend: string;
  readonly report: (record: StepRecord) => void;
}): Promise<{ readonly backend: string; readonly fallback?: string }> {
  let backend: TrainingBackend;
  let fallback: string | undefined;
  if (args.name === 'engine') backend = await engineTrainingBackend({ mlp: MLP, kernels: fusedKernels });
  else {
    fallback = await useTfjsBackend(args.tfjsBackend);
    backend = await tfjsTrainingBackend({ mlp: MLP });
  }
  try {
    await train({
      backend: yielding(backend),
      optimizer: adamW({ learningRate: scheduleFromJSON(args.spec), weightDecay: 0.01 }),
      data: args.data,
      batchSize: BATCH,
      steps: args.steps,
      onStep: args.report,
    });
  } finally {
    await backend.dispose?.();
  }
  return fallback === undefined ? { backend: backend.name } : { backend: backend.name, fallback };
}
