// `pnpm bench` (engine): the optimizer kernels against the hardware and against PyTorch, in
// one run on this machine, as ratios of figures measured in the same run.
//
// - Memory-streaming limit: Adam's traffic pattern (read p, g, m, v; write p, m, v: 28 bytes
//   per parameter) with the cheapest arithmetic, streamed by a plain JS loop and by a SIMD
//   WebAssembly loop on 1 thread and on every thread; the fastest is the machine's limit.
// - Engine: the SIMD kernels (createFastKernels, parameters, gradients and slots in the shared
//   memory, all threads) and the plain JS reference kernels (fusedKernels) on 10M parameters.
// - The documented path: OptimizerRunner with createFastKernels (resident parameters and
//   gradients), with the gradient check off ('propagate') and on (the default 'throw').
// - PyTorch: Debian's torch 1.13 (/usr/bin/python3: foreach, no fused kernels; labelled as such),
//   and, when STEPSIZE_BENCH_TORCH_PYTHON names a Python whose torch has fused=True CPU
//   kernels (2.4+), that one on as many threads as the engine: what a user picks instead.
// - Scaling: Adam from 1K to 100M parameters (100M: state bytes per parameter and resident memory
//   across steps), and an Mlp 784-256-10 training step at batch 32/128/512 with either kernel set.
//
// Prints a table and writes engine.json to $STEPSIZE_BENCH_RESULTS (else bench/results/,
// gitignored); tooling/scripts/bench-report.mjs reads it for the targets table.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { adam, adamW, OptimizerRunner, sgd } from '@stepsize/core';
import { targetRow } from '../../../tooling/scripts/bench-report.mjs';
import { createFastKernels, float32Ops, fusedKernels, Mlp, referenceMatmul } from '../dist/index.js';

const started = Date.now();
const TARGET_SIZE = 10_000_000;
const SCALING = [1_000, 10_000, 100_000, 1_000_000, 10_000_000, 50_000_000];
const HUNDRED_MILLION = 100_000_000;
const BATCHES = [32, 128, 512];
const ROUNDS = 8;
const BYTES_PER_PARAM = { sgdMomentum: 20, adam: 28, adamW: 28 };
const threads = availableParallelism();
const fast = await createFastKernels({ threads });

/** Seconds of the fastest of `samples` samples, each `fn` run `inner` times. */
function best(samples, fn, inner = 1) {
  let fastest = Infinity;
  for (let s = 0; s < samples; s += 1) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < inner; i += 1) fn();
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - start) / 1e9 / inner);
  }
  return fastest;
}

function fill(a, seed) {
  let x = seed;
  for (let i = 0; i < a.length; i += 1) {
    x = (x * 1103515245 + 12345) % 2147483648;
    a[i] = x / 2147483648 - 0.5;
  }
  return a;
}

const optimizers = {
  sgdMomentum: (options) => sgd({ learningRate: 0.01, momentum: 0.9, ...options }),
  adam: (options) => adam({ learningRate: 1e-3, ...options }),
  adamW: (options) => adamW({ learningRate: 1e-3, ...options }),
};

/** A kernel call for an optimizer over `size` parameters: fast (resident arrays) and reference. */
function kernelSetup(name, size, kernels, ops, allocate, runnerOptions = {}) {
  const params = { w: fill(allocate(size), 7) };
  const grad = { w: fill(allocate(size), 9) };
  const runner = new OptimizerRunner({ optimizer: optimizers[name](runnerOptions), ops, params, kernels });
  runner.step(grad);
  const { definition, groups } = runner.optimizer;
  const options = groups[groups.length - 1].options;
  const hyper = definition.hyper(options, options);
  const kernel = kernels[definition.type];
  const { values } = definition.math.scalars(hyper, 10, {});
  const slots = runner.state.params.w;
  const call = () => kernel({ param: params.w, grad: grad.w, slots, scalars: values, flags: hyper });
  const release = () => {
    for (const a of [params.w, grad.w, ...Object.values(slots)]) fast.release(a);
  };
  return { call, step: () => runner.step(grad), release };
}

