// `pnpm bench` (onnxruntime): full training steps per second for an MLP 784-256-10 (relu,
// softmax cross-entropy), batch 128, Adam, on ONNX Runtime (update graph and engine-kernel update
// paths), on the engine and on tfjs (wasm), side by side in one run; and the share of an ONNX
// Runtime step spent in the update. Target: the update adds at most 20% to forward + backward.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { adam } from '@stepsize/core';
import { Mlp, createFastKernels } from '@stepsize/engine';
import { OptimizerRunner, seededRandom } from '@stepsize/core';
import { StepsizeOptimizer } from '@stepsize/tfjs';
import { targetRow } from '../../../tooling/scripts/bench-report.mjs';
import { buildMlpTrainingModel, onnxruntimeTrainingBackend } from '../dist/index.js';

const INPUT = 784;
const LAYERS = [256, 10];
const BATCH = 128;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 6);
// ONNX Runtime's intra-op threads spin after each run by default, taking the cores that the
// next backend in the round needs; BENCH_ORT_SPIN=1 keeps the default.
const SESSION_OPTIONS = process.env.BENCH_ORT_SPIN === '1' ? {} : { extra: { session: { intra_op: { allow_spinning: '0' } } } };

const random = seededRandom(7);
const inputs = Float32Array.from({ length: BATCH * INPUT }, () => random());
const targets = Float32Array.from({ length: BATCH }, () => Math.floor(random() * 10));
const model = new Mlp({ inputSize: INPUT, layers: LAYERS, activation: 'relu', seed: 1 });
const initial = Object.fromEntries(
  Object.entries(model.params).map(([name, values]) => [name, { values: Float32Array.from(values), shape: model.shapes[name] }]),
);
const optimizer = () => adam({ learningRate: 1e-3 });

// Each runner splits a step into forwardBackward() (returns the gradients) and update(gradients),
// timed separately within the same step: the update's share is measured directly.
async function onnxRunner(update) {
  const { model: bytes } = buildMlpTrainingModel({ inputSize: INPUT, layers: LAYERS, activation: 'relu', loss: 'softmaxCrossEntropy' });
  const backend = await onnxruntimeTrainingBackend({ model: bytes, params: initial, update, sessionOptions: SESSION_OPTIONS });
  await backend.setOptimizer(optimizer());
  const batch = { inputs, targets, examples: BATCH };
  return {
    forwardBackward: async () => (await backend.lossAndGradients(batch)).gradients,
    update: (gradients) => backend.applyGradients(gradients),
    release: () => backend.dispose(),
  };
}

/** The engine at full speed: SIMD products split across the threads, SIMD Adam in place. */
async function engineRunner() {
  const fast = await createFastKernels();
  const mlp = new Mlp({
    inputSize: INPUT,
    layers: LAYERS,
    activation: 'relu',
    seed: 1,
    matmul: fast.matmul,
    allocate: fast.allocate,
    relu: fast.relu,
  });
  const runner = new OptimizerRunner({ optimizer: optimizer(), ops: fast.ops, params: mlp.params, kernels: fast.kernels });
  const args = { inputs, targets, batch: BATCH, loss: 'softmaxCrossEntropy' };
  return {
    forwardBackward: () => mlp.lossAndGradients(args).gradients,
    update: (gradients) => runner.step(gradients),
    release: () => fast.close(),
  };
}

