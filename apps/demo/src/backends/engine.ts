import { evaluate, train } from '@stepsize/engine';
import { modelOf, optimizerOf, type DemoSetup } from '../setup.js';
import { recorder, StopTraining, type BackendRun, type DemoBackend } from './types.js';

/** The typed-array engine: `train` from @stepsize/engine (fused kernels). */
export const engineBackend: DemoBackend = {
  name: 'engine',
  train: async (setup: DemoSetup, hooks = {}): Promise<BackendRun> => {
    const model = modelOf(setup);
    const { record, finish } = recorder(hooks);
    const start = performance.now();
    let stopped = false;
    try {
      train({
        model,
        optimizer: optimizerOf(setup),
        loss: 'softmaxCrossEntropy',
        data: setup.dataset.train,
        batchSize: setup.batchSize,
        steps: setup.steps,
        seed: setup.seed,
        onStep: (r) => record(r.step, r.loss, r.learningRate),
      });
    } catch (error) {
      if (!(error instanceof StopTraining)) throw error;
      stopped = true;
    }
    const wallMs = performance.now() - start;
    const held = stopped ? { loss: Number.NaN, accuracy: Number.NaN } : evaluate(model, setup.dataset.validation, 'softmaxCrossEntropy');
    return finish('engine', wallMs, held);
  },
};