const plain = (n) => new Float32Array(n);
const resident = (n) => fast.allocate(n);

// 1. Streaming limit and the 10M-parameter kernels, interleaved over rounds (best of each).
const n = TARGET_SIZE;
/** The JS loop of the previous benchmark (optimizers.bench.mjs): Adam's traffic, cheapest arithmetic. */
function jsStream(p, g, m, v) {
  for (let i = 0; i < p.length; i += 1) {
    const gi = g[i];
    m[i] += gi;
    v[i] += gi;
    p[i] -= gi;
  }
}
{
  // Warm it up on small arrays so that the timed calls run optimized code.
  const small = [1, 2, 3, 4].map((seed) => fill(new Float32Array(100_000), seed));
  for (let i = 0; i < 50; i += 1) jsStream(...small);
}
// One buffer, the arrays 1 KiB + 64 B apart modulo 4 KiB: separately allocated large arrays are
// all page-aligned, and their loads and stores then alias (4K aliasing), which makes the loop
// bimodal (2 or 6-12 GB/s) from run to run.
const jsBuffer = new ArrayBuffer(4 * (n * 4 + 1088));
const jsArrays = [1, 2, 3, 4].map((seed, k) => fill(new Float32Array(jsBuffer, k * (n * 4 + 1088), n), seed));
const jsLoop = () => jsStream(...jsArrays);
jsLoop();
const wasm = [0, 1, 2, 3].map((k) => fill(fast.allocate(n), k + 1));
const single = await createFastKernels({ threads: 1 });
const wasm1 = [0, 1, 2, 3].map((k) => fill(single.allocate(n), k + 1));
const streams = { jsLoop: 0, wasm1Thread: 0, wasmAllThreads: 0 };
const engine = {};
const setups = {};
for (const name of Object.keys(optimizers)) {
  setups[name] = {
    fast: kernelSetup(name, n, fast.kernels, fast.ops, resident),
    unchecked: kernelSetup(name, n, fast.kernels, fast.ops, resident, { nonFinite: 'propagate' }),
    reference: kernelSetup(name, n, fusedKernels, float32Ops, plain),
  };
  engine[name] = { fast: 0, reference: 0, fastRunner: 0, fastRunnerUnchecked: 0 };
}
for (let round = 0; round < ROUNDS; round += 1) {
  streams.jsLoop = Math.max(streams.jsLoop, (28 * n) / best(2, jsLoop));
  streams.wasm1Thread = Math.max(streams.wasm1Thread, (28 * n) / best(3, () => single.stream(...wasm1)));
  streams.wasmAllThreads = Math.max(streams.wasmAllThreads, (28 * n) / best(3, () => fast.stream(...wasm)));
  for (const name of Object.keys(optimizers)) {
    const e = engine[name];
    e.fast = Math.max(e.fast, n / best(3, setups[name].fast.call));
    e.fastRunner = Math.max(e.fastRunner, n / best(3, setups[name].fast.step));
    e.fastRunnerUnchecked = Math.max(e.fastRunnerUnchecked, n / best(3, setups[name].unchecked.step));
    if (round % 4 === 0) e.reference = Math.max(e.reference, n / best(2, setups[name].reference.call));
  }
}
await single.close();
for (const name of Object.keys(optimizers)) {
  setups[name].fast.release();
  setups[name].unchecked.release();
}
for (const a of wasm) fast.release(a);
const bandwidth = Math.max(streams.jsLoop, streams.wasm1Thread, streams.wasmAllThreads);

