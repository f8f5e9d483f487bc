// A tiny page: a schedule from JSON and a few engine training steps with core's train(), bundled by Vite for browsers.
import { adamW, scheduleFromJSON, train } from '@stepsize/core';
import { engineTrainingBackend } from '@stepsize/engine';

const schedule = scheduleFromJSON({ type: 'warmup', steps: 5, schedule: { type: 'cosineAnnealing', initialValue: 0.05, steps: 45 } });
const data = {
  inputs: Float32Array.from({ length: 40 }, (_, i) => Math.sin(i)),
  targets: Float32Array.from({ length: 20 }, (_, i) => i % 2),
  examples: 20,
};
const backend = await engineTrainingBackend({
  mlp: { inputSize: 2, layers: [4, 2], activation: 'tanh', loss: 'softmaxCrossEntropy', seed: 1 },
});
const { history } = await train({ backend, data, batchSize: 5, steps: 50, optimizer: adamW({ learningRate: schedule }) });
document.querySelector('#out').textContent = history.map((r) => `${r.step} ${r.learningRate.toFixed(4)} ${r.loss.toFixed(4)}`).join('\n');
