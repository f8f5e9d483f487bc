// `pnpm bench` (tfjs): one scheduled step of StepsizeOptimizer against the same tfjs built-in
// optimizer with a fixed rate, same backend, 1M parameters, side by side in one run.
// Target: no more than 1.1x the built-in's time. Best of several steps; compare ratios.
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { adam, cosineAnnealing, sgd, warmup } from '@stepsize/core';
import { StepsizeOptimizer } from '../dist/index.js';

const SIZE = 1_000_000;
const schedule = () => warmup({ steps: 10, schedule: cosineAnnealing({ initialValue: 1e-3, steps: 1000 }) });
const pairs = {
  sgd: [() => tf.train.sgd(1e-3), () => new StepsizeOptimizer(sgd({ learningRate: schedule() }))],
  momentum: [() => tf.train.momentum(1e-3, 0.9), () => new StepsizeOptimizer(sgd({ learningRate: schedule(), momentum: 0.9 }))],
  adam: [() => tf.train.adam(1e-3, 0.9, 0.999, 1e-8), () => new StepsizeOptimizer(adam({ learningRate: schedule() }))],
};

async function time(make, backend, repeats) {
  const w = tf.variable(tf.randomNormal([SIZE], 0, 1, 'float32', 1), true, `bench_${backend}_${Math.random()}`);
  const g = tf.randomNormal([SIZE], 0, 1e-3, 'float32', 2);
  const optimizer = make();
  const step = () => optimizer.applyGradients({ [w.name]: g });
  for (let i = 0; i < 2; i += 1) step();
  await w.data();
  let best = Infinity;
  for (let r = 0; r < repeats; r += 1) {
    const start = performance.now();
    step();
    await w.data(); // wait for the backend to finish
    best = Math.min(best, performance.now() - start);
  }
  optimizer.dispose();
  w.dispose();
  g.dispose();
  return best;
}

const rows = [];
for (const backend of ['cpu', 'wasm']) {
  await tf.setBackend(backend);
  await tf.ready();
  for (const [name, [builtIn, ours]] of Object.entries(pairs)) {
    const repeats = backend === 'cpu' ? 4 : 10;
    const a = await time(builtIn, backend, repeats);
    const b = await time(ours, backend, repeats);
    rows.push({ backend, name, builtInMs: a, stepsizeMs: b, ratio: b / a });
  }
}
console.log(`tfjs optimizer step, ${SIZE.toLocaleString()} params (best of several; target <= 1.1x built-in)`);
console.log(`${'backend'.padEnd(8)} ${'optimizer'.padEnd(10)} ${'built-in ms'.padStart(12)} ${'stepsize ms'.padStart(12)} ${'ratio'.padStart(7)}`);
for (const r of rows) console.log(`${r.backend.padEnd(8)} ${r.name.padEnd(10)} ${r.builtInMs.toFixed(2).padStart(12)} ${r.stepsizeMs.toFixed(2).padStart(12)} ${`${r.ratio.toFixed(2)}x`.padStart(7)}`);
console.log(JSON.stringify({ bench: 'tfjs-optimizer', rows }));