// 2. PyTorch on the same size: Debian's 1.13 (foreach; on its default and on all threads), and a
//    PyTorch with fused=True when STEPSIZE_BENCH_TORCH_PYTHON names its Python.
const script = fileURLToPath(new URL('./torch_adam.py', import.meta.url));
/** One run of torch_adam.py: its JSON, or { error } with the reason. */
function torchRun(python, args) {
  const result = spawnSync(python, [script, ...args, String(n)], { encoding: 'utf8' });
  if (result.error) return { error: `${python}: ${result.error.message}` };
  if (result.status !== 0) return { error: result.stderr.trim().split('\n').pop() || `${python} exited ${result.status}` };
  return JSON.parse(result.stdout.trim().split('\n').pop());
}
let torch;
let torchAllThreads;
if (spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' }).status === 0) {
  torch = torchRun('/usr/bin/python3', []);
  if (!torch.error && torch.threads < threads) torchAllThreads = torchRun('/usr/bin/python3', ['--threads', String(threads)]);
} else {
  torch = { error: '/usr/bin/python3 cannot import torch (apt-get install python3-torch)' };
}
// The fused PyTorch measures one optimizer at a time on its own 160 MB of arrays, stepped back to
// back; the documented path is measured the same way here (one runner, nothing else allocated),
// alternating with torch three times, the best of each: the rounds above interleave nine setups
// (1.4 GB), which leaves less of the arrays in the caches than torch's run has.
const fusedPython = process.env.STEPSIZE_BENCH_TORCH_PYTHON;
/** Mparams/s of OptimizerRunner + fast kernels (check off) on one fresh 10M setup, steps back to back. */
function isolatedRunner(name) {
  const setup = kernelSetup(name, n, fast.kernels, fast.ops, resident, { nonFinite: 'propagate' });
  for (let i = 0; i < 3; i += 1) setup.step();
  const rate = n / best(10, setup.step);
  setup.release();
  return rate;
}
const paired = Object.fromEntries(Object.keys(optimizers).map((name) => [name, 0]));
let torchFused = { error: 'not measured: set STEPSIZE_BENCH_TORCH_PYTHON to a Python whose torch has fused=True CPU optimizers (2.4+)' };
if (fusedPython) {
  for (let round = 0; round < 3; round += 1) {
    for (const name of Object.keys(optimizers)) paired[name] = Math.max(paired[name], isolatedRunner(name));
    const run = torchRun(fusedPython, ['--fused', '--threads', String(threads)]);
    if (run.error) {
      torchFused = run;
      break;
    }
    if (torchFused.error) torchFused = run;
    else
      for (const key of Object.keys(run.paramsPerSecond))
        torchFused.paramsPerSecond[key] = Math.max(torchFused.paramsPerSecond[key], run.paramsPerSecond[key]);
  }
}
for (const [label, run] of [
  ['torch (Debian)', torch],
  ['torch fused', torchFused],
]) {
  if (run?.error) console.log(`${label}: ${run.error}`);
}

// 3. Scaling with the parameter count (Adam).
const scaling = [];
for (const size of SCALING) {
  const f = kernelSetup('adam', size, fast.kernels, fast.ops, resident);
  const inner = Math.max(1, Math.round(2e6 / size));
  const samples = size >= 10_000_000 ? 4 : 8;
  const fastSeconds = best(samples, f.call, inner);
  f.release();
  const r = kernelSetup('adam', size, fusedKernels, float32Ops, plain);
  const referenceSeconds = best(size >= 10_000_000 ? 2 : samples, r.call, inner);
  scaling.push({ size, fastSeconds, referenceSeconds });
}
// Adam at 100M parameters through the documented path: 8 bytes of state per parameter (m, v),
// and the process's resident memory flat across steps (nothing allocated per step).
let hundredMillion;
{
  const rss = () => process.memoryUsage().rss;
  const before = rss();
  const w = fast.allocate(HUNDRED_MILLION);
  const g = fill(fast.allocate(HUNDRED_MILLION), 9);
  fill(w, 7);
  const runner = new OptimizerRunner({ optimizer: adam({ learningRate: 1e-3 }), ops: fast.ops, params: { w }, kernels: fast.kernels });
  runner.step({ w: g });
  const afterFirst = rss();
  const seconds = best(5, () => runner.step({ w: g }));
  const afterSteps = rss();
  const slots = Object.values(runner.state.params.w);
  const stateBytes = slots.reduce((total, slot) => total + slot.byteLength, 0);
  hundredMillion = {
    params: HUNDRED_MILLION,
    seconds,
    paramsPerSecond: HUNDRED_MILLION / seconds,
    stateBytesPerParam: stateBytes / HUNDRED_MILLION,
    residentSlots: slots.every((slot) => fast.isResident(slot)),
    rssBeforeBytes: before,
    rssAfterFirstStepBytes: afterFirst,
    rssAfterStepsBytes: afterSteps,
    rssGrowthAcrossStepsBytes: afterSteps - afterFirst,
  };
  for (const array of [w, g, ...slots]) fast.release(array);
  scaling.push({ size: HUNDRED_MILLION, fastSeconds: seconds, referenceSeconds: undefined });
}

