// `pnpm bench` (engine): the optimizer kernels against the hardware and against PyTorch, in
// one run on this machine, as ratios of figures measured in the same run.
//
// - Memory-streaming limit: Adam's traffic pattern (read p, g, m, v; write p, m, v: 28 bytes
//   per parameter) with the cheapest arithmetic, streamed by a plain JS loop and by a SIMD
//   WebAssembly loop on 1 thread and on every thread; the fastest is the machine's limit.
// - Engine: the SIMD kernels (createFastKernels, parameters, gradients and slots in the shared
//   memory, all threads) and the plain JS reference kernels (fusedKernels) on 10M parameters.
// - PyTorch: torch.optim (CPU, foreach, default threads) run by /usr/bin/python3 on the same size.
// - Scaling: Adam from 1K to 50M parameters, and an Mlp 784-256-10 training step at batch
//   32/128/512 with either kernel set.
//
// Prints a table (each ratio with its target) and writes bench/results/engine.json (gitignored).
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { adam, adamW, OptimizerRunner, sgd } from '@stepsize/core';
import { createFastKernels, float32Ops, fusedKernels, Mlp, referenceMatmul } from '../dist/index.js';

const started = Date.now();
const TARGET_SIZE = 10_000_000;
const SCALING = [1_000, 10_000, 100_000, 1_000_000, 10_000_000, 50_000_000];
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
  sgdMomentum: () => sgd({ learningRate: 0.01, momentum: 0.9 }),
  adam: () => adam({ learningRate: 1e-3 }),
  adamW: () => adamW({ learningRate: 1e-3 }),
};

/** A kernel call for an optimizer over `size` parameters: fast (resident arrays) and reference. */
function kernelSetup(name, size, kernels, ops, allocate) {
  const params = { w: fill(allocate(size), 7) };
  const grad = { w: fill(allocate(size), 9) };
  const runner = new OptimizerRunner({ optimizer: optimizers[name](), ops, params, kernels });
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
    reference: kernelSetup(name, n, fusedKernels, float32Ops, plain),
  };
  engine[name] = { fast: 0, reference: 0, fastRunner: 0 };
}
for (let round = 0; round < ROUNDS; round += 1) {
  streams.jsLoop = Math.max(streams.jsLoop, (28 * n) / best(2, jsLoop));
  streams.wasm1Thread = Math.max(streams.wasm1Thread, (28 * n) / best(3, () => single.stream(...wasm1)));
  streams.wasmAllThreads = Math.max(streams.wasmAllThreads, (28 * n) / best(3, () => fast.stream(...wasm)));
  for (const name of Object.keys(optimizers)) {
    const e = engine[name];
    e.fast = Math.max(e.fast, n / best(3, setups[name].fast.call));
    e.fastRunner = Math.max(e.fastRunner, n / best(2, setups[name].fast.step));
    if (round % 4 === 0) e.reference = Math.max(e.reference, n / best(2, setups[name].reference.call));
  }
}
await single.close();
for (const name of Object.keys(optimizers)) setups[name].fast.release();
for (const a of wasm) fast.release(a);
const bandwidth = Math.max(streams.jsLoop, streams.wasm1Thread, streams.wasmAllThreads);

