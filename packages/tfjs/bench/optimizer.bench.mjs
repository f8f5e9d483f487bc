// `pnpm bench` (tfjs): one scheduled step of StepsizeOptimizer against the same tfjs built-in
// optimizer with a fixed rate, same backend, 1M parameters, side by side in one run.
// Target: no more than 1.1x the built-in's time. Medians of alternating steps; compare ratios.
// Two stepsize rows per optimizer: `nonFinite: 'propagate'` does what the built-ins do (no check of
// the gradients), the default `'throw'` adds one reduction over the gradients and a scalar read-back.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { adam, cosineAnnealing, sgd, warmup } from '@stepsize/core';
import { targetRow } from '../../../tooling/scripts/bench-report.mjs';
import { StepsizeOptimizer, tfjsOps } from '../dist/index.js';

const SIZE = 1_000_000;
const schedule = () => warmup({ steps: 10, schedule: cosineAnnealing({ initialValue: 1e-3, steps: 1000 }) });
const variants = { 'no check': 'propagate', checked: 'throw' };
const pairs = {
  sgd: [() => tf.train.sgd(1e-3), (nonFinite) => new StepsizeOptimizer(sgd({ learningRate: schedule(), nonFinite }))],
  momentum: [
    () => tf.train.momentum(1e-3, 0.9),
    (nonFinite) => new StepsizeOptimizer(sgd({ learningRate: schedule(), momentum: 0.9, nonFinite })),
  ],
  adam: [() => tf.train.adam(1e-3, 0.9, 0.999, 1e-8), (nonFinite) => new StepsizeOptimizer(adam({ learningRate: schedule(), nonFinite }))],
};

async function setup(make, backend) {
  const w = tf.variable(tf.randomNormal([SIZE], 0, 1, 'float32', 1), true, `bench_${backend}_${Math.random()}`);
  const g = tf.randomNormal([SIZE], 0, 1e-3, 'float32', 2);
  const optimizer = make();
  const step = async () => {
    const start = performance.now();
    optimizer.applyGradients({ [w.name]: g });
    // Wait for the backend to finish (one element read back, not the 4 MB parameter).
    const first = tf.slice(w, 0, 1);
    await first.data();
    first.dispose();
    return performance.now() - start;
  };
  for (let i = 0; i < 2; i += 1) await step();
  const dispose = () => {
    for (const t of [optimizer, w, g]) t.dispose();
  };
  return { step, dispose };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// The built-in and both stepsize variants alternate step by step, so all three see the same machine
// noise and both ratios divide by the same built-in median.
/** The default check alone: the probe over the gradient and its scalar read-back. */
function probeAlone() {
  const g = tf.randomNormal([SIZE], 0, 1e-3, 'float32', 2);
  const step = async () => {
    const start = performance.now();
    const probe = tfjsOps.nonFiniteProbe(g);
    tfjsOps.firstNonFinite(probe);
    probe.dispose();
    return performance.now() - start;
  };
  return { step, dispose: () => g.dispose() };
}

async function time(builtIn, ours, backend, repeats) {
  const runs = [
    await setup(builtIn, backend),
    ...(await Promise.all(Object.values(variants).map((nonFinite) => setup(() => ours(nonFinite), backend)))),
    probeAlone(),
  ];
  const times = runs.map(() => []);
  for (let r = 0; r < repeats; r += 1) for (const [i, run] of runs.entries()) times[i].push(await run.step());
  for (const run of runs) run.dispose();
  return times.map(median);
}

const rows = [];
for (const backend of ['cpu', 'wasm']) {
  await tf.setBackend(backend);
  await tf.ready();
  for (const [name, [builtIn, ours]] of Object.entries(pairs)) {
    const [builtInMs, ...oursMs] = await time(builtIn, ours, backend, backend === 'cpu' ? 31 : 81);
    const probeMs = oursMs[oursMs.length - 1];
    Object.keys(variants).forEach((variant, i) => {
      rows.push({ backend, name, variant, builtInMs, stepsizeMs: oursMs[i], ratio: oursMs[i] / builtInMs, probeMs });
    });
  }
}
console.log(`tfjs optimizer step, ${SIZE.toLocaleString()} params (median of alternating steps; target <= 1.1x built-in)`);
console.log(
  `${'backend'.padEnd(8)} ${'optimizer'.padEnd(10)} ${'stepsize'.padEnd(9)} ${'built-in ms'.padStart(12)} ${'stepsize ms'.padStart(12)} ${'ratio'.padStart(7)}`,
);
for (const r of rows) {
  console.log(
    `${r.backend.padEnd(8)} ${r.name.padEnd(10)} ${r.variant.padEnd(9)} ${r.builtInMs.toFixed(2).padStart(12)} ${r.stepsizeMs.toFixed(2).padStart(12)} ${`${r.ratio.toFixed(2)}x`.padStart(7)}`,
  );
}
// The adapter's target: the default (checked) step within 1.1x of the built-in, worst case over backends and optimizers.
const worst = rows.filter((r) => r.variant === 'checked').reduce((a, b) => (b.ratio > a.ratio ? b : a));
const targets = [
  {
    id: 'tfjsAdapterVsBuiltIn',
    measure: 'tfjs adapter step / tfjs built-in, default check (worst)',
    value: worst.ratio,
    comparison: '<=',
    target: 1.1,
    unit: 'x',
    // What the check alone costs (measured in the same alternation): the floor of the checked ratio
    // for an adapter that otherwise matched the built-in step exactly.
    note: `${worst.backend} ${worst.name}; bound: the check alone (one more read of the gradient and a scalar read-back) takes ${worst.probeMs.toFixed(2)} ms, ${((100 * worst.probeMs) / worst.builtInMs).toFixed(0)}% of the built-in step, so the checked step is at least ${(1 + worst.probeMs / worst.builtInMs).toFixed(2)}x; unchecked ${rows.find((r) => r.backend === worst.backend && r.name === worst.name && r.variant === 'no check')?.ratio.toFixed(2)}x`,
  },
].map(targetRow);
const resultsDirectory = process.env.STEPSIZE_BENCH_RESULTS ?? fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(resultsDirectory, { recursive: true });
writeFileSync(
  join(resultsDirectory, 'tfjs-optimizer.json'),
  `${JSON.stringify({ bench: 'tfjs-optimizer', node: process.version, rows, targets }, null, 2)}\n`,
);
console.log(`results: ${join(resultsDirectory, 'tfjs-optimizer.json')}`);