// 4. Scaling with the batch size: an Mlp 784-256-10 training step (loss, gradients, Adam).
const batches = [];
for (const batch of BATCHES) {
  const row = { batch };
  // reference: plain-loop products and optimizer kernels; fast: the SIMD products split across
  // the threads, parameters and gradients in the kernels' memory, the SIMD Adam in place.
  for (const [label, setup] of [
    ['reference', { matmul: referenceMatmul, kernels: fusedKernels, ops: float32Ops }],
    ['fast', { matmul: fast.matmul, allocate: fast.allocate, relu: fast.relu, kernels: fast.kernels, ops: fast.ops }],
  ]) {
    const { kernels, ops, ...modelOptions } = setup;
    const model = new Mlp({ inputSize: 784, layers: [256, 10], seed: 1, ...modelOptions });
    const runner = new OptimizerRunner({ optimizer: adam({ learningRate: 1e-3 }), ops, params: model.params, kernels });
    const inputs = fill(new Float32Array(batch * 784), 3).map((x) => x + 0.5);
    const targets = new Float32Array(batch * 10);
    for (let b = 0; b < batch; b += 1) targets[b * 10 + (b % 10)] = 1;
    const step = () => runner.step(model.lossAndGradients({ inputs, targets, batch, loss: 'softmaxCrossEntropy' }).gradients);
    step();
    const optimizerStep = () => runner.step(model.lossAndGradients({ inputs, targets, batch, loss: 'softmaxCrossEntropy' }).gradients);
    row[label] = best(label === 'reference' ? 3 : 9, step, Math.max(1, Math.round(64 / batch)));
    // The optimizer's share: the update alone on the same gradients.
    const { gradients } = model.lossAndGradients({ inputs, targets, batch, loss: 'softmaxCrossEntropy' });
    row[`${label}Optimizer`] = best(5, () => runner.step(gradients), 4);
    void optimizerStep;
  }
  batches.push(row);
}
await fast.close();