async function tfjsRunner() {
  await tf.setBackend('wasm');
  await tf.ready();
  const vars = {};
  for (const [name, { values, shape }] of Object.entries(initial))
    vars[name] = tf.variable(tf.tensor(values, shape), true, `bench/${name}`);
  const x = tf.tensor(inputs, [BATCH, INPUT]);
  const y = tf.oneHot(tf.tensor1d(Array.from(targets), 'int32'), 10);
  const loss = () => {
    const hidden = tf.relu(tf.add(tf.matMul(x, vars['dense0.weight']), vars['dense0.bias']));
    const logits = tf.add(tf.matMul(hidden, vars['dense1.weight']), vars['dense1.bias']);
    return tf.losses.softmaxCrossEntropy(y, logits);
  };
  const opt = new StepsizeOptimizer(optimizer());
  return {
    forwardBackward: () => {
      const { value, grads } = tf.variableGrads(loss);
      value.dataSync(); // wait for the backward pass (tfjs is lazy)
      value.dispose();
      for (const g of Object.values(grads)) g.dataSync();
      return grads;
    },
    update: (grads) => {
      opt.applyGradients(grads);
      vars['dense1.bias'].dataSync();
      for (const g of Object.values(grads)) g.dispose();
    },
    release: () => {
      for (const t of [...Object.values(vars), x, y]) t.dispose();
    },
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const makers = {
  'onnxruntime (update graph)': () => onnxRunner('onnx'),
  'onnxruntime (engine kernels)': () => onnxRunner('engine'),
  engine: () => engineRunner(),
  'tfjs (wasm)': () => tfjsRunner(),
};
// BENCH_BACKENDS=engine,tfjs runs a subset (the default, all of them, is what the target is read from).
const only = process.env.BENCH_BACKENDS?.split(',');
const runners = {};
for (const [name, make] of Object.entries(makers)) if (!only || only.some((o) => name.startsWith(o))) runners[name] = await make();
const times = Object.fromEntries(Object.keys(runners).map((k) => [k, { step: [], forwardBackward: [], update: [] }]));
for (const r of Object.values(runners)) for (let i = 0; i < 3; i += 1) await r.update(await r.forwardBackward());
// Rounds alternate between backends so they share the machine's noise. In each round a backend
// runs a block of BLOCK consecutive steps, as training does, and the first WARM of them are not
// counted: the step after another backend's pays for waking its threads and refilling caches
// that the other backend's threads and buffers took (up to 2x here), which no user training on
// one backend pays.
const BLOCK = 12;
const WARM = 2;
for (let round = 0; round < ROUNDS; round += 1) {
  for (const [name, r] of Object.entries(runners)) {
    for (let i = 0; i < BLOCK; i += 1) {
      const start = performance.now();
      const gradients = await r.forwardBackward();
      const middle = performance.now();
      await r.update(gradients);
      const end = performance.now();
      if (i < WARM) continue;
      times[name].forwardBackward.push(middle - start);
      times[name].update.push(end - middle);
      times[name].step.push(end - start);
    }
  }
}
for (const r of Object.values(runners)) await r.release();
const rows = Object.entries(times).map(([name, t]) => {
  const step = median(t.step);
  const forwardBackward = median(t.forwardBackward);
  const update = median(t.update);
  return {
    backend: name,
    stepMs: step,
    stepsPerSecond: 1000 / step,
    forwardBackwardMs: forwardBackward,
    updateMs: update,
    updateShare: update / forwardBackward,
  };
});
const TARGET = 0.2;
console.log(
  `MLP ${INPUT}-${LAYERS.join('-')}, batch ${BATCH}, Adam: full training step (medians over ${ROUNDS} alternating rounds of ${BLOCK - WARM} counted steps each)`,
);
console.log(
  `${'backend'.padEnd(30)} ${'steps/s'.padStart(8)} ${'step ms'.padStart(8)} ${'fwd+bwd ms'.padStart(11)} ${'update ms'.padStart(10)} ${'update adds'.padStart(12)}  target`,
);
for (const r of rows) {
  const onnx = r.backend.startsWith('onnxruntime');
  const verdict = onnx ? `<= ${TARGET * 100}% ${r.updateShare <= TARGET ? 'met' : 'NOT met'}` : '';
  console.log(
    `${r.backend.padEnd(30)} ${r.stepsPerSecond.toFixed(1).padStart(8)} ${r.stepMs.toFixed(2).padStart(8)} ${r.forwardBackwardMs.toFixed(2).padStart(11)} ${r.updateMs.toFixed(3).padStart(10)} ${`${(r.updateShare * 100).toFixed(1)}%`.padStart(12)}  ${verdict}`,
  );
}
console.log(
  'target: on ONNX Runtime the update adds at most 20% to forward + backward (update ms / fwd+bwd ms, each the median over steps)',
);
const fastestOnnx = Math.min(...rows.filter((r) => r.backend.startsWith('onnxruntime')).map((r) => r.stepMs));
const engineRow = rows.find((r) => r.backend === 'engine');
const engineRatio = engineRow && Number.isFinite(fastestOnnx) ? engineRow.stepMs / fastestOnnx : undefined;
if (engineRatio !== undefined)
  console.log(
    `engine step / fastest ONNX Runtime step: ${engineRatio.toFixed(2)}x (aim: within 1.5x) ${engineRatio <= 1.5 ? 'met' : 'NOT met'}`,
  );
const resultsDirectory = process.env.STEPSIZE_BENCH_RESULTS ?? fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(resultsDirectory, { recursive: true });
const onnxEngine = rows.find((r) => r.backend === 'onnxruntime (engine kernels)');
const benchTargets = [
  {
    id: 'mlpStepVsOnnxRuntime',
    measure: 'MLP 784-256-10 batch 128 full step: engine / fastest ONNX Runtime',
    value: engineRatio,
    comparison: '<=',
    target: 1.5,
    unit: 'x',
  },
  {
    id: 'onnxEngineUpdateShare',
    measure: 'ONNX Runtime engine-path update / forward+backward',
    value: onnxEngine?.updateShare,
    comparison: '<=',
    target: TARGET,
    unit: '%',
  },
].map(targetRow);
writeFileSync(
  join(resultsDirectory, 'training.json'),
  `${JSON.stringify({ bench: 'onnxruntime-training', node: process.version, date: new Date().toISOString(), rounds: ROUNDS, block: BLOCK, warm: WARM, target: TARGET, rows, engineToOnnxRuntime: engineRatio, targets: benchTargets }, null, 2)}\n`,
);
console.log(`results: ${join(resultsDirectory, 'training.json')}`);
