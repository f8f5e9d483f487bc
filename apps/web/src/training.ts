import { adamW, type Dataset, type MlpSpec, type StepRecord, scheduleFromJSON, train, type TrainingBackend } from '@stepsize/core';
import { engineTrainingBackend, fusedKernels } from '@stepsize/engine';
import { tfjsTrainingBackend } from '@stepsize/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
// Gradients for tf.variableGrads (a bundler drops tfjs-core's registration unless it is imported).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import * as tf from '@tensorflow/tfjs-core';

/** The demo app's model: an MLP 4-16-3 (tanh) with core's seeded weights, the same on both backends. */
const MLP: MlpSpec = { inputSize: 4, layers: [16, 3], activation: 'tanh', loss: 'softmaxCrossEntropy', seed: 1 };
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

/**
 * Trains the model on one backend with core's `train()` (the same call for both:
 * only the backend differs), AdamW with the schedule of `spec` as its learning rate.
 * Returns the backend's name (tfjs reports the tfjs backend that ran: webgl, or cpu
 * where WebGL is unavailable).
 */
export async function trainOn(args: {
  readonly name: 'engine' | 'tfjs';
  readonly spec: string;
  readonly data: Dataset;
  readonly steps: number;
  readonly tfjsBackend: string;
  readonly report: (record: StepRecord) => void;
}): Promise<string> {
  let backend: TrainingBackend;
  if (args.name === 'engine') backend = await engineTrainingBackend({ mlp: MLP, kernels: fusedKernels });
  else {
    if (!(await tf.setBackend(args.tfjsBackend))) await tf.setBackend('cpu');
    await tf.ready();
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
  return backend.name;
}
