import type { MlpSpec, TrainingBackend } from '@stepsize/core';
import { engineTrainingBackend } from '@stepsize/engine';
import { onnxruntimeTrainingBackend } from '@stepsize/onnxruntime';
import { tfjsTrainingBackend } from '@stepsize/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';

/** Every stack's training backend for an MLP spec, by name (tfjs on its cpu backend). */
export const STACKS: Readonly<Record<string, (mlp: MlpSpec) => Promise<TrainingBackend>>> = {
  engine: (mlp) => engineTrainingBackend({ mlp }),
  tfjs: async (mlp) => {
    await tf.setBackend('cpu');
    return tfjsTrainingBackend({ mlp });
  },
  'onnxruntime (update graph)': (mlp) => onnxruntimeTrainingBackend({ mlp, update: 'onnx' }),
  'onnxruntime (engine kernels)': (mlp) => onnxruntimeTrainingBackend({ mlp, update: 'engine' }),
};
