import type { MlpSpec, TrainingBackend } from '@stepsize/core';
import { engineTrainingBackend } from '@stepsize/engine';
import { onnxruntimeTrainingBackend } from '@stepsize/onnxruntime';
import { tfjsTrainingBackend } from '@stepsize/tfjs';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from './backend-names.js';

/**
 * Each stack's training backend for the same MLP: switching stack is this one
 * choice; everything else is the same `train()` call. Dispose the backend after.
 */
export async function createBackend(name: BackendName, mlp: MlpSpec): Promise<TrainingBackend> {
  if (name === 'engine') return engineTrainingBackend({ mlp });
  if (name === 'tfjs') {
    await tf.setBackend('cpu');
    return tfjsTrainingBackend({ mlp });
  }
  return onnxruntimeTrainingBackend({ mlp });
}