// Report.
const M = (x) => (x / 1e6).toFixed(1);
const torchFusedRate = (name) => (torchFused.error ? undefined : torchFused.paramsPerSecond[`${name}/${n}`]);
/** The targets this bench measures (issue "the engine at the hardware limit"), each with `met`. */
const rows = [];
const target = (row) => rows.push(targetRow(row));
for (const name of ['adam', 'adamW', 'sgdMomentum']) {
  target({
    id: `${name}StreamingLimit`,
    measure: `${name} 10M / streaming limit`,
    value: engine[name].fast / (bandwidth / BYTES_PER_PARAM[name]),
    comparison: '>=',
    target: 0.9,
    unit: '%',
    ...(torchFusedRate(name) && {
      note: `the limit is the engine's SIMD stream of the same bytes; torch fused streams ${((BYTES_PER_PARAM[name] * torchFusedRate(name)) / 1e9).toFixed(1)} GB/s`,
    }),
  });
}
target({
  id: 'runnerVsTorchFused',
  measure: `OptimizerRunner + fast kernels vs torch fused Adam, ${threads} threads`,
  value: torchFusedRate('adam') && paired.adam / torchFusedRate('adam'),
  comparison: '>=',
  target: 1.5,
  unit: 'x',
  note:
    torchFused.error ??
    `torch ${torchFused.torch} fused=True, both alone on one setup, best of 3 alternating runs, check off as torch has none; ` +
      `SGD momentum ${(paired.sgdMomentum / torchFusedRate('sgdMomentum')).toFixed(2)}x, AdamW ${(paired.adamW / torchFusedRate('adamW')).toFixed(2)}x; ` +
      `bound: torch's Adam streams ${((28 * torchFusedRate('adam')) / 1e9).toFixed(1)} GB/s of its 28 B/param (read p, g, m, v; write p, m, v), ` +
      `and WebAssembly's fastest stream of the same bytes without any arithmetic reaches ${(bandwidth / 1e9).toFixed(1)} GB/s here ` +
      `(128-bit loads and stores, no non-temporal stores or prefetch): no wasm Adam can be more than ` +
      `${(bandwidth / 28 / torchFusedRate('adam')).toFixed(2)}x torch's`,
});
target({
  id: 'runnerOverhead',
  measure: 'OptimizerRunner overhead over the raw kernel, Adam 10M',
  value: engine.adam.fast / engine.adam.fastRunnerUnchecked - 1,
  comparison: '<=',
  target: 0.05,
  unit: '%',
  note: "nonFinite: 'propagate' (no gradient check)",
});
target({
  id: 'runnerOverheadChecked',
  measure: 'OptimizerRunner overhead, default gradient check, Adam 10M',
  value: engine.adam.fast / engine.adam.fastRunner - 1,
  comparison: '<=',
  target: 4 / 28,
  unit: '%',
  note: "bound: the check reads the gradient once more, 4 of the step's 28 bytes per parameter",
});
target({
  id: 'adam100M',
  measure: 'Adam at 100M parameters: state bytes/param, RSS growth over 5 steps',
  value: hundredMillion.stateBytesPerParam,
  comparison: '<=',
  target: 8,
  unit: 'B',
  note: `${M(hundredMillion.paramsPerSecond)} Mparams/s; RSS growth ${(hundredMillion.rssGrowthAcrossStepsBytes / 2 ** 20).toFixed(1)} MiB`,
});
// Flat memory is part of the 100M target.
const last = rows[rows.length - 1];
last.met = last.met && hundredMillion.residentSlots && hundredMillion.rssGrowthAcrossStepsBytes < 0.01 * 16 * HUNDRED_MILLION;
const format = (row) =>
  row.value === undefined
    ? '-'
    : row.unit === 'x'
      ? `${row.value.toFixed(2)}x`
      : row.unit === 'B'
        ? `${row.value.toFixed(1)} B`
        : `${(100 * row.value).toFixed(1)}%`;
const formatTarget = (row) =>
  `${row.comparison} ${row.unit === 'x' ? `${row.target}x` : row.unit === 'B' ? `${row.target} B` : `${(100 * row.target).toFixed(0)}%`}`;

