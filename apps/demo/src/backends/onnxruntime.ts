import { buildMlpTrainingModel, evaluateOnnx, trainOnnx } from '@stepsize/onnxruntime';
import { optimizerOf, type DemoSetup } from '../setup.js';
import { recorder, StopTraining, type BackendRun, type DemoBackend } from './types.js';

/** ONNX Runtime: generated forward + backward model, the update as a traced ONNX graph. */
export const onnxruntimeBackend: DemoBackend = {
  name: 'onnxruntime',
  train: async (setup: DemoSetup, hooks = {}): Promise<BackendRun> => {
    const { model } = buildMlpTrainingModel({
      inputSize: setup.dataset.inputSize,
      layers: setup.layers,
      activation: setup.activation,
      loss: 'softmaxCrossEntropy',
    });
    const { record, finish } = recorder(hooks);
    const start = performance.now();
    let held = { loss: Number.NaN, accuracy: Number.NaN as number | undefined };
    try {
      const result = await trainOnnx({
        model,
        params: setup.weights,
        optimizer: optimizerOf(setup),
        data: setup.dataset.train,
        batchSize: setup.batchSize,
        steps: setup.steps,
        seed: setup.seed,
        onStep: (r) => record(r.step, r.loss, r.learningRate),
      });
      held = await evaluateOnnx(result.session, setup.dataset.validation, 'argmax');
      await result.session.release();
    } catch (error) {
      if (!(error instanceof StopTraining)) throw error;
    }
    const wallMs = performance.now() - start;
    return finish('onnxruntime', wallMs, held);
  },
};
