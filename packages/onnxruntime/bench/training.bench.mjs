// `pnpm bench` (onnxruntime): full training steps per second for an MLP 784-256-10 (relu,
// softmax cross-entropy), batch 128, Adam, on ONNX Runtime (update graph and engine-kernel update
// paths), on the engine and on tfjs (wasm), side by side in one run; and the share of an ONNX
// Runtime step spent in the update. Target: the update adds at most 20% to forward + backward.
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { adam } from '@stepsize/core';
import { Mlp, float32Ops, fusedKernels, seededRandom } from '@stepsize/engine';
import { OptimizerRunner } from '@stepsize/core';
import { StepsizeOptimizer } from '@stepsize/tfjs';
import { OnnxTrainingSession, buildMlpTrainingModel } from '../dist/index.js';

const INPUT = 784;
const LAYERS = [256, 10];
const BATCH = 128;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);

const random = seededRandom(7);
const inputs = Float32Array.from({ length: BATCH * INPUT }, () => random());
const targets = Float32Array.from({ length: BATCH }, () => Math.floor(random() * 10));
const model = new Mlp({ inputSize: INPUT, layers: LAYERS, activation: 'relu', seed: 1 });
const initial = Object.fromEntries(Object.entries(model.params).map(([name, values]) => [name, { values: Float32Array.from(values), shape: model.shapes[name] }]));
const optimizer = () => adam({ learningRate: 1e-3 });

async function onnxRunner(update) {
  const { model: bytes } = buildMlpTrainingModel({ inputSize: INPUT, layers: LAYERS, activation: 'relu', loss: 'softmaxCrossEntropy' });
  const session = await OnnxTrainingSession.create({ model: bytes, params: initial, optimizer: optimizer(), update });
  const batch = { inputs, targets, batch: BATCH };
  return {
    step: () => session.step(batch),
    forwardBackward: () => session.forwardBackward(batch),
    release: () => session.release(),
  };
}

function engineRunner() {
  const mlp = new Mlp({ inputSize: INPUT, layers: LAYERS, activation: 'relu', seed: 1 });
  const runner = new OptimizerRunner({ optimizer: optimizer(), ops: float32Ops, params: mlp.params, kernels: fusedKernels });
  const args = { inputs, targets, batch: BATCH, loss: 'softmaxCrossEntropy' };
  return {
    step: () => runner.step(mlp.lossAndGradients(args).gradients),
    forwardBackward: () => mlp.lossAndGradients(args),
    release: () => {},
  };
}

async function tfjsRunner() {
  await tf.setBackend('wasm');
  await tf.ready();
  const vars = {};
  for (const [name, { values, shape }] of Object.entries(initial)) vars[name] = tf.variable(tf.tensor(values, shape), true, `bench/${name}`);
  const x = tf.tensor(inputs, [BATCH, INPUT]);
  const y = tf.oneHot(tf.tensor1d(Array.from(targets), 'int32'), 10);
  const loss = () => {
    const hidden = tf.relu(tf.add(tf.matMul(x, vars['dense0.weight']), vars['dense0.bias']));
    const logits = tf.add(tf.matMul(hidden, vars['dense1.weight']), vars['dense1.bias']);
    return tf.losses.softmaxCrossEntropy(y, logits);
  };
  const opt = new StepsizeOptimizer(optimizer());
  const readBack = (t) => t.dataSync();
  return {
    step: () => readBack(opt.minimize(loss, true)),
    forwardBackward: () => tf.tidy(() => readBack(tf.variableGrads(loss).value)),
    release: () => [...Object.values(vars), x, y].forEach((t) => t.dispose()),
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const runners = {
  'onnxruntime (update graph)': await onnxRunner('onnx'),
  'onnxruntime (engine kernels)': await onnxRunner('engine'),
  engine: engineRunner(),
  'tfjs (wasm)': await tfjsRunner(),
};
const times = Object.fromEntries(Object.keys(runners).map((k) => [k, { step: [], forwardBackward: [] }]));
for (const r of Object.values(runners)) for (let i = 0; i < 3; i += 1) await r.step();
// Rounds alternate between backends so they share the machine's noise.
for (let round = 0; round < ROUNDS; round += 1) {
  for (const [name, r] of Object.entries(runners)) {
    let start = performance.now();
    await r.forwardBackward();
    times[name].forwardBackward.push(performance.now() - start);
    start = performance.now();
    await r.step();
    times[name].step.push(performance.now() - start);
  }
}
for (const r of Object.values(runners)) await r.release();
const rows = Object.entries(times).map(([name, t]) => {
  const step = median(t.step);
  const forwardBackward = median(t.forwardBackward);
  return { backend: name, stepMs: step, stepsPerSecond: 1000 / step, forwardBackwardMs: forwardBackward, updateShare: (step - forwardBackward) / forwardBackward };
});
console.log(`MLP ${INPUT}-${LAYERS.join('-')}, batch ${BATCH}, Adam: full training step (median of ${ROUNDS} alternating rounds)`);
console.log(`${'backend'.padEnd(30)} ${'steps/s'.padStart(8)} ${'step ms'.padStart(8)} ${'fwd+bwd ms'.padStart(11)} ${'update adds'.padStart(12)}`);
for (const r of rows) {
  console.log(`${r.backend.padEnd(30)} ${r.stepsPerSecond.toFixed(1).padStart(8)} ${r.stepMs.toFixed(2).padStart(8)} ${r.forwardBackwardMs.toFixed(2).padStart(11)} ${`${(r.updateShare * 100).toFixed(1)}%`.padStart(12)}`);
}
console.log('target: the update adds at most 20% to forward + backward on ONNX Runtime');
console.log(JSON.stringify({ bench: 'onnxruntime-training', rows }));