// 2. PyTorch on the same size.
let torch;
let torchAllThreads;
const script = fileURLToPath(new URL('./torch_adam.py', import.meta.url));
const probe = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8' });
if (probe.status === 0) {
  const result = spawnSync('/usr/bin/python3', [script, String(n)], { encoding: 'utf8' });
  if (result.status === 0) torch = JSON.parse(result.stdout.trim().split('\n').pop());
  else console.log(`torch benchmark failed: ${result.stderr.trim().split('\n').pop()}`);
  if (torch && torch.threads < threads) {
    // For information: the same script with torch.set_num_threads(all cores).
    const code = `import runpy, sys, torch; torch.set_num_threads(${threads}); sys.argv = [${JSON.stringify(script)}, '${n}']; runpy.run_path(sys.argv[0], run_name='__main__')`;
    const all = spawnSync('/usr/bin/python3', ['-c', code], { encoding: 'utf8' });
    if (all.status === 0) torchAllThreads = JSON.parse(all.stdout.trim().split('\n').pop());
  }
} else {
  console.log('torch: /usr/bin/python3 cannot import torch (apt-get install python3-torch); torch ratios skipped');
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

// 4. Scaling with the batch size: an Mlp 784-256-10 training step (loss, gradients, Adam).
const batches = [];
for (const batch of BATCHES) {
  const row = { batch };
  // reference: plain-loop products and optimizer kernels; fast: the SIMD products split across
  // the threads, parameters and gradients in the kernels' memory, the SIMD Adam in place.
  for (const [label, setup] of [
    ['reference', { matmul: referenceMatmul, kernels: fusedKernels, ops: float32Ops }],
    ['fast', { matmul: fast.matmul, allocate: fast.allocate, kernels: fast.kernels, ops: fast.ops }],
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
const rows = [];
for (const name of Object.keys(optimizers)) {
  const limit = bandwidth / BYTES_PER_PARAM[name];
  const e = engine[name];
  const t = torch?.paramsPerSecond[`${name}/${n}`];
  rows.push({
    check: `${name} ${n / 1e6}M: engine vs torch`,
    value: t ? e.fast / t : undefined,
    target: name === 'sgdMomentum' ? undefined : 2,
    unit: 'x',
  });
  const tAll = torchAllThreads?.paramsPerSecond[`${name}/${n}`];
  if (tAll)
    rows.push({ check: `${name} ${n / 1e6}M: engine vs torch ${threads} threads`, value: e.fast / tAll, target: undefined, unit: 'x' });
  rows.push({
    check: `${name} ${n / 1e6}M: engine / streaming limit`,
    value: e.fast / limit,
    target: name === 'sgdMomentum' ? 0.8 : 0.6,
    unit: '%',
  });
}
const format = (row) =>
  row.value === undefined ? '-' : row.unit === 'x' ? `${row.value.toFixed(2)}x` : `${(100 * row.value).toFixed(0)}%`;
const formatTarget = (row) => (row.target === undefined ? '(info)' : row.unit === 'x' ? `>= ${row.target}x` : `>= ${100 * row.target}%`);
for (const row of rows) row.met = row.target === undefined || row.value === undefined ? undefined : row.value >= row.target;

console.log(
  `engine optimizer benchmark (node ${process.version}, ${threads} threads${torch ? `, torch ${torch.torch} on ${torch.threads} threads` : ''})`,
);
console.log(
  `streaming (28 B/param pattern): JS loop ${(streams.jsLoop / 1e9).toFixed(1)} GB/s, SIMD 1 thread ${(streams.wasm1Thread / 1e9).toFixed(1)} GB/s, SIMD ${threads} threads ${(streams.wasmAllThreads / 1e9).toFixed(1)} GB/s -> limit ${(bandwidth / 1e9).toFixed(1)} GB/s`,
);
console.log('');
console.log(
  `${'optimizer'.padEnd(12)} ${'params'.padStart(9)} ${'fast'.padStart(8)} ${'runner'.padStart(8)} ${'JS ref'.padStart(8)} ${'torch'.padStart(8)} ${`torch/${threads}t`.padStart(9)} ${'limit'.padStart(8)}   (Mparams/s)`,
);
for (const name of Object.keys(optimizers)) {
  const e = engine[name];
  const t = torch?.paramsPerSecond[`${name}/${n}`];
  console.log(
    `${name.padEnd(12)} ${String(n).padStart(9)} ${M(e.fast).padStart(8)} ${M(e.fastRunner).padStart(8)} ${M(e.reference).padStart(8)} ${(t ? M(t) : '-').padStart(8)} ${(torchAllThreads ? M(torchAllThreads.paramsPerSecond[`${name}/${n}`]) : '-').padStart(9)} ${M(bandwidth / BYTES_PER_PARAM[name]).padStart(8)}`,
  );
}
console.log('');
console.log(`${'check'.padEnd(42)} ${'ratio'.padStart(7)} ${'target'.padStart(9)}  met`);
for (const row of rows)
  console.log(
    `${row.check.padEnd(42)} ${format(row).padStart(7)} ${formatTarget(row).padStart(9)}  ${row.met === undefined ? '' : row.met ? 'yes' : 'NO'}`,
  );
console.log('');
console.log('cost vs parameter count (Adam, one step):');
console.log(
  `${'params'.padStart(10)} ${'fast'.padStart(10)} ${'JS ref'.padStart(10)} ${'fast Mp/s'.padStart(10)} ${'ref Mp/s'.padStart(9)} ${'speedup'.padStart(8)}`,
);
const time = (s) => (s < 1e-3 ? `${(s * 1e6).toFixed(1)} us` : `${(s * 1e3).toFixed(2)} ms`);
for (const s of scaling) {
  console.log(
    `${String(s.size).padStart(10)} ${time(s.fastSeconds).padStart(10)} ${time(s.referenceSeconds).padStart(10)} ${M(s.size / s.fastSeconds).padStart(10)} ${M(s.size / s.referenceSeconds).padStart(9)} ${`${(s.referenceSeconds / s.fastSeconds).toFixed(1)}x`.padStart(8)}`,
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
console.log(
  `\n${rows.filter((r) => r.met === true).length} of ${rows.filter((r) => r.met !== undefined).length} targets met (${seconds.toFixed(0)} s)`,
);

const results = {
  bench: 'engine',
  node: process.version,
  threads,
  streams,
  bandwidth,
  engine,
  torch,
  torchAllThreads,
  rows,
  scaling,
  batches,
  seconds,
};
const dir = fileURLToPath(new URL('./results/', import.meta.url));
mkdirSync(dir, { recursive: true });
writeFileSync(`${dir}engine.json`, `${JSON.stringify(results, null, 2)}\n`);
console.log(`results: ${dir}engine.json`);
