// Run inside a fresh project that installed the packed tarballs with npm: imports every package
// with `import`, trains a few steps on each backend and prints the numbers as JSON.
import { adamW, cosineAnnealing, scheduleFromJSON, warmup } from '@stepsize/core';
import { writeJsonFileAtomic, readJsonFile } from '@stepsize/core/node';
import { Mlp, engineTrainingBackend } from '@stepsize/engine';
import { crossBackendCheck, pytorchOptimizerCases, runSuite } from '@stepsize/conformance';
import { tfjsTrainingBackend } from '@stepsize/tfjs';
import { onnxTrainingBackend, conformanceBackend as onnxConformance } from '@stepsize/onnxruntime';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { createRequire } from 'node:module';

await tf.setBackend('cpu');
const schedule = warmup({ steps: 2, schedule: cosineAnnealing({ initialValue: 0.05, steps: 8 }) });
const mlp = new Mlp({ inputSize: 3, layers: [5, 2], activation: 'tanh', seed: 1 });
const examples = 20;
const setup = {
  inputSize: 3,
  layers: [5, 2],
  activation: 'tanh',
  loss: 'softmaxCrossEntropy',
  weights: Object.fromEntries(Object.entries(mlp.params).map(([k, v]) => [k, Array.from(v)])),
  data: {
    inputs: Array.from({ length: examples * 3 }, (_, i) => Math.sin(i)),
    targets: Array.from({ length: examples }, (_, i) => i % 2),
    examples,
  },
  batchSize: 5,
  steps: 10,
  optimizer: adamW({ learningRate: schedule }).toJSON(),
};
const results = {
  resolved: Object.fromEntries(
    ['@stepsize/core', '@stepsize/engine', '@stepsize/conformance', '@stepsize/tfjs', '@stepsize/onnxruntime'].map((n) => [
      n,
      createRequire(import.meta.url).resolve(n),
    ]),
  ),
  schedule: [0, 1, 2, 5, 9].map((s) => schedule(s)),
  roundTrip: scheduleFromJSON(JSON.parse(JSON.stringify(schedule.toJSON())))(5),
  tfjs: await crossBackendCheck(tfjsTrainingBackend, engineTrainingBackend, setup),
  onnxruntime: await crossBackendCheck(onnxTrainingBackend('onnx'), engineTrainingBackend, setup),
  conformance: (await runSuite(onnxConformance, pytorchOptimizerCases())).filter((r) => !r.passed).map((r) => r.name),
};
writeJsonFileAtomic('result.json', {
  ...results,
  tfjs: results.tfjs.maxRelativeError,
  onnxruntime: results.onnxruntime.maxRelativeError,
  engineLosses: results.tfjs.losses[1],
});
console.log(JSON.stringify(readJsonFile('result.json')));
