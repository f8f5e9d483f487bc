// Run inside a fresh project that installed the packed tarballs with npm: imports every package
// with `import`, trains a few steps with core's train() on each backend and prints the numbers as JSON.
import { adamW, cosineAnnealing, scheduleFromJSON, train, warmup } from '@stepsize/core';
import { writeJsonFileAtomic, readJsonFile } from '@stepsize/core/node';
import { engineTrainingBackend } from '@stepsize/engine';
import { crossBackendCheck, pytorchOptimizerCases, runSuite } from '@stepsize/conformance';
import { tfjsTrainingBackend } from '@stepsize/tfjs';
import { onnxruntimeTrainingBackend, conformanceBackend as onnxConformance } from '@stepsize/onnxruntime';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';

await tf.setBackend('cpu');
const schedule = warmup({ steps: 2, schedule: cosineAnnealing({ initialValue: 0.05, steps: 8 }) });
const examples = 20;
const setup = {
  mlp: { inputSize: 3, layers: [5, 2], activation: 'tanh', loss: 'softmaxCrossEntropy', seed: 1 },
  data: {
    inputs: Array.from({ length: examples * 3 }, (_, i) => Math.sin(i)),
    targets: Array.from({ length: examples }, (_, i) => i % 2),
    examples,
  },
  batchSize: 5,
  steps: 10,
  optimizer: adamW({ learningRate: schedule }).toJSON(),
};
const engine = (mlp) => engineTrainingBackend({ mlp });
// A checkpoint written on the engine resumes on ONNX Runtime.
let checkpoint;
const data = { inputs: Float32Array.from(setup.data.inputs), targets: Float32Array.from(setup.data.targets), examples };
await train({
  backend: await engine(setup.mlp),
  optimizer: adamW({ learningRate: 0.01 }),
  data,
  batchSize: 5,
  steps: 4,
  checkpoint: {
    every: 4,
    save: (c) => {
      checkpoint = JSON.stringify(c);
    },
  },
});
const onnx = await onnxruntimeTrainingBackend({ mlp: setup.mlp });
const resumed = await train({ backend: onnx, data, batchSize: 5, steps: 6, resumeFrom: checkpoint });
await onnx.dispose();
const results = {
  resolved: Object.fromEntries(
    ['@stepsize/core', '@stepsize/engine', '@stepsize/conformance', '@stepsize/tfjs', '@stepsize/onnxruntime'].map((n) => [
      n,
      createRequire(import.meta.url).resolve(n),
    ]),
  ),
  schedule: [0, 1, 2, 5, 9].map((s) => schedule(s)),
  roundTrip: scheduleFromJSON(JSON.parse(JSON.stringify(schedule.toJSON())))(5),
  tfjs: await crossBackendCheck({ setup, backends: [(mlp) => tfjsTrainingBackend({ mlp }), engine] }),
  onnxruntime: await crossBackendCheck({ setup, backends: [(mlp) => onnxruntimeTrainingBackend({ mlp }), engine] }),
  resumedSteps: resumed.history.map((r) => r.step),
  conformance: (await runSuite(onnxConformance, pytorchOptimizerCases())).filter((r) => !r.passed).map((r) => r.name),
};
writeJsonFileAtomic('result.json', {
  ...results,
  tfjs: results.tfjs.maxRelativeError,
  onnxruntime: results.onnxruntime.maxRelativeError,
  engineLosses: results.tfjs.losses[1],
});
console.log(JSON.stringify(readJsonFile('result.json')));