const torchLabel = torch.error ? 'torch: -' : `torch ${torch.torch} (Debian, foreach, no fused) on ${torch.threads} threads`;
console.log(
  `engine optimizer benchmark (node ${process.version}, ${threads} threads, multiply-add: ${fast.fusedMultiplyAdd ? 'relaxed-SIMD FMA' : 'float64 emulation'}; ${torchLabel})`,
);
console.log(
  `streaming (28 B/param pattern): JS loop ${(streams.jsLoop / 1e9).toFixed(1)} GB/s, SIMD 1 thread ${(streams.wasm1Thread / 1e9).toFixed(1)} GB/s, SIMD ${threads} threads ${(streams.wasmAllThreads / 1e9).toFixed(1)} GB/s -> limit ${(bandwidth / 1e9).toFixed(1)} GB/s`,
);
console.log('');
console.log(
  `${'optimizer'.padEnd(12)} ${'params'.padStart(9)} ${'kernel'.padStart(8)} ${'runner'.padStart(8)} ${'checked'.padStart(8)} ${'JS ref'.padStart(8)} ${'t1.13'.padStart(8)} ${`t1.13/${threads}t`.padStart(9)} ${'fused'.padStart(8)} ${'limit'.padStart(8)}   (Mparams/s)`,
);
for (const name of Object.keys(optimizers)) {
  const e = engine[name];
  const t = torch.error ? undefined : torch.paramsPerSecond[`${name}/${n}`];
  const tAll = torchAllThreads && !torchAllThreads.error ? torchAllThreads.paramsPerSecond[`${name}/${n}`] : undefined;
  const tFused = torchFusedRate(name);
  console.log(
    `${name.padEnd(12)} ${String(n).padStart(9)} ${M(e.fast).padStart(8)} ${M(e.fastRunnerUnchecked).padStart(8)} ${M(e.fastRunner).padStart(8)} ${M(e.reference).padStart(8)} ${(t ? M(t) : '-').padStart(8)} ${(tAll ? M(tAll) : '-').padStart(9)} ${(tFused ? M(tFused) : '-').padStart(8)} ${M(bandwidth / BYTES_PER_PARAM[name]).padStart(8)}`,
  );
}
console.log('kernel: the SIMD kernel alone; runner: OptimizerRunner (gradient check off); checked: with the default check;');
console.log(`t1.13: Debian's torch 1.13 (no fused kernels); fused: torch fused=True on ${threads} threads (STEPSIZE_BENCH_TORCH_PYTHON)`);
console.log('');
console.log(`${'target'.padEnd(66)} ${'value'.padStart(8)} ${'target'.padStart(8)}  met`);
for (const row of rows) {
  console.log(
    `${row.measure.padEnd(66)} ${format(row).padStart(8)} ${formatTarget(row).padStart(8)}  ${row.met === undefined ? 'n/a' : row.met ? 'yes' : 'NO'}${row.note ? `  (${row.note})` : ''}`,
  );
}
console.log('');
console.log('cost vs parameter count (Adam, one step):');
console.log(
  `${'params'.padStart(10)} ${'fast'.padStart(10)} ${'JS ref'.padStart(10)} ${'fast Mp/s'.padStart(10)} ${'ref Mp/s'.padStart(9)} ${'speedup'.padStart(8)}`,
);
const time = (s) => (s < 1e-3 ? `${(s * 1e6).toFixed(1)} us` : `${(s * 1e3).toFixed(2)} ms`);
for (const s of scaling) {
  const reference = s.referenceSeconds;
  console.log(
    `${String(s.size).padStart(10)} ${time(s.fastSeconds).padStart(10)} ${(reference === undefined ? '-' : time(reference)).padStart(10)} ${M(s.size / s.fastSeconds).padStart(10)} ${(reference === undefined ? '-' : M(s.size / reference)).padStart(9)} ${(reference === undefined ? '-' : `${(reference / s.fastSeconds).toFixed(1)}x`).padStart(8)}`,
  );
}
console.log('');
console.log(
  `Mlp 784-256-10 training step (softmax cross-entropy, Adam): reference (plain loops) and fast (SIMD products and Adam, ${threads} threads):`,
);
console.log(
  `${'batch'.padStart(6)} ${'step JS ref'.padStart(12)} ${'step fast'.padStart(10)} ${'Adam JS ref'.padStart(12)} ${'Adam fast'.padStart(10)} ${'examples/s'.padStart(11)}`,
);
for (const b of batches) {
  console.log(
    `${String(b.batch).padStart(6)} ${time(b.reference).padStart(12)} ${time(b.fast).padStart(10)} ${time(b.referenceOptimizer).padStart(12)} ${time(b.fastOptimizer).padStart(10)} ${Math.round(
      b.batch / b.fast,
    )
      .toString()
      .padStart(11)}`,
  );
}
const seconds = (Date.now() - started) / 1000;
console.log(`\n${rows.filter((r) => r.met === true).length} of ${rows.length} targets met (${seconds.toFixed(0)} s)`);

const results = {
  bench: 'engine',
  node: process.version,
  threads,
  fusedMultiplyAdd: fast.fusedMultiplyAdd,
  streams,
  bandwidth,
  engine,
  torch,
  torchAllThreads,
  torchFused,
  runnerPairedWithTorchFused: fusedPython ? paired : undefined,
  targets: rows,
  scaling,
  hundredMillion,
  batches,
  seconds,
};
const dir = process.env.STEPSIZE_BENCH_RESULTS
  ? `${process.env.STEPSIZE_BENCH_RESULTS}/`
  : fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(dir, { recursive: true });
writeFileSync(`${dir}engine.json`, `${JSON.stringify(results, null, 2)}\n`);
console.log(`results: ${dir}engine.json`);
